/*
** ext/vec: AVX-512 float kernels (16 lanes, masked tail so no scalar loop). Compiled with the
** AVX-512 flags and installed only after strata_cpu_has(STRATA_CPU_AVX512). int8 kernels widen
** 32 bytes at a time to 16-bit lanes (AVX-512BW) and madd into 32-bit sums, flushed to 64 bits
** every 4096 elements; bit kernels stay those of distance_avx2.c (POPCNT).
*/
#include "vec/distance.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

static inline __m512 load16_f32(const void *p, size_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, (const float *)p + i);
}
static inline __m512 load16_f16(const void *p, size_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + i));
}

static inline __mmask16 tail_mask(size_t left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

#define AVX512_FLOAT_KERNELS(SUFFIX, LOAD16, TYPE)                                                 \
    static float l2_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();                                 \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            __m512 d0 = _mm512_sub_ps(LOAD16(a, i, 0xffff), LOAD16(b, i, 0xffff));                 \
            __m512 d1 = _mm512_sub_ps(LOAD16(a, i + 16, 0xffff), LOAD16(b, i + 16, 0xffff));       \
            s0 = _mm512_fmadd_ps(d0, d0, s0);                                                      \
            s1 = _mm512_fmadd_ps(d1, d1, s1);                                                      \
        }                                                                                          \
        for (; i < n; i += 16) {                                                                   \
            __mmask16 m = tail_mask(n - i);                                                        \
            __m512 d0 = _mm512_sub_ps(LOAD16(a, i, m), LOAD16(b, i, m));                           \
            s0 = _mm512_fmadd_ps(d0, d0, s0);                                                      \
        }                                                                                          \
        return sqrtf(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));                                 \
    }                                                                                              \
    static float l1_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        __m512 s0 = _mm512_setzero_ps();                                                           \
        for (size_t i = 0; i < n; i += 16) {                                                       \
            __mmask16 m = tail_mask(n - i);                                                        \
            s0 =                                                                                   \
                _mm512_add_ps(s0, _mm512_abs_ps(_mm512_sub_ps(LOAD16(a, i, m), LOAD16(b, i, m)))); \
        }                                                                                          \
        return _mm512_reduce_add_ps(s0);                                                           \
    }                                                                                              \
    static float dot_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();                                 \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            s0 = _mm512_fmadd_ps(LOAD16(a, i, 0xffff), LOAD16(b, i, 0xffff), s0);                  \
            s1 = _mm512_fmadd_ps(LOAD16(a, i + 16, 0xffff), LOAD16(b, i + 16, 0xffff), s1);        \
        }                                                                                          \
        for (; i < n; i += 16) {                                                                   \
            __mmask16 m = tail_mask(n - i);                                                        \
            s0 = _mm512_fmadd_ps(LOAD16(a, i, m), LOAD16(b, i, m), s0);                            \
        }                                                                                          \
        return -_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));                                       \
    }                                                                                              \
    static float cos_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        __m512 ab = _mm512_setzero_ps(), aa = _mm512_setzero_ps(), bb = _mm512_setzero_ps();       \
        for (size_t i = 0; i < n; i += 16) {                                                       \
            __mmask16 m = tail_mask(n - i);                                                        \
            __m512 x = LOAD16(a, i, m), y = LOAD16(b, i, m);                                       \
            ab = _mm512_fmadd_ps(x, y, ab);                                                        \
            aa = _mm512_fmadd_ps(x, x, aa);                                                        \
            bb = _mm512_fmadd_ps(y, y, bb);                                                        \
        }                                                                                          \
        float sab = _mm512_reduce_add_ps(ab), saa = _mm512_reduce_add_ps(aa),                      \
              sbb = _mm512_reduce_add_ps(bb);                                                      \
        return vec_cosine_from_sums(sab, saa, sbb, TYPE, a, b, n);                                 \
    }

AVX512_FLOAT_KERNELS(f32, load16_f32, VEC_F32)
AVX512_FLOAT_KERNELS(f16, load16_f16, VEC_F16)

/* ---- int8 -------------------------------------------------------------------------------- */

static inline int64_t hsum16_epi32(__m512i v) {
    return (int64_t)_mm512_reduce_add_epi32(v);
}

/* which = 0 l2, 1 l1, 2 dot, 3 cosine; out[0..2] the sums that metric needs. */
static inline void sums_i8(const int8_t *x, const int8_t *y, size_t n, int which, int64_t out[3]) {
    const __m512i ones = _mm512_set1_epi16(1);
    int64_t t0 = 0, t1 = 0, t2 = 0;
    size_t i = 0;
    while (i < n) {
        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512(),
                s2 = _mm512_setzero_si512();
        size_t stop = i + 4096 < n ? i + 4096 : n;
        for (; i < stop; i += 32) {
            size_t left = stop - i;
            __mmask32 m = left >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << left) - 1);
            __m512i a = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, x + i));
            __m512i b = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, y + i));
            if (which == 0) {
                __m512i d = _mm512_sub_epi16(a, b);
                s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d, d));
            } else if (which == 1) {
                __m512i d = _mm512_abs_epi16(_mm512_sub_epi16(a, b));
                s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d, ones));
            } else {
                s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(a, b));
                if (which == 3) {
                    s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(a, a));
                    s2 = _mm512_add_epi32(s2, _mm512_madd_epi16(b, b));
                }
            }
        }
        t0 += hsum16_epi32(s0);
        t1 += hsum16_epi32(s1);
        t2 += hsum16_epi32(s2);
    }
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
}

VEC_I8_KERNELS_FROM_SUMS

void vec_distance_fill_avx512(vec_kernel_table t) {
    VEC_SET_KERNELS(t, VEC_INT8, i8);
    VEC_SET_KERNELS(t, VEC_F32, f32);
    VEC_SET_KERNELS(t, VEC_F16, f16);
}
