/*
** Byte-string hashing for in-memory hash tables (FNV-1a, 64-bit). Not for anything an attacker
** can exploit by choosing keys en masse beyond a bounded table; not cryptographic.
*/
#ifndef STRATA_HASH_H
#define STRATA_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t strata_fnv1a(const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

#endif
