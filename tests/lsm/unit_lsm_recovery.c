/*
** Recovery without harm, and two-phase commit, at the engine level:
**
** - prepared transactions: a child process stops (_exit, as a crash: nothing closed) after
**   each step of prepare / commit / rollback; the reopen must hold the transaction exactly when
**   its outcome was commit (the decide record) or, without one, when the coordinator says so;
**   with no coordinator to ask the open fails and changes nothing; the decide record written
**   at the next write makes the log say it on its own. I/O faults in each step.
** - a log damaged before intact records (the flipped bit at byte 12) is LSM_CORRUPT and
**   opening leaves every file as it was; salvage keeps what precedes the damage and reports
**   what it dropped.
** - a missing manifest next to tables is LSM_CORRUPT; must_exist and read-only opens of a
**   missing database create nothing; a read-only open of a crashed database sees every commit
**   and changes no file; a read-write open that only reads changes no file either.
** - only files the manifest accounts for are removed: by the first write after a crash
**   (tables it reserved and did not install) and by slsm_destroy; strays that look like the
**   database's stay.
** - a manifest whose file count is absurd is LSM_CORRUPT before anything is allocated for it.
*/
#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_engine.h"
#include "lsm/lsm_file.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- a directory's files, to show that nothing changed ------------------------------------ */

#define MAX_FILES 64

typedef struct file_state {
    char name[128];
    uint64_t size, hash;
    long long mtime_ns;
} file_state;

typedef struct dir_state {
    int n;
    file_state f[MAX_FILES];
} dir_state;

static uint64_t file_hash(const char *path) {
    uint8_t *data;
    size_t n;
    if (lsm_file_read_all(path, (size_t)1 << 30, &data, &n) != LSM_OK)
        return 0;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    free(data);
    return h;
}

static void snapshot(const char *dir, dir_state *s) {
    memset(s, 0, sizeof *s);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *ent;
    while (d && (ent = readdir(d)) != NULL && s->n < MAX_FILES) {
        if (ent->d_name[0] == '.')
            continue;
        file_state *f = &s->f[s->n++];
        snprintf(f->name, sizeof f->name, "%.120s", ent->d_name);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        struct stat st;
        CHECK(stat(path, &st) == 0);
        f->size = (uint64_t)st.st_size;
        f->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
        f->hash = file_hash(path);
    }
    if (d)
        closedir(d);
}

static const file_state *find_file(const dir_state *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->f[i].name, name) == 0)
            return &s->f[i];
    return NULL;
}

/* Every file of a is in b unchanged and b has no other. */
static int same_files(const dir_state *a, const dir_state *b) {
    int same = a->n == b->n;
    for (int i = 0; i < a->n; i++) {
        const file_state *x = &a->f[i], *y = find_file(b, x->name);
        if (y == NULL || x->size != y->size || x->hash != y->hash || x->mtime_ns != y->mtime_ns) {
            fprintf(stderr, "  %s changed or went\n", x->name);
            same = 0;
        }
    }
    for (int i = 0; i < b->n; i++)
        if (find_file(a, b->f[i].name) == NULL) {
            fprintf(stderr, "  %s appeared\n", b->f[i].name);
            same = 0;
        }
    return same;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static char base_dir[512];

/* A fresh directory for one case and the database path inside it. */
static const char *case_dir(const char *name, char *path, size_t n) {
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", base_dir, name);
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, n, "%s/kv", dir);
    return dir;
}

static slsm_options opts(int durability) {
    slsm_options o = lsm_test_options(durability, 64 << 10, 32 << 10, 128 << 10, 1024, 0);
    o.background = 0; /* files change only when the test acts */
    return o;
}

static int put_str(slsm_db *db, const char *k, const char *v) {
    return slsm_put(db, k, strlen(k), v, strlen(v));
}

/* 1 when key k holds v, 0 when absent, -1 otherwise. */
static int has(slsm_db *db, const char *k, const char *v) {
    const void *got;
    size_t n;
    int rc = slsm_get(db, k, strlen(k), &got, &n);
    if (rc == LSM_NOTFOUND)
        return 0;
    if (rc != LSM_OK || n != strlen(v) || memcmp(got, v, n) != 0)
        return -1;
    return 1;
}

/* The coordinator of the tests: it committed every transaction up to `committed`. */
typedef struct coordinator {
    uint64_t id, committed;
    int asked;
} coordinator;

static int resolve(void *arg, uint64_t id, uint64_t txn) {
    coordinator *c = arg;
    c->asked++;
    if (id != c->id)
        return -1;
    return txn <= c->committed;
}

static void run_child(void (*fn)(const char *), const char *path) {
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fn(path);
        _exit(0); /* a crash: nothing is closed or flushed */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define COORD 0x5eedc0ffee123457ull

/* ---- prepared transactions ------------------------------------------------------------------ */

/* Steps a child reaches before it stops. */
enum { AFTER_PREPARE, AFTER_COMMIT, AFTER_ROLLBACK, AFTER_REPREPARE, NSTEPS };
static const char *const step_names[] = {"prepare", "commit", "rollback", "re-prepare"};
static int child_step;
static uint64_t child_txn;
static int txn_pipe[2];

static void prepared_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_FULL);
    slsm_db *db;
    if (slsm_open(path, &o, &db) != LSM_OK)
        _exit(3);
    if (put_str(db, "base", "1") != LSM_OK) /* committed on its own */
        _exit(4);
    uint64_t txn = 0;
    if (slsm_begin(db, 1) || put_str(db, "a", "A") || put_str(db, "b", "B") ||
        slsm_prepare(db, COORD, &txn))
        _exit(5);
    if (child_step == AFTER_REPREPARE) {
        /* withdrawn by a write, then prepared again: the same number, reused */
        uint64_t again;
        if (put_str(db, "c", "C") || slsm_prepare(db, COORD, &again) || again != txn)
            _exit(6);
    }
    if (child_step == AFTER_COMMIT && slsm_commit(db, 0) != LSM_OK)
        _exit(7);
    if (child_step == AFTER_ROLLBACK && slsm_rollback(db, 0) != LSM_OK)
        _exit(8);
    if (write(txn_pipe[1], &txn, sizeof txn) != (ssize_t)sizeof txn)
        _exit(9);
}

static coordinator child_coord;

static void write_later_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_FULL);
    o.resolve = resolve;
    o.resolve_arg = &child_coord;
    slsm_db *db;
    if (slsm_open(path, &o, &db) || put_str(db, "later", "L"))
        _exit(3);
}

static void test_prepared_crash(void) {
    for (int step = 0; step < NSTEPS; step++)
        for (int told = 0; told < 2; told++) {
            char path[700], name[64];
            snprintf(name, sizeof name, "prepared-%d-%d", step, told);
            const char *dir = case_dir(name, path, sizeof path);
            child_step = step;
            CHECK(pipe(txn_pipe) == 0);
            run_child(prepared_child, path);
            CHECK(read(txn_pipe[0], &child_txn, sizeof child_txn) == (ssize_t)sizeof child_txn);
            close(txn_pipe[0]);
            close(txn_pipe[1]);
            CHECK(child_txn > 0);
            dir_state before, after;
            snapshot(dir, &before);
            /* no coordinator to ask: a transaction left undecided cannot be opened, and
            ** nothing changes */
            slsm_options o = opts(SLSM_DURABILITY_FULL);
            slsm_db *db;
            int undecided = step == AFTER_PREPARE || step == AFTER_REPREPARE;
            int rc = slsm_open(path, &o, &db);
            if (undecided) {
                CHECK_EQ_INT(rc, LSM_CANTOPEN);
                CHECK(strstr(slsm_errmsg(db), "coordinator 5eedc0ffee123457") != NULL);
                slsm_close(db);
            } else {
                CHECK_EQ_INT(rc, LSM_OK);
                slsm_close(db);
            }
            snapshot(dir, &after);
            CHECK(same_files(&before, &after));
            /* the coordinator committed it (told) or not */
            coordinator c = {COORD, told ? child_txn : child_txn - 1, 0};
            o.resolve = resolve;
            o.resolve_arg = &c;
            CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
            int want = step == AFTER_COMMIT || (undecided && told);
            CHECK_EQ_INT(c.asked, undecided); /* asked only when the log does not say */
            CHECK_EQ_INT(has(db, "base", "1"), 1);
            CHECK_EQ_INT(has(db, "a", "A"), want);
            CHECK_EQ_INT(has(db, "b", "B"), want);
            CHECK_EQ_INT(has(db, "c", "C"), want && step == AFTER_REPREPARE);
            snapshot(dir, &after);
            CHECK(same_files(&before, &after));
            CHECK_EQ_INT(slsm_close(db), LSM_OK);
            /* the first write records the outcome: from then on the log says it alone (a
            ** child writes and stops without closing, which would empty the logs) */
            child_coord = c;
            run_child(write_later_child, path);
            o.resolve = NULL;
            CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
            CHECK_EQ_INT(has(db, "a", "A"), want);
            CHECK_EQ_INT(has(db, "later", "L"), 1);
            CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
            CHECK_EQ_INT(slsm_close(db), LSM_OK);
            if (step == AFTER_COMMIT || step == AFTER_ROLLBACK)
                break; /* decided by the log: the coordinator's answer does not matter */
        }
    printf("prepared transactions: a crash after each of");
    for (int i = 0; i < NSTEPS; i++)
        printf(" %s", step_names[i]);
    printf("\n");
}

/* A transaction without a coordinator commits with its decide record alone. */
static void coordinator_zero_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_FULL);
    slsm_db *db;
    uint64_t txn;
    if (slsm_open(path, &o, &db) || slsm_begin(db, 1) || put_str(db, "x", "1") ||
        slsm_prepare(db, 0, &txn) || slsm_commit(db, 0))
        _exit(3);
    if (slsm_begin(db, 1) || put_str(db, "y", "2") || slsm_prepare(db, 0, &txn))
        _exit(4);
}

static void test_coordinator_zero(void) {
    char path[700];
    case_dir("coord0", path, sizeof path);
    run_child(coordinator_zero_child, path);
    slsm_options o = opts(SLSM_DURABILITY_FULL);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(has(db, "x", "1"), 1);
    CHECK_EQ_INT(has(db, "y", "2"), 0);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

/* In one process: isolation of a prepared transaction, withdrawal by a write or a rollback to
** a savepoint, an empty transaction, misuse, and flushes while prepared. */
static void test_prepare_in_process(void) {
    char path[700];
    case_dir("inproc", path, sizeof path);
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    slsm_db *db, *other;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(slsm_open(path, &o, &other), LSM_OK);
    uint64_t txn, again;
    CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_MISUSE);
    CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
    CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_OK);
    CHECK_EQ_INT(txn, 0); /* nothing to commit */
    CHECK_EQ_INT(put_str(db, "k1", "v1"), LSM_OK);
    CHECK_EQ_INT(slsm_begin(db, 2), LSM_OK);
    CHECK_EQ_INT(put_str(db, "k2", "v2"), LSM_OK);
    CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_OK);
    CHECK(txn > 0);
    CHECK_EQ_INT(slsm_prepare(db, COORD, &again), LSM_OK);
    CHECK_EQ_INT(again, txn);
    /* prepared is not committed: others neither see it nor write */
    CHECK_EQ_INT(has(other, "k1", "v1"), 0);
    CHECK_EQ_INT(put_str(other, "z", "z"), LSM_BUSY);
    /* a flush while prepared keeps the log holding the prepare record */
    CHECK_EQ_INT(slsm_flush(other), LSM_OK);
    /* rolling back to the savepoint withdraws the prepare; the transaction goes on */
    CHECK_EQ_INT(slsm_rollback(db, 2), LSM_OK);
    CHECK_EQ_INT(has(db, "k2", "v2"), 0);
    CHECK_EQ_INT(has(db, "k1", "v1"), 1);
    CHECK_EQ_INT(slsm_prepare(db, COORD, &again), LSM_OK);
    CHECK_EQ_INT(again, txn); /* nothing committed in between: the same sequence number */
    CHECK_EQ_INT(slsm_commit(db, 0), LSM_OK);
    CHECK_EQ_INT(has(other, "k1", "v1"), 1);
    CHECK_EQ_INT(has(other, "k2", "v2"), 0);
    /* a handle closed while prepared withdraws it */
    CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
    CHECK_EQ_INT(put_str(db, "k3", "v3"), LSM_OK);
    CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT(has(other, "k3", "v3"), 0);
    CHECK_EQ_INT(put_str(other, "z", "z"), LSM_OK);
    CHECK_EQ_INT(slsm_close(other), LSM_OK);
    coordinator c = {COORD, UINT64_MAX, 0};
    o.resolve = resolve;
    o.resolve_arg = &c;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(c.asked, 0);
    CHECK_EQ_INT(has(db, "k1", "v1"), 1);
    CHECK_EQ_INT(has(db, "k3", "v3"), 0);
    CHECK_EQ_INT(has(db, "z", "z"), 1);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

/* I/O faults in the protocol's steps: a failed prepare leaves the transaction open; a failed
** decide record leaves the engine refusing writes, and the coordinator settles the outcome. */
static void test_prepare_faults(void) {
    for (int outcome = 0; outcome < 2; outcome++) {
        char path[700], name[64];
        snprintf(name, sizeof name, "faults-%d", outcome);
        case_dir(name, path, sizeof path);
        slsm_options o = opts(SLSM_DURABILITY_FULL);
        slsm_db *db;
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        CHECK_EQ_INT(put_str(db, "base", "1"), LSM_OK);
        CHECK_EQ_INT(slsm_begin(db, 1), LSM_OK);
        CHECK_EQ_INT(put_str(db, "a", "A"), LSM_OK);
        uint64_t txn;
        lsm_fault_set(LSM_FAULT_WRITE, 0, ENOSPC, LSM_FAULT_ONCE | LSM_FAULT_SHORT);
        CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_FULL);
        CHECK(strstr(slsm_errmsg(db), "No space left") != NULL);
        lsm_fault_set(LSM_FAULT_SYNC, 0, EIO, LSM_FAULT_ONCE);
        CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_IOERR);
        CHECK_EQ_INT(slsm_txn_level(db), 1);
        CHECK_EQ_INT(slsm_prepare(db, COORD, &txn), LSM_OK);
        lsm_fault_set(LSM_FAULT_WRITE, 0, EIO, LSM_FAULT_ONCE);
        if (outcome) {
            /* the coordinator committed: applied all the same */
            CHECK_EQ_INT(slsm_commit(db, 0), LSM_IOERR);
            CHECK_EQ_INT(has(db, "a", "A"), 1);
        } else {
            CHECK_EQ_INT(slsm_rollback(db, 0), LSM_IOERR);
            CHECK_EQ_INT(has(db, "a", "A"), 0);
        }
        lsm_fault_set(0, 0, 0, 0);
        CHECK_EQ_INT(put_str(db, "more", "M"), LSM_IOERR); /* reopen first */
        CHECK(strstr(slsm_errmsg(db), "reopened") != NULL);
        slsm_close(db);
        coordinator c = {COORD, outcome ? txn : txn - 1, 0};
        o.resolve = resolve;
        o.resolve_arg = &c;
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        CHECK_EQ_INT(c.asked, 1);
        CHECK_EQ_INT(has(db, "a", "A"), outcome);
        CHECK_EQ_INT(has(db, "base", "1"), 1);
        CHECK_EQ_INT(put_str(db, "more", "M"), LSM_OK);
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
    }
}

/* ---- damage, salvage, missing files ---------------------------------------------------------- */

static void three_commits_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_FULL);
    slsm_db *db;
    if (slsm_open(path, &o, &db) || put_str(db, "k1", "one") || put_str(db, "k2", "two") ||
        put_str(db, "k3", "six"))
        _exit(3);
}

static void flip_bit(const char *path, off_t at) {
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    unsigned char c;
    CHECK(pread(fd, &c, 1, at) == 1);
    c ^= 0x10;
    CHECK(pwrite(fd, &c, 1, at) == 1);
    close(fd);
}

static void test_damaged_log(void) {
    for (int which = 0; which < 2; which++) {
        char path[700], log[720], name[64];
        snprintf(name, sizeof name, "damaged-%d", which);
        const char *dir = case_dir(name, path, sizeof path);
        run_child(three_commits_child, path);
        snprintf(log, sizeof log, "%s-log", path);
        uint64_t size;
        CHECK_EQ_INT(lsm_file_size(log, &size), LSM_OK);
        uint64_t rec = size / 3; /* three records of one size */
        CHECK_EQ_INT(size % 3, 0);
        /* byte 12 (the repro): the first record's payload; or the second's */
        flip_bit(log, (off_t)(which ? rec + 12 : 12));
        dir_state before, after;
        snapshot(dir, &before);
        slsm_options o = opts(SLSM_DURABILITY_FULL);
        slsm_db *db;
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_CORRUPT);
        CHECK(strstr(slsm_errmsg(db), "kv-log: damaged record at offset") != NULL);
        CHECK(strstr(slsm_errmsg(db), which ? "followed by 1 intact" : "followed by 2 intact") !=
              NULL);
        slsm_close(db);
        o.read_only = 1;
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_CORRUPT);
        slsm_close(db);
        o.read_only = 0;
        snapshot(dir, &after);
        CHECK(same_files(&before, &after)); /* the evidence stays */
        slsm_salvage_report rep;
        CHECK_EQ_INT(slsm_salvage(path, &o, &rep), LSM_OK);
        CHECK_EQ_INT(rep.dropped_records, 2 - which);
        CHECK_EQ_INT(rep.dropped_bytes, size - (which ? rec : 0));
        CHECK_EQ_INT(rep.last_seq, (uint64_t)which);
        CHECK(strstr(rep.damage, "kv-log: damaged record at offset") != NULL);
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        CHECK_EQ_INT(has(db, "k1", "one"), which);
        CHECK_EQ_INT(has(db, "k2", "two"), 0);
        CHECK_EQ_INT(has(db, "k3", "six"), 0);
        CHECK_EQ_INT(put_str(db, "k4", "four"), LSM_OK);
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
        /* salvaging a sound database drops nothing */
        CHECK_EQ_INT(slsm_salvage(path, &o, &rep), LSM_OK);
        CHECK_EQ_INT(rep.dropped_records, 0);
        CHECK_EQ_INT(rep.dropped_bytes, 0);
        CHECK_EQ_INT(rep.damage[0], 0);
        /* an open database is not salvaged */
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        CHECK_EQ_INT(slsm_salvage(path, &o, &rep), LSM_BUSY);
        CHECK_EQ_INT(has(db, "k4", "four"), 1);
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
    }
}

static void test_missing_manifest(void) {
    char path[700];
    const char *dir = case_dir("no-manifest", path, sizeof path);
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    char k[32], v[64];
    memset(v, 'v', sizeof v);
    for (int i = 0; i < 10000; i++)
        CHECK_EQ_INT(slsm_put(db, k, (size_t)snprintf(k, sizeof k, "key%06d", i), v, sizeof v),
                     LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK(unlink(path) == 0);
    dir_state before, after;
    snapshot(dir, &before);
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_CORRUPT);
    CHECK(strstr(slsm_errmsg(db), "the manifest is missing but kv-0") != NULL);
    slsm_close(db);
    o.read_only = 1;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_CORRUPT);
    slsm_close(db);
    CHECK_EQ_INT(slsm_destroy(path), LSM_OK); /* no manifest: nothing is known to be its */
    snapshot(dir, &after);
    CHECK(same_files(&before, &after));

    /* no database at all: must_exist and read-only opens create nothing */
    char empty[700];
    const char *edir = case_dir("nothing", empty, sizeof empty);
    slsm_options m = opts(SLSM_DURABILITY_NORMAL);
    m.must_exist = 1;
    CHECK_EQ_INT(slsm_open(empty, &m, &db), LSM_CANTOPEN);
    CHECK(strstr(slsm_errmsg(db), "nothing/kv: no such lsm database") != NULL);
    slsm_close(db);
    m.must_exist = 0;
    m.read_only = 1;
    CHECK_EQ_INT(slsm_open(empty, &m, &db), LSM_CANTOPEN);
    slsm_close(db);
    slsm_salvage_report rep;
    CHECK_EQ_INT(slsm_salvage(empty, NULL, &rep), LSM_CANTOPEN);
    snapshot(edir, &after);
    CHECK_EQ_INT(after.n, 0);
}

/* A child that leaves a crashed database: tables, commits in both logs (a flush failed and the
** next memtable is not full yet), then (appended by the test) a torn record at the end of each
** log. Reports how many keys it wrote. */
static int keys_pipe[2];

static void crashed_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    if (slsm_open(path, &o, &db))
        _exit(3);
    char k[32], v[200];
    memset(v, 'x', sizeof v);
    int i = 0, after = -1;
    while (after < 30) {
        slsm_stats st;
        slsm_stats_get(db, &st);
        if (after < 0 && st.flushes >= 2 && st.memtable_bytes >= o.memtable_bytes) {
            lsm_fault_set(LSM_FAULT_RENAME, 0, EIO, LSM_FAULT_ONCE);
            after = 0;
        }
        int rc = slsm_put(db, k, (size_t)snprintf(k, sizeof k, "key%05d", i), v, sizeof v);
        if (rc == LSM_OK)
            i++;
        else if (rc != LSM_IOERR || lsm_fault_count() != 1)
            _exit(4);
        if (after >= 0 && rc == LSM_OK)
            after++;
    }
    lsm_fault_set(0, 0, 0, 0);
    if (write(keys_pipe[1], &i, sizeof i) != (ssize_t)sizeof i)
        _exit(5);
}

static int nkeys;

static void append_junk(const char *path, const char *suffix) {
    char log[720];
    snprintf(log, sizeof log, "%s%s", path, suffix);
    FILE *f = fopen(log, "ab");
    CHECK(f != NULL);
    for (int i = 0; f && i < 100; i++)
        fputc(0x5a ^ i, f);
    if (f)
        fclose(f);
}

static int all_keys(slsm_db *db) {
    char k[32];
    int ok = nkeys > 0;
    for (int i = 0; i < nkeys && ok; i++) {
        snprintf(k, sizeof k, "key%05d", i);
        const void *got;
        size_t n;
        ok = slsm_get(db, k, strlen(k), &got, &n) == LSM_OK && n == 200;
    }
    return ok;
}

static void test_read_only_crashed(void) {
    char path[700];
    const char *dir = case_dir("crashed", path, sizeof path);
    CHECK(pipe(keys_pipe) == 0);
    run_child(crashed_child, path);
    CHECK(read(keys_pipe[0], &nkeys, sizeof nkeys) == (ssize_t)sizeof nkeys);
    close(keys_pipe[0]);
    close(keys_pipe[1]);
    append_junk(path, "-log");
    append_junk(path, "-log2");
    /* strays that look like the database's, and a real leftover: a table number it reserved */
    char stray[800];
    snprintf(stray, sizeof stray, "%s-000099.sst", path);
    FILE *f = fopen(stray, "wb");
    CHECK(f && fputs("not a table", f) >= 0);
    if (f)
        fclose(f);
    snprintf(stray, sizeof stray, "%s-tmp", path);
    f = fopen(stray, "wb");
    CHECK(f && fputs("not a manifest", f) >= 0);
    if (f)
        fclose(f);
    dir_state before, after;
    snapshot(dir, &before);
    CHECK(find_file(&before, "kv-log") && find_file(&before, "kv-log2"));

    uint64_t log_sizes[2];
    char log[720];
    snprintf(log, sizeof log, "%s-log", path);
    CHECK_EQ_INT(lsm_file_size(log, &log_sizes[0]), LSM_OK);
    snprintf(log, sizeof log, "%s-log2", path);
    CHECK_EQ_INT(lsm_file_size(log, &log_sizes[1]), LSM_OK);
    CHECK(log_sizes[0] > 100 && log_sizes[1] > 100); /* both logs hold commits */
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    o.read_only = 1;
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK(all_keys(db));
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(put_str(db, "w", "w"), LSM_READONLY);
    CHECK_EQ_INT(slsm_begin(db, 1), LSM_READONLY);
    CHECK_EQ_INT(slsm_flush(db), LSM_READONLY);
    CHECK_EQ_INT(slsm_compact(db), LSM_READONLY);
    CHECK_EQ_INT(slsm_checkpoint(db), LSM_READONLY);
    /* a second read-only handle shares the engine */
    slsm_db *db2;
    CHECK_EQ_INT(slsm_open(path, &o, &db2), LSM_OK);
    CHECK(all_keys(db2));
    CHECK_EQ_INT(slsm_close(db2), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    snapshot(dir, &after);
    CHECK(same_files(&before, &after));

    /* a read-write open that only reads changes nothing either */
    o.read_only = 0;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK(all_keys(db));
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    snapshot(dir, &after);
    CHECK(same_files(&before, &after));

    /* read-only first, then read-write in the same process: the engine is upgraded */
    o.read_only = 1;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    o.read_only = 0;
    CHECK_EQ_INT(slsm_open(path, &o, &db2), LSM_OK);
    CHECK_EQ_INT(put_str(db, "w", "w"), LSM_READONLY); /* the handle stays read-only */
    CHECK_EQ_INT(put_str(db2, "w", "w"), LSM_OK);
    CHECK_EQ_INT(has(db, "w", "w"), 1);
    CHECK(all_keys(db));
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db2), LSM_OK);
    /* the first write tidied up: logs cut, both memtables in tables; the stray table stays
    ** (kv-tmp is the name the engine writes a new manifest under: that one is its own) */
    snapshot(dir, &after);
    CHECK(find_file(&after, "kv-000099.sst") != NULL);
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK(all_keys(db));
    CHECK_EQ_INT(has(db, "w", "w"), 1);
    CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
    /* destroy removes what the manifest accounts for, and only that */
    CHECK_EQ_INT(slsm_destroy(path), LSM_OK);
    snapshot(dir, &after);
    CHECK_EQ_INT(after.n, 1);
    CHECK(find_file(&after, "kv-000099.sst") != NULL);
}

/* A table the engine wrote but a crash kept out of the manifest is removed by the next write,
** not by the open. */
static void orphan_child(const char *path) {
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    if (slsm_open(path, &o, &db) || put_str(db, "a", "1") || slsm_flush(db))
        _exit(3);
    if (put_str(db, "b", "2"))
        _exit(4);
    /* the flush writes its table, then the manifest rename fails: the table is removed again;
    ** copy the table as the crash before its removal would have left it */
    lsm_fault_set(LSM_FAULT_RENAME, 0, EIO, LSM_FAULT_ONCE);
    if (slsm_flush(db) != LSM_IOERR)
        _exit(5);
}

static void test_orphans(void) {
    char path[700];
    const char *dir = case_dir("orphans", path, sizeof path);
    run_child(orphan_child, path);
    /* a table numbered in the manifest's reservation, not listed: a crash's leftover */
    char orphan[800], live[800];
    snprintf(live, sizeof live, "%s-000001.sst", path);
    snprintf(orphan, sizeof orphan, "%s-000002.sst", path);
    uint8_t *data;
    size_t n;
    CHECK_EQ_INT(lsm_file_read_all(live, 1 << 20, &data, &n), LSM_OK);
    FILE *f = fopen(orphan, "wb");
    CHECK(f && fwrite(data, 1, n, f) == n);
    if (f)
        fclose(f);
    free(data);
    dir_state before, after;
    snapshot(dir, &before);
    slsm_options o = opts(SLSM_DURABILITY_NORMAL);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(has(db, "a", "1"), 1);
    CHECK_EQ_INT(has(db, "b", "2"), 1);
    snapshot(dir, &after);
    CHECK(same_files(&before, &after));
    CHECK_EQ_INT(put_str(db, "c", "3"), LSM_OK);
    snapshot(dir, &after);
    CHECK(find_file(&after, "kv-000002.sst") == NULL);
    CHECK(find_file(&after, "kv-000001.sst") != NULL);
    CHECK_EQ_INT(slsm_close(db), LSM_OK);
}

/* ---- the manifest's file count -----------------------------------------------------------------
 */

static void test_manifest_count(void) {
    char path[700];
    case_dir("count", path, sizeof path);
    slsm_db *db;
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_OK);
    CHECK_EQ_INT(put_str(db, "a", "1"), LSM_OK);
    CHECK_EQ_INT(slsm_close(db), LSM_OK); /* one table */
    uint8_t *data;
    size_t n;
    CHECK_EQ_INT(lsm_file_read_all(path, 1 << 20, &data, &n), LSM_OK);
    lsm_put_fixed32(data + 28, 0xBFBFBFBFu); /* the count, with a valid checksum */
    lsm_put_fixed32(data + n - 4, lsm_crc_mask(lsm_crc32c(data, n - 4)));
    int fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, data, n) == (ssize_t)n);
    close(fd);
    free(data);
    CHECK_EQ_INT(slsm_open(path, NULL, &db), LSM_CORRUPT);
    CHECK(strstr(slsm_errmsg(db), "file count larger than the manifest can hold") != NULL);
    slsm_close(db);
    CHECK_EQ_INT(slsm_destroy(path), LSM_CORRUPT); /* unreadable: nothing removed */
}

int main(void) {
    rng_seed("unit_lsm_recovery");
    snprintf(base_dir, sizeof base_dir, "%s", test_dir_make());
    RUN(test_prepare_in_process);
    RUN(test_prepared_crash);
    RUN(test_coordinator_zero);
    RUN(test_prepare_faults);
    RUN(test_damaged_log);
    RUN(test_missing_manifest);
    RUN(test_read_only_crashed);
    RUN(test_orphans);
    RUN(test_manifest_count);
    return unit_report("unit_lsm_recovery");
}
