/*
** Unit tests for ext/vec distance kernels: every SIMD table (AVX2, AVX-512, whichever this CPU
** runs) agrees with the scalar reference on random vectors of awkward lengths, known values
** come out exactly, and STRATA_CPU caps the dispatch (checked in child processes).
*/
#include "common/f16.h"
#include "common/cpu.h"
#include "unit.h"
#include "vec/distance.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static float rand_float(void) {
    return (float)((double)(next_rand() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static void fill(vec_type t, unsigned char *buf, size_t dims) {
    for (size_t i = 0; i < dims; i++) {
        if (t == VEC_F32) {
            float f = rand_float();
            memcpy(buf + 4 * i, &f, 4);
        } else if (t == VEC_F16) {
            uint16_t h = strata_f32_to_f16(rand_float());
            memcpy(buf + 2 * i, &h, 2);
        } else if (t == VEC_INT8) {
            buf[i] = (unsigned char)(next_rand() & 0xff);
        }
    }
    if (t == VEC_BIT)
        for (size_t i = 0; i < dims / 8; i++)
            buf[i] = (unsigned char)next_rand();
}

static int close_enough(float a, float b) {
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabsf(a - b) <= 1e-4f * (1.0f + fabsf(b));
}

static void compare_table(const char *name, vec_kernel_table table) {
    static const size_t lengths[] = {1,  3,  7,  8,  9,   15,  16,   17,
                                     31, 32, 33, 64, 100, 384, 1024, 1031};
    unsigned char *a = malloc(1031 * 4), *b = malloc(1031 * 4);
    int bad = 0;
    for (int t = 0; t < VEC_NTYPES; t++)
        for (int m = 0; m < VEC_NMETRICS; m++) {
            vec_distance_fn fn = table[t][m], ref = vec_distance_kernel_scalar(t, m);
            CHECK((fn == NULL) == (ref == NULL));
            if (fn == NULL || ref == NULL)
                continue;
            for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
                size_t dims = lengths[li];
                if (t == VEC_BIT)
                    dims = (dims + 7) / 8 * 8;
                for (int rep = 0; rep < 5; rep++) {
                    fill(t, a, dims);
                    fill(t, b, dims);
                    float got = fn(a, b, dims), want = ref(a, b, dims);
                    if (!close_enough(got, want)) {
                        if (bad++ < 10)
                            fprintf(stderr, "%s %s/%s dims %zu: %g vs scalar %g\n", name,
                                    vec_type_name(t), vec_metric_name(m), dims, got, want);
                    }
                }
            }
        }
    CHECK_EQ_INT(bad, 0);
    free(a);
    free(b);
}

static void test_simd_tables_match_scalar(void) {
    vec_kernel_table table;
    if (strata_cpu_has(STRATA_CPU_AVX2)) {
        for (int t = 0; t < VEC_NTYPES; t++)
            for (int m = 0; m < VEC_NMETRICS; m++)
                table[t][m] = vec_distance_kernel_scalar(t, m);
        vec_distance_fill_avx2(table);
        compare_table("avx2", table);
    }
    if (strata_cpu_has(STRATA_CPU_AVX512)) {
        vec_distance_fill_avx512(table);
        compare_table("avx512", table);
    }
    for (int t = 0; t < VEC_NTYPES; t++)
        for (int m = 0; m < VEC_NMETRICS; m++)
            table[t][m] = vec_distance_kernel(t, m);
    compare_table(vec_distance_isa(), table);
}

static void test_known_values(void) {
    float a[2] = {0, 0}, b[2] = {3, 4}, c[2] = {1, 0}, d[2] = {0, 1};
    CHECK(vec_distance_kernel(VEC_F32, VEC_L2)(a, b, 2) == 5.0f);
    CHECK(vec_distance_kernel(VEC_F32, VEC_L1)(a, b, 2) == 7.0f);
    CHECK(vec_distance_kernel(VEC_F32, VEC_COSINE)(c, d, 2) == 1.0f);
    CHECK(vec_distance_kernel(VEC_F32, VEC_DOT)(b, b, 2) == -25.0f);
    CHECK(isnan(vec_distance_kernel(VEC_F32, VEC_COSINE)(a, b, 2)));
    unsigned char x = 0xF0, y = 0x0F;
    CHECK(vec_distance_kernel(VEC_BIT, VEC_HAMMING)(&x, &y, 8) == 8.0f);
    signed char p[3] = {1, 2, -128}, q[3] = {4, 6, 127};
    CHECK(vec_distance_kernel(VEC_INT8, VEC_L1)(p, q, 3) == 262.0f);
    CHECK(vec_distance_kernel(VEC_F32, VEC_HAMMING) == NULL);
    CHECK(vec_distance_kernel(VEC_BIT, VEC_L2) == NULL);
}

static void test_dispatch_follows_cap(void) {
    const char *cap = getenv("STRATA_CPU");
    if (cap && strcmp(cap, "scalar") == 0)
        CHECK_EQ_STR(vec_distance_isa(), "scalar");
    else if (cap && strcmp(cap, "avx2") == 0)
        CHECK(strcmp(vec_distance_isa(), "avx512") != 0);
    else if (strata_cpu_has(STRATA_CPU_AVX512))
        CHECK_EQ_STR(vec_distance_isa(), "avx512");
}

static const char *self_path;

static void test_capped_children(void) {
    unit_rerun_with_cpu_caps(self_path);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    RUN(test_known_values);
    RUN(test_simd_tables_match_scalar);
    RUN(test_dispatch_follows_cap);
    RUN(test_capped_children);
    return unit_report("unit_distance");
}
