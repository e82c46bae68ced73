/*
** ext/vec: a Vamana proximity graph (the in-memory algorithm of DiskANN) over quantized codes,
** for the diskann(...) index. Plain C, no SQLite: the binding keeps each node's neighbour list
** and code in a shadow table and this structure as the connection's cache of it.
**
** Nodes are rows (by rowid); each has at most Rcap out-neighbours and a code (quantize.h).
**
** - A search is a greedy beam search from the entry node keeping the L best codes seen.
** - An insert searches for the new node, keeps a robust-pruned (alpha) subset of R of the nodes
**   it visited as its neighbours and adds itself to theirs. A list that reaches Rcap (1.5 R) is
**   pruned back to R, so a back edge costs a prune only once in R/2 inserts.
** - The entry node moves towards the medoid (the node nearest the mean of the codes) each time
**   the graph doubles, so searches start near the middle of the data.
** - A deleted node stays as a tombstone: searches walk through it but never return it, so
**   deletes do not cut paths. vec_graph_consolidate() later reconnects each node that points
**   to a tombstone to the tombstone's own neighbours, and drops the tombstones.
**
** Every node whose list, code or tombstone changed is recorded as dirty, so the binding writes
** each changed node once per transaction, however many inserts touched it.
*/
#ifndef STRATA_VEC_GRAPH_H
#define STRATA_VEC_GRAPH_H

#include "vec/quantize.h"

#include <stddef.h>
#include <stdint.h>

typedef struct vec_graph_hit {
    float distance; /* estimated, from the codes */
    int32_t node;
} vec_graph_hit;

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
    /* new (unique in the process) whenever node numbers may come to name other rows: at init,
    ** relayout and compaction; a caller keeping node numbers drops them when it changes */
    uint64_t stamp;
    int64_t live;    /* nodes not deleted */
    size_t entry_at; /* node count when the entry was last chosen */
    /* rowid -> node (open addressing) */
    int32_t *slots;
    size_t nslots;
    /* nodes changed since vec_graph_clean (dirty[node] set, listed once in dirty_list) */
    unsigned char *dirty;
    int32_t *dirty_list;
    size_t ndirty;
    /* search scratch */
    uint32_t *mark;
    uint32_t gen;
    unsigned char *expanded; /* [scratch_cap] */
    vec_graph_hit *cand;     /* [scratch_cap]: the candidates of an insert or a prune */
    size_t scratch_cap;
    /* a search's visited nodes: a bit per node (a few cache lines where mark[] spans MBs) and
    ** the nodes set, to clear them after */
    uint64_t *seen;
    size_t seen_words;
    int32_t *seen_list;
    size_t seen_n, seen_cap;
    int seen_overflow; /* seen_list was full: clear every bit */
} vec_graph;

void vec_graph_init(vec_graph *g, int R, vec_quantizer q, vec_metric m, size_t dims);
void vec_graph_free(vec_graph *g);

/* The node of rowid, or -1. */
int32_t vec_graph_find(const vec_graph *g, int64_t rowid);

/* Adds (or overwrites) a node with its code and no neighbours, without marking it dirty (for
** loading); returns it, -1 out of memory. */
int32_t vec_graph_put(vec_graph *g, int64_t rowid, const void *code, int deleted);

/* Sets node's out-list (loading): up to Rcap nodes, ignoring any < 0. */
void vec_graph_set_list(vec_graph *g, int32_t node, const int32_t *list, int n);

/* Beam search for the query code with list size L: fills hits (capacity L) with the best
** nodes seen, nearest first, and returns how many (tombstones included: callers skip them).
** 0 when out of memory. */
size_t vec_graph_search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits);

/* A search that also collects the `want` best nodes whose bit is set in allow (a bit per node,
** node / 8, node % 8) among every node it scores, skipping tombstones: they are written to
** best, nearest first, and their number returned (0 when out of memory). The beam of L nodes
** steers through every node, allowed or not. */
size_t vec_graph_search_filtered(vec_graph *g, const void *qcode, int L, const unsigned char *allow,
                                 vec_graph_hit *best, size_t want);

/* Inserts or re-inserts rowid with code (search with list size L, prune, back edges), marking
** the nodes it changes dirty. Returns the node, or -1 when out of memory. */
int32_t vec_graph_insert(vec_graph *g, int64_t rowid, const void *code, int L);

/* Inserts n rows (rowids[i] with the code at codes + i * code_bytes) together: each group of
** new rows searches the graph as it stood before the group (on `threads` threads, at most 2,
** joined before return), then the group's back edges are added. Rows already in the graph,
** and rows of a graph still small, go one at a time as vec_graph_insert. 0, or -1 when out of
** memory (the graph is then valid, with the rows not all linked). */
int vec_graph_insert_batch(vec_graph *g, const int64_t *rowids, const unsigned char *codes,
                           size_t n, int L, int threads);

/* Marks rowid's node deleted (a tombstone, dirty). Returns the node, or -1 when absent. */
int32_t vec_graph_delete(vec_graph *g, int64_t rowid);

/* Reconnects the nodes pointing to tombstones (FreshDiskANN's delete consolidation), then
** drops the tombstones: node numbers change; changed nodes are dirty. Returns the number of
** tombstones dropped, or -1 when out of memory (the graph is then unchanged but may have
** lists already repaired: still a valid graph). */
int64_t vec_graph_consolidate(vec_graph *g);

/* Chooses the entry node nearest the mean of the live codes. 0, or -1 when out of memory. */
int vec_graph_choose_entry(vec_graph *g);

/* Renumbers the nodes breadth first from the entry, into arrays on huge pages where the system
** has them, so that searches read nearby memory: for a graph just loaded (node numbers change).
** 0, or -1 when out of memory (the graph is then unchanged). */
int vec_graph_relayout(vec_graph *g);

/* Forgets which nodes are dirty (after the binding wrote them). */
void vec_graph_clean(vec_graph *g);

/* Marks a node dirty. */
void vec_graph_touch(vec_graph *g, int32_t node);

/* Number of out-neighbours of node. */
int vec_graph_degree(const vec_graph *g, int32_t node);

#endif
