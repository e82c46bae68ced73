/*
** I/O fault injection test of the engine.
**
** One workload, generated from the seed: auto-committed puts and deletes, nested transactions
** with savepoints rolled back or released, gets, cursor scans, a cursor held open across steps,
** flush, compact, checkpoint, close and reopen, ending with a close. A 64 KiB memtable makes
** flushes and compactions frequent. It runs with and without the background thread, at
** durability normal and full.
**
** A first run counts the file operations of each kind (lsm_fault_calls). Then, per kind (write,
** sync, read, open, rename, truncate, and "any" for all of them at once), runs fail its k-th
** operation, for every k or an evenly spread sample of them, in four variants: once or for
** good, each with ENOSPC after a short write or with EIO. While the fault is armed, every call
** must return LSM_OK or the injected error (LSM_FULL for ENOSPC, LSM_IOERR for EIO) with a
** message that names the file and the errno text, and a get or a cursor must give the model's
** value or an error. Once a once-only fault has fired and the database has been reopened,
** nothing may fail any more. Without the background thread, the database files are also copied
** as a crash would leave them (after a failed step, and before closes once a fault has fired).
**
** With faults off, the database (and every such copy) must open holding every commit that
** returned LSM_OK; a commit that returned an error must be absent, or whole when the engine
** could not take it back out of its log (docs/lsm.md, "Engine design"); slsm_integrity_check
** must pass, and new writes must work and survive another reopen.
**
** On their own: faults while a database left as a crash leaves it is opened (both logs holding
** commits, one ending in a torn record) and written once (the write that takes the files over),
** table maps failing under reads, and the checkpoint after a failed one.
**
** The seed is printed; LSM_FAULT_SEED replays a run. LSM_FAULT_RUNS sets the runs per kind of
** operation and configuration (default 48), LSM_FAULT_GROUPS the length of the workload
** (default 400). A failure names its case: LSM_FAULT_CASE=bg,durability,kind,k,variant[,crash]
** runs that case alone with a trace. With the background thread its operations interleave with
** the writer's by timing, so the k-th operation is not always the same one from run to run.
** LSM_FAULT_SILENT lists the runs where a fault fired and no call failed. The files go to
** /dev/shm when there is one (fsyncs there cost nothing), else /tmp; LSM_FAULT_DIR overrides.
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
#include <stdarg.h>
#include <sys/stat.h>

#define NKEYS 200
#define MAX_VALUE 3000
#define MAX_LEVEL 3
#define NVARIANTS 4

static int trace;
static uint64_t seed;

/* ---- the model --------------------------------------------------------------------------- */

typedef struct {
    mval v[NKEYS];
} mstate;

static int key_text(char *buf, int i) {
    return snprintf(buf, 16, "key%05d", i);
}

/* Does a get's outcome (rc, value) agree with m? */
static int get_matches(int rc, const void *v, size_t n, mval m) {
    if (rc == LSM_NOTFOUND)
        return m.len < 0;
    return rc == LSM_OK && mval_matches(v, n, m);
}

/* ---- the workload ------------------------------------------------------------------------ */

enum {
    W_PUT,
    W_DEL,
    W_BEGIN,
    W_COMMIT,
    W_ROLLBACK,
    W_GET,
    W_SCAN,
    W_FLUSH,
    W_COMPACT,
    W_CHECKPOINT,
    W_REOPEN,
    W_CLOSE,
    W_HOLD
};

static const char *const step_names[] = {"put",    "delete", "begin",      "commit",  "rollback",
                                         "get",    "scan",   "flush",      "compact", "checkpoint",
                                         "reopen", "close",  "hold cursor"};

typedef struct {
    int op, level; /* level: of begin/commit/rollback; for a scan 1 = backwards */
    int key, key2; /* a scan's bounds (-1 = none) */
    mval v;
} wstep;

static wstep *steps;
static int nsteps, capsteps;

static wstep *add_step(int op) {
    if (nsteps == capsteps) {
        capsteps = capsteps ? capsteps * 2 : 1024;
        steps = realloc(steps, (size_t)capsteps * sizeof *steps);
        if (steps == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    wstep *w = &steps[nsteps++];
    memset(w, 0, sizeof *w);
    w->op = op;
    w->key = w->key2 = -1;
    return w;
}

static mval random_value(void) {
    unsigned r = rng_below(100);
    int len = r < 5    ? 0
              : r < 70 ? 10 + (int)rng_below(200)
              : r < 95 ? 200 + (int)rng_below(800)
                       : 1000 + (int)rng_below(MAX_VALUE - 1000);
    return (mval){len, (unsigned)rng_next()};
}

static void add_write(void) {
    wstep *w = add_step(rng_below(100) < 78 ? W_PUT : W_DEL);
    w->key = (int)rng_below(NKEYS);
    if (w->op == W_PUT)
        w->v = random_value();
}

static void add_get(void) {
    add_step(W_GET)->key = (int)rng_below(NKEYS);
}

static void add_scan(void) {
    wstep *w = add_step(W_SCAN);
    w->level = (int)rng_below(2);
    if (rng_below(2)) {
        w->key = (int)rng_below(NKEYS);
        w->key2 = w->key + (int)rng_below(NKEYS / 4);
        if (w->key2 >= NKEYS)
            w->key2 = -1;
    }
}

/* A transaction: writes and reads, savepoints opened and rolled back or released, ended by a
** commit or (sometimes) a rollback. */
static void add_transaction(void) {
    int level = 1;
    add_step(W_BEGIN)->level = 1;
    int n = 2 + (int)rng_below(8);
    for (int i = 0; i < n; i++) {
        unsigned r = rng_below(100);
        if (r < 65) {
            add_write();
        } else if (r < 75) {
            add_get();
        } else if (r < 80) {
            add_scan();
        } else if (r < 90 && level < MAX_LEVEL) {
            level += 1 + (int)rng_below((unsigned)(MAX_LEVEL - level));
            add_step(W_BEGIN)->level = level;
        } else if (level > 1) {
            /* undo a savepoint's work (it stays open), or release savepoints */
            if (rng_below(2)) {
                add_step(W_ROLLBACK)->level = level;
            } else {
                level = 1 + (int)rng_below((unsigned)(level - 1));
                add_step(W_COMMIT)->level = level;
            }
        }
    }
    add_step(rng_below(100) < 85 ? W_COMMIT : W_ROLLBACK)->level = 0;
}

static void gen_workload(int groups) {
    nsteps = 0;
    for (int g = 0; g < groups; g++) {
        unsigned r = rng_below(100);
        if (r < 60)
            add_write();
        else if (r < 78)
            add_transaction();
        else if (r < 82)
            add_get();
        else if (r < 85)
            add_scan();
        else if (r < 88)
            add_step(W_HOLD)->key = (int)rng_below(NKEYS);
        else if (r < 91)
            add_step(W_FLUSH);
        else if (r < 93)
            add_step(W_COMPACT);
        else if (r < 97)
            add_step(W_CHECKPOINT);
        else
            add_step(W_REOPEN);
    }
    add_step(W_CLOSE);
}

/* ---- one run ----------------------------------------------------------------------------- */

/* The kinds of lsm_fault_set, one bit each, then all of them at once ("any"): the k-th operation
** of whatever kind fails (for good: every later one too, so a failed write meets a failing
** truncate that was to take it back). */
static const char *const kind_names[] = {"write",  "sync",     "read", "open",
                                         "rename", "truncate", "any"};
#define NKINDS 7

static int kind_mask(int i) {
    return i == NKINDS - 1 ? LSM_FAULT_ALL : 1 << i;
}

enum { ON_WORKLOAD, ON_CRASH_IMAGE, ON_READS };

typedef struct fault_case {
    int background, durability;
    int kind; /* LSM_FAULT_* to fail; 0 = none */
    long after;
    int variant; /* 0/1 once, 2/3 for good; even ENOSPC after a short write, odd EIO */
    int target;  /* ON_*: the workload, the open of the crash image, or reads of tables */
} fault_case;

static int variant_flags(int variant) {
    return (variant < 2 ? LSM_FAULT_ONCE : 0) | (variant % 2 == 0 ? LSM_FAULT_SHORT : 0);
}

static int variant_errno(int variant) {
    return variant % 2 == 0 ? ENOSPC : EIO;
}

static const char *variant_name(int variant) {
    static const char *const names[] = {"once-ENOSPC-short", "once-EIO", "always-ENOSPC-short",
                                        "always-EIO"};
    return names[variant];
}

static int kind_index(int kind) {
    int i = 0;
    while (i < NKINDS - 1 && kind != kind_mask(i))
        i++;
    return i;
}

static const char *kind_name(int kind) {
    return kind ? kind_names[kind_index(kind)] : "none";
}

static slsm_options run_options(int background, int durability) {
    slsm_options o = lsm_test_options(durability, 64 << 10, 64 << 10, 64 << 10, 512, 2);
    o.background = background;
    o.compact_steps = 2;
    return o;
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    CHECK(in != NULL && out != NULL);
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        CHECK(fwrite(buf, 1, n, out) == n);
    if (in)
        fclose(in);
    if (out)
        CHECK(fclose(out) == 0);
}

/* Copies the manifest, logs and tables of database `from` to database `to` (both in test_dir). */
static void copy_db(const char *from, const char *to) {
    const char *name = strrchr(from, '/') + 1;
    size_t nb = strlen(name);
    DIR *d = opendir(test_dir);
    CHECK(d != NULL);
    struct dirent *ent;
    while (d && (ent = readdir(d)) != NULL) {
        const char *suffix = ent->d_name + nb;
        if (strncmp(ent->d_name, name, nb) != 0 || (*suffix != 0 && *suffix != '-') ||
            strcmp(suffix, "-lock") == 0 || strcmp(suffix, "-tmp") == 0)
            continue;
        char src[1200], dst[1200];
        snprintf(src, sizeof src, "%s/%s", test_dir, ent->d_name);
        snprintf(dst, sizeof dst, "%s%s", to, suffix);
        copy_file(src, dst);
    }
    if (d)
        closedir(d);
}

/* The files of the database copied while it is open, as a crash would leave them, and what
** they must hold: the committed state, or one of the failed commits since whole. */
typedef struct crash_image {
    char path[620];
    int step;
    mstate committed;
    mstate *cands;
    int ncands;
} crash_image;

#define MAX_IMAGES 4

typedef struct run_state {
    const fault_case *fc;
    slsm_options opt;
    char path[600];
    slsm_db *db; /* NULL while closed */
    int level;   /* transaction level; -1 while skipping a transaction that could not begin */
    int strict;  /* faults are off: every call must succeed */
    int spent;   /* a once-only fault fired and the database reopened since: nothing may fail */
    int step;    /* index of the step being run, for messages */
    long errors; /* calls that returned the injected error */
    long found;  /* failed commits found whole at a reopen */
    mstate committed, cur, saved[MAX_LEVEL + 1];
    mstate *cands; /* commits that failed since the last successful one: any may be found whole */
    int ncands, capcands;
    slsm_cursor *held; /* a cursor kept open across steps (W_HOLD), its snapshot and next key */
    mstate held_snap;
    int held_next;
    crash_image images[MAX_IMAGES];
    int nimages, nfailure_images;
    const char *phase; /* what is being checked, when not the workload */
} run_state;

static char case_text[300]; /* what is running, for failure messages and the watchdog */

static void describe_case(const fault_case *fc) {
    static const char *const targets[] = {"", "open after a crash: ", "reads of tables: "};
    int n =
        snprintf(case_text, sizeof case_text,
                 "%sbackground=%d durability=%s fault=%s k=%ld %s (replay: LSM_FAULT_SEED=%llu",
                 targets[fc->target], fc->background,
                 fc->durability == SLSM_DURABILITY_FULL ? "full" : "normal", kind_name(fc->kind),
                 fc->after, variant_name(fc->variant), (unsigned long long)seed);
    if (n > 0 && (size_t)n < sizeof case_text && fc->target != ON_READS)
        snprintf(case_text + n, sizeof case_text - (size_t)n, " LSM_FAULT_CASE=%d,%d,%s,%ld,%d%s)",
                 fc->background, fc->durability, kind_name(fc->kind), fc->after, fc->variant,
                 fc->target == ON_CRASH_IMAGE ? ",crash" : "");
    else if (n > 0 && (size_t)n < sizeof case_text)
        snprintf(case_text + n, sizeof case_text - (size_t)n, ")");
}

/* A run of fc on database `name` of the scratch directory: empty, nothing open. */
static run_state *run_new(const fault_case *fc, const char *name) {
    run_state *r = calloc(1, sizeof *r);
    if (r == NULL) {
        perror("calloc");
        exit(2);
    }
    describe_case(fc);
    r->fc = fc;
    r->opt = run_options(fc->background, fc->durability);
    snprintf(r->path, sizeof r->path, "%s", test_path(name));
    for (int i = 0; i < NKEYS; i++)
        r->committed.v[i].len = -1;
    r->cur = r->committed;
    r->step = -1;
    return r;
}

static void run_free(run_state *r) {
    free(r->cands);
    free(r);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "unit_lsm_fault: timed out (a hang?) in ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, case_text, strlen(case_text)) < 0 ||
        write(2, "\n", 1) < 0)
        _exit(3);
    _exit(3);
}

/* A failed check: says where in which case. */
static void report(run_state *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(run_state *r, const char *fmt, ...) {
    char msg[1000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unit_checks++;
    unit_failures++;
    fprintf(stderr, "FAIL %s\n  %s%sat step %d (%s)%s: %s\n", case_text, r->phase ? r->phase : "",
            r->phase ? " taken " : "", r->step,
            r->step < 0        ? "first open"
            : r->step < nsteps ? step_names[steps[r->step].op]
                               : "final checks",
            r->strict ? ", faults off" : "", msg);
}

static void clear_message(void) {
    lsm_file_set_errmsg("%s", "");
}

/* The status of a call: 0 for LSM_OK, 1 for an error, which must be the injected one with its
** message (msg; NULL when the handle is gone: the file layer's message of this thread). */
static int failed(run_state *r, int rc, const char *call, const char *msg) {
    if (rc == LSM_OK)
        return 0;
    r->errors++;
    const fault_case *fc = r->fc;
    if (msg == NULL)
        msg = lsm_file_errmsg();
    int err = variant_errno(fc->variant), want = err == ENOSPC ? LSM_FULL : LSM_IOERR;
    if (trace)
        printf("    step %d: %s: rc %d: %s\n", r->step, call, rc, msg);
    if (r->strict)
        report(r, "%s: rc %d with faults off: %s", call, rc, msg);
    else if (lsm_fault_count() == 0)
        report(r, "%s: rc %d before any fault was injected: %s", call, rc, msg);
    else if (r->spent)
        report(r, "%s: rc %d after the once-only fault was spent and the database reopened: %s",
               call, rc, msg);
    else if (rc != want)
        report(r, "%s: rc %d, expected %d for %s: %s", call, rc, want, strerror(err), msg);
    else if (strstr(msg, test_dir) == NULL || strstr(msg, strerror(err)) == NULL)
        report(r, "%s: message does not name the file and the error: \"%s\"", call, msg);
    return 1;
}

/* A call that takes only the handle (flush, compact, checkpoint, integrity check). */
static void run_call(run_state *r, int (*fn)(slsm_db *), const char *call) {
    clear_message();
    int rc = fn(r->db);
    failed(r, rc, call, slsm_errmsg(r->db));
}

static void add_candidate(run_state *r) {
    if (r->ncands == r->capcands) {
        r->capcands = r->capcands ? r->capcands * 2 : 16;
        r->cands = realloc(r->cands, (size_t)r->capcands * sizeof *r->cands);
        if (r->cands == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    r->cands[r->ncands++] = r->cur;
}

/* A commit returned LSM_OK: the failed ones before it must all be absent. */
static void committed(run_state *r) {
    r->committed = r->cur;
    r->ncands = 0;
}

/* The state reads see: the transaction's while one is open. */
static const mstate *visible_state(run_state *r) {
    return r->level > 0 ? &r->cur : &r->committed;
}

/* slsm_get of key i: LSM_OK or LSM_NOTFOUND, or -1 for an error (checked by failed). */
static int get_key(run_state *r, int i, const char *call, const void **v, size_t *n) {
    char k[16];
    int nk = key_text(k, i);
    clear_message();
    int rc = slsm_get(r->db, k, (size_t)nk, v, n);
    if (rc != LSM_OK && rc != LSM_NOTFOUND) {
        failed(r, rc, call, slsm_errmsg(r->db));
        return -1;
    }
    return rc;
}

static void check_get(run_state *r, int i) {
    const void *v;
    size_t n;
    int rc = get_key(r, i, "get", &v, &n);
    if (rc < 0)
        return;
    mval m = visible_state(r)->v[i];
    if (!get_matches(rc, v, n, m))
        report(r, "get key %d: rc %d, %zu bytes; the model has %d bytes (seed %u)", i, rc,
               rc == LSM_OK ? n : 0, m.len, m.seed);
}

/* Checks the position a cursor move (status rc) left c at against s: the next key from *i in
** direction dir within [first, last] that s holds, or the end. Moves *i past it. 1 when the
** cursor is on the right entry, 0 at the end, on an error or on a wrong entry. */
static int cursor_matches(run_state *r, slsm_cursor *c, int rc, const mstate *s, int *i, int first,
                          int last, int dir) {
    if (failed(r, rc, dir > 0 ? "cursor step forwards" : "cursor step backwards",
               slsm_errmsg(r->db)))
        return 0;
    while (*i >= first && *i <= last && s->v[*i].len < 0)
        *i += dir;
    int expect = *i >= first && *i <= last;
    if (slsm_cursor_valid(c) != expect) {
        report(r, "cursor in [%d, %d] %s: %s, the model %s key %d", first, last,
               dir > 0 ? "forwards" : "backwards", slsm_cursor_valid(c) ? "valid" : "at the end",
               expect ? "has" : "ends before", *i);
        return 0;
    }
    if (!expect)
        return 0;
    char k[16];
    size_t nk, nv;
    const void *key = slsm_cursor_key(c, &nk), *val = slsm_cursor_value(c, &nv);
    if (nk != (size_t)key_text(k, *i) || memcmp(key, k, nk) != 0 ||
        !mval_matches(val, nv, s->v[*i])) {
        report(r, "cursor in [%d, %d] %s: expected key %d (%d bytes), got '%.*s' (%zu bytes)",
               first, last, dir > 0 ? "forwards" : "backwards", *i, s->v[*i].len, (int)nk,
               (const char *)key, nv);
        return 0;
    }
    *i += dir;
    return 1;
}

/* A cursor over [lo, hi] (-1 = unbounded) read forwards or backwards, up to 60 entries. */
static void check_scan(run_state *r, const mstate *s, int lo, int hi, int backwards) {
    slsm_cursor *c;
    clear_message();
    int rc = slsm_cursor_open(r->db, &c);
    if (failed(r, rc, "cursor open", slsm_errmsg(r->db)))
        return;
    char klo[16], khi[16];
    int nlo = lo >= 0 ? key_text(klo, lo) : 0, nhi = hi >= 0 ? key_text(khi, hi) : 0;
    if (lo >= 0 || hi >= 0) {
        rc = slsm_cursor_bounds(c, lo >= 0 ? klo : NULL, (size_t)nlo, 0, hi >= 0 ? khi : NULL,
                                (size_t)nhi, 0);
        if (rc != LSM_OK)
            report(r, "cursor bounds: rc %d", rc);
    }
    int first = lo >= 0 ? lo : 0, last = hi >= 0 ? hi : NKEYS - 1, dir = backwards ? -1 : 1;
    int i = backwards ? last : first;
    rc = backwards ? slsm_cursor_last(c) : slsm_cursor_first(c);
    for (int steps_left = 60; steps_left > 0; steps_left--) {
        if (!cursor_matches(r, c, rc, s, &i, first, last, dir))
            break;
        clear_message();
        rc = backwards ? slsm_cursor_prev(c) : slsm_cursor_next(c);
    }
    slsm_cursor_close(c);
}

/* A cursor kept open over later steps, reading the snapshot of its seek: the first call seeks
** it, the next reads on up to 10 entries and closes it. */
static void hold_cursor(run_state *r, int key) {
    int rc, steps_left = 10, seeking = r->held == NULL;
    if (seeking) {
        clear_message();
        rc = slsm_cursor_open(r->db, &r->held);
        if (failed(r, rc, "cursor open", slsm_errmsg(r->db))) {
            r->held = NULL;
            return;
        }
        r->held_snap = *visible_state(r);
        r->held_next = key;
        char k[16];
        int nk = key_text(k, key);
        clear_message();
        rc = slsm_cursor_seek(r->held, k, (size_t)nk, SLSM_SEEK_GE);
        steps_left = 1;
    } else {
        clear_message();
        rc = slsm_cursor_next(r->held);
    }
    for (;;) {
        if (!cursor_matches(r, r->held, rc, &r->held_snap, &r->held_next, 0, NKEYS - 1, 1) ||
            --steps_left == 0)
            break;
        clear_message();
        rc = slsm_cursor_next(r->held);
    }
    if (!seeking || steps_left > 0) {
        slsm_cursor_close(r->held);
        r->held = NULL;
    }
}

/* After an open: every key read back. The database must hold the committed state or, when
** commits failed since the last successful one, possibly one of those whole. When every read
** succeeded, the model becomes the state found. */
static void check_reopened(run_state *r) {
    int nstates = 1 + r->ncands, all_read = 1;
    char *ok = malloc((size_t)nstates);
    if (ok == NULL) {
        perror("malloc");
        exit(2);
    }
    memset(ok, 1, (size_t)nstates);
    int first_bad = -1;
    for (int i = 0; i < NKEYS; i++) {
        const void *v;
        size_t n;
        int rc = get_key(r, i, "get after reopen", &v, &n);
        if (rc < 0) {
            all_read = 0;
            continue;
        }
        if (!get_matches(rc, v, n, r->committed.v[i])) {
            ok[0] = 0;
            if (first_bad < 0)
                first_bad = i;
        }
        for (int s = 1; s < nstates; s++)
            if (ok[s] && !get_matches(rc, v, n, r->cands[s - 1].v[i]))
                ok[s] = 0;
    }
    int match = -1;
    for (int s = 0; s < nstates && match < 0; s++)
        if (ok[s])
            match = s;
    if (match < 0)
        report(r,
               "after reopen the database holds neither the committed state (first difference: "
               "key %d, %d bytes in the model) nor any of %d failed commits whole",
               first_bad, r->committed.v[first_bad].len, r->ncands);
    else if (all_read) {
        if (match > 0) {
            r->found++;
            if (trace)
                printf("    failed commit %d of %d found whole\n", match, r->ncands);
            r->committed = r->cands[match - 1];
        }
        r->ncands = 0;
    }
    r->cur = r->committed;
    free(ok);
}

static int open_db(run_state *r) {
    for (int attempt = 0; attempt < 3; attempt++) {
        slsm_db *db;
        /* counted before: the new engine's background thread may hit the fault at once */
        long fired = lsm_fault_count();
        clear_message();
        int rc = slsm_open(r->path, &r->opt, &db);
        if (rc == LSM_OK) {
            r->db = db;
            if (!r->strict && (variant_flags(r->fc->variant) & LSM_FAULT_ONCE) && fired > 0)
                r->spent = 1;
            check_reopened(r);
            return 1;
        }
        failed(r, rc, "open", slsm_errmsg(db));
        slsm_close(db);
    }
    return 0;
}

static void close_db(run_state *r) {
    if (r->held) {
        slsm_cursor_close(r->held);
        r->held = NULL;
    }
    if (r->level != 0) {
        slsm_rollback(r->db, 0);
        r->level = 0;
        r->cur = r->committed;
    }
    clear_message();
    int rc = slsm_close(r->db);
    r->db = NULL;
    failed(r, rc, "close", NULL);
}

/* A write outside a transaction commits at once. */
static void run_write(run_state *r, const wstep *w) {
    char k[16];
    int nk = key_text(k, w->key);
    static unsigned char buf[MAX_VALUE];
    if (w->op == W_PUT)
        mval_fill(buf, w->v);
    clear_message();
    int rc = w->op == W_PUT ? slsm_put(r->db, k, (size_t)nk, buf, (size_t)w->v.len)
                            : slsm_delete(r->db, k, (size_t)nk);
    mval m = w->op == W_PUT ? w->v : (mval){-1, 0};
    if (r->level > 0) {
        /* buffered in the transaction: no I/O, so no failure */
        if (rc != LSM_OK)
            report(r, "%s in a transaction: rc %d: %s", step_names[w->op], rc, slsm_errmsg(r->db));
        else
            r->cur.v[w->key] = m;
        return;
    }
    r->cur.v[w->key] = m;
    if (failed(r, rc, step_names[w->op], slsm_errmsg(r->db))) {
        add_candidate(r);
        r->cur = r->committed;
    } else {
        committed(r);
    }
}

static void run_commit(run_state *r) {
    clear_message();
    int rc = slsm_commit(r->db, 0);
    if (failed(r, rc, "commit", slsm_errmsg(r->db))) {
        add_candidate(r);
        /* the transaction stays open after a failed commit: retry it every other time */
        if (r->step % 2 == 0) {
            clear_message();
            rc = slsm_commit(r->db, 0);
            if (!failed(r, rc, "commit (retried)", slsm_errmsg(r->db))) {
                committed(r);
                r->level = 0;
                return;
            }
        }
        CHECK_EQ_INT(slsm_txn_level(r->db), r->level);
        slsm_rollback(r->db, 0);
        r->cur = r->committed;
    } else {
        committed(r);
    }
    r->level = 0;
}

static void run_step_inner(run_state *r, const wstep *w);

/* Copies the database files as a crash would leave them, to be opened after the run. Only
** without the background thread: then nothing changes the files while they are copied. 1 when
** an image was taken. */
static int take_image(run_state *r) {
    if (r->fc->background || r->db == NULL || r->nimages == MAX_IMAGES)
        return 0;
    crash_image *img = &r->images[r->nimages];
    snprintf(img->path, sizeof img->path, "%sc%d", r->path, r->nimages);
    img->cands = malloc((size_t)(r->ncands ? r->ncands : 1) * sizeof *img->cands);
    if (img->cands == NULL) {
        perror("malloc");
        exit(2);
    }
    if (r->ncands)
        memcpy(img->cands, r->cands, (size_t)r->ncands * sizeof *img->cands);
    img->ncands = r->ncands;
    img->committed = r->committed;
    img->step = r->step;
    copy_db(r->path, img->path);
    r->nimages++;
    return 1;
}

/* With faults off: each crash image opens with what it must hold and passes the integrity
** check. */
static void check_images(run_state *r) {
    run_state saved = *r;
    for (int i = 0; i < saved.nimages; i++) {
        crash_image *img = &saved.images[i];
        if (trace)
            printf("  crash image taken at step %d: %d failed commits may be found whole\n",
                   img->step, img->ncands);
        r->phase = "crash image";
        r->step = img->step;
        r->committed = r->cur = img->committed;
        r->cands = img->cands;
        r->ncands = r->capcands = img->ncands;
        snprintf(r->path, sizeof r->path, "%s", img->path);
        r->db = NULL;
        r->level = 0;
        if (open_db(r)) {
            run_call(r, slsm_integrity_check, "integrity check");
            close_db(r);
        }
        CHECK_EQ_INT(slsm_destroy(img->path), LSM_OK);
        free(img->cands);
    }
    r->phase = NULL;
    r->step = saved.step;
    r->committed = saved.committed;
    r->cur = saved.cur;
    r->cands = saved.cands;
    r->ncands = saved.ncands;
    r->capcands = saved.capcands;
    memcpy(r->path, saved.path, sizeof r->path);
    r->db = saved.db;
    r->level = saved.level;
    r->nimages = r->nfailure_images = 0;
}

static void run_step(run_state *r, const wstep *w) {
    long errors = r->errors;
    /* half of the images before a close once a fault fired, half right after failed steps:
    ** then the log must hold every successful commit, the failed one at most whole */
    if ((w->op == W_REOPEN || w->op == W_CLOSE) && lsm_fault_count() > 0 &&
        r->nimages - r->nfailure_images < MAX_IMAGES / 2)
        take_image(r);
    run_step_inner(r, w);
    if (r->errors > errors && r->level == 0 && r->nfailure_images < MAX_IMAGES / 2)
        r->nfailure_images += take_image(r);
}

static void run_step_inner(run_state *r, const wstep *w) {
    if (r->level < 0) {
        /* skipping a transaction whose begin failed, up to its end */
        if ((w->op == W_COMMIT || w->op == W_ROLLBACK) && w->level == 0)
            r->level = 0;
        return;
    }
    int rc;
    switch (w->op) {
        case W_PUT:
        case W_DEL:
            run_write(r, w);
            break;
        case W_BEGIN:
            clear_message();
            rc = slsm_begin(r->db, w->level);
            if (r->level == 0 && failed(r, rc, "begin", slsm_errmsg(r->db))) {
                r->level = -1;
            } else if (rc != LSM_OK) {
                report(r, "begin of a savepoint: rc %d", rc);
            } else {
                for (int l = r->level + 1; l <= w->level; l++)
                    r->saved[l] = r->cur;
                r->level = w->level;
            }
            break;
        case W_COMMIT:
            if (w->level == 0) {
                run_commit(r);
            } else {
                CHECK_EQ_INT(slsm_commit(r->db, w->level), LSM_OK);
                r->level = w->level;
            }
            break;
        case W_ROLLBACK:
            CHECK_EQ_INT(slsm_rollback(r->db, w->level), LSM_OK);
            r->cur = r->saved[w->level == 0 ? 1 : w->level];
            r->level = w->level;
            break;
        case W_GET:
            check_get(r, w->key);
            break;
        case W_SCAN:
            check_scan(r, visible_state(r), w->key, w->key2, w->level);
            break;
        case W_FLUSH:
            run_call(r, slsm_flush, "flush");
            break;
        case W_COMPACT:
            run_call(r, slsm_compact, "compact");
            break;
        case W_CHECKPOINT:
            run_call(r, slsm_checkpoint, "checkpoint");
            break;
        case W_REOPEN:
            close_db(r);
            open_db(r);
            break;
        case W_CLOSE:
            close_db(r);
            break;
        case W_HOLD:
            hold_cursor(r, w->key);
            break;
    }
    if (trace && r->level >= 0)
        printf("  step %d %s: level %d, errors %ld, faults %ld %s\n", r->step, step_names[w->op],
               r->level, r->errors, lsm_fault_count(), lsm_file_errmsg());
}

/* With faults off: the database reopens with the model's contents, passes the integrity check,
** takes new writes, and keeps them across another reopen. */
static void final_checks(run_state *r) {
    lsm_fault_set(0, 0, 0, 0);
    r->strict = 1;
    check_images(r);
    r->step = nsteps;
    if (r->db)
        close_db(r);
    if (!open_db(r))
        return;
    check_scan(r, &r->committed, -1, -1, 0);
    run_call(r, slsm_integrity_check, "integrity check");
    /* new writes: a transaction and auto-commits, some flushed to a table */
    CHECK_EQ_INT(slsm_begin(r->db, 1), LSM_OK);
    r->level = 1;
    for (int i = 0; i < 10; i++) {
        wstep w = {W_PUT, 0, (int)((unsigned)i * 37u % NKEYS), -1, {40 + i, 900000u + (unsigned)i}};
        run_write(r, &w);
    }
    run_commit(r);
    for (int i = 0; i < 10; i++) {
        wstep w = {i % 3 ? W_PUT : W_DEL,
                   0,
                   (int)((unsigned)i * 53u % NKEYS),
                   -1,
                   {100 + i, 910000u + (unsigned)i}};
        run_write(r, &w);
    }
    run_call(r, slsm_flush, "flush");
    for (int i = 0; i < 10; i++) {
        wstep w = {W_PUT, 0, (int)((unsigned)i * 71u % NKEYS), -1, {7 + i, 920000u + (unsigned)i}};
        run_write(r, &w);
    }
    check_scan(r, &r->committed, -1, -1, 1);
    close_db(r);
    if (open_db(r)) {
        run_call(r, slsm_integrity_check, "integrity check");
        close_db(r);
    }
}

typedef struct run_result {
    long counts[NKINDS]; /* operations seen per kind while armed */
    long faults, errors, found;
} run_result;

/* A database to start from instead of an empty one: its files and what it holds. */
typedef struct db_image {
    char path[600];
    mstate model;
} db_image;

/* Runs the workload under fc, then the final checks. With img the database starts as a copy of
** it and the workload is left out: the case is the open. */
static run_result run_case(const fault_case *fc, int counting, const db_image *img) {
    static unsigned serial;
    run_result res = {{0}, 0, 0, 0};
    char name[32];
    snprintf(name, sizeof name, "run%u", serial++);
    run_state *r = run_new(fc, name);
    if (img) {
        copy_db(img->path, r->path);
        r->committed = r->cur = img->model;
    }
    alarm(120);
    if (counting)
        lsm_fault_set(LSM_FAULT_ALL, LONG_MAX, EIO, 0);
    else if (fc->kind)
        lsm_fault_set(fc->kind, fc->after, variant_errno(fc->variant), variant_flags(fc->variant));
    else
        lsm_fault_set(0, 0, 0, 0);
    r->step = -1;
    if (open_db(r)) {
        if (img) {
            /* opening only reads: the first write takes the crashed files over (cuts the torn
            ** log, writes both logs' commits to a table), under the fault too */
            wstep w = {W_PUT, 0, 1, -1, {33, 4242u}};
            run_write(r, &w);
            close_db(r);
        }
        for (r->step = 0; r->step < nsteps && r->db; r->step++)
            run_step(r, &steps[r->step]);
    }
    for (int i = 0; i < NKINDS; i++)
        res.counts[i] = lsm_fault_calls(kind_mask(i));
    res.faults = lsm_fault_count();
    final_checks(r);
    alarm(0);
    res.errors = r->errors;
    res.found = r->found;
    if (trace || (getenv("LSM_FAULT_SILENT") && res.faults > 0 && res.errors == 0))
        printf("  %s: %ld faults, %ld errors, %ld failed commits found whole\n", case_text,
               res.faults, res.errors, res.found);
    CHECK_EQ_INT(slsm_destroy(r->path), LSM_OK);
    run_free(r);
    return res;
}

static long env_long(const char *name, long dflt) {
    const char *env = getenv(name);
    return env ? strtol(env, NULL, 10) : dflt;
}

/* The (k, variant) pairs a kind with `count` operations gets within `budget` runs: all of them,
** or an evenly spread sample whose offset derives from the seed. */
static int pick_cases(long count, int budget, unsigned salt, long *ks, int *variants) {
    long total = (count + 1) * NVARIANTS;
    if (total <= budget) {
        for (long i = 0; i < total; i++) {
            ks[i] = i / NVARIANTS;
            variants[i] = (int)(i % NVARIANTS);
        }
        return (int)total;
    }
    unsigned offset = (unsigned)((seed ^ salt) * 2654435761u);
    for (int i = 0; i < budget; i++) {
        /* k spread over [0, count], each shifted by the same fraction of the spacing */
        double at = ((double)i + (offset % 1000) / 1000.0) * (double)(count + 1) / budget;
        ks[i] = (long)at;
        variants[i] = (int)((i + offset / 1000) % NVARIANTS);
    }
    return budget;
}

/* Every kind of fault at (a sample of) every operation of the workload, or of the open of img. */
static void run_config(int background, int durability, const db_image *img, long budget) {
    int target = img ? ON_CRASH_IMAGE : ON_WORKLOAD;
    fault_case fc = {background, durability, 0, 0, 0, target};
    run_result base = run_case(&fc, 1, img);
    CHECK_EQ_INT(base.errors, 0);
    for (int kind = 0; kind < NKINDS; kind++) {
        long ks[4096];
        int variants[4096];
        if (budget > 4096)
            budget = 4096;
        int n = pick_cases(base.counts[kind], (int)budget,
                           (unsigned)(kind * 131 + background * 7 + durability), ks, variants);
        long faults = 0, errors = 0, found = 0;
        int before = unit_failures;
        for (int i = 0; i < n; i++) {
            fault_case f = {background, durability, kind_mask(kind), ks[i], variants[i], target};
            run_result res = run_case(&f, 0, img);
            faults += res.faults > 0;
            errors += res.errors;
            found += res.found;
        }
        printf("%sbackground=%d durability=%s %-8s: %5ld operations, %3d runs, %3ld with a "
               "fault fired, %5ld errors returned, %ld failed commits found whole%s\n",
               img ? "open after a crash: " : "", background,
               durability == SLSM_DURABILITY_FULL ? "full" : "normal", kind_names[kind],
               base.counts[kind], n, faults, errors, found,
               unit_failures == before ? "" : " FAILED");
        fflush(stdout);
    }
}

static long runs_per_kind(void) {
    return env_long("LSM_FAULT_RUNS", 48);
}

static void test_workload_background_normal(void) {
    run_config(1, SLSM_DURABILITY_NORMAL, NULL, runs_per_kind());
}

static void test_workload_background_full(void) {
    run_config(1, SLSM_DURABILITY_FULL, NULL, runs_per_kind());
}

static void test_workload_inline_normal(void) {
    run_config(0, SLSM_DURABILITY_NORMAL, NULL, runs_per_kind());
}

static void test_workload_inline_full(void) {
    run_config(0, SLSM_DURABILITY_FULL, NULL, runs_per_kind());
}

/* A database as a crash leaves it: tables; a full memtable's commits in one log, since its
** flush failed; later commits in the other log, followed by a torn record. Built without the
** background thread, so the logs are what the writer left when the files are copied. */
static void build_crash_image(db_image *img) {
    fault_case fc = {0, SLSM_DURABILITY_NORMAL, 0, 0, 1, ON_CRASH_IMAGE};
    run_state *r = run_new(&fc, "imagesrc");
    snprintf(img->path, sizeof img->path, "%s", test_path("image"));
    lsm_fault_set(0, 0, 0, 0);
    CHECK(open_db(r));
    int after = 0;
    for (unsigned i = 0; r->db && after < 25 && i < 100000; i++) {
        slsm_stats st;
        CHECK_EQ_INT(slsm_stats_get(r->db, &st), LSM_OK);
        if (fc.kind == 0 && st.flushes >= 3 && st.memtable_bytes >= r->opt.memtable_bytes) {
            /* the commit that switches the full memtable out fails to flush it */
            fc.kind = LSM_FAULT_RENAME;
            lsm_fault_set(LSM_FAULT_RENAME, 0, EIO, LSM_FAULT_ONCE);
        }
        wstep w = {i % 7 ? W_PUT : W_DEL,
                   0,
                   (int)(i * 37u % NKEYS),
                   -1,
                   {(int)(40 + i * 13u % 700), 700000u + i}};
        run_write(r, &w);
        after += fc.kind != 0;
    }
    CHECK_EQ_INT(lsm_fault_count(), 1);
    CHECK_EQ_INT(r->errors, 1);
    lsm_fault_set(0, 0, 0, 0);
    copy_db(r->path, img->path);
    img->model = r->committed;
    /* the newer log, written last, gets a torn record */
    char logs[2][700];
    struct stat st[2];
    snprintf(logs[0], sizeof logs[0], "%s-log", img->path);
    snprintf(logs[1], sizeof logs[1], "%s-log2", img->path);
    char src[2][700];
    snprintf(src[0], sizeof src[0], "%s-log", r->path);
    snprintf(src[1], sizeof src[1], "%s-log2", r->path);
    CHECK(stat(src[0], &st[0]) == 0 && stat(src[1], &st[1]) == 0);
    CHECK(st[0].st_size > 0 && st[1].st_size > 0);
    int newer = st[1].st_mtim.tv_sec > st[0].st_mtim.tv_sec ||
                (st[1].st_mtim.tv_sec == st[0].st_mtim.tv_sec &&
                 st[1].st_mtim.tv_nsec > st[0].st_mtim.tv_nsec);
    FILE *f = fopen(logs[newer], "ab");
    CHECK(f != NULL);
    for (int i = 0; f && i < 200; i++)
        fputc((int)(rng_next() & 0xff), f);
    if (f)
        fclose(f);
    close_db(r);
    CHECK_EQ_INT(slsm_destroy(r->path), LSM_OK);
    run_free(r);
}

/* Faults while opening a crashed database, and in the first write after it. */
static void test_open_faults(void) {
    db_image img;
    build_crash_image(&img);
    /* a fault-free open recovers every commit (the first run, which counts) */
    run_config(1, SLSM_DURABILITY_NORMAL, &img, 3 * runs_per_kind());
    CHECK_EQ_INT(slsm_destroy(img.path), LSM_OK);
}

/* Every key by get, scans both ways, the integrity check: each right, or the injected error. */
static void read_everything(run_state *r) {
    for (int i = 0; i < NKEYS; i++)
        check_get(r, i);
    check_scan(r, &r->committed, -1, -1, 0);
    check_scan(r, &r->committed, -1, -1, 1);
    check_scan(r, &r->committed, NKEYS / 3, NKEYS / 2, 0);
    run_call(r, slsm_integrity_check, "integrity check");
}

/* Reads while tables fail to map: a database whose keys are all in tables, over several levels,
** is opened and read with the k-th read operation (a table map) failing, once or for good; then
** with faults off every read must be right (a table that failed to map is mapped again). */
static void test_read_faults(void) {
    fault_case fc = {0, SLSM_DURABILITY_NORMAL, 0, 0, 3, ON_READS};
    run_state *r = run_new(&fc, "reads");
    lsm_fault_set(0, 0, 0, 0);
    CHECK(open_db(r));
    for (int round = 0; r->db && round < 4; round++) {
        for (int i = round; i < NKEYS; i += 2) {
            wstep w = {round == 3 && i % 3 == 0 ? W_DEL : W_PUT,
                       0,
                       i,
                       -1,
                       {(int)(30 + (unsigned)(i * 7 + round) % 900u), 500000u + (unsigned)i}};
            run_write(r, &w);
        }
        if (round == 1)
            run_call(r, slsm_compact, "compact");
        else
            run_call(r, slsm_flush, "flush");
    }
    slsm_stats st;
    int tables = 0, levels = 0;
    CHECK(r->db && slsm_stats_get(r->db, &st) == LSM_OK);
    for (int l = 0; l < 7; l++) {
        tables += st.files[l];
        levels += st.files[l] > 0;
    }
    CHECK(tables >= 3 && levels >= 2);
    close_db(r);
    long count = -1;
    for (long k = 0; k <= count || count < 0; k++) {
        for (int variant = 0; variant < NVARIANTS; variant++) {
            fc.kind = count < 0 ? 0 : LSM_FAULT_READ;
            fc.after = k;
            fc.variant = variant;
            describe_case(&fc);
            r->strict = 0;
            r->spent = 0;
            lsm_fault_set(0, 0, 0, 0);
            slsm_db *db;
            CHECK_EQ_INT(slsm_open(r->path, &r->opt, &db), LSM_OK);
            r->db = db;
            if (count < 0)
                lsm_fault_set(LSM_FAULT_READ, LONG_MAX, EIO, 0);
            else
                lsm_fault_set(LSM_FAULT_READ, k, variant_errno(variant), variant_flags(variant));
            read_everything(r);
            if (count < 0) {
                count = lsm_fault_calls(LSM_FAULT_READ);
                CHECK(count > 2);
            }
            lsm_fault_set(0, 0, 0, 0);
            r->strict = 1;
            read_everything(r);
            close_db(r);
            if (fc.kind == 0)
                break;
        }
    }
    printf("reads: %ld table maps, each failed once and for good, with ENOSPC and EIO\n", count);
    CHECK_EQ_INT(slsm_destroy(r->path), LSM_OK);
    run_free(r);
}

/* After a checkpoint whose log fsync failed, Linux may have dropped the log pages it could not
** write and report success to the next fsync. So the next checkpoint writes every commit to
** tables instead (the logs are empty after it), and the one after that fsyncs the log again. */
static void test_checkpoint_after_failure(void) {
    for (int background = 0; background < 2; background++) {
        slsm_options o = run_options(background, SLSM_DURABILITY_NORMAL);
        const char *path = test_path(background ? "checkpoint-bg" : "checkpoint");
        slsm_db *db;
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        char k[16], v[100];
        memset(v, 'v', sizeof v);
        for (int i = 0; i < 50; i++)
            CHECK_EQ_INT(slsm_put(db, k, (size_t)key_text(k, i), v, sizeof v), LSM_OK);
        slsm_stats s0, s1, s2;
        CHECK_EQ_INT(slsm_stats_get(db, &s0), LSM_OK);
        CHECK(s0.log_bytes > 0);
        lsm_fault_set(LSM_FAULT_SYNC, 0, EIO, LSM_FAULT_ONCE);
        CHECK_EQ_INT(slsm_checkpoint(db), LSM_IOERR);
        CHECK(strstr(slsm_errmsg(db), "-log") != NULL);
        lsm_fault_set(0, 0, 0, 0);
        CHECK_EQ_INT(slsm_checkpoint(db), LSM_OK);
        CHECK_EQ_INT(slsm_stats_get(db, &s1), LSM_OK);
        CHECK_EQ_INT(s1.log_bytes, 0);
        CHECK_EQ_INT(s1.memtable_entries, 0);
        CHECK(s1.flushes > s0.flushes);
        for (int i = 50; i < 60; i++)
            CHECK_EQ_INT(slsm_put(db, k, (size_t)key_text(k, i), v, sizeof v), LSM_OK);
        CHECK_EQ_INT(slsm_checkpoint(db), LSM_OK);
        CHECK_EQ_INT(slsm_stats_get(db, &s2), LSM_OK);
        CHECK_EQ_INT(s2.flushes, s1.flushes);
        CHECK(s2.log_bytes > 0);
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
        CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
        for (int i = 0; i < 60; i++) {
            const void *got;
            size_t n;
            CHECK_EQ_INT(slsm_get(db, k, (size_t)key_text(k, i), &got, &n), LSM_OK);
            CHECK_EQ_INT(n, sizeof v);
        }
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
        CHECK_EQ_INT(slsm_destroy(path), LSM_OK);
    }
}

/* LSM_FAULT_CASE: one case, traced, as a failure message names it. 0 if spec is malformed. */
static int run_one_case(const char *spec) {
    fault_case fc = {0};
    char kind[32] = "", target[16] = "";
    int n = sscanf(spec, "%d,%d,%31[a-z],%ld,%d,%15[a-z]", &fc.background, &fc.durability, kind,
                   &fc.after, &fc.variant, target);
    if (n < 5 || fc.variant < 0 || fc.variant >= NVARIANTS || (n == 6 && strcmp(target, "crash")))
        return 0;
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            fc.kind = kind_mask(i);
    trace = 1;
    if (n == 6) {
        db_image img;
        build_crash_image(&img);
        fc.target = ON_CRASH_IMAGE;
        run_case(&fc, 0, &img);
        CHECK_EQ_INT(slsm_destroy(img.path), LSM_OK);
    } else {
        run_case(&fc, 0, NULL);
    }
    return 1;
}

int main(void) {
    /* in memory when possible: the test is about failing calls, and fsyncs to a disk would
    ** make its thousands of runs slow */
    struct stat st;
    const char *dir = getenv("LSM_FAULT_DIR");
    if (dir == NULL)
        dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    test_dir_make_in(dir);
    const char *env = getenv("LSM_FAULT_SEED");
    if (env)
        setenv("LSM_TEST_SEED", env, 1);
    seed = rng_seed("unit_lsm_fault");
    printf("unit_lsm_fault: replay with LSM_FAULT_SEED=%llu\n", (unsigned long long)seed);
    signal(SIGALRM, on_alarm);
    trace = getenv("LSM_FAULT_TRACE") != NULL;
    gen_workload((int)env_long("LSM_FAULT_GROUPS", 400));
    const char *one = getenv("LSM_FAULT_CASE");
    if (one) {
        if (!run_one_case(one)) {
            fprintf(stderr, "LSM_FAULT_CASE=background,durability,kind,k,variant[,crash]\n");
            return 2;
        }
        free(steps);
        return unit_report("unit_lsm_fault");
    }
    RUN(test_checkpoint_after_failure);
    RUN(test_read_faults);
    RUN(test_open_faults);
    RUN(test_workload_inline_normal);
    RUN(test_workload_inline_full);
    RUN(test_workload_background_normal);
    RUN(test_workload_background_full);
    free(steps);
    return unit_report("unit_lsm_fault");
}
