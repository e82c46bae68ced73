/*
** local_matmul_avx512: the Q8_0 kernel with AVX-512 VNNI (vpdpbusd on 256-bit vectors: one
** instruction for the int8 products and their sums where AVX2 needs three). Compiled with the
** AVX-512 flags; called only after run-time dispatch in local_matmul.c.
*/
#include "embed/local_matmul.h"

#include <immintrin.h>
#include <string.h>

static inline float hsum512(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256 block_dot_vnni(__m256i w, __m256i x) {
    __m256i ax = _mm256_sign_epi8(x, x);
    __m256i sw = _mm256_sign_epi8(w, x);
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sw));
}

void lembed_gemm_q8_0_avx512(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
                             size_t m, float *Y, size_t ldy) {
    size_t nb = k / 32;
    const unsigned char *w = W;
    for (size_t j = 0; j < m; j++) {
        const unsigned char *wr = w + j * nb * 34;
        size_t t = 0;
        for (; t + 4 <= n; t += 4) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            const int8_t *x0 = XQ + t * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;
            const float *d0 = XD + t * nb, *d1 = d0 + nb, *d2 = d1 + nb, *d3 = d2 + nb;
            for (size_t b = 0; b < nb; b++) {
                uint16_t h;
                memcpy(&h, wr + b * 34, 2);
                float dw = _cvtsh_ss(h);
                __m256i wq = _mm256_loadu_si256((const __m256i *)(wr + b * 34 + 2));
                a0 = _mm256_fmadd_ps(
                    block_dot_vnni(wq, _mm256_loadu_si256((const __m256i *)(x0 + b * 32))),
                    _mm256_set1_ps(dw * d0[b]), a0);
                a1 = _mm256_fmadd_ps(
                    block_dot_vnni(wq, _mm256_loadu_si256((const __m256i *)(x1 + b * 32))),
                    _mm256_set1_ps(dw * d1[b]), a1);
                a2 = _mm256_fmadd_ps(
                    block_dot_vnni(wq, _mm256_loadu_si256((const __m256i *)(x2 + b * 32))),
                    _mm256_set1_ps(dw * d2[b]), a2);
                a3 = _mm256_fmadd_ps(
                    block_dot_vnni(wq, _mm256_loadu_si256((const __m256i *)(x3 + b * 32))),
                    _mm256_set1_ps(dw * d3[b]), a3);
            }
            Y[t * ldy + j] = hsum512(a0);
            Y[(t + 1) * ldy + j] = hsum512(a1);
            Y[(t + 2) * ldy + j] = hsum512(a2);
            Y[(t + 3) * ldy + j] = hsum512(a3);
        }
        for (; t < n; t++) {
            __m256 a = _mm256_setzero_ps();
            const int8_t *x = XQ + t * k;
            const float *dx = XD + t * nb;
            for (size_t b = 0; b < nb; b++) {
                uint16_t h;
                memcpy(&h, wr + b * 34, 2);
                __m256i wq = _mm256_loadu_si256((const __m256i *)(wr + b * 34 + 2));
                a = _mm256_fmadd_ps(
                    block_dot_vnni(wq, _mm256_loadu_si256((const __m256i *)(x + b * 32))),
                    _mm256_set1_ps(_cvtsh_ss(h) * dx[b]), a);
            }
            Y[t * ldy + j] = hsum512(a);
        }
    }
}
