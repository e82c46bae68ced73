/*
** lsm_skiplist: skiplist of internal keys in an arena (see lsm_skiplist.h).
**
** A node holds its internal key (user key + tag) and value inline after its tower of next
** pointers. Heights are 1..12 with branching 1/4.
*/
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEIGHT 12
#define CHUNK_BYTES (256 * 1024)

typedef struct node {
    uint32_t klen; /* internal key length */
    uint32_t vlen;
    int height;
    struct node *next[]; /* height entries, then key bytes, then value bytes */
} node;

typedef struct chunk {
    struct chunk *prev;
    size_t used, cap;
    _Alignas(16) uint8_t data[];
} chunk;

struct lsm_skiplist {
    int refs;
    int height;
    uint64_t rng;
    size_t bytes, count;
    chunk *chunks;
    node *head;
};

static uint8_t *node_key(const node *n) {
    return (uint8_t *)&n->next[n->height];
}

/* Freed chunks of the standard size wait here for the next memtable, up to POOL_CHUNKS of them
** (16 MiB) for the whole process. Every memtable fills fresh memory, and malloc hands a freed
** memtable back to the system, so each new one took its pages again one fault at a time; on
** virtual machines where a fault is expensive that cost as much as the inserts (a 20,000-row
** bulk INSERT into a new table ran at half the speed of one into a warmed one). */
#ifdef __SANITIZE_ADDRESS__
#define POOL_CHUNKS 0 /* AddressSanitizer must see a freed memtable as freed */
#else
#define POOL_CHUNKS 64
#endif
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static chunk *pool;
static int pool_n;

static chunk *chunk_new(size_t cap) {
    chunk *c = NULL;
    if (cap == CHUNK_BYTES) {
        pthread_mutex_lock(&pool_mu);
        if ((c = pool) != NULL) {
            pool = c->prev;
            pool_n--;
        }
        pthread_mutex_unlock(&pool_mu);
    }
    if (c == NULL && (c = malloc(sizeof(chunk) + cap)) == NULL)
        return NULL;
    c->cap = cap;
    return c;
}

static void chunk_free(chunk *c) {
    if (c->cap == CHUNK_BYTES) {
        pthread_mutex_lock(&pool_mu);
        int keep = pool_n < POOL_CHUNKS;
        if (keep) {
            c->prev = pool;
            pool = c;
            pool_n++;
        }
        pthread_mutex_unlock(&pool_mu);
        if (keep)
            return;
    }
    free(c);
}

static void *arena_alloc(lsm_skiplist *sl, size_t n) {
    n = (n + 7) & ~(size_t)7;
    chunk *c = sl->chunks;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES / 4 ? n : CHUNK_BYTES;
        c = chunk_new(cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        if (n > CHUNK_BYTES / 4 && sl->chunks) {
            /* big entries get their own chunk, keeping the current one for small ones */
            c->prev = sl->chunks->prev;
            sl->chunks->prev = c;
        } else {
            c->prev = sl->chunks;
            sl->chunks = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    /* the bytes entries use, not the chunks reserved: a memtable limit below one chunk still
    ** holds many commits */
    sl->bytes += n;
    return p;
}

lsm_skiplist *lsm_skiplist_new(void) {
    lsm_skiplist *sl = calloc(1, sizeof *sl);
    if (sl == NULL)
        return NULL;
    sl->refs = 1;
    sl->height = 1;
    sl->rng = 0x9e3779b97f4a7c15ull;
    sl->head = arena_alloc(sl, sizeof(node) + MAX_HEIGHT * sizeof(node *));
    if (sl->head == NULL) {
        free(sl);
        return NULL;
    }
    memset(sl->head, 0, sizeof(node) + MAX_HEIGHT * sizeof(node *));
    sl->head->height = MAX_HEIGHT;
    return sl;
}

/* Atomic: the background thread drops its reference to a flushed memtable without the lock. */
void lsm_skiplist_ref(lsm_skiplist *sl) {
    __atomic_fetch_add(&sl->refs, 1, __ATOMIC_RELAXED);
}

void lsm_skiplist_unref(lsm_skiplist *sl) {
    if (sl == NULL || __atomic_sub_fetch(&sl->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    chunk *c = sl->chunks;
    while (c) {
        chunk *prev = c->prev;
        chunk_free(c);
        c = prev;
    }
    free(sl);
}

size_t lsm_skiplist_bytes(const lsm_skiplist *sl) {
    return sl->bytes;
}

size_t lsm_skiplist_count(const lsm_skiplist *sl) {
    return sl->count;
}

static int random_height(lsm_skiplist *sl) {
    int h = 1;
    for (;;) {
        sl->rng ^= sl->rng << 13;
        sl->rng ^= sl->rng >> 7;
        sl->rng ^= sl->rng << 17;
        if (h >= MAX_HEIGHT || (sl->rng & 3) != 0)
            return h;
        h++;
    }
}

static int node_cmp(const node *n, const uint8_t *ik, size_t nk) {
    return lsm_ikey_cmp(node_key(n), n->klen, ik, nk);
}

/* Last node < ik (or the head), with the last node < ik at each level into prev (if given). */
static node *find_lt_levels(const lsm_skiplist *sl, const uint8_t *ik, size_t nk, node **prev) {
    node *x = sl->head;
    for (int level = sl->height - 1; level >= 0; level--) {
        for (;;) {
            node *nx = x->next[level];
            if (nx && node_cmp(nx, ik, nk) < 0)
                x = nx;
            else
                break;
        }
        if (prev)
            prev[level] = x;
    }
    return x;
}

/* First node >= ik; the last node < ik at each level into prev (if given). */
static node *find_ge(const lsm_skiplist *sl, const uint8_t *ik, size_t nk, node **prev) {
    return find_lt_levels(sl, ik, nk, prev)->next[0];
}

/* Last node < ik, or the head. */
static node *find_lt(const lsm_skiplist *sl, const uint8_t *ik, size_t nk) {
    return find_lt_levels(sl, ik, nk, NULL);
}

static node *find_last(const lsm_skiplist *sl) {
    node *x = sl->head;
    for (int level = sl->height - 1; level >= 0; level--)
        while (x->next[level])
            x = x->next[level];
    return x;
}

int lsm_skiplist_add(lsm_skiplist *sl, const uint8_t *ukey, size_t klen, uint64_t tag,
                     const uint8_t *val, size_t vlen) {
    int h = random_height(sl);
    size_t ik = klen + LSM_TAG_BYTES;
    node *n = arena_alloc(sl, sizeof(node) + (size_t)h * sizeof(node *) + ik + vlen);
    if (n == NULL)
        return LSM_NOMEM;
    n->klen = (uint32_t)ik;
    n->vlen = (uint32_t)vlen;
    n->height = h;
    uint8_t *k = node_key(n);
    if (klen)
        memcpy(k, ukey, klen);
    lsm_put_fixed64(k + klen, tag);
    if (vlen)
        memcpy(k + ik, val, vlen);
    node *prev[MAX_HEIGHT];
    find_ge(sl, k, ik, prev);
    if (h > sl->height) {
        for (int i = sl->height; i < h; i++)
            prev[i] = sl->head;
        sl->height = h;
    }
    for (int i = 0; i < h; i++) {
        n->next[i] = prev[i]->next[i];
        prev[i]->next[i] = n;
    }
    sl->count++;
    return LSM_OK;
}

int lsm_skiplist_get(const lsm_skiplist *sl, const uint8_t *ukey, size_t klen, uint64_t max_tag,
                     uint64_t *tag, const uint8_t **val, size_t *vlen) {
    uint8_t stackbuf[256];
    uint8_t *ik = klen + LSM_TAG_BYTES <= sizeof stackbuf ? stackbuf : malloc(klen + 8);
    if (ik == NULL)
        return 0;
    if (klen)
        memcpy(ik, ukey, klen);
    lsm_put_fixed64(ik + klen, max_tag);
    node *n = find_ge(sl, ik, klen + LSM_TAG_BYTES, NULL);
    if (ik != stackbuf)
        free(ik);
    if (n == NULL || lsm_ukey_cmp(node_key(n), n->klen - LSM_TAG_BYTES, ukey, klen) != 0)
        return 0;
    *tag = lsm_ikey_tag(node_key(n), n->klen);
    *val = node_key(n) + n->klen;
    *vlen = n->vlen;
    return 1;
}

/* ---- iterator ------------------------------------------------------------------------- */

typedef struct sl_iter {
    lsm_iter base;
    lsm_skiplist *sl;
    node *cur;
} sl_iter;

static void sl_set(sl_iter *it, node *n) {
    it->cur = (n == it->sl->head) ? NULL : n;
    it->base.valid = it->cur != NULL;
    if (it->cur) {
        it->base.key = node_key(n);
        it->base.klen = n->klen;
        it->base.val = node_key(n) + n->klen;
        it->base.vlen = n->vlen;
        /* nodes sit in the arena in insertion order, so a scan's next node is a cache miss:
        ** start loading it while the caller works on this one */
        const char *next = (const char *)n->next[0];
        if (next) {
            __builtin_prefetch(next);
            __builtin_prefetch(next + 64);
        }
    }
}

static void sl_first(lsm_iter *b) {
    sl_iter *it = (sl_iter *)b;
    sl_set(it, it->sl->head->next[0]);
}

static void sl_last(lsm_iter *b) {
    sl_iter *it = (sl_iter *)b;
    sl_set(it, find_last(it->sl));
}

static void sl_seek(lsm_iter *b, const uint8_t *ik, size_t n) {
    sl_iter *it = (sl_iter *)b;
    sl_set(it, find_ge(it->sl, ik, n, NULL));
}

static void sl_next(lsm_iter *b) {
    sl_iter *it = (sl_iter *)b;
    sl_set(it, it->cur->next[0]);
}

static void sl_prev(lsm_iter *b) {
    sl_iter *it = (sl_iter *)b;
    sl_set(it, find_lt(it->sl, node_key(it->cur), it->cur->klen));
}

static void sl_destroy(lsm_iter *b) {
    sl_iter *it = (sl_iter *)b;
    lsm_skiplist_unref(it->sl);
    free(it);
}

static const lsm_iter_vt sl_vt = {sl_first, sl_last, sl_seek, sl_next, sl_prev, sl_destroy};

lsm_iter *lsm_skiplist_iter(lsm_skiplist *sl) {
    sl_iter *it = calloc(1, sizeof *it);
    if (it == NULL)
        return NULL;
    it->base.vt = &sl_vt;
    it->sl = sl;
    lsm_skiplist_ref(sl);
    return &it->base;
}
