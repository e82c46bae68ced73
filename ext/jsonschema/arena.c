/*
** arena: bump allocator (see arena.h).
*/
#include "jsonschema/arena.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_FIRST_BLOCK 4096

void arena_init(arena *a) {
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

void arena_free(arena *a) {
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a);
}

void arena_reset(arena *a) {
    arena_block *b = a->head;
    if (b == NULL)
        return;
    /* Keep the newest (largest) block: the next parse of a similar input then fits in it. */
    arena_block *old = b->next;
    while (old) {
        arena_block *next = old->next;
        a->total -= old->size;
        free(old);
        old = next;
    }
    b->next = NULL;
    a->used = 0;
}

void *arena_alloc_block(arena *a, size_t n) {
    if (a->head == NULL || a->head->size - a->used < n) {
        size_t size = a->head ? a->head->size * 2 : ARENA_FIRST_BLOCK;
        while (size < n)
            size *= 2;
        if (n > ARENA_MAX || a->total + size > ARENA_MAX)
            return NULL;
        arena_block *b = malloc(sizeof(arena_block) + size);
        if (b == NULL)
            return NULL;
        b->size = size;
        if (a->head && a->used == 0 && a->head->next == NULL) {
            /* The only block is empty and too small: replace it rather than keep it. */
            a->total -= a->head->size;
            free(a->head);
            a->head = NULL;
        }
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->total += size;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += n;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *js_grow(void *items, size_t *cap, size_t size, size_t first) {
    assert(size > 0 && first > 0); /* else the array would never grow */
    size_t n = *cap ? *cap * 2 : first;
    if (n > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(items, n * size);
    if (grown)
        *cap = n;
    return grown;
}
