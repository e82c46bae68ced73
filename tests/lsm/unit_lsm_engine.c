/*
** Unit tests of the engine API: reads and writes across flushes, compaction and reopen,
** cursors with bounds in both directions, snapshots, nested transactions, sharing between
** handles, the cross-process lock, corruption and stats.
*/
#include "lsm/lsm_engine.h"
#include "lsm/lsm_file.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static slsm_options small_options(void) {
    return lsm_test_options(SLSM_DURABILITY_OFF, 64 << 10, 64 << 10, 128 << 10, 512, 0);
}

static int key_of(char *buf, int i) {
    return snprintf(buf, 32, "key%06d", i);
}

static int get_str(slsm_db *db, const char *k, char *out, size_t cap) {
    const void *v;
    size_t n;
    int rc = slsm_get(db, k, strlen(k), &v, &n);
    if (rc == LSM_OK) {
        if (n >= cap)
            n = cap - 1;
        memcpy(out, v, n);
        out[n] = 0;
    }
    return rc;
}

static void test_basic(void) {
    const char *path = test_path("basic.lsm");
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    CHECK_EQ_INT(slsm_put(db, "a", 1, "1", 1), LSM_OK);
    CHECK_EQ_INT(slsm_put(db, "b", 1, "", 0), LSM_OK);
    char buf[64];
    CHECK_EQ_INT(get_str(db, "a", buf, sizeof buf), LSM_OK);
    CHECK_EQ_STR(buf, "1");
    CHECK_EQ_INT(get_str(db, "b", buf, sizeof buf), LSM_OK);
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(get_str(db, "c", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_delete(db, "a", 1), LSM_OK);
    CHECK_EQ_INT(get_str(db, "a", buf, sizeof buf), LSM_NOTFOUND);
    /* the empty key is a key like any other */
    CHECK_EQ_INT(slsm_put(db, "", 0, "empty", 5), LSM_OK);
    CHECK_EQ_INT(get_str(db, "", buf, sizeof buf), LSM_OK);
    CHECK_EQ_STR(buf, "empty");
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    CHECK_EQ_INT(get_str(db, "a", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(get_str(db, "b", buf, sizeof buf), LSM_OK);
    CHECK_EQ_INT(get_str(db, "", buf, sizeof buf), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT(slsm_destroy(path), LSM_OK);
    struct stat st;
    CHECK(stat(path, &st) != 0);
}

static void test_many_with_flushes(void) {
    const char *path = test_path("many.lsm");
    slsm_options o = small_options();
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    enum { N = 3000 };
    char k[32], v[64];
    for (int i = 0; i < N; i++) {
        int j = (int)((i * 7919u) % N);
        int nk = key_of(k, j);
        int nv = snprintf(v, sizeof v, "value-%d-%d", j, 1);
        CHECK_EQ_INT(slsm_put(db, k, (size_t)nk, v, (size_t)nv), LSM_OK);
    }
    /* overwrite a third, delete a third */
    for (int i = 0; i < N; i += 3) {
        int nk = key_of(k, i);
        int nv = snprintf(v, sizeof v, "value-%d-%d", i, 2);
        CHECK_EQ_INT(slsm_put(db, k, (size_t)nk, v, (size_t)nv), LSM_OK);
        nk = key_of(k, i + 1);
        CHECK_EQ_INT(slsm_delete(db, k, (size_t)nk), LSM_OK);
    }
    slsm_stats st;
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    CHECK(st.flushes > 1);
    for (int round = 0; round < 3; round++) {
        int bad = 0;
        for (int i = 0; i < N; i++) {
            key_of(k, i);
            char got[64], want[64];
            int rc = get_str(db, k, got, sizeof got);
            if (i % 3 == 1) {
                bad += rc != LSM_NOTFOUND;
                continue;
            }
            snprintf(want, sizeof want, "value-%d-%d", i, i % 3 == 0 ? 2 : 1);
            bad += rc != LSM_OK || strcmp(got, want) != 0;
        }
        CHECK_EQ_INT(bad, 0);
        /* the same through a cursor, forwards and backwards */
        slsm_cursor *c;
        CHECK_EQ_INT(slsm_cursor_open(db, &c), LSM_OK);
        int count = 0, order = 0;
        char prev[32] = "";
        for (slsm_cursor_first(c); slsm_cursor_valid(c); slsm_cursor_next(c)) {
            size_t n;
            const char *key = slsm_cursor_key(c, &n);
            char cur[32];
            memcpy(cur, key, n);
            cur[n] = 0;
            order += count && strcmp(prev, cur) >= 0;
            strcpy(prev, cur);
            count++;
        }
        CHECK_EQ_INT(order, 0);
        CHECK_EQ_INT(count, N - (N + 1) / 3);
        count = 0;
        for (slsm_cursor_last(c); slsm_cursor_valid(c); slsm_cursor_prev(c))
            count++;
        CHECK_EQ_INT(count, N - (N + 1) / 3);
        slsm_cursor_close(c);
        CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
        if (round == 0) {
            CHECK_EQ_INT(slsm_compact(db), LSM_OK);
            CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
            int files = 0;
            for (int l = 0; l < 6; l++)
                files += l == 0 ? st.files[l] : 0;
            CHECK_EQ_INT(files, 0);
            CHECK_EQ_INT(st.memtable_entries, 0);
        } else if (round == 1) {
            CHECK_EQ_INT(slsm_close(db), LSM_OK);
            CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        }
    }
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void collect(slsm_cursor *c, char *out, size_t cap, int forward) {
    out[0] = 0;
    size_t len = 0;
    for (; slsm_cursor_valid(c); forward ? slsm_cursor_next(c) : slsm_cursor_prev(c)) {
        size_t n;
        const char *k = slsm_cursor_key(c, &n);
        if (len + n + 2 < cap) {
            memcpy(out + len, k, n);
            len += n;
            out[len++] = ' ';
            out[len] = 0;
        }
    }
}

static void test_cursor_bounds(void) {
    const char *path = test_path("bounds.lsm");
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        slsm_put(db, keys[i], 1, "x", 1);
    slsm_delete(db, "c", 1);
    char out[128];
    slsm_cursor *c;
    CHECK_EQ_INT(slsm_cursor_open(db, &c), LSM_OK);
    slsm_cursor_first(c);
    collect(c, out, sizeof out, 1);
    CHECK_EQ_STR(out, "a b d e ");
    slsm_cursor_bounds(c, "a", 1, 1, "d", 1, 0);
    slsm_cursor_first(c);
    collect(c, out, sizeof out, 1);
    CHECK_EQ_STR(out, "b d ");
    slsm_cursor_last(c);
    collect(c, out, sizeof out, 0);
    CHECK_EQ_STR(out, "d b ");
    slsm_cursor_bounds(c, "b", 1, 0, "e", 1, 1);
    slsm_cursor_seek(c, "c", 1, SLSM_SEEK_LE);
    collect(c, out, sizeof out, 0);
    CHECK_EQ_STR(out, "b ");
    slsm_cursor_seek(c, "z", 1, SLSM_SEEK_LE);
    collect(c, out, sizeof out, 0);
    CHECK_EQ_STR(out, "d b ");
    slsm_cursor_bounds(c, NULL, 0, 0, NULL, 0, 0);
    slsm_cursor_seek(c, "c", 1, SLSM_SEEK_EQ);
    CHECK(!slsm_cursor_valid(c));
    slsm_cursor_seek(c, "d", 1, SLSM_SEEK_EQ);
    CHECK(slsm_cursor_valid(c));
    /* direction changes in the middle */
    slsm_cursor_seek(c, "b", 1, SLSM_SEEK_GE);
    slsm_cursor_next(c);
    slsm_cursor_prev(c);
    slsm_cursor_prev(c);
    size_t n;
    CHECK(slsm_cursor_valid(c) && memcmp(slsm_cursor_key(c, &n), "a", 1) == 0);
    slsm_cursor_next(c);
    slsm_cursor_next(c);
    CHECK(slsm_cursor_valid(c) && memcmp(slsm_cursor_key(c, &n), "d", 1) == 0);
    /* snapshot: a cursor does not see commits made after it was positioned */
    slsm_cursor_first(c);
    slsm_put(db, "aa", 2, "new", 3);
    slsm_delete(db, "b", 1);
    collect(c, out, sizeof out, 1);
    CHECK_EQ_STR(out, "a b d e ");
    slsm_cursor_first(c);
    collect(c, out, sizeof out, 1);
    CHECK_EQ_STR(out, "a aa d e ");
    CHECK_EQ_INT(slsm_close(db), LSM_MISUSE);
    slsm_cursor_close(c);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void test_transactions(void) {
    const char *path = test_path("txn.lsm");
    slsm_db *db, *db2;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    CHECK_EQ_INT(slsm_open(path, NULL, &db2), LSM_OK);
    char buf[32];
    CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
    slsm_put(db, "k1", 2, "v1", 2);
    CHECK_EQ_INT(get_str(db, "k1", buf, sizeof buf), LSM_OK);
    /* uncommitted writes are invisible to the other handle, which cannot write meanwhile */
    CHECK_EQ_INT(get_str(db2, "k1", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_put(db2, "x", 1, "y", 1), LSM_BUSY);
    CHECK(strstr(slsm_errmsg(db2), "locked") != NULL);
    CHECK_EQ_INT(slsm_begin(db2, 1), LSM_BUSY);
    CHECK_EQ_INT(slsm_begin(db, 2), LSM_OK);
    slsm_put(db, "k2", 2, "v2", 2);
    slsm_delete(db, "k1", 2);
    CHECK_EQ_INT(get_str(db, "k1", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_begin(db, 3), LSM_OK);
    slsm_put(db, "k3", 2, "v3", 2);
    CHECK_EQ_INT(slsm_rollback(db, 2), LSM_OK); /* undoes levels 2 and 3, keeps level 2 open */
    CHECK_EQ_INT(slsm_txn_level(db), 2);
    CHECK_EQ_INT(get_str(db, "k1", buf, sizeof buf), LSM_OK);
    CHECK_EQ_INT(get_str(db, "k2", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(get_str(db, "k3", buf, sizeof buf), LSM_NOTFOUND);
    slsm_put(db, "k4", 2, "v4", 2);
    /* a cursor in the transaction sees its writes, merged with the committed data */
    slsm_cursor *c;
    slsm_cursor_open(db, &c);
    slsm_cursor_first(c);
    char out[64];
    collect(c, out, sizeof out, 1);
    CHECK_EQ_STR(out, "k1 k4 ");
    slsm_cursor_close(c);
    CHECK_EQ_INT(slsm_commit(db, 1), LSM_OK); /* releases the savepoint only */
    CHECK_EQ_INT(get_str(db2, "k4", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_commit(db, 0), LSM_OK);
    CHECK_EQ_INT(get_str(db2, "k4", buf, sizeof buf), LSM_OK);
    CHECK_EQ_INT(get_str(db2, "k1", buf, sizeof buf), LSM_OK);
    /* a rolled-back transaction leaves nothing */
    CHECK_EQ_INT(slsm_begin(db2, 1), LSM_OK);
    slsm_put(db2, "gone", 4, "x", 1);
    CHECK_EQ_INT(slsm_rollback(db2, 0), LSM_OK);
    CHECK_EQ_INT(get_str(db, "gone", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_put(db, "after", 5, "x", 1), LSM_OK);
    CHECK_EQ_INT(slsm_close(db2), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    CHECK_EQ_INT(get_str(db, "k4", buf, sizeof buf), LSM_OK);
    CHECK_EQ_INT(get_str(db, "gone", buf, sizeof buf), LSM_NOTFOUND);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void test_other_process_busy(void) {
    const char *path = test_path("busy.lsm");
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        slsm_db *other;
        int rc = slsm_open(path, NULL, &other);
        int ok = rc == LSM_BUSY && strstr(slsm_errmsg(other), "locked") != NULL;
        slsm_close(other);
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ_INT(slsm_destroy(path), LSM_BUSY);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

static void test_corrupt_database(void) {
    const char *path = test_path("corrupt.lsm");
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    char k[32];
    for (int i = 0; i < 2000; i++) {
        int nk = key_of(k, i);
        slsm_put(db, k, (size_t)nk, k, (size_t)nk);
    }
    CHECK_EQ_INT(slsm_close(db), LSM_OK); /* flushes into a table */
    char sst[600];
    snprintf(sst, sizeof sst, "%s-000001.sst", path);
    FILE *f = fopen(sst, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 100, SEEK_SET);
        fputc('!', f);
        fclose(f);
    }
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    const void *v;
    size_t n;
    int rc = LSM_OK;
    for (int i = 0; i < 2000 && rc != LSM_CORRUPT; i++) {
        int nk = key_of(k, i);
        rc = slsm_get(db, k, (size_t)nk, &v, &n);
        CHECK(rc == LSM_OK || rc == LSM_CORRUPT);
        if (rc == LSM_OK)
            CHECK(n == (size_t)nk && memcmp(v, k, n) == 0);
    }
    CHECK_EQ_INT(rc, LSM_CORRUPT);
    CHECK(strstr(slsm_errmsg(db), "checksum") != NULL);
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_CORRUPT);
    slsm_cursor *c;
    slsm_cursor_open(db, &c);
    int count = 0;
    for (rc = slsm_cursor_first(c); slsm_cursor_valid(c); rc = slsm_cursor_next(c))
        count++;
    CHECK_EQ_INT(rc, LSM_CORRUPT);
    slsm_cursor_close(c);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    /* a damaged manifest refuses to open */
    f = fopen(path, "r+b");
    if (f) {
        fseek(f, 20, SEEK_SET);
        fputc(0x33, f);
        fclose(f);
    }
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_CORRUPT);
    CHECK(strstr(slsm_errmsg(db), "manifest") != NULL);
    slsm_close(db);
    /* so does a file that is not a database */
    const char *junk = test_path("junk.lsm");
    f = fopen(junk, "wb");
    fputs("this is not a database, just text that is long enough", f);
    fclose(f);
    CHECK_EQ_INT(slsm_open(junk, NULL, &db), LSM_CORRUPT);
    slsm_close(db);
}

static void test_errors_and_limits(void) {
    slsm_db *db;
    CHECK_EQ_INT(slsm_open("/nonexistent-dir/x.lsm", NULL, &db), LSM_CANTOPEN);
    CHECK(strstr(slsm_errmsg(db), "nonexistent") != NULL);
    slsm_close(db);
    CHECK_EQ_INT(slsm_open(test_path("limits.lsm"), NULL, &db), LSM_OK);
    static char big[(1 << 20) + 1];
    CHECK_EQ_INT(slsm_put(db, big, sizeof big, "v", 1), LSM_RANGE);
    CHECK_EQ_INT(slsm_put(db, big, 1 << 20, "v", 1), LSM_OK);
    slsm_stats st;
    slsm_stats_get(db, &st);
    CHECK_EQ_INT(st.puts, 1);
    CHECK_EQ_INT(st.last_seq, 1);
    slsm_close(db);
}

int main(void) {
    RUN(test_basic);
    RUN(test_many_with_flushes);
    RUN(test_cursor_bounds);
    RUN(test_transactions);
    RUN(test_other_process_busy);
    RUN(test_corrupt_database);
    RUN(test_errors_and_limits);
    return unit_report("unit_lsm_engine");
}
