/*
** local_tokenizer: WordPiece (BERT) tokenization over a vocabulary, matching Hugging Face
** BertTokenizer: basic pre-tokenization (local_tokenizer_basic.h), then greedy longest-match
** pieces with "##" continuations; a word longer than 100 characters, or one that cannot be
** covered, becomes [UNK]. Output is wrapped in [CLS] ... [SEP].
**
** Pieces are stored the Hugging Face way ("hello", "##world", "[CLS]"). GGUF files store them the
** llama.cpp way (word starts prefixed with U+2581, continuations bare); lembed_vocab_set_gguf
** converts.
*/
#ifndef STRATA_EMBED_LOCAL_TOKENIZER_H
#define STRATA_EMBED_LOCAL_TOKENIZER_H

#include "embed/local_strmap.h"
#include "embed/local_tokenizer_basic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEMBED_WORDPIECE_MAX_CHARS 100

typedef struct lembed_vocab {
    lembed_strmap map; /* HF-form piece -> id */
    char **pieces;     /* id -> HF-form piece (NUL-terminated, malloc'd) */
    uint8_t *control;  /* id -> 1 for control tokens ([CLS], [PAD], ...) */
    int32_t n;
    int32_t cls_id, sep_id, unk_id, pad_id;
    /* Special tokens matched literally in input text, as Hugging Face does for its added
    ** tokens ("[CLS]" typed in a text is the [CLS] token): ids, -1 when absent. */
    int32_t literal_ids[5];
    unsigned split_flags; /* LEMBED_SPLIT_* */
} lembed_vocab;

void lembed_vocab_init(lembed_vocab *v);
void lembed_vocab_free(lembed_vocab *v);
/* Reserves room for n tokens (ids 0..n-1). Returns false when out of memory. */
bool lembed_vocab_reserve(lembed_vocab *v, int32_t n);
/* Sets token id from a GGUF piece (U+2581-prefixed word start, bare continuation) of type
** token_type (3 = control). Returns false when out of memory. */
bool lembed_vocab_set_gguf(lembed_vocab *v, int32_t id, const char *piece, size_t len,
                           int token_type);

/* One tokenized text: ids and, per token, the byte range of the input it came from
** ([CLS]/[SEP] get empty ranges at the start/end). */
typedef struct lembed_tokens {
    int32_t *ids;
    uint32_t *src_start, *src_end;
    size_t count, cap;
    bool truncated; /* max_tokens cut the text */
} lembed_tokens;

void lembed_tokens_init(lembed_tokens *t);
void lembed_tokens_free(lembed_tokens *t);

/* Fills literal_ids from the pieces [PAD], [UNK], [CLS], [SEP], [MASK]. */
void lembed_vocab_find_literals(lembed_vocab *v);

/* Tokenizes text into out (emptied first), [CLS] and [SEP] included; at most max_tokens
** tokens in total (>= 2), the text being cut before [SEP] when longer. wl is scratch space.
** Returns 0, or -1 when out of memory or the text is too long. */
int lembed_tokenize(const lembed_vocab *v, const char *text, size_t n, size_t max_tokens,
                    lembed_wordlist *wl, lembed_tokens *out);

/* The HF-form piece of id, or NULL when id is out of range. */
const char *lembed_vocab_piece(const lembed_vocab *v, int64_t id);

#endif
