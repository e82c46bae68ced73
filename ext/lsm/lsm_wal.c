/*
** lsm_wal: log record framing and replay (see lsm_wal.h).
*/
#include "lsm/lsm_wal.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_status.h"

#include <stdlib.h>

void lsm_wal_header(uint8_t *hdr, const uint8_t *payload, size_t n) {
    lsm_put_fixed32(hdr + 4, (uint32_t)n);
    hdr[8] = 1;
    uint32_t crc = lsm_crc32c_extend(lsm_crc32c(hdr + 4, 5), payload, n);
    lsm_put_fixed32(hdr, lsm_crc_mask(crc));
}

int lsm_wal_replay(const char *path, int (*fn)(void *, const uint8_t *, size_t), void *arg,
                   uint64_t *valid_end, int *torn) {
    *valid_end = 0;
    *torn = 0;
    uint8_t *data;
    size_t n;
    int rc = lsm_file_read_all(path, (size_t)1 << 40, &data, &n);
    if (rc == LSM_NOTFOUND)
        return LSM_OK;
    if (rc)
        return rc;
    size_t off = 0;
    while (off < n) {
        if (n - off < LSM_WAL_HEADER)
            break;
        const uint8_t *h = data + off;
        uint32_t len = lsm_get_fixed32(h + 4);
        if (h[8] != 1 || len > LSM_WAL_MAX_RECORD || n - off - LSM_WAL_HEADER < len)
            break;
        uint32_t crc = lsm_crc32c_extend(lsm_crc32c(h + 4, 5), h + LSM_WAL_HEADER, len);
        if (lsm_crc_mask(crc) != lsm_get_fixed32(h))
            break;
        rc = fn(arg, h + LSM_WAL_HEADER, len);
        if (rc)
            break;
        off += LSM_WAL_HEADER + len;
    }
    *valid_end = off;
    *torn = off < n;
    free(data);
    return rc;
}
