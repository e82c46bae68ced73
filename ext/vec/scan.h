/*
** ext/vec: scoring the windows of a flat KNN scan, on the calling thread or shared with worker
** threads. Plain C, no SQLite: the binding (vec0_knn_sql.c) reads each window of vectors with
** incremental blob I/O and hands it over as a job; this file scores jobs into top-k heaps.
**
** A scan is bound by memory bandwidth: reading a window out of SQLite's pages (a copy) costs
** more than scoring it from cache. SQLite's connection belongs to the calling thread, so the
** copies stay there; a worker scores the windows already read while the caller reads the next.
** The jobs are a small pool: the caller fills an empty one, and when none is empty scores a
** filled one itself, so a worker held up by a busy core never makes the caller wait (the scan
** then runs at the one-thread speed). Each thread keeps its own heap; the heaps merge at the end.
** Ties on distance rank by rowid (topk.h), so the answer does not depend on who scored what.
*/
#ifndef STRATA_VEC_SCAN_H
#define STRATA_VEC_SCAN_H

#include "vec/quantize.h"
#include "vec/topk.h"

#include <stddef.h>
#include <stdint.h>

/* A `distance <op> bound` condition of a KNN query. */
typedef enum vec_scan_op { VEC_SCAN_LT, VEC_SCAN_LE, VEC_SCAN_GT, VEC_SCAN_GE } vec_scan_op;

#define VEC_SCAN_MAX_BOUNDS 4
/* Worker threads at most (a scan uses threads - 1 workers). */
#define VEC_SCAN_MAX_THREADS 8

/* How a window's slots are scored: the exact kernel (kern) or the quantized scorer (coarse). */
typedef struct vec_scan_scorer {
    vec_distance_fn kern;           /* exact: the column's kernel */
    const vec_quant_scorer *coarse; /* or coarse: codes against the query's code */
    const void *query;              /* exact: the query in the column's type */
    size_t dims;
    size_t rec; /* bytes per slot */
    int nbounds;
    vec_scan_op ops[VEC_SCAN_MAX_BOUNDS]; /* distance bounds (exact scans only) */
    double bounds[VEC_SCAN_MAX_BOUNDS];
} vec_scan_scorer;

/* One window of a chunk: the vectors of slots first.. in buf, of which n are scored. */
typedef struct vec_scan_job {
    unsigned char *buf; /* slot `first + i` at buf + i * rec (only scored slots need be read) */
    int first;
    int64_t chunk_id;
    size_t n;
    int32_t *offsets; /* the n slots to score (in the chunk) */
    int64_t *rowids;  /* their rowids */
} vec_scan_job;

/* Whether distance d meets every bound of s. */
int vec_scan_within(const vec_scan_scorer *s, float d);

/* Scores job j into heap; returns the slots scored. */
size_t vec_scan_score(const vec_scan_scorer *s, const vec_scan_job *j, vec_topk *heap);

/* Allocates a job for windows of up to `slots` slots; NULL when out of memory. */
vec_scan_job *vec_scan_job_new(size_t rec, int slots);
void vec_scan_job_free(vec_scan_job *j);

typedef struct vec_scan_pool vec_scan_pool;

/* Starts threads - 1 workers scoring with s (kept by pointer) into heaps of k. NULL when out of
** memory or when no thread could be started: the caller then scores alone. */
vec_scan_pool *vec_scan_pool_start(const vec_scan_scorer *s, size_t k, int threads, int slots);

/* A job to fill, then hand to vec_scan_pool_submit. When every job is taken, the caller scores
** a filled one into heap first (adding to *scored). */
vec_scan_job *vec_scan_pool_acquire(vec_scan_pool *p, vec_topk *heap, int64_t *scored);
void vec_scan_pool_submit(vec_scan_pool *p, vec_scan_job *j);

/* Scores what is left, joins the workers, merges their heaps into heap (adding their counts to
** *scored) and frees the pool. */
void vec_scan_pool_finish(vec_scan_pool *p, vec_topk *heap, int64_t *scored);

#endif
