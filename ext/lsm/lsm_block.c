/*
** lsm_block: building and reading prefix-compressed blocks (see lsm_block.h). Block keys are
** internal keys and compare with lsm_ikey_cmp. Any malformed entry sets rc = LSM_CORRUPT.
*/
#include "lsm/lsm_block.h"
#include "lsm/lsm_buffer.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void lsm_block_builder_init(lsm_block_builder *b, int interval) {
    memset(b, 0, sizeof *b);
    strbuf_init(&b->buf);
    b->interval = interval < 1 ? 1 : interval;
}

void lsm_block_builder_free(lsm_block_builder *b) {
    strbuf_free(&b->buf);
    free(b->restarts);
    free(b->last);
    memset(b, 0, sizeof *b);
}

void lsm_block_builder_reset(lsm_block_builder *b) {
    strbuf_reset(&b->buf);
    b->nrestarts = 0;
    b->counter = 0;
    b->nlast = 0;
    b->nentries = 0;
    b->failed = 0;
}

void lsm_block_builder_add(lsm_block_builder *b, const uint8_t *key, size_t nk, const uint8_t *val,
                           size_t nv) {
    /* LevelDB's block builder contract: internal keys, strictly increasing (readers binary-search
    ** the restart points and prefix-decode on that assumption). */
    assert(nk >= LSM_TAG_BYTES);
    assert(b->nentries == 0 || b->failed || lsm_ikey_cmp(b->last, b->nlast, key, nk) < 0);
    if (b->failed)
        return;
    size_t shared = 0;
    if (b->counter < b->interval && b->nentries > 0) {
        size_t lim = nk < b->nlast ? nk : b->nlast;
        while (shared < lim && key[shared] == b->last[shared])
            shared++;
    } else {
        if (!lsm_grow_array((void **)&b->restarts, &b->caprestarts, b->nrestarts + 1,
                            sizeof(uint32_t))) {
            b->failed = 1;
            return;
        }
        b->restarts[b->nrestarts++] = (uint32_t)b->buf.len;
        b->counter = 0;
    }
    uint8_t hdr[30], *p = hdr;
    p = lsm_put_varint(p, shared);
    p = lsm_put_varint(p, nk - shared);
    p = lsm_put_varint(p, nv);
    strbuf_append(&b->buf, hdr, (size_t)(p - hdr));
    strbuf_append(&b->buf, key + shared, nk - shared);
    if (nv)
        strbuf_append(&b->buf, val, nv);
    if (!lsm_grow_array((void **)&b->last, &b->caplast, nk ? nk : 1, 1) || b->buf.failed) {
        b->failed = 1;
        return;
    }
    memcpy(b->last + shared, key + shared, nk - shared);
    b->nlast = nk;
    b->counter++;
    b->nentries++;
}

size_t lsm_block_builder_size(const lsm_block_builder *b) {
    return b->buf.len + 4 * b->nrestarts + 4;
}

const uint8_t *lsm_block_builder_finish(lsm_block_builder *b, size_t *n) {
    if (b->nrestarts == 0 && !b->failed) {
        /* an empty block still has one restart point so readers need no special case */
        if (!lsm_grow_array((void **)&b->restarts, &b->caprestarts, 1, sizeof(uint32_t)))
            b->failed = 1;
        else
            b->restarts[b->nrestarts++] = 0;
    }
    for (size_t i = 0; i < b->nrestarts && !b->failed; i++) {
        uint8_t w[4];
        lsm_put_fixed32(w, b->restarts[i]);
        strbuf_append(&b->buf, w, 4);
    }
    uint8_t w[4];
    lsm_put_fixed32(w, (uint32_t)b->nrestarts);
    strbuf_append(&b->buf, w, 4);
    if (b->failed || b->buf.failed)
        return NULL;
    *n = b->buf.len;
    return (const uint8_t *)b->buf.data;
}

/* ---- reading ------------------------------------------------------------------------------ */

int lsm_block_iter_init(lsm_block_iter *it, const uint8_t *data, size_t n) {
    it->data = data;
    it->valid = 0;
    it->rc = LSM_OK;
    it->nkey = 0;
    if (n < 4)
        return it->rc = LSM_CORRUPT;
    uint32_t nr = lsm_get_fixed32(data + n - 4);
    if (nr == 0 || nr > (n - 4) / 4)
        return it->rc = LSM_CORRUPT;
    it->nrestarts = nr;
    it->restarts_off = n - 4 - 4 * (size_t)nr;
    for (uint32_t i = 0; i < nr; i++)
        if (lsm_get_fixed32(data + it->restarts_off + 4 * i) > it->restarts_off)
            return it->rc = LSM_CORRUPT;
    it->cur = it->next = it->restarts_off;
    return LSM_OK;
}

void lsm_block_iter_free(lsm_block_iter *it) {
    free(it->key);
    it->key = NULL;
    it->capkey = 0;
}

static uint32_t restart_at(const lsm_block_iter *it, uint32_t i) {
    return lsm_get_fixed32(it->data + it->restarts_off + 4 * (size_t)i);
}

static void corrupt(lsm_block_iter *it) {
    it->valid = 0;
    it->rc = LSM_CORRUPT;
}

/* Decodes the entry at it->next into the current position; 0 at the end or on corruption. */
static int parse_next(lsm_block_iter *it) {
    it->cur = it->next;
    if (it->cur >= it->restarts_off) {
        it->valid = 0;
        return 0;
    }
    const uint8_t *p = it->data + it->cur, *end = it->data + it->restarts_off;
    uint64_t shared = 0, unshared = 0, nv = 0;
    if (end - p >= 3 && (p[0] | p[1] | p[2]) < 0x80) { /* the common case: three 1-byte varints */
        shared = p[0];
        unshared = p[1];
        nv = p[2];
        p = shared <= it->nkey ? p + 3 : NULL;
    } else {
        p = lsm_get_varint_max(p, end, it->nkey, &shared);
        if (p)
            p = lsm_get_varint_max(p, end, (uint64_t)(end - p), &unshared);
        if (p)
            p = lsm_get_varint_max(p, end, (uint64_t)(end - p), &nv);
    }
    if (p == NULL || (uint64_t)(end - p) < unshared + nv || shared + unshared < LSM_TAG_BYTES) {
        corrupt(it);
        return 0;
    }
    size_t nk = (size_t)(shared + unshared);
    if (nk > it->capkey) {
        size_t cap = nk < 64 ? 64 : nk * 2;
        uint8_t *k = realloc(it->key, cap);
        if (k == NULL) {
            it->valid = 0;
            it->rc = LSM_NOMEM;
            return 0;
        }
        it->key = k;
        it->capkey = cap;
    }
    memcpy(it->key + shared, p, (size_t)unshared);
    it->nkey = nk;
    it->val = p + unshared;
    it->nval = (size_t)nv;
    it->next = (size_t)(p + unshared + nv - it->data);
    it->valid = 1;
    return 1;
}

static void seek_restart(lsm_block_iter *it, uint32_t i) {
    it->nkey = 0;
    it->next = restart_at(it, i);
}

void lsm_block_iter_first(lsm_block_iter *it) {
    if (it->rc)
        return;
    seek_restart(it, 0);
    parse_next(it);
}

void lsm_block_iter_last(lsm_block_iter *it) {
    if (it->rc)
        return;
    seek_restart(it, it->nrestarts - 1);
    if (!parse_next(it))
        return;
    while (it->next < it->restarts_off) {
        size_t prev_next = it->next;
        if (!parse_next(it))
            return;
        if (it->next <= prev_next) {
            corrupt(it);
            return;
        }
    }
}

void lsm_block_iter_seek(lsm_block_iter *it, const uint8_t *target, size_t n) {
    if (it->rc)
        return;
    /* last restart point whose key is < target */
    uint32_t lo = 0, hi = it->nrestarts - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi + 1) / 2;
        seek_restart(it, mid);
        if (!parse_next(it)) {
            if (it->rc == LSM_OK)
                corrupt(it);
            return;
        }
        if (lsm_ikey_cmp(it->key, it->nkey, target, n) < 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    seek_restart(it, lo);
    while (parse_next(it))
        if (lsm_ikey_cmp(it->key, it->nkey, target, n) >= 0)
            return;
}

void lsm_block_iter_next(lsm_block_iter *it) {
    if (it->valid)
        parse_next(it);
}

void lsm_block_iter_prev(lsm_block_iter *it) {
    if (!it->valid)
        return;
    size_t target = it->cur;
    uint32_t r = it->nrestarts;
    while (r > 0 && restart_at(it, r - 1) >= target)
        r--;
    if (r == 0) {
        it->valid = 0;
        return;
    }
    seek_restart(it, r - 1);
    while (parse_next(it)) {
        if (it->next >= target) {
            if (it->next != target)
                corrupt(it);
            return;
        }
    }
    if (it->rc == LSM_OK)
        corrupt(it);
}
