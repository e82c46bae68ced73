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

/* Compares codes of one quantizer, metric and length (the kernel is chosen once). */
typedef struct vec_quant_scorer {
    vec_quantizer q;
    vec_metric m;
    size_t dims;
    vec_distance_fn kernel; /* int8 dot or bit hamming */
} vec_quant_scorer;

void vec_quant_scorer_init(vec_quant_scorer *s, vec_quantizer q, vec_metric m, size_t dims);

/* Estimated distance between two codes, smaller is closer: on the scale of the exact distance
** for int8, the Hamming distance for bit. NaN where the exact distance is undefined (cosine
** with a zero vector). */
float vec_quant_estimate(const vec_quant_scorer *s, const void *a, const void *b);

/* The elements of a float32, float16 or int8 vector as float32 (out has dims floats). */
void vec_to_f32(vec_type t, const void *v, size_t dims, float *out);

#endif
