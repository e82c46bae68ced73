/*
** Helpers shared by the lsm unit tests: a scratch directory removed at exit, a seeded random
** generator whose seed is printed so a failure can be replayed (LSM_TEST_SEED=n), and the values
** of the model-based tests.
*/
#ifndef STRATA_LSM_TEST_UTIL_H
#define STRATA_LSM_TEST_UTIL_H

#include "lsm/lsm_engine.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char test_dir[256];

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void test_dir_cleanup(void) {
    if (test_dir[0])
        nftw(test_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directory, made inside parent on first use (later calls return it as it is). */
static inline const char *test_dir_make_in(const char *parent) {
    if (!test_dir[0]) {
        snprintf(test_dir, sizeof test_dir, "%s/strata-lsm-XXXXXX", parent);
        if (mkdtemp(test_dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(test_dir_cleanup);
    }
    return test_dir;
}

static inline const char *test_dir_make(void) {
    return test_dir_make_in("/tmp");
}

/* A path inside the scratch directory (static buffer rotation of 4). */
static inline const char *test_path(const char *name) {
    static char bufs[4][512];
    static int next;
    char *p = bufs[next++ % 4];
    snprintf(p, 512, "%s/%s", test_dir_make(), name);
    return p;
}

static uint64_t rng_state;

static inline uint64_t rng_seed(const char *test) {
    const char *env = getenv("LSM_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
    printf("%s: seed %llu (rerun with LSM_TEST_SEED=%llu)\n", test, (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    rng_state = seed * 2654435761u + 1;
    return seed;
}

static inline uint64_t rng_next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static inline unsigned rng_below(unsigned n) {
    return (unsigned)(rng_next() % n);
}

/* A value of the model-based tests, described by its length and a seed its bytes derive from;
** len < 0: the key is absent. */
typedef struct {
    int len;
    unsigned seed;
} mval;

static inline unsigned char mval_byte(mval m, size_t j) {
    return (unsigned char)(m.seed + (unsigned)j * 31u);
}

static inline void mval_fill(unsigned char *buf, mval m) {
    for (int j = 0; j < m.len; j++)
        buf[j] = mval_byte(m, (size_t)j);
}

/* Are the n bytes at v the value m describes? */
static inline int mval_matches(const void *v, size_t n, mval m) {
    const unsigned char *p = v;
    if (m.len < 0 || n != (size_t)m.len)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (p[j] != mval_byte(m, j))
            return 0;
    return 1;
}

/* Engine options scaled down so that flushes and compactions happen within a small test;
** l0_trigger 0 keeps the default. */
static inline slsm_options lsm_test_options(int durability, size_t memtable, size_t file,
                                            uint64_t level1, size_t block, int l0_trigger) {
    slsm_options o;
    slsm_options_default(&o);
    o.durability = durability;
    o.memtable_bytes = memtable;
    o.file_bytes = file;
    o.level1_bytes = level1;
    o.block_bytes = block;
    if (l0_trigger > 0)
        o.l0_trigger = l0_trigger;
    return o;
}

#endif
