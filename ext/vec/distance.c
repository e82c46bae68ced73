/*
** ext/vec: scalar reference distance kernels and the one-time choice of SIMD kernels.
*/
#include "common/f16.h"
#include "vec/distance.h"

#include "common/cpu.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* ---- float32 / float16 ----------------------------------------------------------------- */

static inline float load_f32(const void *p, size_t i) {
    float f;
    memcpy(&f, (const char *)p + i * 4, 4);
    return f;
}

static inline float load_f16(const void *p, size_t i) {
    uint16_t h;
    memcpy(&h, (const char *)p + i * 2, 2);
    return strata_f16_to_f32(h);
}

#define FLOAT_KERNELS(SUFFIX, LOAD, TYPE)                                                          \
    static float l2_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        float s = 0;                                                                               \
        for (size_t i = 0; i < n; i++) {                                                           \
            float d = LOAD(a, i) - LOAD(b, i);                                                     \
            s += d * d;                                                                            \
        }                                                                                          \
        return sqrtf(s);                                                                           \
    }                                                                                              \
    static float l1_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        float s = 0;                                                                               \
        for (size_t i = 0; i < n; i++)                                                             \
            s += fabsf(LOAD(a, i) - LOAD(b, i));                                                   \
        return s;                                                                                  \
    }                                                                                              \
    static float dot_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        float s = 0;                                                                               \
        for (size_t i = 0; i < n; i++)                                                             \
            s += LOAD(a, i) * LOAD(b, i);                                                          \
        return -s;                                                                                 \
    }                                                                                              \
    static float cos_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        float ab = 0, aa = 0, bb = 0;                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            float x = LOAD(a, i), y = LOAD(b, i);                                                  \
            ab += x * y;                                                                           \
            aa += x * x;                                                                           \
            bb += y * y;                                                                           \
        }                                                                                          \
        return vec_cosine_from_sums(ab, aa, bb, TYPE, a, b, n);                                    \
    }

FLOAT_KERNELS(f32, load_f32, VEC_F32)
FLOAT_KERNELS(f16, load_f16, VEC_F16)

/* ---- int8 -------------------------------------------------------------------------------- */

static float l2_i8(const void *a, const void *b, size_t n) {
    const int8_t *x = a, *y = b;
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        int d = x[i] - y[i];
        s += d * d;
    }
    return sqrtf((float)s);
}

static float l1_i8(const void *a, const void *b, size_t n) {
    const int8_t *x = a, *y = b;
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += abs(x[i] - y[i]);
    return (float)s;
}

static float dot_i8(const void *a, const void *b, size_t n) {
    const int8_t *x = a, *y = b;
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * y[i];
    return -(float)s;
}

static float cos_i8(const void *a, const void *b, size_t n) {
    const int8_t *x = a, *y = b;
    int64_t ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += x[i] * y[i];
        aa += x[i] * x[i];
        bb += y[i] * y[i];
    }
    return 1.0f - (float)ab / (sqrtf((float)aa) * sqrtf((float)bb));
}

/* ---- bit --------------------------------------------------------------------------------- */

static float hamming_bit(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    size_t bytes = n / 8, i = 0;
    uint64_t s = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t u, v;
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        s += (uint64_t)__builtin_popcountll(u ^ v);
    }
    for (; i < bytes; i++)
        s += (uint64_t)__builtin_popcount((unsigned)(x[i] ^ y[i]));
    return (float)s;
}

/* ---- tables and dispatch ----------------------------------------------------------------- */

static void fill_scalar(vec_kernel_table t) {
    memset(t, 0, sizeof(vec_kernel_table));
    VEC_SET_KERNELS(t, VEC_F32, f32);
    VEC_SET_KERNELS(t, VEC_F16, f16);
    VEC_SET_KERNELS(t, VEC_INT8, i8);
    t[VEC_BIT][VEC_HAMMING] = hamming_bit;
}

static vec_kernel_table scalar_table, best_table;
static const char *best_isa = "scalar";
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    fill_scalar(scalar_table);
    memcpy(best_table, scalar_table, sizeof best_table);
#if defined(__x86_64__)
    if (strata_cpu_has(STRATA_CPU_AVX2)) {
        vec_distance_fill_avx2(best_table);
        best_isa = "avx2";
    }
    if (strata_cpu_has(STRATA_CPU_AVX512)) {
        vec_distance_fill_avx512(best_table);
        best_isa = "avx512";
    }
#endif
}

static int valid(vec_type t, vec_metric m) {
    return (unsigned)t < VEC_NTYPES && (unsigned)m < VEC_NMETRICS;
}

vec_distance_fn vec_distance_kernel(vec_type t, vec_metric m) {
    pthread_once(&tables_once, init_tables);
    return valid(t, m) ? best_table[t][m] : NULL;
}

vec_distance_fn vec_distance_kernel_scalar(vec_type t, vec_metric m) {
    pthread_once(&tables_once, init_tables);
    return valid(t, m) ? scalar_table[t][m] : NULL;
}

const char *vec_distance_isa(void) {
    pthread_once(&tables_once, init_tables);
    return best_isa;
}

const char *vec_metric_name(vec_metric m) {
    static const char *names[] = {"l2", "l1", "cosine", "dot", "hamming"};
    return (unsigned)m < VEC_NMETRICS ? names[m] : "?";
}
