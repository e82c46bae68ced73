/*
** lsm_bloom: bloom filter building and probing with double hashing (one 32-bit hash, the
** rotated value as the step), as described in Kirsch and Mitzenmacher.
*/
#include "lsm/lsm_bloom.h"

#include <stdlib.h>
#include <string.h>

uint32_t lsm_bloom_hash(const uint8_t *key, size_t n) {
    /* 64-bit FNV-1a folded with a murmur finaliser: cheap and well mixed */
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ key[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

void lsm_bloom_build(const uint32_t *hashes, size_t n, int bits_per_key, strbuf *out) {
    if (bits_per_key < 1)
        return; /* no filter: readers see an empty block and always look */
    int k = (int)(bits_per_key * 0.69);
    if (k < 1)
        k = 1;
    if (k > 30)
        k = 30;
    size_t bits = n * (size_t)bits_per_key;
    if (bits < 64)
        bits = 64;
    size_t bytes = (bits + 7) / 8;
    bits = bytes * 8;
    if (!strbuf_reserve(out, bytes + 1))
        return;
    uint8_t *array = (uint8_t *)out->data + out->len;
    memset(array, 0, bytes);
    for (size_t i = 0; i < n; i++) {
        uint32_t h = hashes[i];
        uint32_t delta = (h >> 17) | (h << 15);
        for (int j = 0; j < k; j++) {
            uint32_t pos = (uint32_t)(h % bits);
            array[pos / 8] |= (uint8_t)(1u << (pos % 8));
            h += delta;
        }
    }
    array[bytes] = (uint8_t)k;
    out->len += bytes + 1;
    out->data[out->len] = 0;
}

int lsm_bloom_may_contain(const uint8_t *filter, size_t n, uint32_t hash) {
    if (n < 2)
        return 1;
    int k = filter[n - 1];
    if (k < 1 || k > 30)
        return 1;
    size_t bits = (n - 1) * 8;
    uint32_t h = hash, delta = (h >> 17) | (h << 15);
    for (int j = 0; j < k; j++) {
        uint32_t pos = (uint32_t)(h % bits);
        if (!(filter[pos / 8] & (1u << (pos % 8))))
            return 0;
        h += delta;
    }
    return 1;
}
