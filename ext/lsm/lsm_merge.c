/*
** lsm_merge: merging iterator over sorted children (memtables, level-0 tables, levels), in
** internal-key order, forwards and backwards.
**
** The smallest (or, backwards, largest) child is found by a linear scan: a database has a
** handful of children (overlay, memtable, up to ~12 level-0 tables, 6 levels), where a scan
** beats maintaining a heap. The scan also remembers the runner-up: after a step of the current
** child one comparison with it usually shows the current child still leads (runs of
** consecutive keys tend to come from one child), and the scan is skipped. Changing direction
** re-seeks every other child around the current key, as in LevelDB. Internal keys are unique
** across children (sequence numbers differ).
*/
#include "lsm/lsm_format.h"
#include "lsm/lsm_iter.h"
#include "lsm/lsm_status.h"

#include <stdlib.h>

typedef struct merge_iter {
    lsm_iter base;
    lsm_iter **kids;
    int n;
    int cur;
    int second; /* runner-up child at the last scan, or -1 */
    int forward;
} merge_iter;

static int check_errors(merge_iter *m) {
    for (int i = 0; i < m->n; i++)
        if (m->kids[i]->rc) {
            m->base.rc = m->kids[i]->rc;
            m->base.valid = 0;
            return 1;
        }
    return 0;
}

static void publish(merge_iter *m) {
    m->base.valid = m->cur >= 0;
    if (m->base.valid) {
        lsm_iter *c = m->kids[m->cur];
        m->base.key = c->key;
        m->base.klen = c->klen;
        m->base.val = c->val;
        m->base.vlen = c->vlen;
    }
}

/* Finds the leading child (smallest forwards, largest backwards) and the runner-up. */
static void pick(merge_iter *m, int smallest) {
    m->cur = -1;
    m->second = -1;
    if (check_errors(m))
        return;
    for (int i = 0; i < m->n; i++) {
        lsm_iter *k = m->kids[i];
        if (!k->valid)
            continue;
        if (m->cur < 0) {
            m->cur = i;
            continue;
        }
        lsm_iter *c = m->kids[m->cur];
        int cmp = lsm_ikey_cmp(k->key, k->klen, c->key, c->klen);
        if (smallest ? cmp < 0 : cmp > 0) {
            m->second = m->cur;
            m->cur = i;
        } else if (m->second < 0) {
            m->second = i;
        } else {
            lsm_iter *s = m->kids[m->second];
            cmp = lsm_ikey_cmp(k->key, k->klen, s->key, s->klen);
            if (smallest ? cmp < 0 : cmp > 0)
                m->second = i;
        }
    }
    publish(m);
}

/* After only the current child moved in the current direction: it still leads if it is
** ahead of the runner-up; otherwise scan. */
static void step_pick(merge_iter *m, int smallest) {
    lsm_iter *c = m->kids[m->cur];
    if (c->rc) {
        m->base.rc = c->rc;
        m->base.valid = 0;
        m->cur = -1;
        return;
    }
    if (c->valid) {
        if (m->second < 0) {
            publish(m);
            return;
        }
        lsm_iter *s = m->kids[m->second];
        int cmp = lsm_ikey_cmp(c->key, c->klen, s->key, s->klen);
        if (smallest ? cmp < 0 : cmp > 0) {
            publish(m);
            return;
        }
    }
    pick(m, smallest);
}

static void mg_first(lsm_iter *b) {
    merge_iter *m = (merge_iter *)b;
    for (int i = 0; i < m->n; i++)
        m->kids[i]->vt->first(m->kids[i]);
    m->forward = 1;
    pick(m, 1);
}

static void mg_last(lsm_iter *b) {
    merge_iter *m = (merge_iter *)b;
    for (int i = 0; i < m->n; i++)
        m->kids[i]->vt->last(m->kids[i]);
    m->forward = 0;
    pick(m, 0);
}

static void mg_seek(lsm_iter *b, const uint8_t *ik, size_t n) {
    merge_iter *m = (merge_iter *)b;
    for (int i = 0; i < m->n; i++)
        m->kids[i]->vt->seek(m->kids[i], ik, n);
    m->forward = 1;
    pick(m, 1);
}

static void mg_next(lsm_iter *b) {
    merge_iter *m = (merge_iter *)b;
    lsm_iter *c = m->kids[m->cur];
    if (!m->forward) {
        /* every other child must move to the first entry after the current key */
        for (int i = 0; i < m->n; i++) {
            lsm_iter *k = m->kids[i];
            if (k == c)
                continue;
            k->vt->seek(k, c->key, c->klen);
            if (k->valid && lsm_ikey_cmp(k->key, k->klen, c->key, c->klen) == 0)
                k->vt->next(k);
        }
        m->forward = 1;
        c->vt->next(c);
        pick(m, 1);
        return;
    }
    c->vt->next(c);
    step_pick(m, 1);
}

static void mg_prev(lsm_iter *b) {
    merge_iter *m = (merge_iter *)b;
    lsm_iter *c = m->kids[m->cur];
    if (m->forward) {
        /* every other child must move to the last entry before the current key */
        for (int i = 0; i < m->n; i++) {
            lsm_iter *k = m->kids[i];
            if (k == c)
                continue;
            k->vt->seek(k, c->key, c->klen);
            if (k->valid)
                k->vt->prev(k);
            else if (k->rc == LSM_OK)
                k->vt->last(k);
        }
        m->forward = 0;
        c->vt->prev(c);
        pick(m, 0);
        return;
    }
    c->vt->prev(c);
    step_pick(m, 0);
}

static void mg_destroy(lsm_iter *b) {
    merge_iter *m = (merge_iter *)b;
    for (int i = 0; i < m->n; i++)
        lsm_iter_destroy(m->kids[i]);
    free(m->kids);
    free(m);
}

static const lsm_iter_vt merge_vt = {mg_first, mg_last, mg_seek, mg_next, mg_prev, mg_destroy};

lsm_iter *lsm_merge_iter_new(lsm_iter **children, int n) {
    merge_iter *m = calloc(1, sizeof *m);
    lsm_iter **kids = malloc((size_t)(n ? n : 1) * sizeof *kids);
    if (m == NULL || kids == NULL) {
        free(m);
        free(kids);
        for (int i = 0; i < n; i++)
            lsm_iter_destroy(children[i]);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        kids[i] = children[i];
    m->kids = kids;
    m->n = n;
    m->cur = -1;
    m->second = -1;
    m->forward = 1;
    m->base.vt = &merge_vt;
    return &m->base;
}
