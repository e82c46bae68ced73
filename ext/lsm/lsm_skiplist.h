/*
** lsm_skiplist: the memtable, an arena-allocated skiplist of internal keys. Nodes are never
** removed, so an iterator stays valid while entries are added. Its memory footprint bounds
** the memtable: the engine flushes it to a table once it passes the configured size.
*/
#ifndef STRATA_LSM_SKIPLIST_H
#define STRATA_LSM_SKIPLIST_H

#include "lsm/lsm_iter.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lsm_skiplist lsm_skiplist;

lsm_skiplist *lsm_skiplist_new(void);
void lsm_skiplist_ref(lsm_skiplist *sl);
void lsm_skiplist_unref(lsm_skiplist *sl);

/* Adds (ukey, tag) -> val; LSM_NOMEM on failure (the list is unchanged). */
int lsm_skiplist_add(lsm_skiplist *sl, const uint8_t *ukey, size_t klen, uint64_t tag,
                     const uint8_t *val, size_t vlen);
size_t lsm_skiplist_bytes(const lsm_skiplist *sl);
size_t lsm_skiplist_count(const lsm_skiplist *sl);

/* Newest entry of ukey with tag <= max_tag: 1 and its tag/value if found, else 0. */
int lsm_skiplist_get(const lsm_skiplist *sl, const uint8_t *ukey, size_t klen, uint64_t max_tag,
                     uint64_t *tag, const uint8_t **val, size_t *vlen);

/* An iterator holding a reference to the list. NULL when out of memory. */
lsm_iter *lsm_skiplist_iter(lsm_skiplist *sl);

#endif
