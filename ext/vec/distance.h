/*
** ext/vec: distance kernels between two packed vectors of the same type and length.
**
** Each (type, metric) pair has a scalar reference kernel; AVX2/FMA and AVX-512 kernels
** (distance_avx2.c, distance_avx512.c) replace them when the CPU has those instructions. The
** choice is made once per process (capped by STRATA_CPU, see common/cpu.h).
**
** Metrics: l2 = sqrt(sum (a-b)^2), l1 = sum |a-b|, cosine = 1 - a.b / (|a| |b|) (NaN when a
** norm is zero), dot = -(a.b) so that smaller is closer, hamming = differing bits (bit only).
** Sums run in float32 for float vectors (as sqlite-vec does) and in integers for int8.
*/
#ifndef STRATA_VEC_DISTANCE_H
#define STRATA_VEC_DISTANCE_H

#include "vec/vector.h"

#include <stddef.h>

typedef enum vec_metric {
    VEC_L2 = 0,
    VEC_L1 = 1,
    VEC_COSINE = 2,
    VEC_DOT = 3,
    VEC_HAMMING = 4
} vec_metric;
#define VEC_NTYPES 4
#define VEC_NMETRICS 5

/* dims counts elements (bits for VEC_BIT). */
typedef float (*vec_distance_fn)(const void *a, const void *b, size_t dims);
typedef vec_distance_fn vec_kernel_table[VEC_NTYPES][VEC_NMETRICS];

/* The fastest kernel this CPU runs, or NULL when the metric does not apply to the type. */
vec_distance_fn vec_distance_kernel(vec_type t, vec_metric m);

/* The scalar reference kernel (tests compare the SIMD kernels with it). */
vec_distance_fn vec_distance_kernel_scalar(vec_type t, vec_metric m);

/* "l2", "l1", "cosine", "dot", "hamming". */
const char *vec_metric_name(vec_metric m);

/* Which kernel family vec_distance_kernel uses: "avx512", "avx2" or "scalar". */
const char *vec_distance_isa(void);

/* The cosine distance 1 - ab / (sqrt(aa) sqrt(bb)) from a kernel's float sums. When a norm left
** float range (elements below ~1e-19 underflow to a zero norm, above ~1e19 overflow to inf), the
** sums say nothing, so the distance is computed again in double from the t-typed vectors a and
** b. NaN when a vector is zero. */
float vec_cosine_from_sums(float ab, float aa, float bb, vec_type t, const void *a, const void *b,
                           size_t n);

/* Sets the l2, l1, cosine and dot entries of `type` in table t to the including file's kernels
** l2_<sfx>, l1_<sfx>, cos_<sfx> and dot_<sfx>. */
#define VEC_SET_KERNELS(t, type, sfx)                                                              \
    do {                                                                                           \
        (t)[type][VEC_L2] = l2_##sfx;                                                              \
        (t)[type][VEC_L1] = l1_##sfx;                                                              \
        (t)[type][VEC_COSINE] = cos_##sfx;                                                         \
        (t)[type][VEC_DOT] = dot_##sfx;                                                            \
    } while (0)

/* Defines the int8 kernels l2_i8, l1_i8, dot_i8 and cos_i8 of a SIMD file from its static
** sums_i8(a, b, n, which, out): which 0 sums squared differences into out[0], 1 absolute
** differences, 2 products, 3 products and both squares (out[0..2]). A macro, so that each file's
** kernels inline its own sums_i8, compiled for its instruction set. */
#define VEC_I8_KERNELS_FROM_SUMS                                                                   \
    static float l2_i8(const void *a, const void *b, size_t n) {                                   \
        int64_t s[3];                                                                              \
        sums_i8(a, b, n, 0, s);                                                                    \
        return sqrtf((float)s[0]);                                                                 \
    }                                                                                              \
    static float l1_i8(const void *a, const void *b, size_t n) {                                   \
        int64_t s[3];                                                                              \
        sums_i8(a, b, n, 1, s);                                                                    \
        return (float)s[0];                                                                        \
    }                                                                                              \
    static float dot_i8(const void *a, const void *b, size_t n) {                                  \
        int64_t s[3];                                                                              \
        sums_i8(a, b, n, 2, s);                                                                    \
        return -(float)s[0];                                                                       \
    }                                                                                              \
    static float cos_i8(const void *a, const void *b, size_t n) {                                  \
        int64_t s[3];                                                                              \
        sums_i8(a, b, n, 3, s);                                                                    \
        return 1.0f - (float)s[0] / (sqrtf((float)s[1]) * sqrtf((float)s[2]));                     \
    }

/* Filled in by distance_avx2.c / distance_avx512.c: they overwrite the entries they speed up. */
void vec_distance_fill_avx2(vec_kernel_table table);
void vec_distance_fill_avx512(vec_kernel_table table);

#endif
