/*
** lsm_format: internal keys. Every stored entry is keyed by the user key followed by an 8-byte
** little-endian tag = sequence << 8 | type. Entries sort by user key ascending (memcmp, shorter
** prefix first), then by tag descending, so the newest version of a key comes first.
*/
#ifndef STRATA_LSM_FORMAT_H
#define STRATA_LSM_FORMAT_H

#include "lsm/lsm_coding.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { LSM_TYPE_DELETE = 0, LSM_TYPE_PUT = 1 };

#define LSM_TAG_BYTES 8
#define LSM_MAX_SEQ ((UINT64_C(1) << 56) - 1)
/* Writes buffered in an open transaction carry sequence numbers from here up, so they read as
** newer than anything committed. Committed sequence numbers never reach it. */
#define LSM_OVERLAY_SEQ (UINT64_C(1) << 55)
#define LSM_MAX_KEY_BYTES (1u << 20)
#define LSM_MAX_VALUE_BYTES (1u << 28)

static inline uint64_t lsm_make_tag(uint64_t seq, int type) {
    return seq << 8 | (uint64_t)type;
}

static inline uint64_t lsm_ikey_tag(const uint8_t *ik, size_t n) {
    return lsm_get_fixed64(ik + n - LSM_TAG_BYTES);
}

/* memcmp order, shorter prefix first; returns -1, 0 or 1. Compares 8 bytes at a time inline:
** keys are short and a libc memcmp call cost more than the compare in merges and skiplists. */
static inline int lsm_ukey_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    size_t n = na < nb ? na : nb, i = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
#endif
    for (; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

static inline int lsm_ikey_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    int c = lsm_ukey_cmp(a, na - LSM_TAG_BYTES, b, nb - LSM_TAG_BYTES);
    if (c)
        return c;
    uint64_t ta = lsm_ikey_tag(a, na), tb = lsm_ikey_tag(b, nb);
    return ta > tb ? -1 : ta < tb;
}

#endif
