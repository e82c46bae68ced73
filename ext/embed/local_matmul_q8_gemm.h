/*
** local_matmul_q8_gemm: the Q8_0 GEMM loop of the AVX2 and AVX-512 kernels, which differ only in
** the int8 dot product of one 32-value block. Included by local_matmul_avx2.c and
** local_matmul_avx512.c, each under its own compiler flags and after defining
**   Q8_BLOCK_DOT(w, x)   the 8 int32 partial sums of w . x (two __m256i of int8) as an __m256
** so each file compiles the loop for its own instruction set, with the block dot inlined.
** hsum256 (the sum of 8 float lanes) serves the AVX2 file's other kernels too.
*/
#ifndef STRATA_LOCAL_MATMUL_Q8_GEMM_H
#define STRATA_LOCAL_MATMUL_Q8_GEMM_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Y[t][j] = sum over blocks of dW * dX * int8 dot, for Q8_0 weight rows (34 bytes a block: an
** f16 scale, 32 int8) and rows of X already quantized to int8 XQ with per-block scales XD. One
** weight row against 4 input rows at a time. */
static inline void q8_0_gemm(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
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
                    Q8_BLOCK_DOT(wq, _mm256_loadu_si256((const __m256i *)(x0 + b * 32))),
                    _mm256_set1_ps(dw * d0[b]), a0);
                a1 = _mm256_fmadd_ps(
                    Q8_BLOCK_DOT(wq, _mm256_loadu_si256((const __m256i *)(x1 + b * 32))),
                    _mm256_set1_ps(dw * d1[b]), a1);
                a2 = _mm256_fmadd_ps(
                    Q8_BLOCK_DOT(wq, _mm256_loadu_si256((const __m256i *)(x2 + b * 32))),
                    _mm256_set1_ps(dw * d2[b]), a2);
                a3 = _mm256_fmadd_ps(
                    Q8_BLOCK_DOT(wq, _mm256_loadu_si256((const __m256i *)(x3 + b * 32))),
                    _mm256_set1_ps(dw * d3[b]), a3);
            }
            Y[t * ldy + j] = hsum256(a0);
            Y[(t + 1) * ldy + j] = hsum256(a1);
            Y[(t + 2) * ldy + j] = hsum256(a2);
            Y[(t + 3) * ldy + j] = hsum256(a3);
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
                    Q8_BLOCK_DOT(wq, _mm256_loadu_si256((const __m256i *)(x + b * 32))),
                    _mm256_set1_ps(_cvtsh_ss(h) * dx[b]), a);
            }
            Y[t * ldy + j] = hsum256(a);
        }
    }
}

#endif
