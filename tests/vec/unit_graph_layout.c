/*
** Unit tests for the search side of ext/vec/graph.c: renumbering a graph (vec_graph_relayout)
** keeps every node's rowid, code and neighbours and every search's answer, and the graph takes
** inserts and deletes after it; the visited set is clean from one search to the next, however
** large the graph grew in between.
*/
#include "unit.h"
#include "vec/graph.h"
#include "vec/kmeans.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { DIMS = 16, ROWS = 3000, QUERIES = 20, L = 48 };

static void random_vector(uint64_t *rng, float *x) {
    for (int i = 0; i < DIMS; i++)
        x[i] = (float)(vec_random_next(rng) >> 40) / (float)(1 << 24) - 0.5f;
}

static void build(vec_graph *g, uint64_t *rng, int64_t first, int rows) {
    float x[DIMS];
    unsigned char code[DIMS + 8];
    for (int i = 0; i < rows; i++) {
        random_vector(rng, x);
        vec_quantize(VEC_QUANT_INT8, x, DIMS, code);
        CHECK(vec_graph_insert(g, first + i, code, 64) >= 0);
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The neighbours of rowid as sorted rowids (n returned). */
static int neighbours(const vec_graph *g, int64_t rowid, int64_t *out) {
    int32_t node = vec_graph_find(g, rowid);
    int n = vec_graph_degree(g, node);
    for (int j = 0; j < n; j++)
        out[j] = g->rowid[g->nbr[(size_t)node * (size_t)g->Rcap + (size_t)j]];
    qsort(out, (size_t)n, sizeof *out, cmp_i64);
    return n;
}

static void test_relayout_keeps_nodes_edges_and_answers(void) {
    vec_graph g;
    vec_graph_init(&g, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    uint64_t rng = 7;
    build(&g, &rng, 1, ROWS);
    CHECK(vec_graph_delete(&g, 17) >= 0);
    unsigned char qcode[QUERIES][DIMS + 8];
    for (int q = 0; q < QUERIES; q++) {
        float x[DIMS];
        random_vector(&rng, x);
        vec_quantize(VEC_QUANT_INT8, x, DIMS, qcode[q]);
    }
    static vec_graph_hit before[QUERIES][L], after[QUERIES][L];
    size_t nbefore[QUERIES];
    for (int q = 0; q < QUERIES; q++) {
        nbefore[q] = vec_graph_search(&g, qcode[q], L, before[q]);
        for (size_t i = 0; i < nbefore[q]; i++) /* node numbers change: compare rowids */
            before[q][i].node = (int32_t)g.rowid[before[q][i].node];
    }
    static int64_t edges[ROWS + 1][64];
    static int degree[ROWS + 1];
    for (int64_t r = 1; r <= ROWS; r++)
        degree[r] = neighbours(&g, r, edges[r]);
    int64_t entry = g.rowid[g.entry];
    int64_t live = g.live;
    uint64_t stamp = g.stamp;

    CHECK_EQ_INT(vec_graph_relayout(&g), 0);
    CHECK(g.stamp != stamp); /* callers keeping node numbers must drop them */
    CHECK_EQ_INT(g.n, ROWS);
    CHECK_EQ_INT(g.live, live);
    CHECK_EQ_INT(g.entry, 0); /* the walk starts there */
    CHECK_EQ_INT(g.rowid[g.entry], entry);
    CHECK(g.deleted[vec_graph_find(&g, 17)]);
    int same_edges = 1;
    for (int64_t r = 1; r <= ROWS; r++) {
        int64_t now[64];
        int n = neighbours(&g, r, now);
        same_edges &= n == degree[r] && memcmp(now, edges[r], (size_t)n * sizeof *now) == 0;
    }
    CHECK(same_edges);
    int same_answers = 1;
    for (int q = 0; q < QUERIES; q++) {
        size_t n = vec_graph_search(&g, qcode[q], L, after[q]);
        same_answers &= n == nbefore[q];
        for (size_t i = 0; i < n && same_answers; i++)
            same_answers &= g.rowid[after[q][i].node] == before[q][i].node &&
                            after[q][i].distance == before[q][i].distance;
    }
    CHECK(same_answers);

    /* the renumbered graph grows and shrinks as before: each new row is its own nearest */
    uint64_t again = 99;
    build(&g, &again, ROWS + 1, 500);
    again = 99;
    int found_self = 0;
    for (int i = 0; i < 500; i++) {
        float x[DIMS];
        unsigned char code[DIMS + 8];
        vec_graph_hit hits[L];
        random_vector(&again, x);
        vec_quantize(VEC_QUANT_INT8, x, DIMS, code);
        size_t n = vec_graph_search(&g, code, L, hits);
        found_self += n > 0 && g.rowid[hits[0].node] == ROWS + 1 + i;
    }
    CHECK(found_self >= 495);
    stamp = g.stamp; /* inserts keep node numbers */
    CHECK(vec_graph_consolidate(&g) == 1);
    CHECK(g.stamp != stamp);
    vec_graph other;
    vec_graph_init(&other, 12, VEC_QUANT_INT8, VEC_L2, DIMS);
    CHECK(other.stamp != g.stamp && other.stamp != stamp); /* a reloaded graph is another one */
    vec_graph_free(&other);
    CHECK_EQ_INT(g.n, ROWS + 500 - 1);
    vec_graph_free(&g);
}

/* A search after the graph grew past the visited set's size sees every node it reaches: the
** set grows with the graph and starts empty each time (a node left marked would be skipped). */
static void test_visited_set_is_clean_between_searches(void) {
    vec_graph g;
    vec_graph_init(&g, 8, VEC_QUANT_INT8, VEC_L2, DIMS);
    uint64_t rng = 3;
    build(&g, &rng, 1, 100);
    float x[DIMS];
    unsigned char code[DIMS + 8];
    vec_graph_hit hits[256];
    random_vector(&rng, x);
    vec_quantize(VEC_QUANT_INT8, x, DIMS, code);
    /* a list as long as the graph: the search scores every node it can reach, every time */
    size_t first = vec_graph_search(&g, code, 256, hits);
    CHECK_EQ_INT(first, 100);
    CHECK_EQ_INT(vec_graph_search(&g, code, 256, hits), 100);
    build(&g, &rng, 101, 150);
    CHECK_EQ_INT(vec_graph_search(&g, code, 256, hits), 250);
    CHECK_EQ_INT(vec_graph_search(&g, code, 256, hits), 250);
    vec_graph_free(&g);
}

int main(void) {
    RUN(test_relayout_keeps_nodes_edges_and_answers);
    RUN(test_visited_set_is_clean_between_searches);
    return unit_report("unit_graph_layout");
}
