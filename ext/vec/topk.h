/*
** ext/vec: a bounded top-k selection (max-heap of the k best so far), so a KNN scan keeps
** O(k) memory whatever the table size. Ties on distance are broken by the smaller rowid, which
** makes results deterministic.
*/
#ifndef STRATA_VEC_TOPK_H
#define STRATA_VEC_TOPK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vec_topk_item {
    float distance;
    int64_t rowid;
    int64_t chunk_id;
    int32_t offset; /* position inside the chunk */
} vec_topk_item;

typedef struct vec_topk {
    vec_topk_item *items;
    size_t k, n;
} vec_topk;

/* Returns 0, or -1 when out of memory. k may be 0. */
int vec_topk_init(vec_topk *h, size_t k);
void vec_topk_free(vec_topk *h);

/* Distances at or above this cannot enter the heap (+inf until k items are held). */
static inline float vec_topk_threshold(const vec_topk *h) {
    return h->n < h->k ? INFINITY : h->items[0].distance;
}

/* Offers one candidate; NaN distances are ignored. */
void vec_topk_push(vec_topk *h, float distance, int64_t rowid, int64_t chunk_id, int32_t offset);

/* Sorts the held items best first (ascending distance, then rowid); the heap is then spent. */
void vec_topk_sort(vec_topk *h);

#endif
