/*
** lsm_table: reading table files (format in lsm_table.h): open, point lookup through the bloom
** filter, iteration, and full verification for the integrity check.
*/
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_table.h"

#include <stdlib.h>
#include <string.h>

struct lsm_table {
    char *path;
    const uint8_t *map;
    size_t size;
    uint32_t nblocks;
    uint64_t *boff;    /* data block offsets */
    uint64_t *blen;    /* data block lengths (without trailer) */
    size_t *koff;      /* where each block's last key starts in keys */
    uint8_t *keys;     /* last internal key of every block, back to back */
    uint8_t *verified; /* 1 once a block's checksum has been checked */
    const uint8_t *filter;
    size_t nfilter;
    uint64_t nentries;
};

static int corrupt(lsm_table *t, const char *what) {
    lsm_file_set_errmsg("%s: corrupt table (%s)", t->path, what);
    return LSM_CORRUPT;
}

/* Checks a block's bounds and checksum. */
static int check_block(lsm_table *t, uint64_t off, uint64_t len) {
    if (off > t->size || len > t->size - off || t->size - off - len < 5)
        return corrupt(t, "block out of bounds");
    const uint8_t *p = t->map + off;
    if (p[len] != 0)
        return corrupt(t, "unknown block type");
    uint32_t crc = lsm_crc32c_extend(lsm_crc32c(p, (size_t)len), p + len, 1);
    if (lsm_crc_mask(crc) != lsm_get_fixed32(p + len + 1))
        return corrupt(t, "block checksum mismatch");
    return LSM_OK;
}

uint64_t lsm_table_entries(const lsm_table *t) {
    return t->nentries;
}

static int load_index(lsm_table *t, const uint8_t *idx, size_t n) {
    lsm_block_iter it = {0};
    int rc = lsm_block_iter_init(&it, idx, n);
    if (rc)
        return corrupt(t, "index block");
    size_t cap = 0, keycap = 0, keylen = 0;
    for (lsm_block_iter_first(&it); it.valid; lsm_block_iter_next(&it)) {
        uint64_t off = 0, len = 0;
        const uint8_t *p = it.val, *end = it.val + it.nval;
        p = lsm_get_varint(p, end, &off);
        if (p)
            p = lsm_get_varint(p, end, &len);
        if (p == NULL || off > t->size || len > t->size - off) {
            rc = corrupt(t, "index entry");
            break;
        }
        if (t->nblocks == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *bo = realloc(t->boff, cap * sizeof *bo);
            if (bo)
                t->boff = bo;
            uint64_t *bl = realloc(t->blen, cap * sizeof *bl);
            if (bl)
                t->blen = bl;
            size_t *ko = realloc(t->koff, (cap + 1) * sizeof *ko);
            if (ko)
                t->koff = ko;
            if (!bo || !bl || !ko) {
                rc = LSM_NOMEM;
                break;
            }
        }
        if (keylen + it.nkey > keycap) {
            keycap = (keylen + it.nkey) * 2;
            uint8_t *k = realloc(t->keys, keycap);
            if (k == NULL) {
                rc = LSM_NOMEM;
                break;
            }
            t->keys = k;
        }
        if (t->nblocks > 0 &&
            lsm_ikey_cmp(t->keys + t->koff[t->nblocks - 1], keylen - t->koff[t->nblocks - 1],
                         it.key, it.nkey) >= 0) {
            rc = corrupt(t, "index out of order");
            break;
        }
        t->boff[t->nblocks] = off;
        t->blen[t->nblocks] = len;
        t->koff[t->nblocks] = keylen;
        memcpy(t->keys + keylen, it.key, it.nkey);
        keylen += it.nkey;
        t->nblocks++;
    }
    if (rc == LSM_OK && it.rc)
        rc = it.rc == LSM_NOMEM ? LSM_NOMEM : corrupt(t, "index block entries");
    lsm_block_iter_free(&it);
    if (rc == LSM_OK && t->nblocks) {
        t->koff[t->nblocks] = keylen;
        t->verified = calloc(t->nblocks, 1);
        if (t->verified == NULL)
            rc = LSM_NOMEM;
    }
    return rc;
}

int lsm_table_open(const char *path, lsm_table **out) {
    *out = NULL;
    lsm_table *t = calloc(1, sizeof *t);
    if (t == NULL || (t->path = strdup(path)) == NULL) {
        free(t);
        return LSM_NOMEM;
    }
    int rc = lsm_file_map(path, &t->map, &t->size);
    if (rc == LSM_OK && t->size < LSM_TABLE_FOOTER)
        rc = corrupt(t, "file too short");
    if (rc == LSM_OK) {
        const uint8_t *f = t->map + t->size - LSM_TABLE_FOOTER;
        if (lsm_get_fixed32(f + 44) != LSM_TABLE_MAGIC)
            rc = corrupt(t, "bad magic");
        else if (lsm_crc_mask(lsm_crc32c(f, 40)) != lsm_get_fixed32(f + 40))
            rc = corrupt(t, "footer checksum mismatch");
        if (rc == LSM_OK) {
            uint64_t foff = lsm_get_fixed64(f), flen = lsm_get_fixed64(f + 8);
            uint64_t ioff = lsm_get_fixed64(f + 16), ilen = lsm_get_fixed64(f + 24);
            t->nentries = lsm_get_fixed64(f + 32);
            rc = check_block(t, foff, flen);
            if (rc == LSM_OK)
                rc = check_block(t, ioff, ilen);
            if (rc == LSM_OK) {
                t->filter = t->map + foff;
                t->nfilter = (size_t)flen;
                rc = load_index(t, t->map + ioff, (size_t)ilen);
            }
        }
    }
    if (rc != LSM_OK) {
        lsm_table_close(t);
        return rc;
    }
    *out = t;
    return LSM_OK;
}

void lsm_table_close(lsm_table *t) {
    if (t == NULL)
        return;
    lsm_file_unmap(t->map, t->size);
    free(t->boff);
    free(t->blen);
    free(t->koff);
    free(t->keys);
    free(t->verified);
    free(t->path);
    free(t);
}

static int get_block(lsm_table *t, uint32_t i, const uint8_t **data, size_t *n) {
    /* several threads may verify one block at once: harmless, but the flag must be atomic */
    if (!__atomic_load_n(&t->verified[i], __ATOMIC_RELAXED)) {
        int rc = check_block(t, t->boff[i], t->blen[i]);
        if (rc)
            return rc;
        __atomic_store_n(&t->verified[i], 1, __ATOMIC_RELAXED);
    }
    *data = t->map + t->boff[i];
    *n = (size_t)t->blen[i];
    return LSM_OK;
}

/* First block whose last key is >= target (nblocks if none). */
static uint32_t find_block(const lsm_table *t, const uint8_t *target, size_t n) {
    uint32_t lo = 0, hi = t->nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *k = t->keys + t->koff[mid];
        size_t nk = t->koff[mid + 1] - t->koff[mid];
        if (lsm_ikey_cmp(k, nk, target, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int lsm_table_get(lsm_table *t, const uint8_t *ukey, size_t nk, uint64_t max_tag, uint32_t hash,
                  int *found, uint64_t *tag, const uint8_t **val, size_t *nv) {
    *found = 0;
    if (!lsm_bloom_may_contain(t->filter, t->nfilter, hash))
        return LSM_OK;
    uint8_t stackbuf[256];
    uint8_t *ik = nk + LSM_TAG_BYTES <= sizeof stackbuf ? stackbuf : malloc(nk + LSM_TAG_BYTES);
    if (ik == NULL)
        return LSM_NOMEM;
    if (nk)
        memcpy(ik, ukey, nk);
    lsm_put_fixed64(ik + nk, max_tag);
    size_t nik = nk + LSM_TAG_BYTES;
    int rc = LSM_OK;
    uint32_t b = find_block(t, ik, nik);
    if (b < t->nblocks) {
        const uint8_t *data;
        size_t n;
        rc = get_block(t, b, &data, &n);
        if (rc == LSM_OK) {
            lsm_block_iter it = {0};
            rc = lsm_block_iter_init(&it, data, n);
            if (rc == LSM_OK) {
                lsm_block_iter_seek(&it, ik, nik);
                if (it.valid && lsm_ukey_cmp(it.key, it.nkey - LSM_TAG_BYTES, ukey, nk) == 0) {
                    *found = 1;
                    *tag = lsm_ikey_tag(it.key, it.nkey);
                    *val = it.val;
                    *nv = it.nval;
                }
                rc = it.rc;
            }
            lsm_block_iter_free(&it);
            if (rc == LSM_CORRUPT)
                rc = corrupt(t, "data block entries");
        }
    }
    if (ik != stackbuf)
        free(ik);
    return rc;
}

/* ---- iterator ----------------------------------------------------------------------------- */

typedef struct table_iter {
    lsm_iter base;
    lsm_table *t;
    uint32_t block; /* index of the loaded block, nblocks if none */
    lsm_block_iter bi;
    const lsm_bounds *bounds;
    void (*release)(void *);
    void *arg;
} table_iter;

static void sync_pos(table_iter *it) {
    it->base.valid = it->bi.valid;
    if (it->bi.valid) {
        it->base.key = it->bi.key;
        it->base.klen = it->bi.nkey;
        it->base.val = it->bi.val;
        it->base.vlen = it->bi.nval;
    }
}

static int load(table_iter *it, uint32_t b) {
    it->block = b;
    it->base.valid = 0;
    it->bi.valid = 0;
    if (b >= it->t->nblocks)
        return 0;
    const uint8_t *data;
    size_t n;
    int rc = get_block(it->t, b, &data, &n);
    if (rc == LSM_OK)
        rc = lsm_block_iter_init(&it->bi, data, n);
    if (rc) {
        it->base.rc = rc == LSM_CORRUPT ? corrupt(it->t, "data block") : rc;
        return 0;
    }
    return 1;
}

static void check_rc(table_iter *it) {
    if (it->bi.rc) {
        it->base.rc = it->bi.rc == LSM_CORRUPT ? corrupt(it->t, "data block entries") : it->bi.rc;
        it->base.valid = 0;
    }
}

/* User-key comparison of block b's last key with k. */
static int block_last_cmp(const lsm_table *t, uint32_t b, const uint8_t *k, size_t nk) {
    size_t n = t->koff[b + 1] - t->koff[b];
    return lsm_ukey_cmp(t->keys + t->koff[b], n - LSM_TAG_BYTES, k, nk);
}

/* Moves forward over empty blocks, stopping before a block whose keys are all above the upper
** bound (every key of block b + 1 is above block b's last key). */
static void skip_forward(table_iter *it) {
    const lsm_bounds *bd = it->bounds;
    while (!it->bi.valid && it->base.rc == LSM_OK && !it->bi.rc) {
        if (bd && bd->hi && it->block < it->t->nblocks &&
            block_last_cmp(it->t, it->block, bd->hi, bd->nhi) > 0)
            break;
        if (!load(it, it->block + 1))
            break;
        lsm_block_iter_first(&it->bi);
    }
    check_rc(it);
    sync_pos(it);
    if (it->base.rc)
        it->base.valid = 0;
}

static void skip_backward(table_iter *it) {
    const lsm_bounds *bd = it->bounds;
    while (!it->bi.valid && it->base.rc == LSM_OK && !it->bi.rc) {
        if (it->block == 0 ||
            (bd && bd->lo && block_last_cmp(it->t, it->block - 1, bd->lo, bd->nlo) < 0))
            break;
        if (!load(it, it->block - 1))
            break;
        lsm_block_iter_last(&it->bi);
    }
    check_rc(it);
    sync_pos(it);
    if (it->base.rc)
        it->base.valid = 0;
}

static void ti_first(lsm_iter *b) {
    table_iter *it = (table_iter *)b;
    if (load(it, 0))
        lsm_block_iter_first(&it->bi);
    skip_forward(it);
}

static void ti_last(lsm_iter *b) {
    table_iter *it = (table_iter *)b;
    if (it->t->nblocks && load(it, it->t->nblocks - 1))
        lsm_block_iter_last(&it->bi);
    skip_backward(it);
}

static void ti_seek(lsm_iter *b, const uint8_t *ik, size_t n) {
    table_iter *it = (table_iter *)b;
    if (load(it, find_block(it->t, ik, n)))
        lsm_block_iter_seek(&it->bi, ik, n);
    skip_forward(it);
}

static void ti_next(lsm_iter *b) {
    table_iter *it = (table_iter *)b;
    lsm_block_iter_next(&it->bi);
    skip_forward(it);
}

static void ti_prev(lsm_iter *b) {
    table_iter *it = (table_iter *)b;
    lsm_block_iter_prev(&it->bi);
    skip_backward(it);
}

static void ti_destroy(lsm_iter *b) {
    table_iter *it = (table_iter *)b;
    lsm_block_iter_free(&it->bi);
    if (it->release)
        it->release(it->arg);
    free(it);
}

static const lsm_iter_vt table_vt = {ti_first, ti_last, ti_seek, ti_next, ti_prev, ti_destroy};

lsm_iter *lsm_table_iter(lsm_table *t, const lsm_bounds *bounds, void (*release)(void *),
                         void *arg) {
    table_iter *it = calloc(1, sizeof *it);
    if (it == NULL)
        return NULL;
    it->base.vt = &table_vt;
    it->t = t;
    it->block = t->nblocks;
    it->bounds = bounds;
    it->release = release;
    it->arg = arg;
    return &it->base;
}

int lsm_table_verify(lsm_table *t) {
    lsm_iter *it = lsm_table_iter(t, NULL, NULL, NULL);
    if (it == NULL)
        return LSM_NOMEM;
    for (uint32_t i = 0; i < t->nblocks; i++)
        __atomic_store_n(&t->verified[i], 0, __ATOMIC_RELAXED);
    uint64_t count = 0;
    uint8_t *prev = NULL;
    size_t nprev = 0;
    int rc = LSM_OK;
    for (it->vt->first(it); it->valid; it->vt->next(it)) {
        if (prev && lsm_ikey_cmp(prev, nprev, it->key, it->klen) >= 0) {
            rc = corrupt(t, "keys out of order");
            break;
        }
        uint8_t *p = realloc(prev, it->klen);
        if (p == NULL) {
            rc = LSM_NOMEM;
            break;
        }
        prev = p;
        memcpy(prev, it->key, it->klen);
        nprev = it->klen;
        count++;
    }
    if (rc == LSM_OK)
        rc = it->rc;
    if (rc == LSM_OK && count != t->nentries)
        rc = corrupt(t, "entry count mismatch");
    free(prev);
    lsm_iter_destroy(it);
    return rc;
}
