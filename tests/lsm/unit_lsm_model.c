/*
** Model-based randomized test of the engine: random puts and deletes (values from empty to
** larger than a block), nested transactions committed or rolled back at random levels,
** flush/compact/checkpoint, close and reopen, and cursor moves with and without bounds, each
** step checked against an in-memory model (an array indexed by key number; keys are
** fixed-width, so key order is index order). A cursor keeps the snapshot taken when it was
** positioned, even while later writes happen. The seed is printed; LSM_MODEL_SEED and
** LSM_MODEL_STEPS replay a failure.
*/
#include "lsm/lsm_engine.h"
#include "lsm_test_util.h"
#include "unit.h"

#define MAX_KEYS 3000
#define MAX_LEVELS 4
#define MAX_VALUE 3000

typedef struct {
    mval v[MAX_KEYS];
} mstate;

static int nkeys, trace;
static mstate *cur;                   /* what the handle sees now */
static mstate *saved[MAX_LEVELS + 1]; /* saved[l] = state before level l began */
static int level;

static int key_text(char *buf, int i, int after) {
    return snprintf(buf, 32, "k%05d%s", i, after ? "x" : "");
}

/* background 0: the writer flushes and compacts inline, so both paths meet the model */
static slsm_options model_options(int background) {
    slsm_options o = lsm_test_options(SLSM_DURABILITY_OFF, 16 << 10, 16 << 10, 32 << 10, 512, 2);
    o.background = background;
    return o;
}

/* Cursor under test: its bounds (-1 = none) and the snapshot it reads. */
typedef struct {
    slsm_cursor *c;
    int lo, lo_open, hi, hi_open; /* bounds as key numbers; lo = -1 / hi = -1 for none */
    mstate snap;
    int pos; /* key number the cursor is at, -1 = invalid */
} mcursor;

static int in_bounds(const mcursor *mc, int i) {
    if (mc->lo >= 0 && (i < mc->lo || (mc->lo_open && i == mc->lo)))
        return 0;
    if (mc->hi >= 0 && (i > mc->hi || (mc->hi_open && i == mc->hi)))
        return 0;
    return 1;
}

static int visible(const mcursor *mc, int i) {
    return i >= 0 && i < nkeys && mc->snap.v[i].len >= 0 && in_bounds(mc, i);
}

static int model_from(const mcursor *mc, int i, int dir) {
    for (; i >= 0 && i < nkeys; i += dir)
        if (visible(mc, i))
            return i;
    return -1;
}

static int check_cursor(const mcursor *mc, const char *what, long step) {
    int ok = 1;
    if (mc->pos < 0) {
        ok = !slsm_cursor_valid(mc->c);
    } else if (!slsm_cursor_valid(mc->c)) {
        ok = 0;
    } else {
        char k[32];
        size_t nk, nv;
        int n = key_text(k, mc->pos, 0);
        const void *kk = slsm_cursor_key(mc->c, &nk);
        const void *vv = slsm_cursor_value(mc->c, &nv);
        ok = nk == (size_t)n && memcmp(kk, k, nk) == 0 && mval_matches(vv, nv, mc->snap.v[mc->pos]);
    }
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "step %ld: cursor %s: expected key %d\n", step, what, mc->pos);
    return ok;
}

static void cursor_reposition_snapshot(mcursor *mc) {
    mc->snap = *cur;
}

static void cursor_random_bounds(mcursor *mc) {
    char lo[32], hi[32];
    int a = (int)rng_below((unsigned)nkeys), b = (int)rng_below((unsigned)nkeys);
    if (a > b) {
        int t = a;
        a = b;
        b = t;
    }
    mc->lo = rng_below(3) ? a : -1;
    mc->hi = rng_below(3) ? b : -1;
    mc->lo_open = (int)rng_below(2);
    mc->hi_open = (int)rng_below(2);
    int nlo = key_text(lo, mc->lo < 0 ? 0 : mc->lo, 0);
    int nhi = key_text(hi, mc->hi < 0 ? 0 : mc->hi, 0);
    CHECK_EQ_INT(slsm_cursor_bounds(mc->c, mc->lo < 0 ? NULL : lo, mc->lo < 0 ? 0 : (size_t)nlo,
                                    mc->lo_open, mc->hi < 0 ? NULL : hi,
                                    mc->hi < 0 ? 0 : (size_t)nhi, mc->hi_open),
                 LSM_OK);
    mc->pos = -1;
}

static int cursor_step(mcursor *mc, long step) {
    unsigned op = rng_below(10);
    char k[32];
    int rc = LSM_OK;
    if (op == 0 || (mc->pos < 0 && op < 6)) {
        cursor_reposition_snapshot(mc);
        if (rng_below(2)) {
            rc = slsm_cursor_first(mc->c);
            mc->pos = model_from(mc, 0, 1);
        } else {
            rc = slsm_cursor_last(mc->c);
            mc->pos = model_from(mc, nkeys - 1, -1);
        }
    } else if (op < 4) {
        int i = (int)rng_below((unsigned)nkeys), after = (int)rng_below(3) == 0;
        int mode = (int)rng_below(3);
        int n = key_text(k, i, after);
        cursor_reposition_snapshot(mc);
        rc = slsm_cursor_seek(mc->c, k, (size_t)n, mode);
        if (mode == SLSM_SEEK_GE)
            mc->pos = model_from(mc, after ? i + 1 : i, 1);
        else if (mode == SLSM_SEEK_LE)
            mc->pos = model_from(mc, i, -1);
        else
            mc->pos = !after && visible(mc, i) ? i : -1;
    } else if (mc->pos >= 0) {
        if (op < 7) {
            rc = slsm_cursor_next(mc->c);
            mc->pos = model_from(mc, mc->pos + 1, 1);
        } else {
            rc = slsm_cursor_prev(mc->c);
            mc->pos = model_from(mc, mc->pos - 1, -1);
        }
    }
    if (rc != LSM_OK && rc != LSM_NOTFOUND) {
        CHECK_EQ_INT(rc, LSM_OK);
        return 0;
    }
    return check_cursor(mc, "move", step);
}

static void model_write(slsm_db *db, long step) {
    char k[32];
    int i = (int)rng_below((unsigned)nkeys);
    int n = key_text(k, i, 0);
    if (rng_below(4) == 0) {
        if (trace)
            fprintf(stderr, "  delete %d\n", i);
        CHECK_EQ_INT(slsm_delete(db, k, (size_t)n), LSM_OK);
        cur->v[i].len = -1;
        return;
    }
    static unsigned char buf[MAX_VALUE];
    unsigned r = rng_below(20);
    mval m = {r == 0 ? 0 : r < 16 ? (int)rng_below(40) : (int)rng_below(MAX_VALUE), (unsigned)step};
    mval_fill(buf, m);
    if (trace)
        fprintf(stderr, "  put %d len %d\n", i, m.len);
    CHECK_EQ_INT(slsm_put(db, k, (size_t)n, buf, (size_t)m.len), LSM_OK);
    cur->v[i] = m;
}

static int check_get(slsm_db *db, int i, long step) {
    char k[32];
    const void *v;
    size_t nv;
    int n = key_text(k, i, 0);
    int rc = slsm_get(db, k, (size_t)n, &v, &nv);
    int ok =
        cur->v[i].len < 0 ? rc == LSM_NOTFOUND : rc == LSM_OK && mval_matches(v, nv, cur->v[i]);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "step %ld: get key %d: rc %d, expected len %d\n", step, i, rc,
                cur->v[i].len);
    return ok;
}

static void run_model(int keys, long steps, int background) {
    const char *path = test_path(keys < 100 ? "model-small" : "model-large");
    slsm_options o = model_options(background);
    slsm_db *db = NULL;
    mcursor mc;
    memset(&mc, 0, sizeof mc);
    nkeys = keys;
    trace = getenv("LSM_MODEL_TRACE") != NULL;
    level = 0;
    cur = calloc(1, sizeof *cur);
    for (int l = 0; l <= MAX_LEVELS; l++)
        saved[l] = calloc(1, sizeof(mstate));
    if (!cur)
        exit(2);
    for (int i = 0; i < MAX_KEYS; i++)
        cur->v[i].len = -1;
    slsm_destroy(path);
    CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
    CHECK_EQ_INT(slsm_cursor_open(db, &mc.c), LSM_OK);
    mc.lo = mc.hi = -1;
    mc.pos = -1;
    long failures_at_start = unit_failures;
    for (long step = 0; step < steps && unit_failures == failures_at_start; step++) {
        unsigned op = rng_below(100);
        if (trace)
            fprintf(stderr, "step %ld op %u level %d\n", step, op, level);
        if (op < 45) {
            model_write(db, step);
        } else if (op < 60) {
            check_get(db, (int)rng_below((unsigned)nkeys), step);
        } else if (op < 64 && level < MAX_LEVELS) {
            int to = level + 1 + (int)rng_below((unsigned)(MAX_LEVELS - level));
            CHECK_EQ_INT(slsm_begin(db, to), LSM_OK);
            for (int l = level + 1; l <= to; l++)
                *saved[l] = *cur;
            level = to;
        } else if (op < 67 && level > 0) {
            int to = (int)rng_below((unsigned)level);
            CHECK_EQ_INT(slsm_commit(db, to), LSM_OK);
            level = to;
        } else if (op < 69 && level > 0) {
            int to = (int)rng_below((unsigned)level + 1);
            CHECK_EQ_INT(slsm_rollback(db, to), LSM_OK);
            *cur = *saved[to == 0 ? 1 : to];
            level = to == 0 ? 0 : to;
        } else if (op < 88 && level == 0) {
            cursor_step(&mc, step);
        } else if (op < 89 && level == 0) {
            cursor_random_bounds(&mc);
        } else if (op < 91 && level == 0) {
            CHECK_EQ_INT(slsm_flush(db), LSM_OK);
        } else if (op < 92 && level == 0) {
            CHECK_EQ_INT(slsm_compact(db), LSM_OK);
        } else if (op < 93 && level == 0) {
            CHECK_EQ_INT(slsm_checkpoint(db), LSM_OK);
        } else if (op < 94 && level == 0) {
            slsm_cursor_close(mc.c);
            mc.c = NULL;
            CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
            CHECK_EQ_INT(slsm_close(db), LSM_OK);
            db = NULL;
            CHECK_EQ_INT(slsm_open(path, &o, &db), LSM_OK);
            if (!db)
                break;
            CHECK_EQ_INT(slsm_cursor_open(db, &mc.c), LSM_OK);
            mc.lo = mc.hi = -1;
            mc.pos = -1;
        }
    }
    if (unit_failures != failures_at_start)
        fprintf(stderr, "model with %d keys failed\n", keys);
    if (db) {
        if (level > 0)
            CHECK_EQ_INT(slsm_rollback(db, 0), LSM_OK);
        /* Final full comparison. */
        if (level > 0)
            *cur = *saved[1];
        for (int i = 0; i < nkeys; i++)
            check_get(db, i, -1);
        if (mc.c)
            slsm_cursor_close(mc.c);
        CHECK_EQ_INT(slsm_integrity_check(db), LSM_OK);
        CHECK_EQ_INT(slsm_close(db), LSM_OK);
    }
    slsm_destroy(path);
    free(cur);
    for (int l = 0; l <= MAX_LEVELS; l++)
        free(saved[l]);
}

static long model_steps(void) {
    const char *env = getenv("LSM_MODEL_STEPS");
    return env ? strtol(env, NULL, 10) : 20000;
}

static void test_model_small_keys(void) {
    run_model(40, model_steps(), 1);
}

static void test_model_large_keys(void) {
    run_model(MAX_KEYS, model_steps(), 1);
}

static void test_model_inline_work(void) {
    run_model(MAX_KEYS, model_steps(), 0);
}

int main(void) {
    const char *env = getenv("LSM_MODEL_SEED");
    if (env)
        setenv("LSM_TEST_SEED", env, 1);
    uint64_t seed = rng_seed("unit_lsm_model");
    printf("unit_lsm_model: replay with LSM_MODEL_SEED=%llu\n", (unsigned long long)seed);
    RUN(test_model_small_keys);
    RUN(test_model_large_keys);
    RUN(test_model_inline_work);
    return unit_report("unit_lsm_model");
}
