/*
** lsm_batch: a transaction's writes, in order, in the exact form the log stores them.
**
** Bytes: LSM_WAL_HEADER bytes reserved for the log record header, fixed64 first sequence
** number, fixed32 op count, then per op: byte type, varint key length, key, and for a put
** varint value length, value. Committing fills in the header and writes the buffer with one
** write(); a savepoint is just a (length, count) pair to truncate back to.
*/
#ifndef STRATA_LSM_BATCH_H
#define STRATA_LSM_BATCH_H

#include "common/strbuf.h"
#include "lsm/lsm_wal.h"

#include <stddef.h>
#include <stdint.h>

#define LSM_BATCH_HEADER (LSM_WAL_HEADER + 12)

typedef struct lsm_batch {
    strbuf buf;
    uint32_t count;
} lsm_batch;

void lsm_batch_init(lsm_batch *b);
void lsm_batch_free(lsm_batch *b);
/* Back to zero ops (keeps memory). */
void lsm_batch_clear(lsm_batch *b);
void lsm_batch_truncate(lsm_batch *b, size_t len, uint32_t count);
int lsm_batch_add(lsm_batch *b, int type, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv);
/* Fills in sequence number, count and the header of a log record of `type`; returns the record
** to write. A prepare record carries the coordinator after the batch: `trailer` (ntrailer bytes,
** NULL for none) is appended first and taken off by lsm_batch_untrail once the record is
** written. NULL when out of memory. */
const uint8_t *lsm_batch_seal(lsm_batch *b, uint64_t seq, int type, const uint8_t *trailer,
                              size_t ntrailer, size_t *n);
void lsm_batch_untrail(lsm_batch *b, size_t ntrailer);

typedef int (*lsm_batch_fn)(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                            const uint8_t *v, size_t nv);
/* Walks a batch payload (as stored in the log, without the log header) starting at op `skip`;
** LSM_CORRUPT if malformed. */
int lsm_batch_walk(const uint8_t *payload, size_t n, uint32_t skip, lsm_batch_fn fn, void *arg);
uint64_t lsm_batch_payload_seq(const uint8_t *payload);
uint32_t lsm_batch_payload_count(const uint8_t *payload);

#endif
