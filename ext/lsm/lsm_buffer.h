/*
** Growing arrays: the one helper the engine's buffers (keys, values, block restarts, cursor
** scratch) use. Plain C, no SQLite.
*/
#ifndef STRATA_LSM_BUFFER_H
#define STRATA_LSM_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/* Makes *p hold at least need elements of elem bytes (capacity *cap, in elements), growing by
** half again (64 at least). 1, or 0 when out of memory or the size overflows; *p and *cap are
** unchanged on failure. */
int lsm_grow_array(void **p, size_t *cap, size_t need, size_t elem);

/* The byte case: *buf holds at least n bytes. */
static inline int lsm_grow(uint8_t **buf, size_t *cap, size_t n) {
    return lsm_grow_array((void **)buf, cap, n, 1);
}

#endif
