/*
** local_strmap: string -> int32 hash map for vocabularies (see local_strmap.h).
*/
#include "embed/local_strmap.h"
#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

static uint64_t strmap_hash(const char *s, size_t n) {
    uint64_t h = strata_fnv1a(s, n);
    return h ^ (h >> 29);
}

void lembed_strmap_init(lembed_strmap *m) {
    memset(m, 0, sizeof(*m));
}

void lembed_strmap_free(lembed_strmap *m) {
    free(m->slots);
    free(m->key_off);
    free(m->values);
    free(m->arena);
    lembed_strmap_init(m);
}

static const char *entry_key(const lembed_strmap *m, size_t i, size_t *n) {
    *n = (size_t)(m->key_off[i] & 0xFFFFFF);
    return m->arena + (m->key_off[i] >> 24);
}

static int64_t find_slot(const lembed_strmap *m, const char *key, size_t n, uint64_t h) {
    size_t mask = m->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t s = m->slots[i];
        if (s == 0)
            return -(int64_t)i - 1;
        size_t kn;
        const char *k = entry_key(m, s - 1, &kn);
        if (kn == n && memcmp(k, key, n) == 0)
            return (int64_t)i;
    }
}

static bool grow_slots(lembed_strmap *m) {
    size_t nslots = m->nslots ? m->nslots * 2 : 1024;
    if (nslots > ((size_t)1 << 31))
        return false;
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return false;
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    for (size_t e = 0; e < m->count; e++) {
        size_t kn;
        const char *k = entry_key(m, e, &kn);
        int64_t at = find_slot(m, k, kn, strmap_hash(k, kn));
        slots[-at - 1] = (uint32_t)(e + 1);
    }
    return true;
}

bool lembed_strmap_put(lembed_strmap *m, const char *key, size_t n, int32_t value) {
    if (n >= LEMBED_STRMAP_MAX_KEY || m->count >= 0x7FFFFFFF)
        return false;
    if ((m->count + 1) * 2 > m->nslots && !grow_slots(m))
        return false;
    uint64_t h = strmap_hash(key, n);
    int64_t at = find_slot(m, key, n, h);
    if (at >= 0)
        return true;
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *ko = realloc(m->key_off, cap * sizeof(*ko));
        if (!ko)
            return false;
        m->key_off = ko;
        int32_t *vals = realloc(m->values, cap * sizeof(*vals));
        if (!vals)
            return false;
        m->values = vals;
        m->cap = cap;
    }
    /* The arena exists once any key does, even an empty one: keys point into it. */
    if (m->arena_len + n > m->arena_cap || m->arena == NULL) {
        size_t cap = m->arena_cap ? m->arena_cap : 4096;
        while (cap < m->arena_len + n)
            cap *= 2;
        if (cap >= ((size_t)1 << 40))
            return false;
        char *arena = realloc(m->arena, cap);
        if (!arena)
            return false;
        m->arena = arena;
        m->arena_cap = cap;
    }
    if (n)
        memcpy(m->arena + m->arena_len, key, n);
    m->key_off[m->count] = ((uint64_t)m->arena_len << 24) | (uint64_t)n;
    m->values[m->count] = value;
    m->arena_len += n;
    m->slots[-at - 1] = (uint32_t)(m->count + 1);
    m->count++;
    return true;
}

int32_t lembed_strmap_get(const lembed_strmap *m, const char *key, size_t n) {
    if (m->count == 0 || n >= LEMBED_STRMAP_MAX_KEY)
        return -1;
    int64_t at = find_slot(m, key, n, strmap_hash(key, n));
    return at < 0 ? -1 : m->values[m->slots[at] - 1];
}

const char *lembed_strmap_key(const lembed_strmap *m, size_t i, size_t *n) {
    if (i >= m->count)
        return NULL;
    return entry_key(m, i, n);
}
