/*
** Unit tests for ext/vec/quantize.c and kmeans.c: int8 and bit codes, the distance estimates
** against exact distances, the VNNI inner product against a scalar one, and k-means on
** well-separated clusters.
*/
#include "common/cpu.h"
#include "unit.h"
#include "vec/kmeans.h"
#include "vec/quantize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static float gauss(uint64_t *rng) {
    double u = ((double)(vec_random_next(rng) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(vec_random_next(rng) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

static void test_int8_code_layout(void) {
    float x[5] = {1.0f, -0.5f, 0.25f, 0.0f, -1.0f};
    unsigned char code[13];
    CHECK_EQ_INT((int)vec_quant_bytes(VEC_QUANT_INT8, 5), 13);
    CHECK_EQ_INT((int)vec_quant_bytes(VEC_QUANT_BIT, 16), 2);
    CHECK_EQ_INT((int)vec_quant_bytes(VEC_QUANT_NONE, 16), 0);
    vec_quantize(VEC_QUANT_INT8, x, 5, code);
    CHECK_EQ_INT((int8_t)code[0], 127);
    CHECK_EQ_INT((int8_t)code[1], -64); /* -63.5 rounds to even */
    CHECK_EQ_INT((int8_t)code[3], 0);
    CHECK_EQ_INT((int8_t)code[4], -127);
    float scale, norm;
    memcpy(&scale, code + 5, 4);
    memcpy(&norm, code + 9, 4);
    CHECK(fabsf(scale - 1.0f / 127) < 1e-7f);
    CHECK(fabsf(norm - sqrtf(1 + 0.25f + 0.0625f + 1)) < 1e-6f);
    unsigned char bits[1];
    float y[8] = {1, -1, 0, 2, -3, 0.5f, -0.1f, 4};
    vec_quantize(VEC_QUANT_BIT, y, 8, bits);
    CHECK_EQ_INT(bits[0], 0x01 | 0x08 | 0x20 | 0x80);
}

/* The int8 estimate of each metric is close to the exact distance. */
static void test_estimates_track_exact_distances(void) {
    enum { DIMS = 200 };
    uint64_t rng = 42;
    float a[DIMS], b[DIMS];
    unsigned char ca[DIMS + 8], cb[DIMS + 8];
    vec_metric metrics[] = {VEC_L2, VEC_L1, VEC_COSINE, VEC_DOT};
    for (int trial = 0; trial < 50; trial++) {
        for (int i = 0; i < DIMS; i++) {
            a[i] = gauss(&rng);
            b[i] = a[i] * 0.5f + gauss(&rng);
        }
        vec_quantize(VEC_QUANT_INT8, a, DIMS, ca);
        vec_quantize(VEC_QUANT_INT8, b, DIMS, cb);
        for (size_t m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
            vec_quant_scorer s;
            vec_quant_scorer_init(&s, VEC_QUANT_INT8, metrics[m], DIMS, ca);
            float est = vec_quant_estimate(&s, cb);
            float ex = vec_distance_kernel_scalar(VEC_F32, metrics[m])(a, b, DIMS);
            float tol = 0.01f * (fabsf(ex) + (metrics[m] == VEC_COSINE ? 1.0f : 10.0f));
            CHECK(fabsf(est - ex) < tol);
        }
    }
    /* a zero vector: cosine is undefined, as the exact kernel's NaN */
    memset(a, 0, sizeof a);
    vec_quantize(VEC_QUANT_INT8, a, DIMS, ca);
    vec_quant_scorer s;
    vec_quant_scorer_init(&s, VEC_QUANT_INT8, VEC_COSINE, DIMS, cb);
    CHECK(isnan(vec_quant_estimate(&s, ca)));
    /* bit estimates are Hamming distances */
    unsigned char x[4] = {0xff, 0, 0x0f, 1}, y[4] = {0, 0, 0xff, 1};
    vec_quant_scorer_init(&s, VEC_QUANT_BIT, VEC_L2, 32, x);
    CHECK(vec_quant_estimate(&s, y) == 12.0f);
}

static void test_vnni_dot_matches_scalar(void) {
    if (!strata_cpu_has(STRATA_CPU_AVX512_VNNI))
        return;
    uint64_t rng = 7;
    unsigned char a[300], b[300];
    for (int n = 1; n <= 300; n += 37) {
        int32_t want = 0, qsum = 0;
        for (int i = 0; i < n; i++) {
            a[i] = (unsigned char)(vec_random_next(&rng) & 0xff);
            b[i] = (unsigned char)(vec_random_next(&rng) & 0xff);
            if ((int8_t)b[i] == -128)
                b[i] = 0x81; /* codes stay within -127..127 */
            want += (int8_t)a[i] * (int8_t)b[i];
            qsum += (int8_t)b[i];
        }
        CHECK_EQ_INT(vec_dot_u8s8_avx512(a, b, (size_t)n) - 128 * qsum, want);
    }
}

static void test_kmeans_finds_separated_clusters(void) {
    enum { K = 5, PER = 60, DIMS = 16 };
    uint64_t rng = 3;
    static float x[K * PER * DIMS], centers[K * DIMS], out[K * DIMS];
    for (int c = 0; c < K; c++)
        for (int d = 0; d < DIMS; d++)
            centers[c * DIMS + d] = 20.0f * gauss(&rng);
    for (int i = 0; i < K * PER; i++)
        for (int d = 0; d < DIMS; d++)
            x[i * DIMS + d] = centers[(i % K) * DIMS + d] + gauss(&rng);
    CHECK_EQ_INT(vec_kmeans(x, K * PER, DIMS, K, 25, 1, 0, out), 0);
    /* every true center has a centroid within noise distance, and points of one true cluster
    ** share a centroid */
    for (int c = 0; c < K; c++) {
        size_t near = vec_nearest_centroid(out, K, DIMS, centers + c * DIMS);
        CHECK(vec_l2_squared(out + near * DIMS, centers + c * DIMS, DIMS) < 1.0f);
        for (int i = c; i < K * PER; i += K)
            CHECK(vec_nearest_centroid(out, K, DIMS, x + i * DIMS) == near);
    }
    CHECK_EQ_INT(vec_kmeans(x, 3, DIMS, 4, 10, 1, 0, out), -1); /* more clusters than points */
}

int main(void) {
    RUN(test_int8_code_layout);
    RUN(test_estimates_track_exact_distances);
    RUN(test_vnni_dot_matches_scalar);
    RUN(test_kmeans_finds_separated_clusters);
    return unit_report("unit_quantize");
}
