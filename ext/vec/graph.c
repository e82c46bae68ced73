/*
** ext/vec: the Vamana graph of the diskann index (see graph.h).
*/
#include "vec/graph.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <unistd.h>

/* Lists never exceed this (R <= 256, Rcap = 1.5 R). */
#define MAX_LIST 384

/* Graphs of every connection, in any thread, take their stamps from one counter. */
static uint64_t next_stamp(void) {
    static _Atomic uint64_t last;
    return atomic_fetch_add(&last, 1) + 1;
}

void vec_graph_init(vec_graph *g, int R, vec_quantizer q, vec_metric m, size_t dims) {
    memset(g, 0, sizeof *g);
    R = R < 1 ? 1 : R > 256 ? 256 : R;
    g->R = R;
    g->Rcap = R + (R / 2 > 1 ? R / 2 : 1);
    g->alpha = 1.2f;
    g->q = q;
    g->m = m;
    g->dims = dims;
    g->code_bytes = vec_quant_bytes(q, dims);
    g->entry = -1;
    g->stamp = next_stamp();
}

void vec_graph_free(vec_graph *g) {
    free(g->rowid);
    free(g->nbr);
    free(g->code);
    free(g->deleted);
    free(g->slots);
    free(g->dirty);
    free(g->dirty_list);
    free(g->mark);
    free(g->expanded);
    free(g->cand);
    free(g->seen);
    free(g->seen_list);
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

static void rehash(vec_graph *g) {
    memset(g->slots, 0, g->nslots * sizeof *g->slots);
    for (size_t i = 0; i < g->n; i++)
        slot_insert(g->slots, g->nslots, g->rowid, (int32_t)i);
}

static int grow(vec_graph *g) {
    size_t cap = g->cap ? g->cap * 2 : 1024;
    if (cap > (size_t)INT32_MAX / 2)
        return -1;
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
    unsigned char *dirty = realloc(g->dirty, cap);
    if (dirty) {
        memset(dirty + g->cap, 0, cap - g->cap);
        g->dirty = dirty;
    }
    int32_t *dirty_list = realloc(g->dirty_list, cap * sizeof *dirty_list);
    if (dirty_list)
        g->dirty_list = dirty_list;
    uint32_t *mark = realloc(g->mark, cap * sizeof *mark);
    if (mark) {
        memset(mark + g->cap, 0, (cap - g->cap) * sizeof *mark);
        g->mark = mark;
    }
    int32_t *slots = calloc(cap * 2, sizeof *slots);
    if (!rowid || !nbr || !code || !del || !dirty || !dirty_list || !mark || !slots) {
        free(slots);
        return -1;
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = cap * 2;
    g->cap = cap;
    rehash(g);
    return 0;
}

/* Scratch for searches and prunes of lists up to `need` entries. */
static int scratch(vec_graph *g, size_t need) {
    if (need <= g->scratch_cap)
        return 0;
    size_t cap = g->scratch_cap ? g->scratch_cap : 256;
    while (cap < need)
        cap *= 2;
    unsigned char *expanded = realloc(g->expanded, cap);
    if (expanded)
        g->expanded = expanded;
    vec_graph_hit *cand = realloc(g->cand, cap * sizeof *cand);
    if (cand)
        g->cand = cand;
    if (!expanded || !cand)
        return -1;
    g->scratch_cap = cap;
    return 0;
}

void vec_graph_touch(vec_graph *g, int32_t node) {
    if (!g->dirty[node]) {
        g->dirty[node] = 1;
        g->dirty_list[g->ndirty++] = node;
    }
}

void vec_graph_clean(vec_graph *g) {
    for (size_t i = 0; i < g->ndirty; i++)
        g->dirty[g->dirty_list[i]] = 0;
    g->ndirty = 0;
}

static int32_t *list_of(const vec_graph *g, int32_t node) {
    return g->nbr + (size_t)node * (size_t)g->Rcap;
}

int vec_graph_degree(const vec_graph *g, int32_t node) {
    const int32_t *list = list_of(g, node);
    int n = 0;
    while (n < g->Rcap && list[n] >= 0)
        n++;
    return n;
}

int32_t vec_graph_put(vec_graph *g, int64_t rowid, const void *code, int deleted) {
    int32_t node = vec_graph_find(g, rowid);
    if (node < 0) {
        if (g->n == g->cap && grow(g) != 0)
            return -1;
        node = (int32_t)g->n++;
        g->rowid[node] = rowid;
        g->deleted[node] = 1; /* counted live below */
        g->dirty[node] = 0;
        slot_insert(g->slots, g->nslots, g->rowid, node);
    }
    memcpy(g->code + (size_t)node * g->code_bytes, code, g->code_bytes);
    int32_t *list = list_of(g, node);
    for (int i = 0; i < g->Rcap; i++)
        list[i] = -1;
    g->live += (deleted ? 0 : 1) - (g->deleted[node] ? 0 : 1);
    g->deleted[node] = deleted ? 1 : 0;
    if (g->entry < 0)
        g->entry = node;
    return node;
}

void vec_graph_set_list(vec_graph *g, int32_t node, const int32_t *nodes, int n) {
    int32_t *list = list_of(g, node);
    int out = 0;
    for (int i = 0; i < n && out < g->Rcap; i++)
        if (nodes[i] >= 0 && (size_t)nodes[i] < g->n && nodes[i] != node)
            list[out++] = nodes[i];
    while (out < g->Rcap)
        list[out++] = -1;
}

int32_t vec_graph_delete(vec_graph *g, int64_t rowid) {
    int32_t node = vec_graph_find(g, rowid);
    if (node >= 0 && !g->deleted[node]) {
        g->deleted[node] = 1;
        g->live--;
        vec_graph_touch(g, node);
    }
    return node;
}

/* ---- search --------------------------------------------------------------------------------- */

static const unsigned char *code_of(const vec_graph *g, int32_t node) {
    return g->code + (size_t)node * g->code_bytes;
}

static void prefetch_code(const vec_graph *g, int32_t node) {
#if defined(__GNUC__)
    const unsigned char *p = code_of(g, node);
    size_t n = g->code_bytes < 1024 ? g->code_bytes : 1024;
    for (size_t off = 0; off < n; off += 64)
        __builtin_prefetch(p + off);
    __builtin_prefetch(p + g->code_bytes - 1); /* an int8 code's scale and norm */
#else
    (void)g;
    (void)node;
#endif
}

static void prefetch_list(const vec_graph *g, int32_t node) {
#if defined(__GNUC__)
    const char *p = (const char *)list_of(g, node);
    for (size_t off = 0; off < (size_t)g->Rcap * sizeof(int32_t); off += 64)
        __builtin_prefetch(p + off);
#else
    (void)g;
    (void)node;
#endif
}

/* A new search generation: marks of earlier searches no longer count. */
static void next_generation(vec_graph *g) {
    if (++g->gen == 0) { /* wrapped: forget every mark */
        memset(g->mark, 0, g->n * sizeof *g->mark);
        g->gen = 1;
    }
}

/* Readies the visited set for a search of the current graph. 0, or -1 when out of memory. */
static int seen_begin(vec_graph *g) {
    size_t words = g->n / 64 + 1;
    if (words > g->seen_words) {
        size_t want = words + words / 2;
        uint64_t *seen = realloc(g->seen, want * sizeof *seen);
        if (seen == NULL)
            return -1;
        memset(seen + g->seen_words, 0, (want - g->seen_words) * sizeof *seen);
        g->seen = seen;
        g->seen_words = want;
    }
    if (g->seen_list == NULL) {
        g->seen_list = malloc(4096 * sizeof *g->seen_list);
        g->seen_cap = g->seen_list ? 4096 : 0;
    }
    g->seen_n = 0;
    g->seen_overflow = 0;
    return 0;
}

/* Marks node visited; 1 when it already was. */
static int seen_test_set(vec_graph *g, int32_t node) {
    uint64_t bit = (uint64_t)1 << (node & 63), *w = &g->seen[node >> 6];
    if (*w & bit)
        return 1;
    *w |= bit;
    if (g->seen_n == g->seen_cap) {
        int32_t *list = g->seen_cap ? realloc(g->seen_list, 2 * g->seen_cap * sizeof *list) : NULL;
        if (list == NULL) {
            g->seen_overflow = 1;
            return 0;
        }
        g->seen_list = list;
        g->seen_cap *= 2;
    }
    g->seen_list[g->seen_n++] = node;
    return 0;
}

/* Clears the visited set for the next search. */
static void seen_end(vec_graph *g) {
    if (g->seen_overflow) {
        memset(g->seen, 0, g->seen_words * sizeof *g->seen);
        return;
    }
    for (size_t i = 0; i < g->seen_n; i++)
        g->seen[g->seen_list[i] >> 6] = 0;
}

/* The best allowed nodes seen by a filtered search: a max-heap on distance. */
typedef struct found {
    const unsigned char *allow; /* bit per node */
    vec_graph_hit *heap;
    size_t n, cap;
} found;

static void found_offer(const vec_graph *g, found *f, int32_t node, float d) {
    if (!(f->allow[node / 8] >> (node % 8) & 1) || g->deleted[node])
        return;
    vec_graph_hit *h = f->heap, x = {d, node};
    if (f->n < f->cap) { /* sift up */
        size_t i = f->n++;
        while (i > 0 && h[(i - 1) / 2].distance < d) {
            h[i] = h[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        h[i] = x;
    } else if (d < h[0].distance) { /* replace the worst, sift down */
        size_t i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= f->n)
                break;
            if (c + 1 < f->n && h[c + 1].distance > h[c].distance)
                c++;
            if (h[c].distance <= d)
                break;
            h[i] = h[c];
            i = c;
        }
        h[i] = x;
    }
}

/* The beam search; expanded nodes are also appended to visited (capacity vcap) when given, and
** every node scored is offered to out when given. */
static size_t search_with(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits,
                          vec_graph_hit *visited, size_t vcap, size_t *nvisited, found *out) {
    if (g->entry < 0 || L < 1 || scratch(g, (size_t)L) != 0 || seen_begin(g) != 0)
        return 0;
    unsigned char *expanded = g->expanded;
    vec_quant_scorer s;
    vec_quant_scorer_init(&s, g->q, g->m, g->dims, qcode);
    size_t nb = 1, cur = 0;
    hits[0].node = g->entry;
    hits[0].distance = vec_quant_estimate(&s, code_of(g, g->entry));
    if (out && !isnan(hits[0].distance))
        found_offer(g, out, g->entry, hits[0].distance);
    expanded[0] = 0;
    seen_test_set(g, g->entry);
    int32_t todo[MAX_LIST];
    while (cur < nb) {
        expanded[cur] = 1;
        if (visited && *nvisited < vcap)
            visited[(*nvisited)++] = hits[cur];
        const int32_t *list = list_of(g, hits[cur].node);
        /* the next node to expand, unless this one finds better: its list arrives meanwhile */
        for (size_t j = cur + 1; j < nb; j++)
            if (!expanded[j]) {
                prefetch_list(g, hits[j].node);
                break;
            }
        int nt = 0;
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++) {
            int32_t v = list[j];
            if (seen_test_set(g, v))
                continue;
            todo[nt++] = v;
            prefetch_code(g, v);
        }
        size_t next = cur + 1;
        for (int t = 0; t < nt; t++) {
            float d = vec_quant_estimate(&s, code_of(g, todo[t]));
            if (isnan(d))
                continue;
            if (out)
                found_offer(g, out, todo[t], d);
            if (nb == (size_t)L && d >= hits[nb - 1].distance)
                continue;
            /* the first position whose distance exceeds d */
            size_t lo = 0, hi = nb;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (hits[mid].distance <= d)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            size_t keep = nb < (size_t)L ? nb : nb - 1; /* entries that stay, shifted */
            memmove(hits + lo + 1, hits + lo, (keep - lo) * sizeof *hits);
            memmove(expanded + lo + 1, expanded + lo, keep - lo);
            hits[lo].node = todo[t];
            hits[lo].distance = d;
            expanded[lo] = 0;
            if (nb < (size_t)L)
                nb++;
            if (lo < next)
                next = lo;
        }
        cur = next;
        while (cur < nb && expanded[cur])
            cur++;
    }
    seen_end(g);
    return nb;
}

static size_t search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits,
                     vec_graph_hit *visited, size_t vcap, size_t *nvisited) {
    return search_with(g, qcode, L, hits, visited, vcap, nvisited, NULL);
}

size_t vec_graph_search(vec_graph *g, const void *qcode, int L, vec_graph_hit *hits) {
    return search(g, qcode, L, hits, NULL, 0, NULL);
}

static int cmp_hit(const void *a, const void *b);

size_t vec_graph_search_filtered(vec_graph *g, const void *qcode, int L, const unsigned char *allow,
                                 vec_graph_hit *best, size_t want) {
    vec_graph_hit *beam = malloc(((size_t)L + 1) * sizeof *beam);
    if (beam == NULL || want == 0) {
        free(beam);
        return 0;
    }
    found f = {allow, best, 0, want};
    search_with(g, qcode, L, beam, NULL, 0, NULL, &f);
    free(beam);
    qsort(best, f.n, sizeof *best, cmp_hit);
    return f.n;
}

/* ---- pruning -------------------------------------------------------------------------------- */

/* The metric of node-to-node distances: a dot product is no distance (a node is not nearest to
** itself), so graphs of dot columns are pruned by l2. */
static vec_metric prune_metric(const vec_graph *g) {
    return g->m == VEC_DOT ? VEC_L2 : g->m;
}

/* A node-to-node distance as pruning compares it: l2 squared, as DiskANN does (so alpha 1.2 is
** about 1.1 on the distance itself). Cosine distances (1 - cos, half the squared l2 of unit
** vectors) and Hamming distances (a quarter of the squared l2 of +-1 vectors) are on that
** scale already. */
static float prune_distance(const vec_graph *g, const vec_quant_scorer *s, int32_t node) {
    float d = vec_quant_estimate(s, code_of(g, node));
    return s->m == VEC_L2 && s->q != VEC_QUANT_BIT ? d * d : d;
}

static int cmp_hit(const void *a, const void *b) {
    const vec_graph_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return (x->distance > y->distance) - (x->distance < y->distance);
    return (x->node > y->node) - (x->node < y->node);
}

/* Distances from p to the n candidates (prune metric), sorted, repeats and p and tombstones
** dropped; returns how many are left. */
static size_t rank_candidates(vec_graph *g, int32_t p, vec_graph_hit *cand, size_t n) {
    vec_quant_scorer s;
    vec_quant_scorer_init(&s, g->q, prune_metric(g), g->dims, code_of(g, p));
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = cand[i].node;
        if (c == p || g->deleted[c])
            continue;
        float d = prune_distance(g, &s, c);
        if (isnan(d))
            d = INFINITY;
        cand[out].node = c;
        cand[out++].distance = d;
    }
    qsort(cand, out, sizeof *cand, cmp_hit);
    size_t u = 0;
    for (size_t i = 0; i < out; i++)
        if (u == 0 || cand[i].node != cand[u - 1].node)
            cand[u++] = cand[i];
    return u;
}

/* Robust prune: from candidates ranked by rank_candidates, keeps up to R, dropping each
** candidate that a kept one reaches alpha times closer than p does. Writes p's list. */
static void prune_to(vec_graph *g, int32_t p, vec_graph_hit *cand, size_t n, int limit) {
    int32_t *list = list_of(g, p);
    int out = 0;
    vec_metric pm = prune_metric(g);
    /* candidates dropped have their distance set to NaN */
    for (size_t i = 0; i < n && out < limit; i++) {
        if (isnan(cand[i].distance))
            continue;
        int32_t c = cand[i].node;
        list[out++] = c;
        if (out == limit)
            break;
        vec_quant_scorer s;
        vec_quant_scorer_init(&s, g->q, pm, g->dims, code_of(g, c));
        for (size_t j = i + 1; j < n; j++)
            if (!isnan(cand[j].distance) &&
                g->alpha * prune_distance(g, &s, cand[j].node) <= cand[j].distance)
                cand[j].distance = NAN;
    }
    for (int i = out; i < g->Rcap; i++)
        list[i] = -1;
    vec_graph_touch(g, p);
}

static void prune(vec_graph *g, int32_t p, vec_graph_hit *cand, size_t n) {
    prune_to(g, p, cand, n, g->R);
}

/* Adds edge j -> p; a full list is pruned back to R with p among its candidates. */
static void add_edge(vec_graph *g, int32_t j, int32_t p, vec_graph_hit *scratch_hits) {
    int32_t *list = list_of(g, j);
    int n = 0;
    while (n < g->Rcap && list[n] >= 0) {
        if (list[n] == p)
            return;
        n++;
    }
    vec_graph_touch(g, j);
    if (n < g->Rcap) {
        list[n] = p;
        return;
    }
    for (int i = 0; i < n; i++)
        scratch_hits[i].node = list[i];
    scratch_hits[n].node = p;
    size_t m = rank_candidates(g, j, scratch_hits, (size_t)n + 1);
    prune(g, j, scratch_hits, m);
}

/* Entries of the hits array link_out needs for list size L (raised to R). */
static size_t link_out_need(const vec_graph *g, int *L) {
    if (*L < g->R)
        *L = g->R;
    return (size_t)*L + 2 * (size_t)*L + (size_t)g->Rcap + 1;
}

/* Sets node p's out-list (its code set): searches for it with list size L and prunes the nodes
** visited into its list. hits has link_out_need() entries; g's scratch covers them. Writes
** nothing but p's list (p must be dirty already when searches run side by side). */
static void link_out(vec_graph *g, int32_t p, int L, vec_graph_hit *hits) {
    size_t vcap = 2 * (size_t)L;
    size_t nvisited = 0;
    size_t n = search(g, code_of(g, p), L, hits, hits + L, vcap, &nvisited);
    /* candidates: the final beam and every node expanded on the way (the far ones give the
    ** long edges that keep the graph navigable) */
    memmove(hits + n, hits + L, nvisited * sizeof *hits);
    n += nvisited;
    n = rank_candidates(g, p, hits, n);
    prune(g, p, hits, n);
}

/* Adds an edge back to p from each node of p's list. */
static void link_back(vec_graph *g, int32_t p) {
    const int32_t *list = list_of(g, p);
    int32_t mine[MAX_LIST];
    int deg = 0;
    while (deg < g->Rcap && list[deg] >= 0) {
        mine[deg] = list[deg];
        deg++;
    }
    for (int i = 0; i < deg; i++)
        add_edge(g, mine[i], p, g->cand);
}

/* Connects node p (its code set): its out-list, then the back edges. */
static int connect_node(vec_graph *g, int32_t p, int L) {
    size_t need = link_out_need(g, &L);
    vec_graph_hit *hits = malloc(need * sizeof *hits);
    if (hits == NULL || scratch(g, need) != 0) {
        free(hits);
        return -1;
    }
    link_out(g, p, L, hits);
    link_back(g, p);
    free(hits);
    return 0;
}

/* ---- insert --------------------------------------------------------------------------------- */

int32_t vec_graph_insert(vec_graph *g, int64_t rowid, const void *code, int L) {
    int32_t p = vec_graph_put(g, rowid, code, 0);
    if (p < 0)
        return -1;
    vec_graph_touch(g, p);
    if (g->n == 1)
        return p; /* the first node */
    if (g->live == 1) {
        /* every other node is a tombstone, which no list takes in: p starts the graph again */
        g->entry = p;
        return p;
    }
    if (g->entry == p) { /* re-inserting the entry, whose list was just cleared: enter elsewhere */
        for (size_t i = 0; i < g->n; i++)
            if ((int32_t)i != p && vec_graph_degree(g, (int32_t)i) > 0) {
                g->entry = (int32_t)i;
                break;
            }
        if (g->entry == p)
            g->entry = p == 0 ? 1 : 0;
    }
    if (connect_node(g, p, L) != 0)
        return -1;
    /* the entry follows the middle of the data as the graph doubles */
    if (g->n >= 256 && g->n >= 2 * g->entry_at && vec_graph_choose_entry(g) != 0)
        return -1;
    return p;
}

/* ---- memory layout -------------------------------------------------------------------------- */

#define HUGE_PAGE ((size_t)2 << 20)

/* An array of `bytes` for the graph's large arrays: at 2 MiB and above, aligned to a huge page
** and advised to use them (Linux), since a search reads codes and lists at random across the
** whole graph and would otherwise miss the TLB on nearly every node. realloc() and free() take
** it as any malloc() block. */
static void *alloc_large(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
            return NULL;
        madvise(p, bytes, MADV_HUGEPAGE); /* advice only: its failure changes nothing */
        return p;
    }
#endif
    return malloc(bytes ? bytes : 1);
}

int vec_graph_relayout(vec_graph *g) {
    size_t n = g->n, cap = g->cap;
    if (n < 2 || g->entry < 0)
        return 0;
    int32_t *order = malloc(n * sizeof *order), *map = malloc(n * sizeof *map);
    int64_t *rowid = alloc_large(cap * sizeof *rowid);
    int32_t *nbr = alloc_large(cap * (size_t)g->Rcap * sizeof *nbr);
    unsigned char *code = alloc_large(cap * g->code_bytes + 1);
    unsigned char *deleted = malloc(cap), *dirty = malloc(cap);
    if (!order || !map || !rowid || !nbr || !code || !deleted || !dirty) {
        void *all[] = {order, map, rowid, nbr, code, deleted, dirty};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            free(all[i]);
        return -1;
    }
    /* breadth first from the entry: a node's neighbours get numbers near its own, so a search
    ** that walks from one to the others reads nearby memory; nodes the walk does not reach
    ** follow in their old order */
    for (size_t i = 0; i < n; i++)
        map[i] = -1;
    size_t head = 0, tail = 0, next_unseen = 0;
    map[g->entry] = 0;
    order[tail++] = g->entry;
    while (tail < n) {
        if (head == tail) {
            while (map[next_unseen] >= 0)
                next_unseen++;
            map[next_unseen] = (int32_t)tail;
            order[tail++] = (int32_t)next_unseen;
        }
        const int32_t *list = list_of(g, order[head++]);
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++)
            if (map[list[j]] < 0) {
                map[list[j]] = (int32_t)tail;
                order[tail++] = list[j];
            }
    }
    for (size_t i = 0; i < n; i++) {
        int32_t old = order[i];
        rowid[i] = g->rowid[old];
        deleted[i] = g->deleted[old];
        dirty[i] = g->dirty[old];
        memcpy(code + i * g->code_bytes, code_of(g, old), g->code_bytes);
        const int32_t *from = list_of(g, old);
        int32_t *to = nbr + i * (size_t)g->Rcap;
        for (int j = 0; j < g->Rcap; j++)
            to[j] = from[j] >= 0 ? map[from[j]] : -1;
    }
    memset(dirty + n, 0, cap - n);
    for (size_t i = 0; i < g->ndirty; i++)
        g->dirty_list[i] = map[g->dirty_list[i]];
    free(g->rowid);
    free(g->nbr);
    free(g->code);
    free(g->deleted);
    free(g->dirty);
    g->rowid = rowid;
    g->nbr = nbr;
    g->code = code;
    g->deleted = deleted;
    g->dirty = dirty;
    g->entry = map[g->entry];
    free(order);
    free(map);
    rehash(g);
    g->stamp = next_stamp();
    return 0;
}

/* ---- batch insert --------------------------------------------------------------------------- */

/* Graphs smaller than this take a batch's rows one at a time: a batch searching a graph of
** few nodes would link its rows to those few only. */
#define BATCH_MIN_GRAPH 256
/* A sub-batch adds at most this fraction (1 / BATCH_FRACTION) of the graph's nodes, so its rows,
** which do not see each other while they search, are few beside the nodes they do see. */
#define BATCH_FRACTION 8
/* Rows per thread below which a second thread does not pay for starting it. */
#define BATCH_PER_THREAD 32

/* One thread's share of a sub-batch: out-lists of nodes first, first + step, ... (phase 1),
** or the back edges into the targets q with q % step == first (phase 2). */
typedef struct batch_worker {
    vec_graph *g; /* the graph, or a copy of its header with this worker's own scratch */
    const int32_t *nodes;
    size_t first, n, step;
    int L;
    vec_graph_hit *hits;
    int back; /* phase 2 */
} batch_worker;

static void *batch_work(void *arg) {
    batch_worker *w = arg;
    vec_graph *g = w->g;
    if (!w->back) {
        for (size_t i = w->first; i < w->n; i += w->step)
            link_out(g, w->nodes[i], w->L, w->hits);
        return NULL;
    }
    /* each target's new edges arrive in the order of the one-thread loop (link_back), so
    ** the lists come out the same however many threads share the work */
    for (size_t i = 0; i < w->n; i++) {
        int32_t p = w->nodes[i];
        const int32_t *list = list_of(g, p);
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++)
            if ((size_t)list[j] % w->step == w->first)
                add_edge(g, list[j], p, g->cand);
    }
    return NULL;
}

/* Runs both workers, on two threads when `two` (on this one, one after the other, when the
** second thread cannot start). */
static void run_workers(batch_worker *w, int two) {
    pthread_t t;
    int started = two && pthread_create(&t, NULL, batch_work, &w[1]) == 0;
    batch_work(&w[0]);
    if (started)
        pthread_join(t, NULL);
    else if (two)
        batch_work(&w[1]);
}

/* Links the n new nodes of a sub-batch (dirty, no edges yet). Phase 1: each searches the
** graph as it stood before them (no search can reach a node without in-edges) and keeps its
** pruned out-list; the searches only read the shared arrays. Phase 2: back edges, each
** target's list changed by one thread only (targets split by node number); the targets are
** marked dirty first, so the threads never append to the shared dirty list. The second
** thread works on a copy of g's header with its own marks and scratch. */
static int batch_link(vec_graph *g, const int32_t *nodes, size_t n, int L, int threads) {
    size_t need = link_out_need(g, &L);
    vec_graph view = *g;
    view.mark = NULL;
    view.expanded = NULL;
    view.cand = NULL;
    view.scratch_cap = 0;
    view.gen = 0;
    view.seen = NULL; /* the visited set too: each thread marks its own */
    view.seen_words = 0;
    view.seen_list = NULL;
    view.seen_n = view.seen_cap = 0;
    view.seen_overflow = 0;
    int two = threads > 1 && n >= 2 * BATCH_PER_THREAD && sysconf(_SC_NPROCESSORS_ONLN) > 1;
    vec_graph_hit *hits0 = malloc(need * sizeof *hits0), *hits1 = NULL;
    int rc = hits0 && scratch(g, need) == 0 ? 0 : -1;
    if (rc == 0 && two) {
        view.mark = calloc(g->n, sizeof *view.mark);
        hits1 = malloc(need * sizeof *hits1);
        two = view.mark && hits1 && scratch(&view, need) == 0;
    }
    if (rc == 0) {
        batch_worker w[2] = {{g, nodes, 0, n, two ? 2 : 1, L, hits0, 0},
                             {&view, nodes, 1, n, 2, L, hits1, 0}};
        run_workers(w, two);
        for (size_t i = 0; i < n; i++) {
            const int32_t *list = list_of(g, nodes[i]);
            for (int j = 0; j < g->Rcap && list[j] >= 0; j++)
                vec_graph_touch(g, list[j]);
        }
        w[0].back = w[1].back = 1;
        run_workers(w, two);
    }
    free(view.mark);
    free(view.expanded);
    free(view.cand);
    free(view.seen);
    free(view.seen_list);
    free(hits0);
    free(hits1);
    return rc;
}

int vec_graph_insert_batch(vec_graph *g, const int64_t *rowids, const unsigned char *codes,
                           size_t n, int L, int threads) {
    int32_t *nodes = malloc((n + 1) * sizeof *nodes);
    if (nodes == NULL)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n;) {
        /* a row already in the graph (re-inserted after a delete), or a small graph: alone */
        size_t room = g->n / BATCH_FRACTION, m = 0;
        while (i + m < n && m < room && g->n >= BATCH_MIN_GRAPH &&
               vec_graph_find(g, rowids[i + m]) < 0) {
            int32_t p = vec_graph_put(g, rowids[i + m], codes + (i + m) * g->code_bytes, 0);
            if (p < 0) {
                rc = -1;
                break;
            }
            vec_graph_touch(g, p);
            nodes[m++] = p;
        }
        if (rc == 0 && m == 0) {
            rc = vec_graph_insert(g, rowids[i], codes + i * g->code_bytes, L) < 0 ? -1 : 0;
            i++;
            continue;
        }
        if (rc == 0)
            rc = batch_link(g, nodes, m, L, threads);
        if (rc == 0 && g->n >= 2 * g->entry_at && vec_graph_choose_entry(g) != 0)
            rc = -1;
        i += m;
    }
    free(nodes);
    return rc;
}

/* ---- entry ---------------------------------------------------------------------------------- */

int vec_graph_choose_entry(vec_graph *g) {
    size_t dims = g->dims;
    g->entry_at = g->n;
    if (g->live == 0)
        return 0;
    double *sum = calloc(dims, sizeof *sum);
    float *mean = malloc(dims * sizeof *mean);
    unsigned char *qcode = malloc(g->code_bytes + 1);
    vec_graph_hit *hits = malloc(64 * sizeof *hits);
    int rc = sum && mean && qcode && hits ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        if (g->deleted[i])
            continue;
        const unsigned char *c = code_of(g, (int32_t)i);
        if (g->q == VEC_QUANT_BIT) {
            for (size_t d = 0; d < dims; d++)
                sum[d] += (c[d / 8] >> (d % 8) & 1) ? 1.0 : -1.0;
        } else {
            float scale;
            memcpy(&scale, c + dims, 4);
            for (size_t d = 0; d < dims; d++)
                sum[d] += (double)scale * (int8_t)c[d];
        }
    }
    if (rc == 0) {
        for (size_t d = 0; d < dims; d++)
            mean[d] = (float)(sum[d] / (double)g->live);
        vec_quantize(g->q, mean, dims, qcode);
        /* the medoid by the l2 of the codes, whatever the column's metric */
        vec_metric m = g->m;
        g->m = VEC_L2;
        size_t n = search(g, qcode, 64, hits, NULL, 0, NULL);
        g->m = m;
        for (size_t i = 0; i < n; i++)
            if (!g->deleted[hits[i].node] && vec_graph_degree(g, hits[i].node) > 0) {
                g->entry = hits[i].node;
                break;
            }
    }
    free(sum);
    free(mean);
    free(qcode);
    free(hits);
    return rc;
}

/* ---- tombstones ----------------------------------------------------------------------------- */

/* Drops the tombstones, renumbering the nodes; lists lose their edges to tombstones. */
static int compact(vec_graph *g) {
    int32_t *map = malloc((g->n + 1) * sizeof *map);
    if (map == NULL)
        return -1;
    size_t out = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->deleted[i]) {
            map[i] = -1;
            continue;
        }
        map[i] = (int32_t)out;
        if (out != i) {
            g->rowid[out] = g->rowid[i];
            memcpy(list_of(g, (int32_t)out), list_of(g, (int32_t)i),
                   (size_t)g->Rcap * sizeof(int32_t));
            memcpy(g->code + out * g->code_bytes, code_of(g, (int32_t)i), g->code_bytes);
            g->deleted[out] = 0;
            g->dirty[out] = g->dirty[i];
        }
        out++;
    }
    g->n = out;
    g->ndirty = 0;
    for (size_t i = 0; i < g->n; i++) {
        int32_t *list = list_of(g, (int32_t)i);
        int w = 0, changed = 0;
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++) {
            if (map[list[j]] >= 0)
                list[w++] = map[list[j]];
            else
                changed = 1;
        }
        for (int j = w; j < g->Rcap; j++)
            list[j] = -1;
        if (g->dirty[i] || changed) {
            g->dirty[i] = 0;
            vec_graph_touch(g, (int32_t)i);
        }
    }
    memset(g->dirty + g->n, 0, g->cap - g->n);
    g->entry = g->entry >= 0 ? map[g->entry] : -1;
    free(map);
    rehash(g);
    g->stamp = next_stamp();
    if (g->entry < 0 && g->n > 0)
        g->entry = 0;
    return 0;
}

int64_t vec_graph_consolidate(vec_graph *g) {
    int64_t gone = (int64_t)g->n - g->live;
    if (gone == 0)
        return 0;
    size_t cap = 8 * (size_t)g->Rcap;
    if (scratch(g, cap + 1) != 0)
        return -1;
    vec_graph_hit *cand = g->cand;
    int32_t *queue = malloc(cap * sizeof *queue);
    if (queue == NULL)
        return -1;
    for (size_t pi = 0; pi < g->n; pi++) {
        int32_t p = (int32_t)pi;
        if (g->deleted[p])
            continue;
        const int32_t *list = list_of(g, p);
        int any = 0;
        for (int j = 0; j < g->Rcap && list[j] >= 0 && !any; j++)
            any = g->deleted[list[j]];
        if (!any)
            continue;
        /* the live nodes p reaches directly or through tombstones */
        next_generation(g);
        g->mark[p] = g->gen;
        size_t nc = 0, qh = 0, qt = 0;
        int degree = 0;
        for (int j = 0; j < g->Rcap && list[j] >= 0; j++, degree++) {
            int32_t v = list[j];
            g->mark[v] = g->gen;
            if (!g->deleted[v] && nc < cap)
                cand[nc++].node = v;
            else if (g->deleted[v] && qt < cap)
                queue[qt++] = v;
        }
        while (qh < qt && nc < cap) {
            const int32_t *dl = list_of(g, queue[qh++]);
            for (int j = 0; j < g->Rcap && dl[j] >= 0 && nc < cap; j++) {
                int32_t v = dl[j];
                if (g->mark[v] == g->gen)
                    continue;
                g->mark[v] = g->gen;
                if (!g->deleted[v])
                    cand[nc++].node = v;
                else if (qt < cap)
                    queue[qt++] = v;
            }
        }
        /* up to as many edges as p had (R to Rcap), not R: pruning every list that met a
        ** tombstone back to R cut the graph's degree, and its recall */
        nc = rank_candidates(g, p, cand, nc);
        prune_to(g, p, cand, nc, degree > g->R ? degree : g->R);
    }
    free(queue);
    if (compact(g) != 0)
        return -1;
    g->entry_at = 0;
    if (vec_graph_choose_entry(g) != 0)
        return -1;
    return gone;
}
