/*
** lsm_coding: little-endian fixed-width integers and LEB128 varints, the byte encodings every
** lsm file format (log records, table blocks, manifest) is built from.
**
** Decoders take an end pointer and return NULL on truncated or over-long input, so a corrupt
** file is reported as corruption and never read past its end.
*/
#ifndef STRATA_LSM_CODING_H
#define STRATA_LSM_CODING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void lsm_put_fixed32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t lsm_get_fixed32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void lsm_put_fixed64(uint8_t *p, uint64_t v) {
    lsm_put_fixed32(p, (uint32_t)v);
    lsm_put_fixed32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t lsm_get_fixed64(const uint8_t *p) {
    return (uint64_t)lsm_get_fixed32(p) | (uint64_t)lsm_get_fixed32(p + 4) << 32;
}

/* Writes v as a varint at p (at most 10 bytes); returns the byte after it. */
static inline uint8_t *lsm_put_varint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline int lsm_varint_len(uint64_t v) {
    int n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Reads a varint from [p, end); returns the byte after it, or NULL if truncated/over-long. */
static inline const uint8_t *lsm_get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && p < end; shift += 7) {
        uint8_t byte = *p++;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = result;
            return p;
        }
    }
    return NULL;
}

/* Same, refusing values above limit (sizes read from files are bounded by what remains). */
static inline const uint8_t *lsm_get_varint_max(const uint8_t *p, const uint8_t *end,
                                                uint64_t limit, uint64_t *v) {
    p = lsm_get_varint(p, end, v);
    return (p && *v <= limit) ? p : NULL;
}

#endif
