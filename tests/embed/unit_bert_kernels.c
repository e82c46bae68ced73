/*
** Unit tests of the encoder's kernels: half-precision conversion, dequantization of F16 / BF16 /
** Q8_0 / Q4_0 rows, and lembed_linear against a double-precision loop, with the kernels the CPU
** dispatches to (AVX2 here; tests/embed/test_local_bert.py also runs STRATA_CPU=scalar).
*/
#include "common/f16.h"
#include "embed/local_gguf.h"
#include "embed/local_matmul.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint16_t f16_bits(float f) {
    /* round-to-nearest for normal values only (enough for the test values) */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (exp <= 0)
        return (uint16_t)sign;
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    if (mant & 0x1000)
        h++;
    return (uint16_t)h;
}

static void test_f16(void) {
    CHECK(strata_f16_to_f32(0x3C00) == 1.0f);
    CHECK(strata_f16_to_f32(0xC000) == -2.0f);
    CHECK(strata_f16_to_f32(0x0000) == 0.0f);
    CHECK(strata_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    CHECK(isinf(strata_f16_to_f32(0x7C00)));
    CHECK(isnan(strata_f16_to_f32(0x7E00)));
    CHECK(strata_f16_to_f32(f16_bits(0.333251953125f)) == 0.333251953125f);
}

static void test_dequant(void) {
    enum { K = 64 };
    unsigned char f16[2 * K], q8[2 * 34], q4[2 * 18], bf16[2 * K];
    float want[K], got[K];
    for (int i = 0; i < K; i++) {
        want[i] = (float)(i - 20) / 8.0f;
        uint16_t h = f16_bits(want[i]);
        memcpy(f16 + 2 * i, &h, 2);
        uint32_t bits;
        memcpy(&bits, &want[i], 4);
        uint16_t b = (uint16_t)(bits >> 16);
        memcpy(bf16 + 2 * i, &b, 2);
    }
    lembed_dequant_row(LEMBED_GGML_F16, f16, got, K);
    for (int i = 0; i < K; i++)
        CHECK(got[i] == want[i]);
    lembed_dequant_row(LEMBED_GGML_BF16, bf16, got, K);
    for (int i = 0; i < K; i++)
        CHECK(got[i] == want[i]);
    /* Q8_0: d = 0.5, q = i - 20 -> x = (i - 20) / 2 */
    for (int b = 0; b < 2; b++) {
        uint16_t d = 0x3800; /* 0.5 */
        memcpy(q8 + 34 * b, &d, 2);
        for (int i = 0; i < 32; i++)
            q8[34 * b + 2 + i] = (unsigned char)(int8_t)(b * 32 + i - 20);
        /* Q4_0: d = 2, nibbles: value j < 16 in low nibble, j >= 16 in high nibble */
        uint16_t d4 = 0x4000;
        memcpy(q4 + 18 * b, &d4, 2);
        for (int i = 0; i < 16; i++)
            q4[18 * b + 2 + i] = (unsigned char)((i % 16) | ((15 - i) << 4));
    }
    lembed_dequant_row(LEMBED_GGML_Q8_0, q8, got, K);
    for (int i = 0; i < K; i++)
        CHECK(got[i] == (float)(i - 20) * 0.5f);
    lembed_dequant_row(LEMBED_GGML_Q4_0, q4, got, K);
    for (int i = 0; i < 16; i++) {
        CHECK(got[i] == 2.0f * (float)(i - 8));
        CHECK(got[16 + i] == 2.0f * (float)(15 - i - 8));
    }
}

static void test_linear(void) {
    /* odd sizes: tails of the 8-wide and 4x2-blocked loops */
    enum { N = 5, K = 37, M = 23 };
    float X[N * K], W[M * K], bias[M], Y[N * M], scratch[LEMBED_LINEAR_BLOCK * K];
    srand(7);
    for (int i = 0; i < N * K; i++)
        X[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < M * K; i++)
        W[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int j = 0; j < M; j++)
        bias[j] = (float)j / 10;
    lembed_linear(X, N, K, W, LEMBED_GGML_F32, M, bias, Y, scratch);
    double worst = 0;
    for (int t = 0; t < N; t++)
        for (int j = 0; j < M; j++) {
            double s = bias[j];
            for (int k = 0; k < K; k++)
                s += (double)X[t * K + k] * W[j * K + k];
            double e = fabs(s - Y[t * M + j]);
            if (e > worst)
                worst = e;
        }
    CHECK(worst < 1e-5);
    CHECK(fabsf(lembed_dot(X, W, K) - (Y[0] - bias[0])) < 1e-5f);
}

static void test_gelu(void) {
    enum { N = 203 };
    float x[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(i - 101) / 10.0f; /* -10.1 .. 10.1 */
    x[0] = -100.0f;
    lembed_gelu(x, N);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        double v = i == 0 ? -100.0 : (double)(i - 101) / 10.0;
        double want = 0.5 * v * (1 + erf(v / sqrt(2.0)));
        double e = fabs(want - x[i]);
        if (e > worst)
            worst = e;
    }
    CHECK(worst < 2e-6);
}

int main(void) {
    RUN(test_gelu);
    RUN(test_f16);
    RUN(test_dequant);
    RUN(test_linear);
    return unit_report("unit_bert_kernels");
}
