/*
** Read-triggered compaction: a tree that no write will reshape (two overlapping levels, no
** level over its size limit) must be merged down by reads alone, point lookups and cursor
** scans each, while every read keeps returning the right data; a tree where each lookup
** consults one table must not be touched.
*/
#include "lsm/lsm_engine.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <time.h>

enum { KEYS = 2000, VALUE_BYTES = 500 };

static size_t key_of(char *buf, int i) {
    return (size_t)snprintf(buf, 32, "key%06d", i);
}

static size_t value_of(char *buf, int i, int round) {
    return (size_t)snprintf(buf, VALUE_BYTES, "%d-%d-%0*d", round, i, VALUE_BYTES - 32, i);
}

/* Round 0 writes every key, round 1 the even keys again: after a flush each, the tables of
** round 1 (level 1) overlap those of round 0 (level 2), and an odd key is found only after
** consulting both. */
static slsm_db *two_level_tree(const char *name) {
    const char *path = test_path(name);
    slsm_options o = lsm_test_options(SLSM_DURABILITY_OFF, 8 << 20, 8 << 20, 64 << 20, 4096, 0);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    char k[32], v[VALUE_BYTES];
    for (int round = 0; round < 2; round++) {
        CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
        for (int i = 0; i < KEYS; i += 1 + round)
            CHECK_EQ_INT(slsm_put(db, k, key_of(k, i), v, value_of(v, i, round)), LSM_OK);
        CHECK_EQ_INT(slsm_commit(db, 0), LSM_OK);
        CHECK_EQ_INT(slsm_flush(db), LSM_OK);
    }
    slsm_stats st;
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    CHECK_EQ_INT(st.files[0] + st.files[1] > 0 && st.files[2] > 0, 1);
    CHECK_EQ_INT(st.read_compactions, 0);
    return db;
}

static void check_value(slsm_db *db, int i) {
    char k[32], want[VALUE_BYTES];
    size_t nk = key_of(k, i), nw = value_of(want, i, i % 2 == 0 ? 1 : 0);
    const void *v;
    size_t nv;
    CHECK_EQ_INT(slsm_get(db, k, nk, &v, &nv), LSM_OK);
    CHECK(nv == nw && memcmp(v, want, nw) == 0);
}

/* Waits (up to 20 s) for the background thread to leave a single level holding every table. */
static int wait_single_level(slsm_db *db, slsm_stats *st) {
    for (int tries = 0; tries < 20000; tries++) {
        CHECK_EQ_INT(slsm_stats_get(db, st), LSM_OK);
        int levels = 0;
        for (int l = 0; l < 7; l++)
            levels += st->files[l] > 0;
        if (levels == 1)
            return 1;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return 0;
}

static void test_point_reads_compact(void) {
    slsm_db *db = two_level_tree("gets.lsm");
    /* odd keys live only in the deeper level: each lookup charges the shallower table */
    for (int pass = 0; pass < 3; pass++)
        for (int i = 1; i < KEYS; i += 2)
            check_value(db, i);
    slsm_stats st;
    CHECK(wait_single_level(db, &st));
    CHECK(st.read_compactions >= 1);
    for (int i = 0; i < KEYS; i++)
        check_value(db, i);
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void test_scans_compact(void) {
    slsm_db *db = two_level_tree("scans.lsm");
    /* one full scan reads about 1 MiB: one sample per scan; the tables' budget is 100 */
    slsm_cursor *c;
    CHECK_EQ_INT(slsm_cursor_open(db, &c), LSM_OK);
    for (int pass = 0; pass < 300; pass++) {
        int count = 0;
        for (slsm_cursor_first(c); slsm_cursor_valid(c); slsm_cursor_next(c))
            count++;
        CHECK_EQ_INT(count, KEYS);
        slsm_stats st;
        CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
        if (st.read_compactions > 0)
            break;
    }
    slsm_cursor_close(c);
    slsm_stats st;
    CHECK(wait_single_level(db, &st));
    CHECK(st.read_compactions >= 1);
    for (int i = 0; i < KEYS; i++)
        check_value(db, i);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void test_one_table_per_lookup_stays(void) {
    const char *path = test_path("flat.lsm");
    slsm_options o = lsm_test_options(SLSM_DURABILITY_OFF, 8 << 20, 8 << 20, 64 << 20, 4096, 0);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    char k[32], v[VALUE_BYTES];
    /* two flushes with disjoint key ranges: every lookup consults at most one table */
    for (int half = 0; half < 2; half++) {
        for (int i = half * KEYS / 2; i < (half + 1) * KEYS / 2; i++)
            CHECK_EQ_INT(slsm_put(db, k, key_of(k, i), v, value_of(v, i, 0)), LSM_OK);
        CHECK_EQ_INT(slsm_flush(db), LSM_OK);
    }
    for (int pass = 0; pass < 5; pass++)
        for (int i = 0; i < KEYS; i++) {
            const void *val;
            size_t nv;
            CHECK_EQ_INT(slsm_get(db, k, key_of(k, i), &val, &nv), LSM_OK);
            CHECK_EQ_INT(slsm_get(db, "zzz", 3, &val, &nv), LSM_NOTFOUND);
        }
    slsm_stats st;
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    CHECK_EQ_INT(st.read_compactions, 0);
    CHECK_EQ_INT(st.compactions, 0);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

int main(void) {
    RUN(test_point_reads_compact);
    RUN(test_scans_compact);
    RUN(test_one_table_per_lookup_stays);
    return unit_report("unit_lsm_read_compaction");
}
