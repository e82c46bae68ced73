/*
** Unit test of the merging iterator: children (memtables, and a table with bounds) holding
** overlapping user keys with distinct sequence numbers, merged and walked by random first, last,
** seek, next and prev moves, each position checked against one sorted array of every entry.
** Direction changes are where a merging iterator goes wrong, so the walk changes often.
*/
#include "lsm/lsm_format.h"
#include "lsm/lsm_iter.h"
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_table.h"
#include "lsm_test_util.h"
#include "unit.h"

enum { MAX_KIDS = 8, MAX_ENTRIES = 4000, KEY_SPACE = 500 };

typedef struct entry {
    uint8_t ikey[24];
    size_t n;
} entry;

static entry all[MAX_ENTRIES];
static int nall;

static int entry_cmp(const void *a, const void *b) {
    const entry *x = a, *y = b;
    return lsm_ikey_cmp(x->ikey, x->n, y->ikey, y->n);
}

static size_t user_key(uint8_t *out, unsigned k) {
    return (size_t)snprintf((char *)out, 16, "k%05u", k);
}

/* Index of the first entry >= ik in the sorted array (nall if none). */
static int lower_bound(const uint8_t *ik, size_t n) {
    int lo = 0, hi = nall;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (lsm_ikey_cmp(all[mid].ikey, all[mid].n, ik, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The iterator is at array position pos (nall or -1: not valid). */
static int at(const lsm_iter *it, int pos) {
    if (pos < 0 || pos >= nall)
        return !it->valid && it->rc == LSM_OK;
    return it->valid && it->klen == all[pos].n && memcmp(it->key, all[pos].ikey, it->klen) == 0;
}

/* Builds kids: nkids - 1 skiplists and one table, random entries spread over them. */
static int make_kids(lsm_iter **kids, int nkids, lsm_table **table, const char *path) {
    lsm_skiplist *sl[MAX_KIDS];
    for (int i = 0; i < nkids; i++)
        sl[i] = lsm_skiplist_new();
    int nentries = 1 + (int)rng_below(MAX_ENTRIES);
    nall = 0;
    for (int e = 0; e < nentries; e++) {
        uint8_t uk[16];
        size_t nu = user_key(uk, rng_below(KEY_SPACE));
        uint64_t tag = lsm_make_tag((uint64_t)e + 1, rng_below(4) ? LSM_TYPE_PUT : LSM_TYPE_DELETE);
        int kid = (int)rng_below((unsigned)nkids);
        CHECK_EQ_INT(lsm_skiplist_add(sl[kid], uk, nu, tag, uk, nu), LSM_OK);
        memcpy(all[nall].ikey, uk, nu);
        lsm_put_fixed64(all[nall].ikey + nu, tag);
        all[nall++].n = nu + LSM_TAG_BYTES;
    }
    qsort(all, (size_t)nall, sizeof all[0], entry_cmp);
    /* the last child becomes a table file of 256-byte blocks, so moves cross blocks */
    lsm_table_builder b;
    CHECK_EQ_INT(lsm_table_builder_open(&b, path, 256, 10), LSM_OK);
    lsm_iter *src = lsm_skiplist_iter(sl[nkids - 1]);
    for (src->vt->first(src); src->valid; src->vt->next(src))
        lsm_table_builder_add(&b, src->key, src->klen, src->val, src->vlen);
    lsm_iter_destroy(src);
    uint64_t size;
    CHECK_EQ_INT(lsm_table_builder_finish(&b, 0, &size), LSM_OK);
    free(b.first);
    free(b.last);
    CHECK_EQ_INT(lsm_table_open(path, table), LSM_OK);
    for (int i = 0; i < nkids - 1; i++)
        kids[i] = lsm_skiplist_iter(sl[i]);
    kids[nkids - 1] = lsm_table_iter(*table, NULL, NULL, NULL);
    for (int i = 0; i < nkids; i++)
        lsm_skiplist_unref(sl[i]);
    return nkids;
}

static void walk(lsm_iter *m, int moves) {
    int pos = -1, bad = 0;
    for (int step = 0; step < moves && !bad; step++) {
        unsigned op = rng_below(10);
        if (pos < 0 || pos >= nall)
            op = rng_below(3); /* first, last or seek: the others need a position */
        if (op == 0) {
            m->vt->first(m);
            pos = 0;
        } else if (op == 1) {
            m->vt->last(m);
            pos = nall - 1;
        } else if (op == 2) {
            uint8_t ik[24];
            size_t nu = user_key(ik, rng_below(KEY_SPACE + 2));
            lsm_put_fixed64(ik + nu, lsm_make_tag(rng_below(MAX_ENTRIES + 2), LSM_TYPE_PUT));
            m->vt->seek(m, ik, nu + LSM_TAG_BYTES);
            pos = lower_bound(ik, nu + LSM_TAG_BYTES);
        } else if (op < 6) {
            m->vt->next(m);
            pos++;
        } else {
            m->vt->prev(m);
            pos--;
        }
        if (!at(m, pos)) {
            fprintf(stderr, "step %d: op %u, expected position %d of %d\n", step, op, pos, nall);
            bad = 1;
        }
        CHECK(!bad);
    }
}

static void test_random_merges(void) {
    rng_seed("unit_lsm_merge");
    const char *path = test_path("merge.sst");
    for (int round = 0; round < 200; round++) {
        lsm_iter *kids[MAX_KIDS];
        lsm_table *table;
        int n = make_kids(kids, 1 + (int)rng_below(MAX_KIDS), &table, path);
        lsm_iter *m = lsm_merge_iter_new(kids, n);
        CHECK(m != NULL);
        if (m) {
            walk(m, 3000);
            lsm_iter_destroy(m);
        }
        lsm_table_close(table);
    }
}

/* No children: never valid, never an error. */
static void test_empty(void) {
    lsm_iter *m = lsm_merge_iter_new(NULL, 0);
    CHECK(m != NULL);
    m->vt->first(m);
    CHECK(!m->valid && m->rc == LSM_OK);
    m->vt->last(m);
    CHECK(!m->valid && m->rc == LSM_OK);
    m->vt->seek(m, (const uint8_t *)"k00001\0\0\0\0\0\0\0\0", 14);
    CHECK(!m->valid && m->rc == LSM_OK);
    lsm_iter_destroy(m);
}

int main(void) {
    RUN(test_empty);
    RUN(test_random_merges);
    return unit_report("unit_lsm_merge");
}
