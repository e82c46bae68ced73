/*
** local_matmul: the dense kernels of the encoder, with scalar and AVX2/FMA/F16C versions
** chosen once at run time (common/cpu.h; STRATA_CPU=scalar forces the fallback).
**
** Weights are GGUF rows (ne[0] values each, contiguous) of type F32, F16, BF16 or Q8_0. A linear
** layer dequantizes a few weight rows at a time into scratch space and multiplies them with every
** input row, so quantized weights stay quantized in memory (RSS stays near the file size) while
** the arithmetic runs in fp32. With AVX2, Q8_0 layers instead quantize the input rows to Q8_0
** too and use int8 dot products, as llama.cpp does (4x less weight traffic, 2x the arithmetic).
*/
#ifndef STRATA_EMBED_LOCAL_MATMUL_H
#define STRATA_EMBED_LOCAL_MATMUL_H

#include <stddef.h>
#include <stdint.h>

/* Rows of weights dequantized per step of lembed_linear; its scratch holds this many rows. */
#define LEMBED_LINEAR_BLOCK 16

/* Y[t][j] = dot(X[t], W[j]) + bias[j] for t < n, j < m. X is n x k (fp32, row-major), W is m
** rows of k values of GGUF type wtype (k a multiple of 32 for Q8_0), bias may be NULL, Y is
** n x m. scratch holds LEMBED_LINEAR_BLOCK * k floats. */
void lembed_linear(const float *X, size_t n, size_t k, const void *W, uint32_t wtype, size_t m,
                   const float *bias, float *Y, float *scratch);

/* Converts one row of k values of GGUF type `type` to fp32. */
void lembed_dequant_row(uint32_t type, const void *src, float *dst, size_t k);

float lembed_dot(const float *a, const float *b, size_t n);

/* x = GELU(x) with the exact (erf) form, in place. */
void lembed_gelu(float *x, size_t n);

/* Name of the kernel set in use: "avx512_vnni", "avx2" or "scalar". */
const char *lembed_kernels_name(void);

/* Kernels of local_matmul_avx2.c (call only when the CPU has AVX2, FMA and F16C). */
void lembed_gemm_f32_avx2(const float *X, size_t n, size_t k, const float *W, size_t m, float *Y,
                          size_t ldy);
void lembed_dequant_f16_avx2(const void *src, float *dst, size_t k);
void lembed_dequant_q8_0_avx2(const void *src, float *dst, size_t k);
float lembed_dot_avx2(const float *a, const float *b, size_t n);
void lembed_gelu_avx2(float *x, size_t n);
void lembed_quantize_rows_q8_avx2(const float *X, size_t n, size_t k, int8_t *q, float *d);
void lembed_gemm_q8_0_avx2(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
                           size_t m, float *Y, size_t ldy);

/* Kernel of local_matmul_avx512.c (call only with AVX-512 VNNI and VL). */
void lembed_gemm_q8_0_avx512(const int8_t *XQ, const float *XD, size_t n, size_t k, const void *W,
                             size_t m, float *Y, size_t ldy);

#endif
