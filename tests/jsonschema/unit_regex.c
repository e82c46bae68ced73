/*
** unit_regex: the simple-pattern fast path of regex.c must agree with ICU. Each pattern is also
** compiled wrapped in a group, which the fast path does not take, and both run on the same
** pseudo-random ASCII strings.
*/
#include "jsonschema/regex.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

static const char *const PATTERNS[] = {
    "^[A-Z]{3}-[0-9]{4}$",
    "^\\d+$",
    "\\d{2,}",
    "^[a-c]+$",
    "^a*b?c+$",
    "x.y",
    "^[^abc]*$",
    "^\\w+@\\w+\\.com$",
    "^\\s*$",
    "[\\-.]",
    "^\\D{1,3}$",
    "^[a-f0-9]{8}-?[a-f0-9]{4}$",
    "ab{2}c",
    "^.*$",
    "^[\\]a]$",
    "\\S\\W",
    "^0*1{1,}$",
    "a{0,2}b",
};

static uint64_t rng = 88172645463325252ULL;

static unsigned next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

static void test_fast_path_agrees_with_icu(void) {
    static const char alphabet[] = "abcxyzABCZ0129-_.@ \t\n\r]\\";
    char err[128];
    for (size_t p = 0; p < sizeof PATTERNS / sizeof PATTERNS[0]; p++) {
        const char *pat = PATTERNS[p];
        char wrapped[128];
        snprintf(wrapped, sizeof wrapped, "(?:%s)", pat);
        js_regex *fast = js_regex_compile(pat, strlen(pat), err, sizeof err);
        js_regex *icu = js_regex_compile(wrapped, strlen(wrapped), err, sizeof err);
        CHECK(fast != NULL && icu != NULL);
        if (fast == NULL || icu == NULL)
            continue;
        int disagreements = 0;
        for (int i = 0; i < 3000; i++) {
            char s[16];
            size_t n = next() % sizeof s;
            for (size_t k = 0; k < n; k++)
                s[k] = alphabet[next() % (sizeof alphabet - 1)];
            if (js_regex_search(fast, s, n) != js_regex_search(icu, s, n)) {
                if (disagreements++ == 0)
                    fprintf(stderr, "pattern %s disagrees on \"%.*s\"\n", pat, (int)n, s);
            }
        }
        CHECK_EQ_INT(disagreements, 0);
        js_regex_free(fast);
        js_regex_free(icu);
    }
}

static void test_ecma_semantics(void) {
    char err[128];
    js_regex *r = js_regex_compile("^\\d$", 4, err, sizeof err);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(js_regex_search(r, "5", 1), 1);
        CHECK_EQ_INT(js_regex_search(r, "\xd9\xa5", 2), 0); /* ARABIC-INDIC DIGIT FIVE */
        js_regex_free(r);
    }
    r = js_regex_compile("^a$", 3, err, sizeof err);
    if (r) {
        CHECK_EQ_INT(js_regex_search(r, "a\n", 2), 0);
        js_regex_free(r);
    }
    CHECK(!js_regex_valid("(", 1));
    CHECK(js_regex_valid("^\\p{Letter}+$", 13));
}

int main(void) {
    RUN(test_fast_path_agrees_with_icu);
    RUN(test_ecma_semantics);
    return unit_report("unit_regex");
}
