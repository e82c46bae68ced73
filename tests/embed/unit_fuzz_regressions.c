/*
** Regression tests of what tests/fuzz/fuzz_embed_* found, one function per finding, each with
** the input the fuzzer reduced it to.
*/
#include "embed/local_strmap.h"
#include "embed/remote_providers.h"
#include "unit.h"

#include <limits.h>

/* A usage count too large for long long was cast anyway (undefined behaviour; rembed_usage
** showed -9223372036854775808): such counts now saturate. */
static void test_huge_usage_count(void) {
    static const char *const bodies[] = {
        "{\"embeddings\": [[0.25, -1.5]], \"prompt_eval_count\": 7777777777777777777777777}",
        "{\"data\": [{\"embedding\": [1, 2]}], \"usage\": {\"total_tokens\": 1e19}}",
        "{\"data\": [{\"embedding\": [1, 2]}], \"usage\": {\"total_tokens\": 1e300}}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        rembed_vectors v;
        char err[128];
        CHECK_EQ_INT(rembed_format_parse(bodies[i], strlen(bodies[i]), 1, &v, err, sizeof err), 0);
        CHECK(v.tokens == LLONG_MAX);
        free(v.data);
    }
    /* A plausible count still counts. */
    const char *ok = "{\"data\": [{\"embedding\": [1, 2]}], \"usage\": {\"total_tokens\": 123456}}";
    rembed_vectors v;
    char err[128];
    CHECK_EQ_INT(rembed_format_parse(ok, strlen(ok), 1, &v, err, sizeof err), 0);
    CHECK_EQ_INT(v.tokens, 123456);
    free(v.data);
}

/* A number past float range became inf inside the embedding, and base64 could carry NaN or
** inf: the response is now refused, as one with a non-numeric value is. */
static void test_non_finite_embedding(void) {
    static const char *const bodies[] = {
        "{\"embeddings\": {\"float\": [[0.25, -1.5], [0666666666666666666666666666666666666666666"
        "66666666666666666666666666666666666666666666666666666.25, -1.5]]}}",
        "{\"data\": [{\"embedding\": [1e39, 0]}, {\"embedding\": [0, 1]}]}",
        /* base64 of the float32 values NaN and inf */
        "{\"data\": [{\"embedding\": \"AADAfw==\"}, {\"embedding\": \"AACAfw==\"}]}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        rembed_vectors v;
        char err[128];
        CHECK_EQ_INT(rembed_format_parse(bodies[i], strlen(bodies[i]), 2, &v, err, sizeof err), -1);
        CHECK(strstr(err, "not a finite float32") != NULL);
        CHECK(v.data == NULL);
    }
    /* The largest float32 is still a value. */
    const char *ok = "{\"data\": [{\"embedding\": [3.4028234e38, -3.4028234e38]}]}";
    rembed_vectors v;
    char err[128];
    CHECK_EQ_INT(rembed_format_parse(ok, strlen(ok), 1, &v, err, sizeof err), 0);
    free(v.data);
}

/* A word-vector file whose only word is "" (wink JSON {"vectors": {"": [...]}}) left the key
** arena unallocated, so every lookup computed NULL + 0 (undefined behaviour). */
static void test_empty_key_only(void) {
    lembed_strmap m;
    lembed_strmap_init(&m);
    CHECK(lembed_strmap_put(&m, "", 0, 7));
    size_t n = 99;
    const char *k = lembed_strmap_key(&m, 0, &n);
    CHECK(k != NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(lembed_strmap_get(&m, "", 0), 7);
    CHECK_EQ_INT(lembed_strmap_get(&m, "the", 3), -1);
    lembed_strmap_free(&m);
}

int main(void) {
    RUN(test_huge_usage_count);
    RUN(test_non_finite_embedding);
    RUN(test_empty_key_only);
    return unit_report("unit_fuzz_regressions");
}
