/*
** ext/vec: the Vamana graph of the diskann index (see graph.h).
*/
#include "vec/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void vec_graph_init(vec_graph *g, int R, vec_quantizer q, vec_metric m, size_t dims) {
    memset(g, 0, sizeof *g);
    g->R = R;
    g->Rcap = R + (R / 2 > 1 ? R / 2 : 1);
    g->alpha = 1.2f;
    g->q = q;
    g->m = m;
    g->dims = dims;
    g->code_bytes = vec_quant_bytes(q, dims);
    g->entry = -1;
}

void vec_graph_free(vec_graph *g) {
    free(g->rowid);
    free(g->nbr);
    free(g->code);
    free(g->deleted);
    free(g->slots);
    free(g->mark);
    vec_graph_init(g, g->R, g->q, g->m, g->dims);
}

/* ---- rowid -> node -------------------------------------------------------------------------- */

static size_t hash64(int64_t k) {
    uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29));
}

int32_t vec_graph_find(const vec_graph *g, int64_t rowid) {
    if (g->nslots == 0)
        return -1;
    for (size_t i = hash64(rowid) & (g->nslots - 1);; i = (i + 1) & (g->nslots - 1)) {
        int32_t s = g->slots[i];
        if (s == 0)
            return -1;
        if (g->rowid[s - 1] == rowid)
            return s - 1;
    }
}

static void slot_insert(int32_t *slots, size_t nslots, const int64_t *rowids, int32_t node) {
    size_t i = hash64(rowids[node]) & (nslots - 1);
    while (slots[i] != 0)
        i = (i + 1) & (nslots - 1);
    slots[i] = node + 1;
}

static int grow(vec_graph *g) {
    size_t cap = g->cap ? g->cap * 2 : 1024;
    int64_t *rowid = realloc(g->rowid, cap * sizeof *rowid);
    if (rowid)
        g->rowid = rowid;
    int32_t *nbr = realloc(g->nbr, cap * (size_t)g->Rcap * sizeof *nbr);
    if (nbr)
        g->nbr = nbr;
    unsigned char *code = realloc(g->code, cap * g->code_bytes + 1);
    if (code)
        g->code = code;
    unsigned char *del = realloc(g->deleted, cap);
    if (del)
        g->deleted = del;
    uint32_t *mark = realloc(g->mark, cap * sizeof *mark);
    if (mark) {
        memset(mark + g->cap, 0, (cap - g->cap) * sizeof *mark);
        g->mark = mark;
    }
    int32_t *slots = calloc(cap * 2, sizeof *slots);
    if (!rowid || !nbr || !code || !del || !mark || !slots) {
        free(slots);
        return -1;
    }
    for (size_t i = 0; i < g->n; i++)
        slot_insert(slots, cap * 2, g->rowid, (int32_t)i);
    free(g->slots);
    g->slots = slots;
    g->nslots = cap * 2;
    g->cap = cap;
    return 0;
}

int32_t vec_graph_put(vec_graph *g, int64_t rowid, const void *code, int deleted) {
    int32_t node = vec_graph_find(g, rowid);
    if (node < 0) {
        if (g->n == g->cap && grow(g) != 0)
            return -1;
        node = (int32_t)g->n++;
        g->rowid[node] = rowid;
        g->deleted[node] = 1; /* counted live below */
        slot_insert(g->slots, g->nslots, g->rowid, node);
    }
    memcpy(g->code + (size_t)node * g->code_bytes, code, g->code_bytes);
    int32_t *list = g->nbr + (size_t)node * (size_t)g->Rcap;
    for (int i = 0; i < g->Rcap; i++)
        list[i] = -1;
    g->live += (deleted ? 0 : 1) - (g->deleted[node] ? 0 : 1);
    g->deleted[node] = deleted ? 1 : 0;
    if (g->entry < 0)
        g->entry = node;
    return node;
}

int32_t vec_graph_delete(vec_graph *g, int64_t rowid) {
    int32_t node = vec_graph_find(g, rowid);
    if (node >= 0 && !g->deleted[node]) {
        g->deleted[node] = 1;
        g->live--;
    }
    return node;
}

/* ---- search --------------------------------------------------------------------------------- */

static const unsigned char *code_of(const vec_graph *g, int32_t node) {
    return g->code + (size_t)node * g->code_bytes;
}

/* The beam search; expanded nodes are also appended to visited (capacity vcap) when given. */
static size_t search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits,
                     vec_graph_hit *visited, size_t vcap, size_t *nvisited) {
    if (g->entry < 0 || L < 1)
        return 0;
    unsigned char *expanded = calloc((size_t)L, 1);
    if (expanded == NULL)
        return 0;
    if (++g->gen == 0) { /* wrapped: forget every mark */
        memset(g->mark, 0, g->n * sizeof *g->mark);
        g->gen = 1;
    }
    vec_quant_scorer s;
    vec_quant_scorer_init(&s, g->q, g->m, g->dims, qcode);
    size_t nb = 1;
    hits[0].node = g->entry;
    hits[0].distance = vec_quant_estimate(&s, code_of(g, g->entry));
    g->mark[g->entry] = g->gen;
    for (;;) {
        size_t i = 0;
        while (i < nb && expanded[i])
            i++;
        if (i == nb)
            break;
        expanded[i] = 1;
        if (visited && *nvisited < vcap)
            visited[(*nvisited)++] = hits[i];
        const int32_t *list = g->nbr + (size_t)hits[i].node * (size_t)g->Rcap;
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++) {
            int32_t v = list[j];
            if (g->mark[v] == g->gen)
                continue;
            g->mark[v] = g->gen;
            float d = vec_quant_estimate(&s, code_of(g, v));
            if (isnan(d) || (nb == (size_t)L && d >= hits[nb - 1].distance))
                continue;
            size_t p = nb < (size_t)L ? nb : nb - 1;
            while (p > 0 && hits[p - 1].distance > d) {
                hits[p] = hits[p - 1];
                expanded[p] = expanded[p - 1];
                p--;
            }
            hits[p].node = v;
            hits[p].distance = d;
            expanded[p] = 0;
            if (nb < (size_t)L)
                nb++;
        }
    }
    free(expanded);
    return nb;
}

size_t vec_graph_search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits) {
    return search(g, qcode, L, hits, NULL, 0, NULL);
}

/* ---- insert --------------------------------------------------------------------------------- */

/* Robust prune: from candidates sorted by distance to p, keeps up to R, dropping each candidate
** that a kept one reaches alpha times closer than p does. Writes p's list. */
static void prune(vec_graph *g, int32_t p, vec_graph_hit *cand, size_t n) {
    int32_t *list = g->nbr + (size_t)p * (size_t)g->Rcap;
    unsigned char *alive = malloc(n + 1);
    int out = 0;
    if (alive != NULL) {
        for (size_t i = 0; i < n; i++) /* sorted candidates: repeats are dropped too */
            alive[i] = cand[i].node != p && !g->deleted[cand[i].node] &&
                       (i == 0 || cand[i].node != cand[i - 1].node);
        for (size_t i = 0; i < n && out < g->R; i++) {
            if (!alive[i])
                continue;
            int32_t c = cand[i].node;
            list[out++] = c;
            vec_quant_scorer s;
            vec_quant_scorer_init(&s, g->q, g->m, g->dims, code_of(g, c));
            for (size_t j = i + 1; j < n; j++)
                if (alive[j] &&
                    g->alpha * vec_quant_estimate(&s, code_of(g, cand[j].node)) <= cand[j].distance)
                    alive[j] = 0;
        }
        free(alive);
    }
    for (int i = out; i < g->Rcap; i++)
        list[i] = -1;
}

static int cmp_hit(const void *a, const void *b) {
    const vec_graph_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return (x->distance > y->distance) - (x->distance < y->distance);
    return (x->node > y->node) - (x->node < y->node);
}

/* Adds edge j -> p; a full list is pruned back to R with p among its candidates. */
static void add_edge(vec_graph *g, int32_t j, int32_t p, vec_graph_hit *scratch) {
    int32_t *list = g->nbr + (size_t)j * (size_t)g->Rcap;
    int n = 0;
    while (n < g->Rcap && list[n] >= 0) {
        if (list[n] == p)
            return;
        n++;
    }
    if (n < g->Rcap) {
        list[n] = p;
        return;
    }
    vec_quant_scorer s;
    vec_quant_scorer_init(&s, g->q, g->m, g->dims, code_of(g, j));
    for (int i = 0; i < n; i++) {
        scratch[i].node = list[i];
        scratch[i].distance = vec_quant_estimate(&s, code_of(g, list[i]));
    }
    scratch[n].node = p;
    scratch[n].distance = vec_quant_estimate(&s, code_of(g, p));
    qsort(scratch, (size_t)n + 1, sizeof *scratch, cmp_hit);
    prune(g, j, scratch, (size_t)n + 1);
}

int32_t vec_graph_insert(vec_graph *g, int64_t rowid, const void *code, int L, int32_t *changed,
                         size_t *nchanged) {
    *nchanged = 0;
    int32_t p = vec_graph_put(g, rowid, code, 0);
    if (p < 0)
        return -1;
    changed[(*nchanged)++] = p;
    if (g->n == 1)
        return p;      /* the first node */
    if (g->entry == p) /* re-inserting the entry, whose list was just cleared: enter elsewhere */
        g->entry = p == 0 ? 1 : 0;
    if (L < g->R)
        L = g->R;
    /* candidates: the final beam and every node expanded on the way (the far ones give the
    ** long edges that keep the graph navigable) */
    size_t vcap = 4 * (size_t)L;
    vec_graph_hit *hits = malloc(((size_t)L + vcap + (size_t)g->Rcap + 1) * sizeof *hits);
    if (hits == NULL)
        return -1;
    size_t nvisited = 0;
    size_t n = search(g, code, L, hits, hits + L, vcap, &nvisited);
    memmove(hits + n, hits + L, nvisited * sizeof *hits);
    n += nvisited;
    qsort(hits, n, sizeof *hits, cmp_hit);
    prune(g, p, hits, n);
    const int32_t *list = g->nbr + (size_t)p * (size_t)g->Rcap;
    for (int i = 0; i < g->Rcap && list[i] >= 0; i++) {
        add_edge(g, list[i], p, hits);
        changed[(*nchanged)++] = list[i];
    }
    free(hits);
    return p;
}
