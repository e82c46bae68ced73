/*
** fuzz_lsm_block: ext/lsm's data/index block reader on any bytes (a block whose checksum matched
** but whose contents are hostile): restart array, prefix-compressed entries, and every way the
** engine moves an iterator (first/next, last/prev, seeks to keys taken from the block itself).
*/
#include "lsm/lsm_block.h"
#include "lsm/lsm_status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 4096 };

static void check_entry(const lsm_block_iter *it, const uint8_t *data, size_t n) {
    if (!it->valid)
        return;
    /* A value points into the block, never past its entries. */
    if (it->nval && (it->val < data || it->val + it->nval > data + it->restarts_off))
        abort();
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A copy of exactly size bytes, so ASan sees any read past the block. */
    uint8_t *block = malloc(size ? size : 1);
    if (!block)
        abort();
    memcpy(block, data, size);
    lsm_block_iter it = {0}; /* init keeps the key buffer of a previous block: start empty */
    if (lsm_block_iter_init(&it, block, size) != LSM_OK) {
        free(block);
        return 0;
    }
    uint8_t *keys[4] = {0};
    size_t nkeys[4] = {0};
    int steps = 0;
    for (lsm_block_iter_first(&it); it.valid && steps < MAX_STEPS; lsm_block_iter_next(&it)) {
        check_entry(&it, block, size);
        if (steps < 4 && it.nkey) {
            keys[steps] = malloc(it.nkey);
            if (!keys[steps])
                abort();
            memcpy(keys[steps], it.key, it.nkey);
            nkeys[steps] = it.nkey;
        }
        steps++;
    }
    steps = 0;
    for (lsm_block_iter_last(&it); it.valid && steps < MAX_STEPS; lsm_block_iter_prev(&it)) {
        check_entry(&it, block, size);
        steps++;
    }
    for (int i = 0; i < 4 && keys[i]; i++) {
        lsm_block_iter_seek(&it, keys[i], nkeys[i]);
        check_entry(&it, block, size);
        if (it.valid) {
            lsm_block_iter_prev(&it);
            lsm_block_iter_next(&it);
        }
    }
    for (int i = 0; i < 4; i++)
        free(keys[i]);
    /* Past every key: an internal key (user key and 8-byte tag) above all. */
    lsm_block_iter_seek(&it, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10);
    lsm_block_iter_free(&it);
    free(block);
    return 0;
}
