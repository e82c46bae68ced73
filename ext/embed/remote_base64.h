/*
** ext/embed (remote): base64 to float32, for providers that send embeddings as base64 strings of
** little-endian float32 values (OpenAI, Jina, Mixedbread, Voyage, Cohere, Mistral).
*/
#ifndef STRATA_EMBED_REMOTE_BASE64_H
#define STRATA_EMBED_REMOTE_BASE64_H

#include <stddef.h>

/* Decodes the standard base64 text s[0..n) (padding optional, no whitespace) holding
** little-endian float32 values. Returns the number of floats written to out (at most cap), or -1
** when the text is not valid base64, its byte count is not a multiple of 4, or it holds more than
** cap floats. */
long rembed_base64_floats(const char *s, size_t n, float *out, size_t cap);

/* Number of floats that base64 text of length n decodes to at most (an upper bound for cap). */
size_t rembed_base64_max_floats(size_t n);

#endif
