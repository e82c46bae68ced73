/*
** lsm_cursor: user cursors. A cursor merges the handle's uncommitted writes, the memtable and
** every table whose key range meets the cursor's bounds, and turns internal entries into user
** entries: only versions its snapshot can see, the newest one per key, tombstones hidden.
**
** Forwards, the merged iterator rests on the entry that produced the current key. Backwards
** (after last, seek LE or prev) it rests on the entry before the current key's entries, since
** finding the newest visible version of a key means reading past all of them, as in LevelDB.
** A cursor takes a fresh snapshot at first/last/seek and keeps it while it steps.
*/
#include "lsm/lsm_format.h"
#include "lsm/lsm_internal.h"

#include <stdlib.h>
#include <string.h>

static int visible(const slsm_cursor *c, uint64_t tag) {
    uint64_t s = tag >> 8;
    return s <= c->snap || (s >= LSM_OVERLAY_SEQ && s < c->overlay_limit);
}

static int above_hi(const slsm_cursor *c, const uint8_t *k, size_t n) {
    if (!c->has_hi)
        return 0;
    int cmp = lsm_ukey_cmp(k, n, c->hi, c->nhi);
    return cmp > 0 || (cmp == 0 && c->hi_open);
}

static int below_lo(const slsm_cursor *c, const uint8_t *k, size_t n) {
    if (!c->has_lo)
        return 0;
    int cmp = lsm_ukey_cmp(k, n, c->lo, c->nlo);
    return cmp < 0 || (cmp == 0 && c->lo_open);
}

int slsm_cursor_open(slsm_db *db, slsm_cursor **out) {
    *out = NULL;
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    slsm_cursor *c = calloc(1, sizeof *c);
    if (c == NULL)
        return lsm_db_fail(db, LSM_NOMEM, NULL);
    c->db = db;
    pthread_mutex_lock(&e->mu);
    c->next = e->cursors;
    if (e->cursors)
        e->cursors->prev = c;
    e->cursors = c;
    db->ncursors++;
    pthread_mutex_unlock(&e->mu);
    *out = c;
    return LSM_OK;
}

void slsm_cursor_close(slsm_cursor *c) {
    if (c == NULL)
        return;
    lsm_engine *e = c->db->e;
    pthread_mutex_lock(&e->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        e->cursors = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->db->ncursors--;
    lsm_iter_destroy(c->it);
    pthread_mutex_unlock(&e->mu);
    free(c->key);
    free(c->val);
    free(c->tmp);
    free(c->lo);
    free(c->hi);
    free(c);
}

static int set_bound(uint8_t **dst, size_t *n, const void *src, size_t nsrc) {
    uint8_t *p = malloc(nsrc ? nsrc : 1);
    if (p == NULL)
        return 0;
    if (nsrc)
        memcpy(p, src, nsrc);
    free(*dst);
    *dst = p;
    *n = nsrc;
    return 1;
}

int slsm_cursor_bounds(slsm_cursor *c, const void *lo, size_t nlo, int lo_open, const void *hi,
                       size_t nhi, int hi_open) {
    /* bounds decide which tables take part, and the tables' iterators point at them: drop the
    ** iterator first and rebuild it at the next positioning */
    lsm_engine *e = c->db->e;
    pthread_mutex_lock(&e->mu);
    lsm_iter_destroy(c->it);
    c->it = NULL;
    c->valid = 0;
    pthread_mutex_unlock(&e->mu);
    c->has_lo = c->has_hi = 0;
    c->bounds = (lsm_bounds){NULL, NULL, 0, 0};
    if (lo && !set_bound(&c->lo, &c->nlo, lo, nlo))
        return lsm_db_fail(c->db, LSM_NOMEM, NULL);
    if (hi && !set_bound(&c->hi, &c->nhi, hi, nhi))
        return lsm_db_fail(c->db, LSM_NOMEM, NULL);
    c->has_lo = lo != NULL;
    c->has_hi = hi != NULL;
    c->bounds = (lsm_bounds){c->has_lo ? c->lo : NULL, c->has_hi ? c->hi : NULL, c->nlo, c->nhi};
    c->lo_open = lo_open;
    c->hi_open = hi_open;
    return LSM_OK;
}

/* (Re)builds the merged iterator when the database changed since the last build. */
static int build(slsm_cursor *c) {
    slsm_db *db = c->db;
    lsm_engine *e = db->e;
    uint32_t ops = db->level > 0 ? db->batch.count : 0;
    if (c->it && c->generation == e->generation && c->overlay_ops == ops)
        return LSM_OK;
    lsm_iter_destroy(c->it);
    c->it = NULL;
    c->valid = 0;
    lsm_tableset *v = e->current;
    int cap = 3 + v->n[0] + LSM_LEVELS;
    lsm_iter **kids = malloc((size_t)cap * sizeof *kids);
    lsm_fmeta **sel = NULL;
    int n = 0, rc = LSM_OK;
    if (kids == NULL)
        return LSM_NOMEM;
    const uint8_t *lo = c->has_lo ? c->lo : NULL, *hi = c->has_hi ? c->hi : NULL;
    if (ops > 0) {
        lsm_skiplist *ov = lsm_db_overlay(db);
        if (ov == NULL || (kids[n] = lsm_skiplist_iter(ov)) == NULL)
            rc = LSM_NOMEM;
        else
            n++;
    }
    if (rc == LSM_OK) {
        if ((kids[n] = lsm_skiplist_iter(e->mem)) == NULL)
            rc = LSM_NOMEM;
        else
            n++;
    }
    if (rc == LSM_OK && e->imm) {
        if ((kids[n] = lsm_skiplist_iter(e->imm)) == NULL)
            rc = LSM_NOMEM;
        else
            n++;
    }
    for (int i = 0; rc == LSM_OK && i < v->n[0]; i++) {
        if (!lsm_fmeta_overlaps(v->files[0][i], lo, c->nlo, hi, c->nhi))
            continue;
        rc = lsm_fmeta_iter(v->files[0][i], &c->bounds, &kids[n]);
        if (rc == LSM_OK)
            n++;
    }
    for (int l = 1; rc == LSM_OK && l < LSM_LEVELS; l++) {
        if (v->n[l] == 0)
            continue;
        free(sel);
        sel = malloc((size_t)v->n[l] * sizeof *sel);
        if (sel == NULL) {
            rc = LSM_NOMEM;
            break;
        }
        int ns = 0;
        for (int i = 0; i < v->n[l]; i++)
            if (lsm_fmeta_overlaps(v->files[l][i], lo, c->nlo, hi, c->nhi))
                sel[ns++] = v->files[l][i];
        if (ns == 0)
            continue;
        if ((kids[n] = lsm_level_iter_new(sel, ns, &c->bounds)) == NULL)
            rc = LSM_NOMEM;
        else
            n++;
    }
    free(sel);
    if (rc) {
        for (int i = 0; i < n; i++)
            lsm_iter_destroy(kids[i]);
        free(kids);
        return rc;
    }
    c->it = lsm_merge_iter_new(kids, n);
    free(kids);
    if (c->it == NULL)
        return LSM_NOMEM;
    c->generation = e->generation;
    c->overlay_ops = ops;
    c->snap = e->last_seq;
    c->overlay_limit = LSM_OVERLAY_SEQ + ops;
    return LSM_OK;
}

/* The current key is always copied (the iterator steps past it to find the next one). The
** value is copied only when `copy` is set: forwards, the iterator rests on the entry and its
** value stays in place until the cursor moves. */
static int save_current(slsm_cursor *c, const uint8_t *k, size_t nk, const uint8_t *v, size_t nv,
                        int copy) {
    if (!lsm_grow(&c->key, &c->capkey, nk ? nk : 1))
        return LSM_NOMEM;
    if (nk)
        memcpy(c->key, k, nk);
    c->nkey = nk;
    c->nval = nv;
    c->cur_val = nv ? v : (const uint8_t *)""; /* never NULL for a valid cursor */
    if (copy) {
        if (!lsm_grow(&c->val, &c->capval, nv ? nv : 1))
            return LSM_NOMEM;
        if (nv)
            memcpy(c->val, v, nv);
        c->cur_val = c->val;
    }
    return LSM_OK;
}

/* Moves the merged iterator past every entry of user key k. */
static int skip_key(slsm_cursor *c, const uint8_t *k, size_t nk) {
    if (k != c->key) { /* k points into the iterator, which the steps move: copy it */
        if (!lsm_grow(&c->tmp, &c->captmp, nk ? nk : 1))
            return LSM_NOMEM;
        if (nk)
            memcpy(c->tmp, k, nk);
        k = c->tmp;
    }
    lsm_iter *it = c->it;
    while (it->valid && lsm_ukey_cmp(it->key, it->klen - LSM_TAG_BYTES, k, nk) == 0)
        it->vt->next(it);
    return LSM_OK;
}

/* Counts the bytes the handle's cursors read; every LSM_READ_SAMPLE_BYTES the current key is
** sampled for read-triggered compaction. */
static void account_read(slsm_cursor *c) {
    slsm_db *db = c->db;
    db->read_sample_left -= (int64_t)(c->nkey + c->nval);
    if (db->read_sample_left > 0)
        return;
    db->read_sample_left = LSM_READ_SAMPLE_BYTES;
    lsm_engine_sample_read(db->e, c->key, c->nkey);
}

static int find_next(slsm_cursor *c) {
    lsm_iter *it = c->it;
    c->valid = 0;
    while (it->valid) {
        const uint8_t *uk = it->key;
        size_t nu = it->klen - LSM_TAG_BYTES;
        uint64_t tag = lsm_ikey_tag(it->key, it->klen);
        if (!visible(c, tag)) {
            it->vt->next(it);
            continue;
        }
        if (above_hi(c, uk, nu))
            break;
        if ((tag & 0xff) == LSM_TYPE_DELETE || below_lo(c, uk, nu)) {
            if (skip_key(c, uk, nu))
                return LSM_NOMEM;
            continue;
        }
        if (save_current(c, uk, nu, it->val, it->vlen, 0))
            return LSM_NOMEM;
        c->valid = 1;
        account_read(c);
        break;
    }
    return it->rc;
}

static int find_prev(slsm_cursor *c) {
    lsm_iter *it = c->it;
    int have = 0; /* 0 nothing, 1 a put, 2 a delete */
    c->valid = 0;
    while (it->valid) {
        const uint8_t *uk = it->key;
        size_t nu = it->klen - LSM_TAG_BYTES;
        uint64_t tag = lsm_ikey_tag(it->key, it->klen);
        if (visible(c, tag)) {
            if (have && lsm_ukey_cmp(uk, nu, c->key, c->nkey) != 0) {
                if (have == 1)
                    break;
                have = 0;
            }
            if (below_lo(c, uk, nu))
                break;
            if (!above_hi(c, uk, nu)) {
                /* entries of one key come oldest first here: the last one seen wins */
                if (save_current(c, uk, nu, it->val, it->vlen, 1))
                    return LSM_NOMEM;
                have = (tag & 0xff) == LSM_TYPE_PUT ? 1 : 2;
            }
        }
        it->vt->prev(it);
    }
    c->valid = have == 1;
    if (c->valid)
        account_read(c);
    return it->rc;
}

static uint8_t *make_ikey(slsm_cursor *c, const void *k, size_t nk, uint64_t tag) {
    if (!lsm_grow(&c->tmp, &c->captmp, nk + LSM_TAG_BYTES))
        return NULL;
    if (nk)
        memcpy(c->tmp, k, nk);
    lsm_put_fixed64(c->tmp + nk, tag);
    return c->tmp;
}

/* Positions the merged iterator at the last entry whose user key is <= k. */
static int seek_le(slsm_cursor *c, const void *k, size_t nk) {
    uint8_t *ik = make_ikey(c, k, nk, 0);
    if (ik == NULL)
        return LSM_NOMEM;
    c->it->vt->seek(c->it, ik, nk + LSM_TAG_BYTES);
    if (c->it->valid)
        c->it->vt->prev(c->it);
    else if (c->it->rc == LSM_OK)
        c->it->vt->last(c->it);
    return LSM_OK;
}

static int seek_ge(slsm_cursor *c, const void *k, size_t nk) {
    uint8_t *ik = make_ikey(c, k, nk, UINT64_MAX);
    if (ik == NULL)
        return LSM_NOMEM;
    c->it->vt->seek(c->it, ik, nk + LSM_TAG_BYTES);
    return LSM_OK;
}

static int finish(slsm_cursor *c, int rc) {
    if (rc) {
        c->valid = 0;
        lsm_db_fail(c->db, rc, NULL);
        /* a failed iterator is not reused */
        lsm_iter_destroy(c->it);
        c->it = NULL;
    }
    c->rc = rc;
    lsm_engine_read_done(c->db->e);
    pthread_mutex_unlock(&c->db->e->mu);
    return rc;
}

int slsm_cursor_first(slsm_cursor *c) {
    pthread_mutex_lock(&c->db->e->mu);
    int rc = build(c);
    if (rc == LSM_OK) {
        c->forward = 1;
        if (c->has_lo)
            rc = seek_ge(c, c->lo, c->nlo);
        else
            c->it->vt->first(c->it);
        if (rc == LSM_OK)
            rc = find_next(c);
    }
    return finish(c, rc);
}

int slsm_cursor_last(slsm_cursor *c) {
    pthread_mutex_lock(&c->db->e->mu);
    int rc = build(c);
    if (rc == LSM_OK) {
        c->forward = 0;
        if (c->has_hi)
            rc = seek_le(c, c->hi, c->nhi);
        else
            c->it->vt->last(c->it);
        if (rc == LSM_OK)
            rc = find_prev(c);
    }
    return finish(c, rc);
}

int slsm_cursor_seek(slsm_cursor *c, const void *k, size_t nk, int mode) {
    pthread_mutex_lock(&c->db->e->mu);
    int rc = build(c);
    if (rc == LSM_OK) {
        if (mode == SLSM_SEEK_LE) {
            c->forward = 0;
            if (c->has_hi && lsm_ukey_cmp(k, nk, c->hi, c->nhi) > 0)
                rc = seek_le(c, c->hi, c->nhi);
            else
                rc = seek_le(c, k, nk);
            if (rc == LSM_OK)
                rc = find_prev(c);
        } else {
            c->forward = 1;
            if (c->has_lo && lsm_ukey_cmp(k, nk, c->lo, c->nlo) < 0)
                rc = seek_ge(c, c->lo, c->nlo);
            else
                rc = seek_ge(c, k, nk);
            if (rc == LSM_OK)
                rc = find_next(c);
            if (rc == LSM_OK && mode == SLSM_SEEK_EQ && c->valid &&
                lsm_ukey_cmp(c->key, c->nkey, k, nk) != 0)
                c->valid = 0;
        }
    }
    return finish(c, rc);
}

int slsm_cursor_next(slsm_cursor *c) {
    pthread_mutex_lock(&c->db->e->mu);
    int rc = LSM_OK;
    if (c->valid && c->it) {
        if (!c->forward) {
            rc = seek_ge(c, c->key, c->nkey);
            c->forward = 1;
        }
        if (rc == LSM_OK)
            rc = skip_key(c, c->key, c->nkey);
        if (rc == LSM_OK)
            rc = find_next(c);
    } else {
        c->valid = 0;
    }
    return finish(c, rc);
}

int slsm_cursor_prev(slsm_cursor *c) {
    pthread_mutex_lock(&c->db->e->mu);
    int rc = LSM_OK;
    if (c->valid && c->it) {
        if (c->forward) {
            lsm_iter *it = c->it;
            while (it->valid &&
                   lsm_ukey_cmp(it->key, it->klen - LSM_TAG_BYTES, c->key, c->nkey) == 0)
                it->vt->prev(it);
            c->forward = 0;
        }
        if (rc == LSM_OK)
            rc = find_prev(c);
    } else {
        c->valid = 0;
    }
    return finish(c, rc);
}

int slsm_cursor_valid(const slsm_cursor *c) {
    return c->valid;
}

const void *slsm_cursor_key(const slsm_cursor *c, size_t *n) {
    *n = c->valid ? c->nkey : 0;
    return c->valid ? c->key : NULL;
}

const void *slsm_cursor_value(const slsm_cursor *c, size_t *n) {
    *n = c->valid ? c->nval : 0;
    return c->valid ? c->cur_val : NULL;
}
