/*
** ext/vec: a Vamana proximity graph (the in-memory algorithm of DiskANN) over quantized codes,
** for the diskann(...) index. Plain C, no SQLite: the binding keeps each node's neighbour list
** and code in a shadow table and this structure as the connection's cache of it.
**
** Nodes are rows (by rowid); each has at most Rcap out-neighbours and a code (quantize.h). A
** search is a greedy beam search from the entry node keeping the L best codes seen; an insert
** searches for the new node, keeps a robust-pruned (alpha) subset of R of the nodes it visited
** as its neighbours and adds itself to theirs. A list that reaches Rcap (1.5 R) is pruned back
** to R, so a back edge costs a prune only once in R/2 inserts. A deleted node stays as a tombstone:
*searches
** walk through it but never return it, so deletes do not cut paths.
*/
#ifndef STRATA_VEC_GRAPH_H
#define STRATA_VEC_GRAPH_H

#include "vec/quantize.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vec_graph {
    int R;           /* out-degree after pruning */
    int Rcap;        /* lists grow to this many before they are pruned back to R */
    float alpha;     /* pruning slack (1.2) */
    vec_quantizer q; /* the codes' quantizer */
    vec_metric m;    /* the column's metric */
    size_t dims, code_bytes;
    size_t n, cap;          /* nodes in use, allocated */
    int64_t *rowid;         /* [n] */
    int32_t *nbr;           /* [n * Rcap], -1 past the end of a list */
    unsigned char *code;    /* [n * code_bytes] */
    unsigned char *deleted; /* [n] */
    int32_t entry;          /* -1 when empty */
    int64_t live;           /* nodes not deleted */
    /* rowid -> node (open addressing) */
    int32_t *slots;
    size_t nslots;
    /* search scratch */
    uint32_t *mark;
    uint32_t gen;
} vec_graph;

typedef struct vec_graph_hit {
    float distance; /* estimated, from the codes */
    int32_t node;
} vec_graph_hit;

void vec_graph_init(vec_graph *g, int R, vec_quantizer q, vec_metric m, size_t dims);
void vec_graph_free(vec_graph *g);

/* The node of rowid, or -1. */
int32_t vec_graph_find(const vec_graph *g, int64_t rowid);

/* Adds (or overwrites) a node with its code and no neighbours; returns it, -1 out of memory. */
int32_t vec_graph_put(vec_graph *g, int64_t rowid, const void *code, int deleted);

/* Beam search for the query code with list size L: fills hits (capacity L) with the best
** nodes seen, nearest first, and returns how many (tombstones included: callers skip them). */
size_t vec_graph_search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits);

/* Inserts or re-inserts rowid with code (search with list size L, prune, back edges).
** changed[] (capacity Rcap + 1) receives the nodes whose lists changed, *nchanged their count.
** Returns the node, or -1 when out of memory. */
int32_t vec_graph_insert(vec_graph *g, int64_t rowid, const void *code, int L, int32_t *changed,
                         size_t *nchanged);

/* Marks rowid's node deleted (a tombstone). Returns the node, or -1 when absent. */
int32_t vec_graph_delete(vec_graph *g, int64_t rowid);

#endif
