/*
** local_bert: a BERT encoder (MiniLM, bge, e5, gte, mxbai: GGUF architecture "bert") loaded from a
** GGUF file, with its WordPiece vocabulary, and its forward pass: embeddings + LayerNorm, then
** per layer non-causal multi-head attention, LayerNorm, erf-GELU feed-forward, LayerNorm; mean or
** CLS pooling (bert.pooling_type); L2 normalisation. Architecture "nomic-bert" (nomic-embed-text)
** differs: rotary position embeddings on Q and K, a fused Q/K/V weight, SwiGLU feed-forward, no
** biases. Several texts run in one pass (their tokens
** share the matrix products; attention stays within each text). Plain C, no SQLite.
*/
#ifndef STRATA_EMBED_LOCAL_BERT_H
#define STRATA_EMBED_LOCAL_BERT_H

#include "embed/local_gguf.h"
#include "embed/local_tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tokens per forward pass; longer batches are split. */
#define LEMBED_BERT_MAX_BATCH_TOKENS 1024
/* Longest sequence, whatever the file's context_length says (nomic-embed-text: 8192). */
#define LEMBED_BERT_MAX_CONTEXT 8192

typedef struct lembed_bert lembed_bert;

/* Loads path (already known to start with the GGUF magic). NULL with err set on failure. */
lembed_bert *lembed_bert_load(const char *path, char *err, size_t errlen);
void lembed_bert_free(lembed_bert *b);

const lembed_vocab *lembed_bert_vocab(const lembed_bert *b);
int32_t lembed_bert_dims(const lembed_bert *b);
int64_t lembed_bert_context(const lembed_bert *b);
/* The vocabulary score of token id (tokenizer.ggml.scores; 0 when the file has none, as for
** WordPiece vocabularies). False when id is out of range. */
bool lembed_bert_token_score(const lembed_bert *b, int64_t id, double *score);
/* "bert" or "nomic-bert". */
const char *lembed_bert_arch(const lembed_bert *b);
/* Type of the token embedding ("F32", "Q8_0", ...): the model's quantization. */
const char *lembed_bert_type(const lembed_bert *b);

/* Embeds count token sequences (each 1..context tokens, ids valid) into out (count x dims).
** Returns 0, or -1 when out of memory. */
int lembed_bert_embed(lembed_bert *b, const int32_t *const *ids, const size_t *lens, size_t count,
                      float *out);

#endif
