/*
** local_matmul_avx512: the Q8_0 kernel with AVX-512 VNNI (vpdpbusd on 256-bit vectors: one
** instruction for the int8 products and their sums where AVX2 needs three). Compiled with the
** AVX-512 flags; called only after run-time dispatch in local_matmul.c.
*/
#include "embed/local_matmul.h"

#include <immintrin.h>
#include <string.h>

static inline __m256 block_dot_vnni(__m256i w, __m256i x) {
    __m256i ax = _mm256_sign_epi8(x, x);
    __m256i sw = _mm256_sign_epi8(w, x);
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ax, sw));
}

#define Q8_BLOCK_DOT block_dot_vnni
#include "embed/local_matmul_q8_gemm.h"

void lembed_gemm_q8_0_avx512(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
                             size_t m, float *Y, size_t ldy) {
    q8_0_gemm(XQ, XD, n, k, W, m, Y, ldy);
}
