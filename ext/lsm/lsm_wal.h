/*
** lsm_wal: the write-ahead log. Each record is
**
**     fixed32 masked CRC-32C of everything after it | fixed32 payload length | byte type
**     | payload
**
** written with a single write() call. Types:
**
**   1 commit    payload: a write batch (see lsm_batch.h), committed on its own
**   2 prepare   payload: a write batch, then fixed64 coordinator. The first phase of a commit
**               decided elsewhere (slsm_prepare): it counts only once a decide record says so,
**               or, when the log ends without one, once the coordinator says so at open.
**   3 decide    payload: fixed64 sequence number of the prepared batch, fixed64 coordinator,
**               byte outcome (1 committed, 0 aborted). Written right after its prepare record:
**               the writer holds the database between the two.
**
** Recovery replays records in order up to the first record that is short, malformed or fails
** its checksum. What follows decides what that record is: when no intact record comes after it,
** it is a torn tail (a crash in the middle of the last write, or the unsynced end of the log
** after a power cut); when an intact record does, the log was damaged in the middle, and
** dropping the damage would drop committed records with it: the caller reports corruption
** (slsm_salvage keeps what came before it). Replay never changes the file.
*/
#ifndef STRATA_LSM_WAL_H
#define STRATA_LSM_WAL_H

#include <stddef.h>
#include <stdint.h>

#define LSM_WAL_HEADER 9
#define LSM_WAL_MAX_RECORD (1u << 30)

/* LSM_REC_END is no record: replay passes it (with no payload) after the last record it
** replayed, while the payloads passed before are still valid. */
enum { LSM_REC_END = 0, LSM_REC_COMMIT = 1, LSM_REC_PREPARE = 2, LSM_REC_DECIDE = 3 };

#define LSM_WAL_COORD_BYTES 8     /* the coordinator at the end of a prepare record */
#define LSM_WAL_DECIDE_PAYLOAD 17 /* seq, coordinator, outcome */

/* Fills hdr (LSM_WAL_HEADER bytes) for a record of `type` holding payload. */
void lsm_wal_header(uint8_t *hdr, int type, const uint8_t *payload, size_t n);

/* What replay found in one log. */
typedef struct lsm_wal_scan {
    uint64_t size;      /* bytes in the file (0 when missing) */
    uint64_t valid_end; /* just past the last record replayed */
    /* 0: every byte replayed. 1: a torn tail from valid_end on (no intact record follows).
    ** 2: damage at valid_end followed by intact records: the log is corrupt. */
    int damage;
    uint64_t records_after; /* intact records found after the damage */
} lsm_wal_scan;

/* Calls fn(arg, type, payload, n) for each record of the log at path up to the first bad one
** (a missing log is empty), then fn(arg, LSM_REC_END, NULL, 0). A non-zero return from fn
** stops replay there (valid_end is then the start of that record) and is returned. */
int lsm_wal_replay(const char *path, int (*fn)(void *, int, const uint8_t *, size_t), void *arg,
                   lsm_wal_scan *scan);

#endif
