/*
** fuzz_lsm_table: ext/lsm table files (".sst") from any bytes: footer, index and bloom filter
** checks at open, data blocks read on demand, iteration both ways, seeks and point lookups with
** keys found in the table, and lsm_table_verify (what lsm1's integrity-check runs).
*/
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_table.h"

#include "fuzz/fuzz_util.h"

#include <stdint.h>

enum { MAX_STEPS = 4096, MAX_KEYS = 8 };

static void check_entry(const lsm_iter *it) {
    /* Every internal key carries its 8-byte tag. */
    if (it->valid && it->klen < LSM_TAG_BYTES)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(0, data, size);
    lsm_table *t;
    if (lsm_table_open(path, &t) != LSM_OK)
        return 0;
    (void)lsm_table_entries(t);
    lsm_iter *it = lsm_table_iter(t, NULL, NULL, NULL);
    if (!it)
        abort();
    uint8_t *keys[MAX_KEYS] = {0};
    size_t nkeys[MAX_KEYS] = {0};
    int nk = 0, steps = 0;
    for (it->vt->first(it); it->valid && steps < MAX_STEPS; it->vt->next(it), steps++) {
        check_entry(it);
        if (nk < MAX_KEYS && (steps % 7) == 0) {
            keys[nk] = malloc(it->klen);
            if (!keys[nk])
                abort();
            memcpy(keys[nk], it->key, it->klen);
            nkeys[nk++] = it->klen;
        }
    }
    steps = 0;
    for (it->vt->last(it); it->valid && steps < MAX_STEPS; it->vt->prev(it), steps++)
        check_entry(it);
    for (int i = 0; i < nk; i++) {
        it->vt->seek(it, keys[i], nkeys[i]);
        check_entry(it);
        if (it->valid) {
            it->vt->prev(it);
            it->vt->next(it);
        }
        /* The user key, looked up as the engine's point reads do. */
        size_t nu = nkeys[i] - LSM_TAG_BYTES;
        int found;
        uint64_t tag;
        const uint8_t *val;
        size_t nval;
        (void)lsm_table_get(t, keys[i], nu, UINT64_MAX, lsm_bloom_hash(keys[i], nu), &found, &tag,
                            &val, &nval);
    }
    lsm_iter_destroy(it);
    /* Bounded scans (the cursor's range): the first and last key found. */
    if (nk >= 2) {
        lsm_bounds b = {keys[0], keys[nk - 1], nkeys[0] - LSM_TAG_BYTES,
                        nkeys[nk - 1] - LSM_TAG_BYTES};
        it = lsm_table_iter(t, &b, NULL, NULL);
        if (!it)
            abort();
        steps = 0;
        for (it->vt->first(it); it->valid && steps < MAX_STEPS; it->vt->next(it), steps++)
            check_entry(it);
        for (it->vt->last(it); it->valid && steps < 2 * MAX_STEPS; it->vt->prev(it), steps++)
            check_entry(it);
        lsm_iter_destroy(it);
    }
    for (int i = 0; i < nk; i++)
        free(keys[i]);
    (void)lsm_table_verify(t);
    lsm_table_close(t);
    return 0;
}
