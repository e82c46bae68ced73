/*
** ext/vec: bounded top-k heap (see topk.h).
*/
#include "vec/topk.h"

#include <stdlib.h>

int vec_topk_init(vec_topk *h, size_t k) {
    h->k = k;
    h->n = 0;
    h->items = NULL;
    if (k == 0)
        return 0;
    h->items = malloc(k * sizeof *h->items);
    return h->items ? 0 : -1;
}

void vec_topk_free(vec_topk *h) {
    free(h->items);
    h->items = NULL;
    h->n = h->k = 0;
}

/* a ranks after b */
static int worse(const vec_topk_item *a, const vec_topk_item *b) {
    return a->distance > b->distance || (a->distance == b->distance && a->rowid > b->rowid);
}

static void sift_down(vec_topk_item *it, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&it[l], &it[m]))
            m = l;
        if (r < n && worse(&it[r], &it[m]))
            m = r;
        if (m == i)
            return;
        vec_topk_item t = it[i];
        it[i] = it[m];
        it[m] = t;
        i = m;
    }
}

void vec_topk_push(vec_topk *h, float distance, int64_t rowid, int64_t chunk_id, int32_t offset) {
    if (h->k == 0 || isnan(distance))
        return;
    vec_topk_item c = {distance, rowid, chunk_id, offset};
    if (h->n < h->k) {
        size_t i = h->n++;
        h->items[i] = c;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!worse(&h->items[i], &h->items[p]))
                break;
            vec_topk_item t = h->items[i];
            h->items[i] = h->items[p];
            h->items[p] = t;
            i = p;
        }
        return;
    }
    if (!worse(&h->items[0], &c))
        return;
    h->items[0] = c;
    sift_down(h->items, h->n, 0);
}

void vec_topk_sort(vec_topk *h) {
    /* heap sort in place: repeatedly move the worst to the end */
    for (size_t end = h->n; end > 1; end--) {
        vec_topk_item t = h->items[0];
        h->items[0] = h->items[end - 1];
        h->items[end - 1] = t;
        sift_down(h->items, end - 1, 0);
    }
}
