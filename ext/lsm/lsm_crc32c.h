/*
** lsm_crc32c: CRC-32C (Castagnoli), the checksum on every log record, table block and manifest.
**
** Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), else slicing-by-8 tables.
** Stored checksums are masked (rotated plus a constant) so that a checksum of data that itself
** contains checksums is not trivially zero.
*/
#ifndef STRATA_LSM_CRC32C_H
#define STRATA_LSM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) with n bytes. */
uint32_t lsm_crc32c_extend(uint32_t crc, const void *data, size_t n);

static inline uint32_t lsm_crc32c(const void *data, size_t n) {
    return lsm_crc32c_extend(0, data, n);
}

static inline uint32_t lsm_crc_mask(uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

#endif
