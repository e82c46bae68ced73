/*
** unit.h: the few macros strata's C unit tests need.
**
**   static void test_something(void) { CHECK(x == 1); CHECK_EQ_INT(f(), 3); }
**   int main(void) { RUN(test_something); return unit_report("unit_name"); }
**
** A failed check prints file:line and what it compared, and the run continues; unit_report
** prints the totals and returns the exit status.
*/
#ifndef STRATA_UNIT_H
#define STRATA_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_checks, unit_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        unit_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            unit_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(actual, expected)                                                             \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        unit_checks++;                                                                             \
        if (a_ != e_) {                                                                            \
            unit_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, \
                    e_);                                                                           \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(actual, expected)                                                             \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        unit_checks++;                                                                             \
        if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) {                           \
            unit_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
                    a_ ? a_ : "(null)", e_ ? e_ : "(null)");                                       \
        }                                                                                          \
    } while (0)

#define RUN(test_fn)                                                                               \
    do {                                                                                           \
        int before_ = unit_failures;                                                               \
        test_fn();                                                                                 \
        printf("%s %s\n", unit_failures == before_ ? "ok  " : "FAIL", #test_fn);                   \
    } while (0)

/* Runs this program again under each STRATA_CPU cap (scalar, avx2) and checks both runs pass.
** common/cpu.h reads the cap once per process, so a capped run needs a process of its own.
** Does nothing inside a capped run. */
static inline void unit_rerun_with_cpu_caps(const char *self_path) {
    static const char *const caps[] = {"scalar", "avx2"};
    if (getenv("STRATA_CPU") != NULL)
        return;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "STRATA_CPU=%s '%s' >/dev/null", caps[i], self_path);
        unit_checks++;
        if (system(cmd) != 0) {
            unit_failures++;
            fprintf(stderr, "%s failed under STRATA_CPU=%s\n", self_path, caps[i]);
        }
    }
}

static inline int unit_report(const char *name) {
    printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
    return unit_failures == 0 ? 0 : 1;
}

#endif
