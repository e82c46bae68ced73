/*
** Crash test of the engine: a forked child commits batches (several keys per transaction, values
** derived from the batch number) in a loop and reports each commit through a pipe once
** slsm_commit has returned; the parent kills it with SIGKILL at a random moment (small
** memtables, so kills land inside flushes and compactions too), reopens the database, and checks
** that every reported batch is there, whole, and that no batch is partly there. The next child
** carries on from the first absent batch. Runs at durability normal and full.
**
** Then damage on disk: garbage appended to the log must be discarded at open with every commit
** kept, and a flipped byte in a table must give LSM_CORRUPT (open, get or integrity check),
** never a wrong value.
**
** And the two logs: a failed flush leaves the full memtable's commits in one log while later
** commits go to the other; a crash then must recover both (written to a table at open), and
** when the older log lost its tail (a power cut under NORMAL durability) the newer one is
** dropped too, so what survives is a prefix of the commits.
**
** LSM_TEST_SEED replays a run; LSM_CRASH_KILLS sets the number of kills per durability level.
*/
#include "lsm/lsm_engine.h"
#include "lsm/lsm_file.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define KEYS_PER_BATCH 8
#define MAX_BATCHES 1000000u

static slsm_options crash_options(int durability) {
    return lsm_test_options(durability, 64 << 10, 32 << 10, 128 << 10, 1024, 2);
}

static size_t batch_key(char *buf, unsigned batch, int j) {
    return (size_t)snprintf(buf, 32, "b%08u-%d", batch, j);
}

static size_t batch_value(unsigned char *buf, unsigned batch, int j) {
    size_t n = 12 + (batch * 7u + (unsigned)j * 13u) % 280u;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(batch * 31u + (unsigned)j * 17u + i);
    return n;
}

/* The child: commit batches from `start` on, reporting each; never returns. */
static void writer(const char *path, int durability, unsigned start, int report_fd) {
    slsm_options o = crash_options(durability);
    slsm_db *db;
    if (slsm_open(path, &o, &db) != LSM_OK)
        _exit(3);
    char key[32];
    unsigned char val[512];
    for (unsigned b = start; b < MAX_BATCHES; b++) {
        if (slsm_begin(db, 1) != LSM_OK)
            _exit(4);
        for (int j = 0; j < KEYS_PER_BATCH; j++) {
            size_t nk = batch_key(key, b, j), nv = batch_value(val, b, j);
            if (slsm_put(db, key, nk, val, nv) != LSM_OK)
                _exit(5);
        }
        /* one key rewritten by every batch: overwritten versions must not resurface */
        if (slsm_put(db, "last", 4, &b, sizeof b) != LSM_OK)
            _exit(6);
        if (slsm_commit(db, 0) != LSM_OK)
            _exit(7);
        if (write(report_fd, &b, sizeof b) != (ssize_t)sizeof b)
            _exit(8);
    }
    _exit(0);
}

static int commit_batch(slsm_db *db, unsigned b) {
    char key[32];
    unsigned char val[512];
    int rc = slsm_begin(db, 1);
    for (int j = 0; j < KEYS_PER_BATCH && rc == LSM_OK; j++) {
        size_t nk = batch_key(key, b, j), nv = batch_value(val, b, j);
        rc = slsm_put(db, key, nk, val, nv);
    }
    if (rc == LSM_OK)
        rc = slsm_put(db, "last", 4, &b, sizeof b);
    if (rc == LSM_OK)
        rc = slsm_commit(db, 0);
    if (rc != LSM_OK)
        slsm_rollback(db, 0);
    return rc;
}

/* How many keys of batch b are present with the right value; -1 on a wrong value or error. */
static int batch_present(slsm_db *db, unsigned b) {
    char key[32];
    unsigned char want[512];
    int present = 0;
    for (int j = 0; j < KEYS_PER_BATCH; j++) {
        size_t nk = batch_key(key, b, j), nw = batch_value(want, b, j);
        const void *v;
        size_t nv;
        int rc = slsm_get(db, key, nk, &v, &nv);
        if (rc == LSM_NOTFOUND)
            continue;
        if (rc != LSM_OK || nv != nw || memcmp(v, want, nw) != 0)
            return -1;
        present++;
    }
    return present;
}

/* Verifies batches [0, reported) whole and at most one more; returns the number present. */
static unsigned verify(const char *path, int durability, unsigned reported) {
    slsm_options o = crash_options(durability);
    slsm_db *db = NULL;
    int rc = slsm_open(path, &o, &db);
    CHECK_EQ_INT(rc, LSM_OK);
    if (rc != LSM_OK) {
        fprintf(stderr, "reopen: %s\n", db ? slsm_errmsg(db) : "(no handle)");
        return reported;
    }
    unsigned present = 0;
    for (unsigned b = 0; b < reported; b++) {
        int n = batch_present(db, b);
        if (n != KEYS_PER_BATCH) {
            fprintf(stderr, "batch %u: %d of %d keys after recovery\n", b, n, KEYS_PER_BATCH);
            CHECK(0);
            break;
        }
        present = b + 1;
    }
    /* the batch in flight when the child died: whole or absent, never partial */
    int n = batch_present(db, reported);
    CHECK(n == 0 || n == KEYS_PER_BATCH);
    if (n == KEYS_PER_BATCH)
        present = reported + 1;
    CHECK_EQ_INT(batch_present(db, present), 0);
    const void *v;
    size_t nv;
    if (present > 0) {
        CHECK_EQ_INT(slsm_get(db, "last", 4, &v, &nv), LSM_OK);
        unsigned last = 0;
        if (nv == sizeof last)
            memcpy(&last, v, sizeof last);
        CHECK_EQ_INT((int)last, (int)(present - 1));
    }
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    return present;
}

static void crash_loop(const char *path, int durability, int kills) {
    unsigned present = 0;
    for (int round = 0; round < kills; round++) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            exit(2);
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            exit(2);
        }
        if (pid == 0) {
            close(fds[0]);
            writer(path, durability, present, fds[1]);
        }
        close(fds[1]);
        usleep(1000 + rng_below(60000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFSIGNALED(status)) {
            fprintf(stderr, "writer stopped on its own: exit %d\n", WEXITSTATUS(status));
            CHECK(0);
        }
        unsigned reported = present, b;
        while (read(fds[0], &b, sizeof b) == (ssize_t)sizeof b)
            reported = b + 1;
        close(fds[0]);
        present = verify(path, durability, reported);
    }
    printf("durability %d: %d kills, %u batches committed\n", durability, kills, present);
}

/* Appends garbage to the log: reopening discards it and keeps every commit. */
static void torn_log_tail(const char *path) {
    slsm_options o = crash_options(SLSM_DURABILITY_NORMAL);
    o.memtable_bytes = 1 << 20; /* keep the batches in the log */
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    char key[32];
    unsigned char val[512];
    for (unsigned b = 0; b < 20; b++) {
        CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
        for (int j = 0; j < KEYS_PER_BATCH; j++) {
            size_t nk = batch_key(key, b, j), nv = batch_value(val, b, j);
            CHECK_EQ_INT(slsm_put(db, key, nk, val, nv), LSM_OK);
        }
        CHECK_EQ_INT(slsm_put(db, "last", 4, &b, sizeof b), LSM_OK);
        CHECK_EQ_INT(slsm_commit(db, 0), LSM_OK);
    }
    /* a torn append while the database is open, as a crash mid-write leaves it */
    char log_path[1024];
    CHECK(snprintf(log_path, sizeof log_path, "%s-log", path) < (int)sizeof log_path);
    int fd = open(log_path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    unsigned char junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rng_next();
    CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    close(fd);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT((int)verify(path, SLSM_DURABILITY_NORMAL, 20), 20);
}

/* The child of two_logs: fills the memtable, fails the flush of the commit that switches it
** out (no background thread, so the failure lands there), commits 20 more batches into the
** other log and dies without closing. Reports committed batch numbers, then UINT_MAX and the
** failed one. */
static void two_logs_child(const char *path, int report_fd) {
    slsm_options o = crash_options(SLSM_DURABILITY_NORMAL);
    o.background = 0;
    slsm_db *db;
    if (slsm_open(path, &o, &db) != LSM_OK)
        _exit(3);
    unsigned failed = UINT_MAX, after = 0;
    for (unsigned b = 0; b < 10000 && after < 20; b++) {
        slsm_stats st;
        slsm_stats_get(db, &st);
        if (failed == UINT_MAX && st.memtable_bytes >= o.memtable_bytes)
            lsm_fault_set(LSM_FAULT_WRITE, 0, ENOSPC, LSM_FAULT_ONCE);
        int rc = commit_batch(db, b);
        if (rc == LSM_OK) {
            if (write(report_fd, &b, sizeof b) != (ssize_t)sizeof b)
                _exit(8);
            after += failed != UINT_MAX;
        } else if (failed == UINT_MAX && rc == LSM_FULL) {
            failed = b;
            lsm_fault_set(0, 0, 0, 0);
        } else {
            _exit(4);
        }
    }
    unsigned marker = UINT_MAX;
    if (write(report_fd, &marker, sizeof marker) != (ssize_t)sizeof marker ||
        write(report_fd, &failed, sizeof failed) != (ssize_t)sizeof failed)
        _exit(8);
    _exit(failed == UINT_MAX ? 9 : 0);
}

static void log_sizes(const char *path, uint64_t sizes[2]) {
    for (int i = 0; i < 2; i++) {
        char log_path[1024];
        struct stat st;
        snprintf(log_path, sizeof log_path, "%s-log%s", path, i ? "2" : "");
        sizes[i] = stat(log_path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
    }
}

static void two_logs(const char *path, int tear_older) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        two_logs_child(path, fds[1]);
    }
    close(fds[1]);
    unsigned *done = calloc(10000, sizeof *done), ndone = 0, b, failed = UINT_MAX;
    while (read(fds[0], &b, sizeof b) == (ssize_t)sizeof b && ndone < 10000) {
        if (b == UINT_MAX) {
            CHECK(read(fds[0], &failed, sizeof failed) == (ssize_t)sizeof failed);
            break;
        }
        done[ndone++] = b;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(failed != UINT_MAX);
    if (tear_older) {
        /* the older log ("-log": the first memtable's) loses its last bytes */
        char log_path[1024];
        CHECK(snprintf(log_path, sizeof log_path, "%s-log", path) < (int)sizeof log_path);
        struct stat st;
        CHECK(stat(log_path, &st) == 0 && st.st_size > 1000);
        CHECK(truncate(log_path, st.st_size - 700) == 0);
    }
    slsm_options o = crash_options(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    uint64_t before[2];
    log_sizes(path, before);
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(batch_present(db, failed), 0);
    /* committed batches present: all of them, or (torn) a prefix that stops before the failed
    ** flush's batch, since the newer log's batches follow it */
    unsigned prefix = 0;
    while (prefix < ndone && batch_present(db, done[prefix]) == KEYS_PER_BATCH)
        prefix++;
    for (unsigned i = prefix; i < ndone; i++)
        CHECK_EQ_INT(batch_present(db, done[i]), 0);
    if (tear_older)
        CHECK(prefix > 0 && done[prefix - 1] < failed);
    else
        CHECK_EQ_INT((int)prefix, (int)ndone);
    /* opening and reading changed no log; the first write takes over: commits in both logs
    ** are written to a table, the logs emptied, then the write goes to a log */
    uint64_t after[2];
    log_sizes(path, after);
    CHECK(before[0] == after[0] && before[1] == after[1]);
    slsm_stats st;
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    CHECK_EQ_INT(st.flushes, 0);
    CHECK_EQ_INT(commit_batch(db, 500000), LSM_OK);
    CHECK_EQ_INT(slsm_stats_get(db, &st), LSM_OK);
    if (!tear_older) /* both logs held unflushed commits */
        CHECK(st.flushes == 1 && st.memtable_entries == KEYS_PER_BATCH + 1);
    CHECK_EQ_INT(batch_present(db, 500000), KEYS_PER_BATCH);
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    printf("two logs%s: %u of %u batches after recovery\n", tear_older ? " (older torn)" : "",
           prefix, ndone);
    free(done);
}

static int find_table(const char *dir, char *out, size_t n) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".sst") == 0) {
            found = snprintf(out, n, "%s/%s", dir, e->d_name) < (int)n;
        }
    }
    closedir(d);
    return found;
}

/* Flips bytes in a table: every read gives the right value or an error, never a wrong value,
** and the integrity check reports LSM_CORRUPT. */
static void damaged_table(const char *dir, const char *path) {
    slsm_options o = crash_options(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    char key[32];
    unsigned char val[512];
    for (unsigned b = 0; b < 200; b++)
        for (int j = 0; j < KEYS_PER_BATCH; j++) {
            size_t nk = batch_key(key, b, j), nv = batch_value(val, b, j);
            CHECK_EQ_INT(slsm_put(db, key, nk, val, nv), LSM_OK);
        }
    CHECK_EQ_INT(slsm_compact(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);

    char table[1024];
    CHECK(find_table(dir, table, sizeof table));
    int fd = open(table, O_RDWR);
    CHECK(fd >= 0);
    off_t size = lseek(fd, 0, SEEK_END);
    for (int i = 0; i < 8 && size > 0; i++) {
        off_t at = (off_t)(rng_next() % (uint64_t)size);
        unsigned char c;
        CHECK(pread(fd, &c, 1, at) == 1);
        c ^= 0x5a;
        CHECK(pwrite(fd, &c, 1, at) == 1);
    }
    close(fd);

    int rc = slsm_open(path, &o, &db);
    if (rc != LSM_OK) {
        CHECK_EQ_INT(rc, LSM_CORRUPT);
        return;
    }
    int errors = 0;
    for (unsigned b = 0; b < 200; b++) {
        int n = batch_present(db, b);
        CHECK(n == KEYS_PER_BATCH || n == -1); /* -1 here is an error, not a wrong value */
        if (n == -1) {
            /* distinguish an error from a wrong value: a wrong value must never happen */
            for (int j = 0; j < KEYS_PER_BATCH; j++) {
                size_t nk = batch_key(key, b, j), nw = batch_value(val, b, j);
                const void *v;
                size_t nv;
                int grc = slsm_get(db, key, nk, &v, &nv);
                if (grc == LSM_OK)
                    CHECK(nv == nw && memcmp(v, val, nw) == 0);
                else
                    CHECK_EQ_INT(grc, LSM_CORRUPT);
            }
            errors++;
        }
    }
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_CORRUPT);
    CHECK(strlen(slsm_errmsg(db)) > 0);
    slsm_close(db);
    printf("damaged table: %d batches unreadable, integrity check: %s\n", errors,
           "corrupt as expected");
}

int main(void) {
    rng_seed("unit_lsm_crash");
    const char *env = getenv("LSM_CRASH_KILLS");
    int kills = env ? atoi(env) : 20;
    const char *dir = test_dir_make();
    (void)dir;
    crash_loop(test_path("normal.db"), SLSM_DURABILITY_NORMAL, kills);
    crash_loop(test_path("full.db"), SLSM_DURABILITY_FULL, kills);
    torn_log_tail(test_path("torn.db"));
    two_logs(test_path("two-logs.db"), 0);
    two_logs(test_path("two-logs-torn.db"), 1);

    char sub[512];
    CHECK(snprintf(sub, sizeof sub, "%s/damaged", test_dir_make()) < (int)sizeof sub);
    CHECK(mkdir(sub, 0700) == 0);
    char path[1024];
    CHECK(snprintf(path, sizeof path, "%s/t.db", sub) < (int)sizeof path);
    damaged_table(sub, path);
    return unit_report("unit_lsm_crash");
}
