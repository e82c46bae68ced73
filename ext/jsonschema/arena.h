/*
** arena: a bump allocator for the JSON trees and compiled schemas of ext/jsonschema.
**
** Everything a parse or a compile allocates lives in one arena and is freed at once, so the
** validator never frees node by node. arena_reset keeps the first block for reuse, which makes
** parsing one small document per SQL call allocation-free after the first call.
*/
#ifndef STRATA_JSONSCHEMA_ARENA_H
#define STRATA_JSONSCHEMA_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct arena_block arena_block;

/* No arena grows past this: a bigger document or schema fails cleanly instead. */
#define ARENA_MAX ((size_t)1 << 31)

/* Exposed for the inline fast path of arena_alloc only. */
struct arena_block {
    arena_block *next;
    size_t size;
    max_align_t data[];
};

typedef struct arena {
    arena_block *head; /* current block; older blocks chain behind it */
    size_t used;       /* bytes used in head */
    size_t total;      /* bytes allocated over all blocks, bounded by ARENA_MAX */
} arena;

void arena_init(arena *a);
/* Frees every block. */
void arena_free(arena *a);
/* Frees every block but the first, and empties it. */
void arena_reset(arena *a);
/* Slow path of arena_alloc: a new block. */
void *arena_alloc_block(arena *a, size_t n);

/* n bytes aligned to 8, or NULL when out of memory or past ARENA_MAX. */
static inline void *arena_alloc(arena *a, size_t n) {
    if (n > ARENA_MAX)
        return NULL;
    n = n ? (n + 7) & ~(size_t)7 : 8;
    if (a->head && a->head->size - a->used >= n) {
        void *p = (char *)a->head->data + a->used;
        a->used += n;
        return p;
    }
    return arena_alloc_block(a, n);
}
/* Room for one more item in the malloc'd array items of *cap items of `size` bytes (doubling,
** from `first`): the array, moved or not, with *cap updated; NULL when out of memory (items is
** then unchanged). For the growing stacks and lists of the parser and the validator. */
void *js_grow(void *items, size_t *cap, size_t size, size_t first);

/* Room for item n of the array whose pointer is at items_ptr (a `T **`, T of `size` bytes), *cap
** items long: grows it with js_grow when n == *cap. False when out of memory (the array is then
** unchanged). Inline: the common case is one comparison. */
static inline bool js_reserve(void *items_ptr, size_t n, size_t *cap, size_t size, size_t first) {
    if (n < *cap)
        return true;
    void *items;
    memcpy(&items, items_ptr, sizeof items);
    items = js_grow(items, cap, size, first);
    if (items == NULL)
        return false;
    memcpy(items_ptr, &items, sizeof items);
    return true;
}

/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(arena *a, const char *s, size_t n);

#endif
