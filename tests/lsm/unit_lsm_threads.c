/*
** Threads on one engine: a writer thread moves amounts between accounts, two accounts per
** transaction, while reader threads (each with its own handle on the same file) scan every
** account through cursors and check that each scan sees a consistent snapshot: all accounts
** present and the total unchanged. Small memtables and tables make the background thread
** flush and compact during the scans, and a maintenance thread runs flush, compact and the
** integrity check meanwhile. Run with and without the background thread.
**
** LSM_TEST_SEED replays the writer's choices (thread interleaving is not replayable).
*/
#include "lsm/lsm_engine.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>

#define ACCOUNTS 500
#define START_BALANCE 1000
#define READERS 2

typedef struct shared {
    const char *path;
    slsm_options opt;
    atomic_int stop;
    atomic_long scans, transfers, errors;
} shared;

static size_t account_key(char *buf, int i) {
    return (size_t)snprintf(buf, 32, "acct%06d", i);
}

/* Values are a balance (int64) and filler, so tables grow quickly. */
static size_t account_value(unsigned char *buf, int64_t balance, int i) {
    memcpy(buf, &balance, sizeof balance);
    size_t n = 8 + (size_t)(i % 7) * 20;
    for (size_t j = 8; j < n; j++)
        buf[j] = (unsigned char)(i + (int)j);
    return n;
}

static void fail(shared *s, const char *what, slsm_db *db) {
    fprintf(stderr, "%s: %s\n", what, db ? slsm_errmsg(db) : "");
    atomic_fetch_add(&s->errors, 1);
}

static void *writer_main(void *arg) {
    shared *s = arg;
    slsm_db *db;
    if (slsm_open(s->path, &s->opt, &db) != LSM_OK) {
        fail(s, "writer open", NULL);
        return NULL;
    }
    int64_t bal[ACCOUNTS];
    for (int i = 0; i < ACCOUNTS; i++)
        bal[i] = START_BALANCE;
    char key[32];
    unsigned char val[256];
    for (long t = 0; t < 6000 && !atomic_load(&s->stop); t++) {
        int a = (int)rng_below(ACCOUNTS), b = (int)rng_below(ACCOUNTS);
        int64_t amount = (int64_t)rng_below(50);
        int rc = slsm_begin(db, 1);
        bal[a] -= amount;
        bal[b] += amount;
        if (rc == LSM_OK)
            rc = slsm_put(db, key, account_key(key, a), val, account_value(val, bal[a], a));
        if (rc == LSM_OK)
            rc = slsm_put(db, key, account_key(key, b), val, account_value(val, bal[b], b));
        if (rc == LSM_OK)
            rc = slsm_commit(db, 0);
        if (rc != LSM_OK) {
            fail(s, "transfer", db);
            break;
        }
        atomic_fetch_add(&s->transfers, 1);
    }
    atomic_store(&s->stop, 1);
    slsm_close(db);
    return NULL;
}

static void *reader_main(void *arg) {
    shared *s = arg;
    slsm_db *db;
    if (slsm_open(s->path, &s->opt, &db) != LSM_OK) {
        fail(s, "reader open", NULL);
        return NULL;
    }
    while (!atomic_load(&s->stop)) {
        slsm_cursor *c;
        if (slsm_cursor_open(db, &c) != LSM_OK) {
            fail(s, "cursor open", db);
            break;
        }
        int64_t total = 0;
        int n = 0, forward = atomic_load(&s->scans) % 2 == 0;
        int rc = forward ? slsm_cursor_first(c) : slsm_cursor_last(c);
        while (rc == LSM_OK && slsm_cursor_valid(c)) {
            size_t nv;
            const unsigned char *v = slsm_cursor_value(c, &nv);
            int64_t balance;
            memcpy(&balance, v, sizeof balance);
            total += balance;
            n++;
            rc = forward ? slsm_cursor_next(c) : slsm_cursor_prev(c);
        }
        slsm_cursor_close(c);
        if (rc != LSM_OK) {
            fail(s, "scan", db);
            break;
        }
        if (n != ACCOUNTS || total != (int64_t)ACCOUNTS * START_BALANCE) {
            fprintf(stderr, "inconsistent scan: %d accounts, total %lld\n", n, (long long)total);
            atomic_fetch_add(&s->errors, 1);
            break;
        }
        atomic_fetch_add(&s->scans, 1);
    }
    slsm_close(db);
    return NULL;
}

/* Explicit maintenance from another handle while the others work. */
static void *maintenance_main(void *arg) {
    shared *s = arg;
    slsm_db *db;
    if (slsm_open(s->path, &s->opt, &db) != LSM_OK) {
        fail(s, "maintenance open", NULL);
        return NULL;
    }
    for (int round = 0; !atomic_load(&s->stop); round++) {
        int rc = round % 3 == 0   ? slsm_flush(db)
                 : round % 3 == 1 ? slsm_integrity_check(db)
                                  : slsm_compact(db);
        /* another handle may hold the write slot for a flush or compaction: that is busy */
        if (rc != LSM_OK && rc != LSM_BUSY) {
            fail(s, "maintenance", db);
            break;
        }
        usleep(20000);
    }
    slsm_close(db);
    return NULL;
}

static void run(int background) {
    const char *path = test_path(background ? "threads-bg.lsm" : "threads-inline.lsm");
    shared s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.opt = lsm_test_options(SLSM_DURABILITY_OFF, 64 << 10, 32 << 10, 96 << 10, 512, 2);
    s.opt.background = background;
    slsm_destroy(path);
    /* the accounts exist before the threads start */
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &s.opt, &db), LSM_OK);
    char key[32];
    unsigned char val[256];
    CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
    for (int i = 0; i < ACCOUNTS; i++)
        CHECK_EQ_INT(
            slsm_put(db, key, account_key(key, i), val, account_value(val, START_BALANCE, i)),
            LSM_OK);
    CHECK_EQ_INT(slsm_commit(db, 0), LSM_OK);

    pthread_t w, m, r[READERS];
    CHECK(pthread_create(&w, NULL, writer_main, &s) == 0);
    CHECK(pthread_create(&m, NULL, maintenance_main, &s) == 0);
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_create(&r[i], NULL, reader_main, &s) == 0);
    pthread_join(w, NULL);
    pthread_join(m, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    CHECK_EQ_INT((int)atomic_load(&s.errors), 0);
    CHECK(atomic_load(&s.transfers) > 0 && atomic_load(&s.scans) > 0);

    slsm_stats st;
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    CHECK(st.flushes > 0 && st.compactions > 0);
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    /* and after reopening: the total holds */
    CHECK_EQ_INT(slsm_open(path, &s.opt, &db), LSM_OK);
    int64_t total = 0;
    for (int i = 0; i < ACCOUNTS; i++) {
        const void *v;
        size_t nv;
        CHECK_EQ_INT(slsm_get(db, key, account_key(key, i), &v, &nv), LSM_OK);
        int64_t balance = 0;
        if (nv >= sizeof balance)
            memcpy(&balance, v, sizeof balance);
        total += balance;
    }
    CHECK(total == (int64_t)ACCOUNTS * START_BALANCE);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    printf("background %d: %ld transfers, %ld consistent scans, %llu flushes, %llu compactions\n",
           background, atomic_load(&s.transfers), atomic_load(&s.scans),
           (unsigned long long)st.flushes, (unsigned long long)st.compactions);
    slsm_destroy(path);
}

static void test_threads_background(void) {
    run(1);
}

static void test_threads_inline(void) {
    run(0);
}

int main(void) {
    rng_seed("unit_lsm_threads");
    RUN(test_threads_background);
    RUN(test_threads_inline);
    return unit_report("unit_lsm_threads");
}
