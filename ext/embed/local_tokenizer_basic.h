/*
** local_tokenizer_basic: BERT's "basic" pre-tokenization, as Hugging Face BertTokenizer does it.
**
** Drops U+0000, U+FFFD and control characters (category C*, except tab, newline and carriage
** return, which count as whitespace); splits on whitespace (those three, space and Zs); puts CJK
** ideographs in words of their own; optionally lowercases and strips accents (NFD, then drop
** Mn); splits punctuation (ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*) into one-character
** words. ICU does the Unicode work. Each word keeps the byte range of the input it came from,
** which lembed_chunks reports as offsets.
*/
#ifndef STRATA_EMBED_LOCAL_TOKENIZER_BASIC_H
#define STRATA_EMBED_LOCAL_TOKENIZER_BASIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    LEMBED_SPLIT_LOWER = 1,         /* lowercase (ICU root locale, final sigma included) */
    LEMBED_SPLIT_STRIP_ACCENTS = 2, /* NFD, then drop nonspacing marks (Mn) */
};

typedef struct lembed_word {
    uint32_t off, len;           /* normalized UTF-8 in lembed_wordlist.buf */
    uint32_t src_start, src_end; /* byte range of the input */
    bool punct;                  /* a single punctuation character */
} lembed_word;

typedef struct lembed_wordlist {
    char *buf;
    size_t buf_len, buf_cap;
    lembed_word *words;
    size_t count, cap;
} lembed_wordlist;

/* Inputs longer than this are refused (offsets are 32-bit). */
#define LEMBED_SPLIT_MAX_INPUT ((size_t)1 << 30)

void lembed_wordlist_init(lembed_wordlist *wl);
void lembed_wordlist_free(lembed_wordlist *wl);

/* Splits UTF-8 text (invalid sequences are dropped like U+FFFD) into wl, which is emptied
** first. Returns 0, or -1 when out of memory or the input is too long. */
int lembed_basic_split(const char *text, size_t n, unsigned flags, lembed_wordlist *wl);

/* lembed_basic_split for a caller that needs only part of the words: it stops once max_words
** words are complete (the text's later words are not split), and keeps at most max_word_chars
** code points of a word's normalized text (a longer word keeps its full byte range; a caller
** tells it is longer by its kept length). 0 means no limit. The words it returns are the first
** words of the unbounded split, with the same ranges. */
int lembed_basic_split_bounded(const char *text, size_t n, unsigned flags, size_t max_words,
                               uint32_t max_word_chars, lembed_wordlist *wl);

#endif
