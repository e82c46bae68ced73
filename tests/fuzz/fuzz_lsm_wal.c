/*
** fuzz_lsm_wal: ext/lsm's write-ahead log from any bytes: record framing and checksums
** (lsm_wal_replay, torn tails), then each intact record's write batch (lsm_batch_walk) applied
** to a memtable, as the engine's recovery does, and the memtable read back.
**
** The log's checksums would make mutated bytes stop at the first record, so the harness
** re-seals every record whose frame fits (an input whose last byte is odd keeps its own
** checksums, so the check itself is covered too) and the fuzzer explores the batches behind.
*/
#include "lsm/lsm_batch.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_wal.h"

#include "fuzz/fuzz_lsm_seal.h"
#include "fuzz/fuzz_util.h"

#include <stdint.h>

typedef struct replay {
    lsm_skiplist *mem;
    uint64_t last_seq;
} replay;

static int apply_op(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                    const uint8_t *v, size_t nv) {
    replay *r = arg;
    if (nk > LSM_MAX_KEY_BYTES || nv > LSM_MAX_VALUE_BYTES)
        abort(); /* lsm_batch_walk bounds what it hands out */
    return lsm_skiplist_add(r->mem, k, nk, lsm_make_tag(seq, type), v, nv);
}

static int apply_batch(replay *r, const uint8_t *payload, size_t n) {
    if (n < 12)
        return LSM_CORRUPT;
    uint64_t seq = lsm_batch_payload_seq(payload);
    uint32_t count = lsm_batch_payload_count(payload);
    if (seq == 0 || seq > LSM_MAX_SEQ / 2 || count == 0 || seq <= r->last_seq)
        return LSM_CORRUPT;
    int rc = lsm_batch_walk(payload, n, 0, apply_op, r);
    if (rc == LSM_OK)
        r->last_seq = seq + count - 1;
    return rc;
}

/* As recovery reads records: a commit's batch, a prepare's batch before its coordinator
** (applied here as if decided committed, so its batch is walked too), a decide's fixed size. */
static int apply_record(void *arg, int type, const uint8_t *payload, size_t n) {
    replay *r = arg;
    switch (type) {
        case LSM_REC_COMMIT:
            return apply_batch(r, payload, n);
        case LSM_REC_PREPARE:
            return n < LSM_WAL_COORD_BYTES ? LSM_CORRUPT
                                           : apply_batch(r, payload, n - LSM_WAL_COORD_BYTES);
        case LSM_REC_DECIDE:
            return n == LSM_WAL_DECIDE_PAYLOAD ? LSM_OK : LSM_CORRUPT;
        case LSM_REC_END:
            return LSM_OK;
        default:
            return LSM_CORRUPT;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    if (size && !(data[size - 1] & 1))
        fuzz_seal_log(copy, size);
    const char *path = fuzz_file(0, copy, size);
    free(copy);
    replay r = {lsm_skiplist_new(), 0};
    if (!r.mem)
        abort();
    lsm_wal_scan scan;
    int rc = lsm_wal_replay(path, apply_record, &r, &scan);
    if (rc == LSM_OK && (scan.valid_end > size || scan.size != size))
        abort();
    lsm_iter *it = lsm_skiplist_iter(r.mem);
    if (!it)
        abort();
    for (it->vt->first(it); it->valid; it->vt->next(it))
        if (it->klen < LSM_TAG_BYTES)
            abort();
    lsm_iter_destroy(it);
    lsm_skiplist_unref(r.mem);
    return 0;
}
