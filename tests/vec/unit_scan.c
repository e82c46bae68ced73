/*
** ext/vec/scan.c: windows scored on the calling thread, or shared with 1 to 7 workers, give the
** same top-k as a plain loop over every vector (the oracle below), with sparse windows,
** distance bounds and ties on distance.
*/
#include "unit.h"
#include "vec/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIMS 24
#define ROWS 5000
#define WINDOW 64
#define K 25

static float data[ROWS][DIMS];
static float query[DIMS];

static uint64_t rng_state = 12345;
static float next_float(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) % 2001) / 1000.0f - 1.0f;
}

/* rows with row % 7 == 3 are left out of every window (not live) */
static int live(int row) {
    return row % 7 != 3;
}

/* The k best (distance, rowid = row + 1) of the live rows by a plain loop, sorted. */
static void oracle(const vec_scan_scorer *s, vec_topk *out) {
    for (int r = 0; r < ROWS; r++) {
        if (!live(r))
            continue;
        float d = s->kern(s->query, data[r], DIMS);
        if (vec_scan_within(s, d))
            vec_topk_push(out, d, r + 1, r / WINDOW, r % WINDOW);
    }
    vec_topk_sort(out);
}

/* Fills job j with window w: its live rows, every vector copied (or only the live ones). */
static void fill(vec_scan_job *j, int w, int sparse) {
    j->first = 0;
    j->chunk_id = w;
    j->n = 0;
    for (int o = 0; o < WINDOW && w * WINDOW + o < ROWS; o++) {
        int r = w * WINDOW + o;
        if (!sparse || live(r))
            memcpy(j->buf + (size_t)o * sizeof data[0], data[r], sizeof data[0]);
        if (live(r)) {
            j->offsets[j->n] = o;
            j->rowids[j->n++] = r + 1;
        }
    }
}

/* Scans every window with `threads` threads (1: no pool) and compares with the oracle. */
static void check_scan(const vec_scan_scorer *s, int threads, int sparse) {
    vec_topk want, got;
    CHECK(vec_topk_init(&want, K) == 0 && vec_topk_init(&got, K) == 0);
    oracle(s, &want);
    vec_scan_job *one = vec_scan_job_new(s->rec, WINDOW);
    CHECK(one != NULL);
    vec_scan_pool *p = threads > 1 ? vec_scan_pool_start(s, K, threads, WINDOW) : NULL;
    CHECK(threads == 1 || p != NULL);
    int64_t scored = 0;
    for (int w = 0; w * WINDOW < ROWS; w++) {
        vec_scan_job *j = p ? vec_scan_pool_acquire(p, &got, &scored) : one;
        fill(j, w, sparse);
        if (p)
            vec_scan_pool_submit(p, j);
        else
            scored += (int64_t)vec_scan_score(s, j, &got);
    }
    if (p)
        vec_scan_pool_finish(p, &got, &scored);
    vec_topk_sort(&got);
    int nlive = 0;
    for (int r = 0; r < ROWS; r++)
        nlive += live(r);
    CHECK_EQ_INT((int)scored, nlive);
    CHECK_EQ_INT((int)got.n, (int)want.n);
    for (size_t i = 0; i < want.n && i < got.n; i++) {
        CHECK_EQ_INT((int)got.items[i].rowid, (int)want.items[i].rowid);
        CHECK(got.items[i].distance == want.items[i].distance);
        CHECK_EQ_INT((int)got.items[i].offset, (int)want.items[i].offset);
    }
    vec_scan_job_free(one);
    vec_topk_free(&want);
    vec_topk_free(&got);
}

static vec_scan_scorer l2_scorer(void) {
    vec_scan_scorer s;
    memset(&s, 0, sizeof s);
    s.kern = vec_distance_kernel(VEC_F32, VEC_L2);
    s.query = query;
    s.dims = DIMS;
    s.rec = sizeof data[0];
    return s;
}

static void test_threads_match_one_thread(void) {
    vec_scan_scorer s = l2_scorer();
    for (int threads = 1; threads <= VEC_SCAN_MAX_THREADS; threads++) {
        check_scan(&s, threads, 0);
        check_scan(&s, threads, 1);
    }
}

static void test_bounds_and_ties(void) {
    vec_scan_scorer s = l2_scorer();
    s.nbounds = 2;
    s.ops[0] = VEC_SCAN_GT;
    s.bounds[0] = 3.0;
    s.ops[1] = VEC_SCAN_LE;
    s.bounds[1] = 3.5;
    check_scan(&s, 1, 0);
    check_scan(&s, 3, 0);
    CHECK(vec_scan_within(&s, 3.2f) && !vec_scan_within(&s, 3.0f) && vec_scan_within(&s, 3.5f));
    /* every vector at the same distance: the k smallest rowids, whoever scored them */
    s.nbounds = 0;
    float saved[ROWS][DIMS];
    memcpy(saved, data, sizeof data);
    for (int r = 0; r < ROWS; r++)
        for (int d = 0; d < DIMS; d++)
            data[r][d] = d == r % DIMS ? 1.0f : 0.0f;
    memset(query, 0, sizeof query);
    check_scan(&s, 2, 0);
    check_scan(&s, 4, 1);
    memcpy(data, saved, sizeof data);
}

static void test_no_pool_for_one_thread(void) {
    vec_scan_scorer s = l2_scorer();
    CHECK(vec_scan_pool_start(&s, K, 1, WINDOW) == NULL);
    CHECK(vec_scan_pool_start(&s, K, 0, WINDOW) == NULL);
}

int main(void) {
    for (int r = 0; r < ROWS; r++)
        for (int d = 0; d < DIMS; d++)
            data[r][d] = next_float();
    for (int d = 0; d < DIMS; d++)
        query[d] = next_float();
    RUN(test_threads_match_one_thread);
    RUN(test_bounds_and_ties);
    RUN(test_no_pool_for_one_thread);
    return unit_report("unit_scan");
}
