/*
** Unit tests for ext/vec/graph.c's batch insert (the diskann buffer's flush): the same graph
** whether one thread or two link the batch, rows a search finds again, rows already in the
** graph re-inserted rather than duplicated.
*/
#include "unit.h"
#include "vec/graph.h"
#include "vec/kmeans.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIMS 16
#define ROWS 3000
#define FIRST 600 /* rows inserted one by one before the batch */

static float gauss(uint64_t *rng) {
    double u = ((double)(vec_random_next(rng) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(vec_random_next(rng) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

/* ROWS int8 codes of low-rank vectors (4 latent dimensions plus noise). */
static unsigned char *make_codes(size_t code_bytes) {
    uint64_t rng = 7;
    float w[4][DIMS], x[DIMS];
    for (int i = 0; i < 4; i++)
        for (int d = 0; d < DIMS; d++)
            w[i][d] = gauss(&rng);
    unsigned char *codes = malloc(ROWS * code_bytes);
    for (int r = 0; codes && r < ROWS; r++) {
        float z[4];
        for (int i = 0; i < 4; i++)
            z[i] = gauss(&rng);
        for (int d = 0; d < DIMS; d++) {
            x[d] = 0.2f * gauss(&rng);
            for (int i = 0; i < 4; i++)
                x[d] += z[i] * w[i][d];
        }
        vec_quantize(VEC_QUANT_INT8, x, DIMS, codes + (size_t)r * code_bytes);
    }
    return codes;
}

/* A graph of FIRST rows inserted one by one, then the rest in one batch on `threads`. */
static int build(vec_graph *g, const unsigned char *codes, int threads) {
    vec_graph_init(g, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    int64_t rowids[ROWS];
    for (int r = 0; r < ROWS; r++)
        rowids[r] = 1000 + 3 * r;
    for (int r = 0; r < FIRST; r++)
        if (vec_graph_insert(g, rowids[r], codes + (size_t)r * g->code_bytes, 32) < 0)
            return -1;
    return vec_graph_insert_batch(g, rowids + FIRST, codes + FIRST * g->code_bytes, ROWS - FIRST,
                                  32, threads);
}

static void test_one_or_two_threads_link_the_same_graph(void) {
    vec_graph a, b;
    vec_graph_init(&a, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    unsigned char *codes = make_codes(a.code_bytes);
    CHECK(codes != NULL);
    if (codes == NULL)
        return;
    CHECK_EQ_INT(build(&a, codes, 1), 0);
    CHECK_EQ_INT(build(&b, codes, 2), 0);
    CHECK_EQ_INT(a.n, ROWS);
    CHECK_EQ_INT(b.n, ROWS);
    CHECK_EQ_INT(a.live, ROWS);
    CHECK(memcmp(a.rowid, b.rowid, ROWS * sizeof *a.rowid) == 0);
    CHECK(memcmp(a.nbr, b.nbr, ROWS * (size_t)a.Rcap * sizeof *a.nbr) == 0);
    CHECK_EQ_INT(a.entry, b.entry);
    /* every node changed by the batch is listed once as dirty */
    CHECK_EQ_INT(a.ndirty, b.ndirty);
    CHECK(a.ndirty >= ROWS - FIRST);
    vec_graph_free(&a);
    vec_graph_free(&b);
    free(codes);
}

static void test_batch_rows_are_found(void) {
    vec_graph g;
    vec_graph_init(&g, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    unsigned char *codes = make_codes(g.code_bytes);
    CHECK(codes != NULL && build(&g, codes, 2) == 0);
    vec_graph_hit hits[32];
    int found = 0, linked = 0;
    for (int r = FIRST; codes && r < ROWS; r++) {
        int32_t node = vec_graph_find(&g, 1000 + 3 * r);
        linked += node >= 0 && vec_graph_degree(&g, node) > 0;
        size_t n = vec_graph_search(&g, codes + (size_t)r * g.code_bytes, 32, hits);
        for (size_t i = 0; i < n; i++)
            if (hits[i].node == node) {
                found++;
                break;
            }
    }
    CHECK_EQ_INT(linked, ROWS - FIRST);
    CHECK(found >= (ROWS - FIRST) * 99 / 100);
    vec_graph_free(&g);
    free(codes);
}

static void test_rows_in_the_graph_are_reinserted(void) {
    vec_graph g;
    vec_graph_init(&g, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    unsigned char *codes = make_codes(g.code_bytes);
    CHECK(codes != NULL && build(&g, codes, 2) == 0);
    if (codes == NULL)
        return;
    /* a deleted row back, a new one, a live one moved to another row's code */
    vec_graph_delete(&g, 1000);
    int64_t rowids[3] = {1000, 999999, 1003};
    unsigned char again[3 * 64];
    memcpy(again, codes, g.code_bytes);
    memcpy(again + g.code_bytes, codes + 5 * g.code_bytes, g.code_bytes);
    memcpy(again + 2 * g.code_bytes, codes + 9 * g.code_bytes, g.code_bytes);
    CHECK(g.code_bytes <= 64);
    CHECK_EQ_INT(vec_graph_insert_batch(&g, rowids, again, 3, 32, 2), 0);
    CHECK_EQ_INT(g.n, ROWS + 1);
    CHECK_EQ_INT(g.live, ROWS + 1);
    int32_t moved = vec_graph_find(&g, 1003);
    CHECK(moved >= 0 && memcmp(g.code + (size_t)moved * g.code_bytes, codes + 9 * g.code_bytes,
                               g.code_bytes) == 0);
    vec_graph_free(&g);
    free(codes);
}

int main(void) {
    RUN(test_one_or_two_threads_link_the_same_graph);
    RUN(test_batch_rows_are_found);
    RUN(test_rows_in_the_graph_are_reinserted);
    return unit_report("unit_graph");
}
