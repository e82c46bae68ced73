/*
** matmul_avx2: AVX2/FMA/F16C kernels (compiled with -mavx2 -mfma -mf16c; called only after
** run-time dispatch in matmul.c).
*/
#include "embed/matmul.h"

#include <immintrin.h>
#include <string.h>

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

float lembed_dot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float s = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* 4 weight rows x 2 input rows per step: 8 accumulators, 6 loads per 8 FMAs. */
void lembed_gemm_f32_avx2(const float *X, size_t n, size_t k, const float *W, size_t m, float *Y,
                          size_t ldy) {
    size_t k8 = k & ~(size_t)7;
    size_t j = 0;
    for (; j + 4 <= m; j += 4) {
        const float *w0 = W + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        size_t t = 0;
        for (; t + 2 <= n; t += 2) {
            const float *x0 = X + t * k, *x1 = x0 + k;
            __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps();
            __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
            __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
            __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
            for (size_t i = 0; i < k8; i += 8) {
                __m256 xa = _mm256_loadu_ps(x0 + i), xb = _mm256_loadu_ps(x1 + i);
                __m256 w = _mm256_loadu_ps(w0 + i);
                a00 = _mm256_fmadd_ps(w, xa, a00);
                a01 = _mm256_fmadd_ps(w, xb, a01);
                w = _mm256_loadu_ps(w1 + i);
                a10 = _mm256_fmadd_ps(w, xa, a10);
                a11 = _mm256_fmadd_ps(w, xb, a11);
                w = _mm256_loadu_ps(w2 + i);
                a20 = _mm256_fmadd_ps(w, xa, a20);
                a21 = _mm256_fmadd_ps(w, xb, a21);
                w = _mm256_loadu_ps(w3 + i);
                a30 = _mm256_fmadd_ps(w, xa, a30);
                a31 = _mm256_fmadd_ps(w, xb, a31);
            }
            float r[8] = {hsum(a00), hsum(a10), hsum(a20), hsum(a30),
                          hsum(a01), hsum(a11), hsum(a21), hsum(a31)};
            for (size_t i = k8; i < k; i++) {
                r[0] += w0[i] * x0[i];
                r[1] += w1[i] * x0[i];
                r[2] += w2[i] * x0[i];
                r[3] += w3[i] * x0[i];
                r[4] += w0[i] * x1[i];
                r[5] += w1[i] * x1[i];
                r[6] += w2[i] * x1[i];
                r[7] += w3[i] * x1[i];
            }
            memcpy(Y + t * ldy + j, r, 4 * sizeof(float));
            memcpy(Y + (t + 1) * ldy + j, r + 4, 4 * sizeof(float));
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
        dst[i] = lembed_f16_to_f32(h);
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
