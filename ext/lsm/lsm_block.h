/*
** lsm_block: the sorted key/value blocks tables are made of.
**
** An entry is varint(shared) varint(unshared) varint(vlen) key[shared..] value, where `shared`
** is the prefix it has in common with the previous key. Every `interval` entries a restart point
** stores a full key; the block ends with the restart offsets (fixed32 each) and their count, so
** a seek binary-searches restart points and then scans at most `interval` entries.
*/
#ifndef STRATA_LSM_BLOCK_H
#define STRATA_LSM_BLOCK_H

#include "common/strbuf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lsm_block_builder {
    strbuf buf;
    uint32_t *restarts;
    size_t nrestarts, caprestarts;
    int interval, counter;
    uint8_t *last;
    size_t nlast, caplast;
    size_t nentries;
    int failed;
} lsm_block_builder;

void lsm_block_builder_init(lsm_block_builder *b, int interval);
void lsm_block_builder_free(lsm_block_builder *b);
void lsm_block_builder_reset(lsm_block_builder *b);
/* Keys must arrive in increasing order. Failures (no memory) are reported by finish. */
void lsm_block_builder_add(lsm_block_builder *b, const uint8_t *key, size_t nk, const uint8_t *val,
                           size_t nv);
size_t lsm_block_builder_size(const lsm_block_builder *b);
/* Appends the restart array; returns the block bytes (owned by b) or NULL when out of memory. */
const uint8_t *lsm_block_builder_finish(lsm_block_builder *b, size_t *n);

typedef struct lsm_block_iter {
    const uint8_t *data;
    size_t restarts_off; /* where entries end */
    uint32_t nrestarts;
    size_t cur, next; /* offsets of the current entry and of the one after it */
    uint8_t *key;
    size_t nkey, capkey;
    const uint8_t *val;
    size_t nval;
    int valid;
    int rc;
} lsm_block_iter;

/* Points it at a block (checksum already verified); LSM_CORRUPT if its trailer is bad. */
int lsm_block_iter_init(lsm_block_iter *it, const uint8_t *data, size_t n);
void lsm_block_iter_free(lsm_block_iter *it);
/* Internal-key order when ikeys is set, else plain byte order. */
void lsm_block_iter_first(lsm_block_iter *it);
void lsm_block_iter_last(lsm_block_iter *it);
void lsm_block_iter_seek(lsm_block_iter *it, const uint8_t *target, size_t n);
void lsm_block_iter_next(lsm_block_iter *it);
void lsm_block_iter_prev(lsm_block_iter *it);

#endif
