/*
** lsm_wal: the write-ahead log. Each committed transaction is one record:
**
**     fixed32 masked CRC-32C of everything after it | fixed32 payload length | byte type (1)
**     | payload (a write batch, see lsm_batch.h)
**
** written with a single write() call. Recovery replays records in order and stops at the first
** record that is short or fails its checksum: that is a torn tail from a crash mid-write, and
** the caller truncates the log there, so a later append never follows garbage.
*/
#ifndef STRATA_LSM_WAL_H
#define STRATA_LSM_WAL_H

#include <stddef.h>
#include <stdint.h>

#define LSM_WAL_HEADER 9
#define LSM_WAL_MAX_RECORD (1u << 30)

/* Fills hdr (LSM_WAL_HEADER bytes) for payload. */
void lsm_wal_header(uint8_t *hdr, const uint8_t *payload, size_t n);

/* Calls fn(arg, payload, n) for each intact record of the log at path (a missing log is
** empty). *valid_end is the offset just past the last intact record; *torn tells whether bytes
** followed it. A non-zero return from fn stops replay and is returned. */
int lsm_wal_replay(const char *path, int (*fn)(void *, const uint8_t *, size_t), void *arg,
                   uint64_t *valid_end, int *torn);

#endif
