/*
** Unit tests for ext/vec vector parsing and formatting, float16 conversion and the top-k heap.
*/
#include "unit.h"
#include "common/f16.h"
#include "vec/topk.h"
#include "vec/vector.h"

#include <math.h>
#include <stdlib.h>

static int parse(const char *s, vec_type t, void **out, size_t *dims, char *err) {
    return vec_parse_json(s, strlen(s), t, out, dims, err, 200);
}

static void test_parse_ok(void) {
    void *v;
    size_t n;
    char err[200];
    CHECK_EQ_INT(parse(" [ 1 , -2.5e0,3 ] ", VEC_F32, &v, &n, err), 0);
    CHECK_EQ_INT(n, 3);
    float *f = v;
    CHECK(f[0] == 1.0f && f[1] == -2.5f && f[2] == 3.0f);
    free(v);
    CHECK_EQ_INT(parse("[-128, 127, 0]", VEC_INT8, &v, &n, err), 0);
    CHECK_EQ_INT(((signed char *)v)[0], -128);
    CHECK_EQ_INT(((signed char *)v)[1], 127);
    free(v);
    CHECK_EQ_INT(parse("[1.5, 65504]", VEC_F16, &v, &n, err), 0);
    uint16_t *h = v;
    CHECK(strata_f16_to_f32(h[0]) == 1.5f && strata_f16_to_f32(h[1]) == 65504.0f);
    free(v);
}

static void test_parse_errors(void) {
    static const char *bad[] = {"",        "abc",   "[]",     "[1,2",  "[1,2] x", "[1,]",
                                "[\"a\"]", "[NaN]", "[1e40]", "[--1]", "[1 2]",   "[inf]"};
    void *v;
    size_t n;
    char err[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = parse(bad[i], VEC_F32, &v, &n, err);
        CHECK_EQ_INT(rc, -1);
        if (rc == 0)
            free(v);
    }
    CHECK_EQ_INT(parse("[]", VEC_F32, &v, &n, err), -1);
    CHECK_EQ_STR(err, "zero-length vectors are not supported");
    CHECK_EQ_INT(parse("[1.5]", VEC_INT8, &v, &n, err), -1);
    CHECK_EQ_INT(parse("[300]", VEC_INT8, &v, &n, err), -1);
    CHECK_EQ_STR(err, "int8 vector element 0 is out of range [-128, 127]: 300");
    CHECK_EQ_INT(parse("[70000]", VEC_F16, &v, &n, err), -1);
}

static void test_to_json(void) {
    float f[2] = {1.5f, -2};
    char *s = vec_to_json_text(VEC_F32, f, 2, NULL);
    CHECK_EQ_STR(s, "[1.500000,-2.000000]");
    free(s);
    unsigned char bits[2] = {0xF0, 0x01};
    s = vec_to_json_text(VEC_BIT, bits, 16, NULL);
    CHECK_EQ_STR(s, "[0,0,0,0,1,1,1,1,1,0,0,0,0,0,0,0]");
    free(s);
    signed char i8[2] = {-3, 4};
    s = vec_to_json_text(VEC_INT8, i8, 2, NULL);
    CHECK_EQ_STR(s, "[-3,4]");
    free(s);
}

static void test_f16_roundtrip(void) {
    /* every finite half converts to float and back unchanged */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if (((h >> 10) & 0x1f) == 0x1f)
            continue;
        if (strata_f32_to_f16(strata_f16_to_f32((uint16_t)h)) != h)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(strata_f32_to_f16(1.0f), 0x3c00);
    CHECK_EQ_INT(strata_f32_to_f16(1e6f), 0x7c00);
    CHECK_EQ_INT(strata_f32_to_f16(1.0f + 1.0f / 4096), 0x3c00); /* ties round to even */
}

static void test_topk(void) {
    vec_topk h;
    CHECK_EQ_INT(vec_topk_init(&h, 3), 0);
    float d[] = {5, 1, 4, 1, 9, 2, 6, NAN, 0.5f};
    for (int i = 0; i < 9; i++)
        vec_topk_push(&h, d[i], i + 1, 0, i);
    vec_topk_sort(&h);
    CHECK_EQ_INT(h.n, 3);
    CHECK(h.items[0].distance == 0.5f && h.items[0].rowid == 9);
    CHECK(h.items[1].distance == 1 && h.items[1].rowid == 2);
    CHECK(h.items[2].distance == 1 && h.items[2].rowid == 4);
    vec_topk_free(&h);
    CHECK_EQ_INT(vec_topk_init(&h, 0), 0);
    vec_topk_push(&h, 1, 1, 0, 0);
    CHECK_EQ_INT(h.n, 0);
    vec_topk_free(&h);
}

int main(void) {
    RUN(test_parse_ok);
    RUN(test_parse_errors);
    RUN(test_to_json);
    RUN(test_f16_roundtrip);
    RUN(test_topk);
    return unit_report("unit_vector");
}
