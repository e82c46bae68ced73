/*
** ext/vec: quantized copies of float vectors, scanned before exact rescoring by the rescore and
** ivf indexes. Plain C, no SQLite.
**
**   int8: one signed byte per element, scaled per vector so that its largest magnitude maps to
**         127, followed by the scale (float32) and the vector's L2 norm (float32). The inner
**         product of two codes, times both scales, estimates the inner product of the vectors,
**         from which l2, cosine and dot distances follow (l1 decodes the elements).
**   bit:  one bit per element (set when the element is > 0, as vec_quantize_binary); the
**         estimate of every metric is the Hamming distance. Coarse: it suits normalized,
**         centred data and wants a large oversample.
*/
#ifndef STRATA_VEC_QUANTIZE_H
#define STRATA_VEC_QUANTIZE_H

#include "vec/distance.h"

#include <stddef.h>
#include <stdint.h>

typedef enum vec_quantizer {
    VEC_QUANT_NONE = 0,
    VEC_QUANT_INT8 = 1,
    VEC_QUANT_BIT = 2
} vec_quantizer;

/* Bytes of one code of `dims` elements (0 for VEC_QUANT_NONE). */
size_t vec_quant_bytes(vec_quantizer q, size_t dims);

/* "none", "int8", "bit". */
const char *vec_quantizer_name(vec_quantizer q);

/* Writes the code of float32 vector x (dims elements) into code (vec_quant_bytes bytes). */
void vec_quantize(vec_quantizer q, const float *x, size_t dims, void *code);

/* Compares codes with one query code (the kernel is chosen once). */
typedef struct vec_quant_scorer {
    vec_quantizer q;
    vec_metric m;
    size_t dims;
    const unsigned char *query; /* the query's code */
    float scale, norm;          /* int8: the query's */
    int32_t bias;               /* int8 with VNNI: 128 * the sum of the query's codes */
    vec_distance_fn kernel;     /* int8 dot (without VNNI) or bit hamming */
    int32_t (*dot_u8s8)(const unsigned char *code, const unsigned char *query, size_t dims);
} vec_quant_scorer;

/* query: a code of q (vec_quantize), kept by pointer while the scorer is used. */
void vec_quant_scorer_init(vec_quant_scorer *s, vec_quantizer q, vec_metric m, size_t dims,
                           const void *query);

/* Estimated distance between the query and a code, smaller is closer: on the scale of the
** exact distance for int8, the Hamming distance for bit. NaN where the exact distance is
** undefined (cosine with a zero vector). */
float vec_quant_estimate(const vec_quant_scorer *s, const void *code);

/* AVX-512 VNNI (quantize_avx512.c): sum of (code[i] ^ 0x80) * query[i], that is the int8 inner
** product plus 128 * sum(query), 64 elements an instruction. */
int32_t vec_dot_u8s8_avx512(const unsigned char *code, const unsigned char *query, size_t dims);

/* The elements of a float32, float16 or int8 vector as float32 (out has dims floats). */
void vec_to_f32(vec_type t, const void *v, size_t dims, float *out);

#endif
