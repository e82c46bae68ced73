/*
** lsm_iter: the interface every sorted source of internal keys implements (a memtable, a block,
** a table, a level of tables, the merge of them all). A positioned iterator exposes key/val
** pointers valid until it moves; rc is set (and valid cleared) when a source is corrupt.
*/
#ifndef STRATA_LSM_ITER_H
#define STRATA_LSM_ITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct lsm_iter lsm_iter;

typedef struct lsm_iter_vt {
    void (*first)(lsm_iter *);
    void (*last)(lsm_iter *);
    /* Positions at the first entry >= the internal key. */
    void (*seek)(lsm_iter *, const uint8_t *ikey, size_t n);
    void (*next)(lsm_iter *);
    void (*prev)(lsm_iter *);
    void (*destroy)(lsm_iter *);
} lsm_iter_vt;

struct lsm_iter {
    const lsm_iter_vt *vt;
    int valid;
    int rc;
    const uint8_t *key; /* internal key */
    size_t klen;
    const uint8_t *val;
    size_t vlen;
};

/* The key range a reader wants: user keys, inclusive, NULL for no bound. Sources use it only to
** avoid loading a block or table that lies wholly outside; the reader still checks every key. */
typedef struct lsm_bounds {
    const uint8_t *lo, *hi;
    size_t nlo, nhi;
} lsm_bounds;

static inline void lsm_iter_destroy(lsm_iter *it) {
    if (it)
        it->vt->destroy(it);
}

/* Merges n children (taken over) into one sorted iterator; NULL when out of memory. */
lsm_iter *lsm_merge_iter_new(lsm_iter **children, int n);

#endif
