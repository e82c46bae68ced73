/*
** Regression tests of what tests/fuzz/fuzz_jsonschema_* found, one function per finding, each
** with the input the fuzzer reduced it to.
*/
#include "jsonschema/jv.h"
#include "unit.h"

/* A document ending inside an escape ("\) was reported at an offset one past its end. */
static void test_error_offset_within_text(void) {
    static const char *const docs[] = {"\"0-\\", "\"\\", "[\"a\\", "{\"k\\"};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        arena a;
        arena_init(&a);
        jv_error err;
        size_t n = strlen(docs[i]);
        CHECK(jv_parse(&a, docs[i], n, &err) == NULL);
        CHECK_EQ_INT(err.offset, n);
        CHECK_EQ_STR(err.msg, "unterminated string");
        arena_free(&a);
    }
}

int main(void) {
    RUN(test_error_offset_within_text);
    return unit_report("unit_fuzz_regressions");
}
