/*
** ext/vec: AVX-512 float kernels (16 lanes, masked tail so no scalar loop). Compiled with the
** AVX-512 flags and installed only after strata_cpu_has(STRATA_CPU_AVX512); the int8 and bit
** kernels stay those of distance_avx2.c, which are memory-bound already.
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

#define AVX512_FLOAT_KERNELS(SUFFIX, LOAD16)                                                       \
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
        return 1.0f - sab / (sqrtf(saa) * sqrtf(sbb));                                             \
    }

AVX512_FLOAT_KERNELS(f32, load16_f32)
AVX512_FLOAT_KERNELS(f16, load16_f16)

void vec_distance_fill_avx512(vec_kernel_table t) {
    t[VEC_F32][VEC_L2] = l2_f32;
    t[VEC_F32][VEC_L1] = l1_f32;
    t[VEC_F32][VEC_COSINE] = cos_f32;
    t[VEC_F32][VEC_DOT] = dot_f32;
    t[VEC_F16][VEC_L2] = l2_f16;
    t[VEC_F16][VEC_L1] = l1_f16;
    t[VEC_F16][VEC_COSINE] = cos_f16;
    t[VEC_F16][VEC_DOT] = dot_f16;
}
