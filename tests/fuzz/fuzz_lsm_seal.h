/*
** fuzz_lsm_seal.h: re-sealing ext/lsm's checksums, so mutated logs and manifests get past the
** CRC checks and the fuzzer explores what lies behind them.
*/
#ifndef STRATA_FUZZ_LSM_SEAL_H
#define STRATA_FUZZ_LSM_SEAL_H

#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_wal.h"

#include <stddef.h>
#include <stdint.h>

/* Rewrites the checksum of every whole record of log[0..n). */
static inline void fuzz_seal_log(uint8_t *log, size_t n) {
    for (size_t off = 0; n - off >= LSM_WAL_HEADER;) {
        uint8_t *h = log + off;
        uint32_t len = lsm_get_fixed32(h + 4);
        if (n - off - LSM_WAL_HEADER < len)
            break;
        uint32_t crc = lsm_crc32c_extend(lsm_crc32c(h + 4, 5), h + LSM_WAL_HEADER, len);
        lsm_put_fixed32(h, lsm_crc_mask(crc));
        off += LSM_WAL_HEADER + len;
    }
}

/* Rewrites the trailing checksum of a manifest (whose smallest valid size is 36 bytes). */
static inline void fuzz_seal_manifest(uint8_t *m, size_t n) {
    if (n >= 36)
        lsm_put_fixed32(m + n - 4, lsm_crc_mask(lsm_crc32c(m, n - 4)));
}

#endif
