/*
** local_matmul: scalar kernels and the run-time dispatch (see local_matmul.h).
*/
#include "embed/local_matmul.h"

#include "common/cpu.h"
#include "common/f16.h"
#include "embed/local_gguf.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void gemm_f32_scalar(const float *X, size_t n, size_t k, const float *W, size_t m, float *Y,
                            size_t ldy) {
    for (size_t t = 0; t < n; t++)
        for (size_t j = 0; j < m; j++) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            const float *x = X + t * k, *w = W + j * k;
            size_t i = 0;
            for (; i + 4 <= k; i += 4) {
                s0 += x[i] * w[i];
                s1 += x[i + 1] * w[i + 1];
                s2 += x[i + 2] * w[i + 2];
                s3 += x[i + 3] * w[i + 3];
            }
            for (; i < k; i++)
                s0 += x[i] * w[i];
            Y[t * ldy + j] = (s0 + s1) + (s2 + s3);
        }
}

static void dequant_f16_scalar(const void *src, float *dst, size_t k) {
    const unsigned char *p = src;
    for (size_t i = 0; i < k; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        dst[i] = strata_f16_to_f32(h);
    }
}

static void dequant_q8_0_scalar(const void *src, float *dst, size_t k) {
    const unsigned char *p = src;
    for (size_t b = 0; b < k / 32; b++, p += 34) {
        uint16_t h;
        memcpy(&h, p, 2);
        float d = strata_f16_to_f32(h);
        for (int i = 0; i < 32; i++)
            dst[b * 32 + i] = d * (float)(int8_t)p[2 + i];
    }
}

static float dot_scalar(const float *a, const float *b, size_t n) {
    float s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void gelu_scalar(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

typedef struct kernels {
    void (*gemm)(const float *, size_t, size_t, const float *, size_t, float *, size_t);
    void (*f16)(const void *, float *, size_t);
    void (*q8_0)(const void *, float *, size_t);
    float (*dot)(const float *, const float *, size_t);
    void (*gelu)(float *, size_t);
    /* int8 Q8_0 x Q8_0 product on quantized rows; NULL: dequantize instead */
    void (*gemm_q8)(const int8_t *, const float *, size_t, size_t, const void *, size_t, float *,
                    size_t);
    const char *name;
} kernels;

static const kernels *pick(void) {
    static const kernels scalar = {.gemm = gemm_f32_scalar,
                                   .f16 = dequant_f16_scalar,
                                   .q8_0 = dequant_q8_0_scalar,
                                   .dot = dot_scalar,
                                   .gelu = gelu_scalar,
                                   .gemm_q8 = NULL,
                                   .name = "scalar"};
    static const kernels avx2 = {.gemm = lembed_gemm_f32_avx2,
                                 .f16 = lembed_dequant_f16_avx2,
                                 .q8_0 = lembed_dequant_q8_0_avx2,
                                 .dot = lembed_dot_avx2,
                                 .gelu = lembed_gelu_avx2,
                                 .gemm_q8 = lembed_gemm_q8_0_avx2,
                                 .name = "avx2"};
    static const kernels vnni = {.gemm = lembed_gemm_f32_avx2,
                                 .f16 = lembed_dequant_f16_avx2,
                                 .q8_0 = lembed_dequant_q8_0_avx2,
                                 .dot = lembed_dot_avx2,
                                 .gelu = lembed_gelu_avx2,
                                 .gemm_q8 = lembed_gemm_q8_0_avx512,
                                 .name = "avx512_vnni"};
    if (strata_cpu_has(STRATA_CPU_AVX2 | STRATA_CPU_AVX512 | STRATA_CPU_AVX512_VNNI))
        return &vnni;
    return strata_cpu_has(STRATA_CPU_AVX2) ? &avx2 : &scalar;
}

const char *lembed_kernels_name(void) {
    return pick()->name;
}

void lembed_dequant_row(uint32_t type, const void *src, float *dst, size_t k) {
    const kernels *kn = pick();
    switch (type) {
        case LEMBED_GGML_F32:
            memcpy(dst, src, k * sizeof(float));
            break;
        case LEMBED_GGML_F16:
            kn->f16(src, dst, k);
            break;
        case LEMBED_GGML_Q8_0:
            kn->q8_0(src, dst, k);
            break;
        case LEMBED_GGML_Q4_0: { /* {f16 d; u8 qs[16]}: low nibbles are values 0-15, high 16-31 */
            const unsigned char *p = src;
            for (size_t b = 0; b < k / 32; b++, p += 18) {
                uint16_t h;
                memcpy(&h, p, 2);
                float d = strata_f16_to_f32(h);
                for (int i = 0; i < 16; i++) {
                    dst[b * 32 + i] = d * (float)((p[2 + i] & 0x0F) - 8);
                    dst[b * 32 + 16 + i] = d * (float)((p[2 + i] >> 4) - 8);
                }
            }
            break;
        }
        case LEMBED_GGML_BF16: {
            const unsigned char *p = src;
            for (size_t i = 0; i < k; i++) {
                uint16_t h;
                memcpy(&h, p + 2 * i, 2);
                uint32_t bits = (uint32_t)h << 16;
                memcpy(&dst[i], &bits, 4);
            }
            break;
        }
        default:
            memset(dst, 0, k * sizeof(float));
            break; /* rejected at load time */
    }
}

void lembed_gelu(float *x, size_t n) {
    pick()->gelu(x, n);
}

float lembed_dot(const float *a, const float *b, size_t n) {
    return pick()->dot(a, b, n);
}

/* Q8_0 x Q8_0 with int8 dot products; false when it does not apply or memory is short (the
** caller then dequantizes). */
static bool linear_q8_0_int8(const kernels *kn, const float *X, size_t n, size_t k, const void *W,
                             size_t m, float *Y) {
    if (!kn->gemm_q8 || k % 32 != 0)
        return false;
    int8_t *xq = malloc(n * k);
    float *xd = malloc(n * (k / 32) * sizeof(float));
    if (!xq || !xd) {
        free(xq);
        free(xd);
        return false;
    }
    lembed_quantize_rows_q8_avx2(X, n, k, xq, xd);
    kn->gemm_q8(xq, xd, n, k, W, m, Y, m);
    free(xq);
    free(xd);
    return true;
}

void lembed_linear(const float *X, size_t n, size_t k, const void *W, uint32_t wtype, size_t m,
                   const float *bias, float *Y, float *scratch) {
    const kernels *kn = pick();
    if (wtype == LEMBED_GGML_Q8_0 && linear_q8_0_int8(kn, X, n, k, W, m, Y)) {
        if (bias)
            for (size_t t = 0; t < n; t++)
                for (size_t j = 0; j < m; j++)
                    Y[t * m + j] += bias[j];
        return;
    }
    size_t row_bytes = (size_t)lembed_gguf_row_bytes(wtype, k);
    /* The loader accepts only types lembed_dequant_row knows, rows a whole number of blocks. */
    assert(row_bytes > 0);
    const unsigned char *w = W;
    for (size_t j = 0; j < m; j += LEMBED_LINEAR_BLOCK) {
        size_t rows = m - j < LEMBED_LINEAR_BLOCK ? m - j : LEMBED_LINEAR_BLOCK;
        const float *wf;
        if (wtype == LEMBED_GGML_F32)
            wf = (const float *)W + j * k;
        else {
            for (size_t r = 0; r < rows; r++)
                lembed_dequant_row(wtype, w + (j + r) * row_bytes, scratch + r * k, k);
            wf = scratch;
        }
        kn->gemm(X, n, k, wf, rows, Y + j, m);
    }
    if (bias)
        for (size_t t = 0; t < n; t++)
            for (size_t j = 0; j < m; j++)
                Y[t * m + j] += bias[j];
}
