/*
** local_model: one loaded local embedding model, whatever its kind: a static word-vector table
** (local_static_vectors.h) or a GGUF transformer encoder (local_bert.h). The SQL binding
** (local_sql.c) talks only to this interface. Plain C, no SQLite.
*/
#ifndef STRATA_EMBED_LOCAL_MODEL_H
#define STRATA_EMBED_LOCAL_MODEL_H

#include "embed/local_static_vectors.h"
#include "embed/local_tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEMBED_ERR_SIZE 512
/* Longest text the models accept (memory for tokens is proportional to it). */
#define LEMBED_MAX_TEXT_BYTES ((size_t)32 << 20)

typedef enum { LEMBED_KIND_STATIC, LEMBED_KIND_BERT } lembed_kind;

struct lembed_bert;

typedef struct lembed_model {
    lembed_kind kind;
    char *path;
    int32_t dims;
    int64_t size_bytes; /* file size */
    char arch[32];      /* "static", "bert" */
    char type[16];      /* "glove"/"wink" for static; "F32", "F16", "Q8_0", ... */
    bool truncate;      /* cut long input (default) instead of failing */
    int64_t max_tokens; /* transformer context used (<= model context) */
    lembed_static st;
    struct lembed_bert *bert;
    lembed_wordlist wl; /* scratch */
    lembed_tokens toks; /* scratch */
} lembed_model;

/* Opens path with options (a JSON object as text, or NULL). Returns NULL with a message naming
** the file and the problem in err. */
lembed_model *lembed_model_open(const char *path, const char *options, char *err, size_t errlen);
void lembed_model_close(lembed_model *m);

/* Embeds one text into out[m->dims] (L2-normalised). Returns 0, or -1 with err set. */
int lembed_model_embed(lembed_model *m, const char *text, size_t n, float *out, char *err,
                       size_t errlen);

/* Embeds count texts (batched where the model can). out is count x dims. */
int lembed_model_embed_batch(lembed_model *m, const char *const *texts, const size_t *lens,
                             size_t count, float *out, char *err, size_t errlen);

/* Tokenizes text into toks ([CLS]/[SEP] included for transformers; the rows of known words for
** static models), truncated to max_tokens (0: the model's limit; SIZE_MAX: no limit). Returns 0,
** or -1 with err set. */
int lembed_model_tokenize(lembed_model *m, const char *text, size_t n, size_t max_tokens,
                          lembed_tokens *toks, char *err, size_t errlen);

/* The piece (word for static models) of token id, or NULL. */
const char *lembed_model_piece(const lembed_model *m, int64_t id, size_t *len);
/* True when id is a control token ([CLS], [SEP], [PAD], ...). */
bool lembed_model_is_control(const lembed_model *m, int64_t id);

#endif
