/*
** local_matmul_avx2: AVX2/FMA/F16C kernels (compiled with -mavx2 -mfma -mf16c; called only after
** run-time dispatch in local_matmul.c).
*/
#include "common/f16.h"
#include "embed/local_matmul.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* Sum of the 32 products of two int8 blocks, as 8 int32 lanes (ggml's sign trick: maddubs
** needs one unsigned operand). */
static inline __m256 block_dot(__m256i w, __m256i x) {
    __m256i ax = _mm256_sign_epi8(x, x);
    __m256i sw = _mm256_sign_epi8(w, x);
    __m256i s16 = _mm256_maddubs_epi16(ax, sw);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
}

#define Q8_BLOCK_DOT block_dot
#include "embed/local_matmul_q8_gemm.h"

float lembed_dot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float s = hsum256(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* 4 weight rows x 3 input rows per step: 12 accumulators, 7 loads per 12 FMAs. */
#define GEMM_STEP(w, acc0, acc1, acc2)                                                             \
    do {                                                                                           \
        __m256 wv_ = _mm256_loadu_ps((w) + i);                                                     \
        acc0 = _mm256_fmadd_ps(wv_, xa, acc0);                                                     \
        acc1 = _mm256_fmadd_ps(wv_, xb, acc1);                                                     \
        acc2 = _mm256_fmadd_ps(wv_, xc, acc2);                                                     \
    } while (0)

void lembed_gemm_f32_avx2(const float *X, size_t n, size_t k, const float *W, size_t m, float *Y,
                          size_t ldy) {
    size_t k8 = k & ~(size_t)7;
    size_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float *w0 = W + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        size_t t = 0;
        for (; t + 3 <= n; t += 3) {
            const float *x0 = X + t * k, *x1 = x0 + k, *x2 = x1 + k;
            __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a02 = _mm256_setzero_ps();
            __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps(), a12 = _mm256_setzero_ps();
            __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps(), a22 = _mm256_setzero_ps();
            __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps(), a32 = _mm256_setzero_ps();
            for (size_t i = 0; i < k8; i += 8) {
                __m256 xa = _mm256_loadu_ps(x0 + i), xb = _mm256_loadu_ps(x1 + i);
                __m256 xc = _mm256_loadu_ps(x2 + i);
                GEMM_STEP(w0, a00, a01, a02);
                GEMM_STEP(w1, a10, a11, a12);
                GEMM_STEP(w2, a20, a21, a22);
                GEMM_STEP(w3, a30, a31, a32);
            }
            float r[12] = {hsum256(a00), hsum256(a10), hsum256(a20), hsum256(a30),
                           hsum256(a01), hsum256(a11), hsum256(a21), hsum256(a31),
                           hsum256(a02), hsum256(a12), hsum256(a22), hsum256(a32)};
            const float *xs[3] = {x0, x1, x2}, *ws[4] = {w0, w1, w2, w3};
            for (size_t i = k8; i < k; i++)
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 4; b++)
                        r[a * 4 + b] += ws[b][i] * xs[a][i];
            for (int a = 0; a < 3; a++)
                memcpy(Y + (t + (size_t)a) * ldy + j, r + a * 4, 4 * sizeof(float));
        }
        for (; t < n; t++) {
            const float *x = X + t * k;
            Y[t * ldy + j] = lembed_dot_avx2(x, w0, k);
            Y[t * ldy + j + 1] = lembed_dot_avx2(x, w1, k);
            Y[t * ldy + j + 2] = lembed_dot_avx2(x, w2, k);
            Y[t * ldy + j + 3] = lembed_dot_avx2(x, w3, k);
        }
    }
    for (; j < m; j++)
        for (size_t t = 0; t < n; t++)
            Y[t * ldy + j] = lembed_dot_avx2(X + t * k, W + j * k, k);
}

void lembed_dequant_f16_avx2(const void *src, float *dst, size_t k) {
    const unsigned char *p = src;
    size_t i = 0;
    for (; i + 8 <= k; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
    for (; i < k; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        dst[i] = strata_f16_to_f32(h);
    }
}

void lembed_dequant_q8_0_avx2(const void *src, float *dst, size_t k) {
    const unsigned char *p = src;
    for (size_t b = 0; b < k / 32; b++, p += 34) {
        uint16_t h;
        memcpy(&h, p, 2);
        __m256 d = _mm256_set1_ps(_cvtsh_ss(h));
        for (int i = 0; i < 32; i += 8) {
            __m128i q = _mm_loadl_epi64((const __m128i *)(p + 2 + i));
            __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            _mm256_storeu_ps(dst + b * 32 + i, _mm256_mul_ps(f, d));
        }
    }
}

/* Quantizes each row of X (n x k, k a multiple of 32) to Q8_0 blocks: q int8 [n x k] and one
** scale per 32 values in d [n x k/32], as ggml's quantize_row_q8_0 does. */
void lembed_quantize_rows_q8_avx2(const float *X, size_t n, size_t k, int8_t *q, float *d) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (size_t r = 0; r < n; r++)
        for (size_t b = 0; b < k / 32; b++) {
            const float *x = X + r * k + b * 32;
            __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
            __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
            __m256 m = _mm256_max_ps(
                _mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            float amax = _mm_cvtss_f32(m4);
            float scale = amax / 127.0f;
            d[r * (k / 32) + b] = scale;
            __m256 inv = _mm256_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, inv), 0));
            __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, inv), 0));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, inv), 0));
            __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, inv), 0));
            /* pack 32-bit -> 16-bit -> 8-bit, then undo the lane interleaving of the packs */
            __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
            __m256i p = _mm256_packs_epi16(p01, p23);
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(q + r * k + b * 32), p);
        }
}

void lembed_gemm_q8_0_avx2(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
                           size_t m, float *Y, size_t ldy) {
    q8_0_gemm(XQ, XD, n, k, W, m, Y, ldy);
}

/* e^x for x <= 0 (inputs below -87 give 0): Cody-Waite reduction by ln 2, degree-6 polynomial,
** relative error about 2e-7. */
static inline __m256 exp_neg(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* GELU with erf (as Hugging Face BERT): erf from Abramowitz & Stegun 7.1.26 (absolute error
** below 1.5e-7), eight values at a time; the tail uses libm. */
void lembed_gelu_avx2(float *x, size_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 z = _mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f));
        __m256 s = _mm256_and_ps(z, sign);
        __m256 a = _mm256_andnot_ps(sign, z);
        __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
        __m256 poly = _mm256_set1_ps(1.061405429f);
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
        poly = _mm256_mul_ps(poly, t);
        __m256 e = exp_neg(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
        __m256 erf = _mm256_or_ps(_mm256_fnmadd_ps(poly, e, one), s);
        _mm256_storeu_ps(
            x + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(one, erf)));
    }
    for (; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}
