/*
** ext/vec: AVX2/FMA/F16C distance kernels. Compiled with -mavx2 -mfma -mf16c -mpopcnt and
** called only after strata_cpu_has(STRATA_CPU_AVX2) (distance.c).
**
** Float kernels keep two 8-lane accumulators (16 elements per step) and finish the tail in
** scalar code. int8 kernels widen to 16 bits and use madd into 32-bit lanes, flushed to 64 bits
** every 4096 elements so no lane can overflow whatever the length.
*/
#include "vec/distance.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

static inline int64_t hsum8_epi32(__m256i v) {
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, v);
    int64_t s = 0;
    for (int i = 0; i < 8; i++)
        s += lanes[i];
    return s;
}

static inline __m256 load8_f32(const void *p, size_t i) {
    return _mm256_loadu_ps((const float *)p + i);
}
static inline __m256 load8_f16(const void *p, size_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
}
static inline float load1_f32(const void *p, size_t i) {
    float f;
    memcpy(&f, (const char *)p + i * 4, 4);
    return f;
}
static inline float load1_f16(const void *p, size_t i) {
    uint16_t h;
    memcpy(&h, (const char *)p + i * 2, 2);
    return _cvtsh_ss(h);
}

#define AVX2_FLOAT_KERNELS(SUFFIX, LOAD8, LOAD1, TYPE)                                             \
    static float l2_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();                                 \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16) {                                                             \
            __m256 d0 = _mm256_sub_ps(LOAD8(a, i), LOAD8(b, i));                                   \
            __m256 d1 = _mm256_sub_ps(LOAD8(a, i + 8), LOAD8(b, i + 8));                           \
            s0 = _mm256_fmadd_ps(d0, d0, s0);                                                      \
            s1 = _mm256_fmadd_ps(d1, d1, s1);                                                      \
        }                                                                                          \
        for (; i + 8 <= n; i += 8) {                                                               \
            __m256 d0 = _mm256_sub_ps(LOAD8(a, i), LOAD8(b, i));                                   \
            s0 = _mm256_fmadd_ps(d0, d0, s0);                                                      \
        }                                                                                          \
        float s = hsum8(_mm256_add_ps(s0, s1));                                                    \
        for (; i < n; i++) {                                                                       \
            float d = LOAD1(a, i) - LOAD1(b, i);                                                   \
            s += d * d;                                                                            \
        }                                                                                          \
        return sqrtf(s);                                                                           \
    }                                                                                              \
    static float l1_##SUFFIX(const void *a, const void *b, size_t n) {                             \
        const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));                    \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();                                 \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16) {                                                             \
            s0 = _mm256_add_ps(s0, _mm256_and_ps(mask, _mm256_sub_ps(LOAD8(a, i), LOAD8(b, i))));  \
            s1 = _mm256_add_ps(                                                                    \
                s1, _mm256_and_ps(mask, _mm256_sub_ps(LOAD8(a, i + 8), LOAD8(b, i + 8))));         \
        }                                                                                          \
        for (; i + 8 <= n; i += 8)                                                                 \
            s0 = _mm256_add_ps(s0, _mm256_and_ps(mask, _mm256_sub_ps(LOAD8(a, i), LOAD8(b, i))));  \
        float s = hsum8(_mm256_add_ps(s0, s1));                                                    \
        for (; i < n; i++)                                                                         \
            s += fabsf(LOAD1(a, i) - LOAD1(b, i));                                                 \
        return s;                                                                                  \
    }                                                                                              \
    static float dot_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();                                 \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16) {                                                             \
            s0 = _mm256_fmadd_ps(LOAD8(a, i), LOAD8(b, i), s0);                                    \
            s1 = _mm256_fmadd_ps(LOAD8(a, i + 8), LOAD8(b, i + 8), s1);                            \
        }                                                                                          \
        for (; i + 8 <= n; i += 8)                                                                 \
            s0 = _mm256_fmadd_ps(LOAD8(a, i), LOAD8(b, i), s0);                                    \
        float s = hsum8(_mm256_add_ps(s0, s1));                                                    \
        for (; i < n; i++)                                                                         \
            s += LOAD1(a, i) * LOAD1(b, i);                                                        \
        return -s;                                                                                 \
    }                                                                                              \
    static float cos_##SUFFIX(const void *a, const void *b, size_t n) {                            \
        __m256 ab = _mm256_setzero_ps(), aa = _mm256_setzero_ps(), bb = _mm256_setzero_ps();       \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8) {                                                               \
            __m256 x = LOAD8(a, i), y = LOAD8(b, i);                                               \
            ab = _mm256_fmadd_ps(x, y, ab);                                                        \
            aa = _mm256_fmadd_ps(x, x, aa);                                                        \
            bb = _mm256_fmadd_ps(y, y, bb);                                                        \
        }                                                                                          \
        float sab = hsum8(ab), saa = hsum8(aa), sbb = hsum8(bb);                                   \
        for (; i < n; i++) {                                                                       \
            float x = LOAD1(a, i), y = LOAD1(b, i);                                                \
            sab += x * y;                                                                          \
            saa += x * x;                                                                          \
            sbb += y * y;                                                                          \
        }                                                                                          \
        return vec_cosine_from_sums(sab, saa, sbb, TYPE, a, b, n);                                 \
    }

AVX2_FLOAT_KERNELS(f32, load8_f32, load1_f32, VEC_F32)
AVX2_FLOAT_KERNELS(f16, load8_f16, load1_f16, VEC_F16)

/* ---- int8 -------------------------------------------------------------------------------- */

static inline __m256i load16_i8(const int8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* One pass computing the sums a kernel asks for: which = 0 l2, 1 l1, 2 dot, 3 cosine. */
static void sums_i8(const int8_t *x, const int8_t *y, size_t n, int which, int64_t out[3]) {
    const __m256i ones = _mm256_set1_epi16(1);
    int64_t t0 = 0, t1 = 0, t2 = 0;
    size_t i = 0;
    while (i + 16 <= n) {
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256(),
                s2 = _mm256_setzero_si256();
        size_t stop = i + 4096 < n ? i + 4096 : n;
        for (; i + 16 <= stop; i += 16) {
            __m256i a = load16_i8(x + i), b = load16_i8(y + i);
            if (which == 0) {
                __m256i d = _mm256_sub_epi16(a, b);
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d, d));
            } else if (which == 1) {
                __m256i d = _mm256_abs_epi16(_mm256_sub_epi16(a, b));
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(d, ones));
            } else {
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(a, b));
                if (which == 3) {
                    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(a, a));
                    s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(b, b));
                }
            }
        }
        t0 += hsum8_epi32(s0);
        t1 += hsum8_epi32(s1);
        t2 += hsum8_epi32(s2);
    }
    for (; i < n; i++) {
        int a = x[i], b = y[i];
        if (which == 0)
            t0 += (a - b) * (a - b);
        else if (which == 1)
            t0 += a > b ? a - b : b - a;
        else {
            t0 += a * b;
            t1 += a * a;
            t2 += b * b;
        }
    }
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
}

VEC_I8_KERNELS_FROM_SUMS

/* ---- bit: the POPCNT instruction on 64-bit words ------------------------------------------ */

static float hamming_bit(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    size_t bytes = n / 8, i = 0;
    uint64_t s0 = 0, s1 = 0;
    for (; i + 16 <= bytes; i += 16) {
        uint64_t u0, v0, u1, v1;
        memcpy(&u0, x + i, 8);
        memcpy(&v0, y + i, 8);
        memcpy(&u1, x + i + 8, 8);
        memcpy(&v1, y + i + 8, 8);
        s0 += (uint64_t)_mm_popcnt_u64(u0 ^ v0);
        s1 += (uint64_t)_mm_popcnt_u64(u1 ^ v1);
    }
    for (; i < bytes; i++)
        s0 += (uint64_t)_mm_popcnt_u32((unsigned)(x[i] ^ y[i]));
    return (float)(s0 + s1);
}

void vec_distance_fill_avx2(vec_kernel_table t) {
    VEC_SET_KERNELS(t, VEC_F32, f32);
    VEC_SET_KERNELS(t, VEC_F16, f16);
    VEC_SET_KERNELS(t, VEC_INT8, i8);
    t[VEC_BIT][VEC_HAMMING] = hamming_bit;
}
