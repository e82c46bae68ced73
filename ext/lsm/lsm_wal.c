/*
** lsm_wal: log record framing and replay (see lsm_wal.h).
*/
#include "lsm/lsm_wal.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_status.h"

#include <stdlib.h>

void lsm_wal_header(uint8_t *hdr, int type, const uint8_t *payload, size_t n) {
    lsm_put_fixed32(hdr + 4, (uint32_t)n);
    hdr[8] = (uint8_t)type;
    uint32_t crc = lsm_crc32c_extend(lsm_crc32c(hdr + 4, 5), payload, n);
    lsm_put_fixed32(hdr, lsm_crc_mask(crc));
}

/* Length of the intact record at off (header included), or 0. *crc_bytes counts the bytes
** checksummed, so a scan over hostile bytes has a bounded cost. */
static size_t intact_record(const uint8_t *data, size_t n, size_t off, uint64_t *crc_bytes) {
    if (n - off < LSM_WAL_HEADER)
        return 0;
    const uint8_t *h = data + off;
    uint32_t len = lsm_get_fixed32(h + 4);
    int type = h[8];
    if (len > LSM_WAL_MAX_RECORD || n - off - LSM_WAL_HEADER < len)
        return 0;
    if ((type == LSM_REC_COMMIT && len < 12) || (type == LSM_REC_PREPARE && len < 20) ||
        (type == LSM_REC_DECIDE && len != LSM_WAL_DECIDE_PAYLOAD) || type < LSM_REC_COMMIT ||
        type > LSM_REC_DECIDE)
        return 0;
    *crc_bytes += len;
    uint32_t crc = lsm_crc32c_extend(lsm_crc32c(h + 4, 5), h + LSM_WAL_HEADER, len);
    if (lsm_crc_mask(crc) != lsm_get_fixed32(h))
        return 0;
    return LSM_WAL_HEADER + (size_t)len;
}

/* Counts the intact records after the bad one at off: the next one may start anywhere (the
** bad record's length may be what is damaged), so every offset is tried, within a budget of
** checksummed bytes; a scan that runs out of budget reports one record found, as it could not
** prove the tail torn. */
static uint64_t records_after(const uint8_t *data, size_t n, size_t off) {
    uint64_t found = 0, crc_bytes = 0, budget = ((uint64_t)64 << 20) + 4 * (uint64_t)(n - off);
    size_t at = off + 1;
    while (at < n) {
        if (crc_bytes > budget)
            return found ? found : 1;
        size_t len = intact_record(data, n, at, &crc_bytes);
        if (len) {
            found++;
            at += len;
        } else {
            at++;
        }
    }
    return found;
}

int lsm_wal_replay(const char *path, int (*fn)(void *, int, const uint8_t *, size_t), void *arg,
                   lsm_wal_scan *scan) {
    scan->size = scan->valid_end = scan->records_after = 0;
    scan->damage = 0;
    uint8_t *data;
    size_t n;
    int rc = lsm_file_read_all(path, (size_t)1 << 40, &data, &n);
    if (rc == LSM_NOTFOUND)
        return LSM_OK;
    if (rc)
        return rc;
    scan->size = n;
    size_t off = 0;
    uint64_t crc_bytes = 0;
    while (off < n) {
        size_t len = intact_record(data, n, off, &crc_bytes);
        if (len == 0)
            break;
        rc = fn(arg, data[off + 8], data + off + LSM_WAL_HEADER, len - LSM_WAL_HEADER);
        if (rc)
            break;
        off += len;
    }
    if (rc == LSM_OK)
        rc = fn(arg, LSM_REC_END, NULL, 0);
    scan->valid_end = off;
    if (rc == LSM_OK && off < n) {
        scan->records_after = records_after(data, n, off);
        scan->damage = scan->records_after ? 2 : 1;
    }
    free(data);
    return rc;
}
