/*
** arena: a bump allocator for the JSON trees and compiled schemas of ext/jsonschema.
**
** Everything a parse or a compile allocates lives in one arena and is freed at once, so the
** validator never frees node by node. arena_reset keeps the first block for reuse, which makes
** parsing one small document per SQL call allocation-free after the first call.
*/
#ifndef STRATA_JSONSCHEMA_ARENA_H
#define STRATA_JSONSCHEMA_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head; /* current block; older blocks chain behind it */
    size_t used;       /* bytes used in head */
    size_t total;      /* bytes allocated over all blocks, bounded by ARENA_MAX */
} arena;

/* No arena grows past this: a bigger document or schema fails cleanly instead. */
#define ARENA_MAX ((size_t)1 << 31)

void arena_init(arena *a);
/* Frees every block. */
void arena_free(arena *a);
/* Frees every block but the first, and empties it. */
void arena_reset(arena *a);
/* n bytes aligned to 8, or NULL when out of memory or past ARENA_MAX. */
void *arena_alloc(arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(arena *a, const char *s, size_t n);

#endif
