/*
** Regression tests of what tests/fuzz/fuzz_vec_vector found, one function per finding, each with
** the input the fuzzer reduced it to. The program reruns itself under each STRATA_CPU cap, so
** the scalar, AVX2 and AVX-512 kernels are all checked.
*/
#include "common/f16.h"
#include "vec/distance.h"
#include "vec/vector.h"
#include "unit.h"

#include <math.h>

/* The exact cosine distance, in long double. */
static double cosine_oracle(const float *a, const float *b, size_t n) {
    long double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        ab += (long double)a[i] * b[i];
        aa += (long double)a[i] * a[i];
        bb += (long double)b[i] * b[i];
    }
    return (double)(1 - ab / (sqrtl(aa) * sqrtl(bb)));
}

/* Cosine distance summed the squares in float: a vector with elements below ~1e-19 had a zero
** norm (distance -inf, which KNN ranked first), one above ~1e19 an infinite one (NULL). */
static void test_cosine_out_of_float_range(void) {
    static const float cases[][2][20] = {
        {{9, 1}, {2e-36f, 1e-37f}},            /* the fuzzer's: 9 against a tiny vector */
        {{1e20f, 1}, {1e20f, 1}},              /* identical huge vectors: 0, not NULL */
        {{3e-20f, -4e-20f}, {4e-20f, 3e-20f}}, /* orthogonal tiny vectors: 1 */
        {{1e30f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1e30f},
         {-1e30f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1e30f}}, /* opposite: 2 */
    };
    static const size_t dims[] = {2, 2, 2, 20};
    for (size_t c = 0; c < sizeof dims / sizeof *dims; c++) {
        double want = cosine_oracle(cases[c][0], cases[c][1], dims[c]);
        float got = vec_distance_kernel(VEC_F32, VEC_COSINE)(cases[c][0], cases[c][1], dims[c]);
        float ref =
            vec_distance_kernel_scalar(VEC_F32, VEC_COSINE)(cases[c][0], cases[c][1], dims[c]);
        CHECK(fabs(got - want) < 1e-5);
        CHECK(fabs(ref - want) < 1e-5);
    }
    /* A zero vector still has no cosine distance. */
    const float zero[2] = {0, 0}, one[2] = {1, 0};
    CHECK(isnan(vec_distance_kernel(VEC_F32, VEC_COSINE)(zero, one, 2)));
    CHECK(isnan(vec_distance_kernel_scalar(VEC_F32, VEC_COSINE)(zero, one, 2)));
    /* float16: the largest values square past no limit, but the kernels share the fallback. */
    uint16_t h[2] = {strata_f32_to_f16(65504), strata_f32_to_f16(-65504)};
    CHECK(fabsf(vec_distance_kernel(VEC_F16, VEC_COSINE)(h, h, 2)) < 1e-5f);
}

int main(int argc, char **argv) {
    RUN(test_cosine_out_of_float_range);
    unit_rerun_with_cpu_caps(argv[0]);
    return unit_report("unit_fuzz_regressions");
}
