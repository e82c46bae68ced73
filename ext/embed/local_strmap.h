/*
** local_strmap: an open-addressing hash map from byte strings to int32 ids.
**
** Used for vocabularies: WordPiece pieces (local_tokenizer.c) and word-vector tables
** (local_static_vectors.c). Keys are copied into one arena, so a map of 341k words is two
** allocations plus the arena's growth. Plain C, no SQLite.
*/
#ifndef STRATA_EMBED_LOCAL_STRMAP_H
#define STRATA_EMBED_LOCAL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lembed_strmap {
    uint32_t *slots;   /* 0 = empty, else entry index + 1 */
    size_t nslots;     /* power of two */
    uint64_t *key_off; /* per entry: offset into arena (high 40 bits) and length (low 24 bits) */
    int32_t *values;
    size_t count, cap;
    char *arena;
    size_t arena_len, arena_cap;
} lembed_strmap;

#define LEMBED_STRMAP_MAX_KEY ((size_t)1 << 20)

void lembed_strmap_init(lembed_strmap *m);
void lembed_strmap_free(lembed_strmap *m);
/* Inserts key -> value unless key is present (the first value wins: vocabularies list the
** most frequent form first). Returns false on allocation failure or an oversized key. */
bool lembed_strmap_put(lembed_strmap *m, const char *key, size_t n, int32_t value);
/* Key of entry i (entries are numbered in insertion order), or NULL. */
const char *lembed_strmap_key(const lembed_strmap *m, size_t i, size_t *n);
/* The value of key, or -1. */
int32_t lembed_strmap_get(const lembed_strmap *m, const char *key, size_t n);

#endif
