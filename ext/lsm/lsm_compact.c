/*
** lsm_compact: moving data down the tree. A flush writes the memtable as one table, placed in
** level 0, or deeper (up to level 2) when nothing there overlaps it. Compaction is LevelDB's
** leveled scheme: level 0 is compacted into level 1 once it holds l0_trigger tables; level n
** (n >= 1) once it holds more than level1_bytes * 10^(n-1), one table at a time (round robin
** over its key space) merged with the tables it overlaps in level n+1.
**
** The work is done by one background thread per engine (or, without it, by the writer: at most
** compact_steps steps per flush). It owns the tree while it works (lsm_work_begin) but merges
** without the engine mutex, taking it only to allocate file numbers and install results, so
** commits and reads go on meanwhile. A full memtable waiting to be written is flushed between
** the output tables of a running compaction, so a long compaction never holds up the writer;
** such a flush goes to level 0, since the compaction's output may cover any key in its range.
**
** While merging, a version is dropped when a newer version of its key is visible to every
** snapshot, and a tombstone is dropped when, in addition, no deeper level can hold the key.
** Every change is published by writing a new manifest before the new table set is installed;
** replaced tables are removed when the last cursor reading them lets go.
*/
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out_set {
    lsm_fmeta **files;
    int n, cap;
} out_set;

static void out_discard(out_set *o) {
    for (int i = 0; i < o->n; i++) {
        o->files[i]->obsolete = 1;
        lsm_fmeta_unref(o->files[i]);
    }
    free(o->files);
    memset(o, 0, sizeof *o);
}

static void out_release(out_set *o) {
    for (int i = 0; i < o->n; i++)
        lsm_fmeta_unref(o->files[i]);
    free(o->files);
    memset(o, 0, sizeof *o);
}

static int finish_table(lsm_engine *e, lsm_table_builder *b, uint64_t number, out_set *out) {
    uint64_t size;
    uint64_t nentries = b->nentries;
    int rc = lsm_table_builder_finish(b, e->opt.durability != SLSM_DURABILITY_OFF, &size);
    if (rc)
        return rc;
    if (out->n == out->cap) {
        int cap = out->cap ? out->cap * 2 : 8;
        lsm_fmeta **f = realloc(out->files, (size_t)cap * sizeof *f);
        if (f == NULL) {
            char *path = lsm_table_path(e->path, number);
            if (path)
                lsm_file_remove(path);
            free(path);
            free(b->first);
            free(b->last);
            return LSM_NOMEM;
        }
        out->files = f;
        out->cap = cap;
    }
    lsm_fmeta *f =
        lsm_fmeta_new(e->path, number, size, nentries, b->first, b->nfirst, b->last, b->nlast);
    b->first = b->last = NULL;
    if (f == NULL)
        return LSM_NOMEM;
    out->files[out->n++] = f;
    return LSM_OK;
}

/* Records a background failure for the next writer (mu held). */
static void note_failure(lsm_engine *e, int rc, const char *job) {
    const char *m = rc == LSM_NOMEM ? "out of memory" : lsm_file_errmsg();
    snprintf(e->bg_msg, sizeof e->bg_msg, "background %s failed: %s", job, m[0] ? m : "I/O error");
    e->bg_rc = rc;
    pthread_cond_broadcast(&e->bg_done);
}

/* Number for a new table file, reserved by the manifest first when the reservation is used up
** (so a crash never leaves a table the engine cannot tell is its own); with `unlocked`, the
** caller does not hold mu. During a compaction a waiting memtable is flushed first (see the
** header comment). */
static int new_file_number(lsm_engine *e, int unlocked, int compaction, uint64_t *number) {
    if (unlocked)
        pthread_mutex_lock(&e->mu);
    if (unlocked && compaction && e->imm && e->bg_rc == LSM_OK) {
        int rc = lsm_engine_flush_imm(e);
        if (rc)
            note_failure(e, rc, "flush");
    }
    int rc = lsm_engine_reserve_files(e, 1);
    if (rc == LSM_OK)
        *number = e->next_file++;
    if (unlocked)
        pthread_mutex_unlock(&e->mu);
    return rc;
}

int lsm_engine_reserve_files(lsm_engine *e, uint64_t need) {
    if (e->next_file + need <= e->reserved_to)
        return LSM_OK;
    uint64_t upto = e->next_file + need + LSM_FILE_RESERVE;
    int published;
    int rc = lsm_manifest_write(e->path, e->tmp_path, e->current, upto, e->flushed_seq,
                                e->opt.durability != SLSM_DURABILITY_OFF, &published);
    if (rc == LSM_OK)
        e->reserved_to = upto;
    return rc;
}

/* The level below a compaction's output level (LevelDB's "grandparents"): an output table ends
** early once the grandparent tables its keys span exceed 10 target table sizes, so compacting
** it later never has to rewrite much more than itself. */
typedef struct gp_limit {
    lsm_fmeta **files;
    int n, next, seen;
    uint64_t overlap, max;
} gp_limit;

/* Called at every new user key; 1 when the current output table should end before it. */
static int gp_should_stop(gp_limit *g, const uint8_t *uk, size_t nu) {
    if (g == NULL)
        return 0;
    while (g->next < g->n) {
        lsm_fmeta *f = g->files[g->next];
        if (lsm_ukey_cmp(uk, nu, f->largest, f->nlargest - LSM_TAG_BYTES) <= 0)
            break;
        if (g->seen)
            g->overlap += f->size;
        g->next++;
    }
    g->seen = 1;
    if (g->overlap <= g->max)
        return 0;
    g->overlap = 0;
    return 1;
}

/* Writes the entries of it (from its first) into tables of about max_file bytes each.
** `unlocked`: called without mu (by the owner of the tree); `compaction`: may flush imm;
** gp (or NULL): the grandparent limit. */
static int write_tables(lsm_engine *e, lsm_iter *it, uint64_t oldest, int drop_tombstones,
                        uint64_t max_file, out_set *out, int unlocked, int compaction,
                        gp_limit *gp) {
    lsm_table_builder b;
    int open = 0, rc = LSM_OK, have_last = 0;
    uint64_t number = 0, last_seq_for_key = 0;
    uint8_t *last = NULL;
    size_t nlast = 0, caplast = 0;
    for (it->vt->first(it); it->valid && rc == LSM_OK; it->vt->next(it)) {
        const uint8_t *uk = it->key;
        size_t nu = it->klen - LSM_TAG_BYTES;
        uint64_t tag = lsm_ikey_tag(it->key, it->klen), seq = tag >> 8;
        int same = have_last && lsm_ukey_cmp(uk, nu, last, nlast) == 0;
        int stop_before = !same && gp_should_stop(gp, uk, nu);
        if (!same) {
            if (!lsm_grow(&last, &caplast, nu ? nu : 1)) {
                rc = LSM_NOMEM;
                break;
            }
            if (nu)
                memcpy(last, uk, nu);
            nlast = nu;
            have_last = 1;
            last_seq_for_key = UINT64_MAX;
        }
        int drop = 0;
        if (last_seq_for_key <= oldest)
            drop = 1; /* a newer version is visible to every snapshot */
        else if ((tag & 0xff) == LSM_TYPE_DELETE && seq <= oldest && drop_tombstones)
            drop = 1; /* nothing older remains anywhere for it to hide */
        last_seq_for_key = seq;
        if (drop)
            continue;
        if (open && !same && (stop_before || lsm_table_builder_size(&b) >= max_file)) {
            open = 0;
            rc = finish_table(e, &b, number, out);
            if (rc)
                break;
        }
        if (!open) {
            rc = new_file_number(e, unlocked, compaction, &number);
            if (rc)
                break;
            char *path = lsm_table_path(e->path, number);
            if (path == NULL) {
                rc = LSM_NOMEM;
                break;
            }
            rc = lsm_table_builder_open(&b, path, e->opt.block_bytes, e->opt.bloom_bits_per_key);
            free(path);
            open = 1;
            if (rc)
                break;
        }
        rc = lsm_table_builder_add(&b, it->key, it->klen, it->val, it->vlen);
    }
    if (rc == LSM_OK)
        rc = it->rc;
    if (open) {
        if (rc == LSM_OK)
            rc = finish_table(e, &b, number, out);
        else
            lsm_table_builder_abandon(&b);
    }
    free(last);
    if (rc)
        out_discard(out);
    return rc;
}

/* Publishes current - drop + add (at level) through the manifest, then installs it. Only the
** owner of the tree installs, so nothing the manifest records (current, next_file,
** flushed_seq) changes while mu is released around the manifest write and its fsyncs.
**
** *installed tells whether the new table set became current: on success, and also when the new
** manifest replaced the old one but the directory fsync after the rename failed. The file
** system then shows the new manifest, so memory must follow it (the added tables are live), but
** a power cut might still bring back the old one. So the dropped tables are kept (the next open
** removes whichever files its manifest does not name), a flushed log is not emptied, and the
** engine refuses writes until it is reopened. Later flushes and compactions may go on: a manifest
** written after them, its directory fsynced, settles which one is durable. */
static int install(lsm_engine *e, lsm_fmeta **drop, int ndrop, lsm_fmeta **add, int nadd, int level,
                   int obsolete_drops, int *installed) {
    *installed = 0;
    lsm_tableset *v = lsm_tableset_edit(e->current, drop, ndrop, add, nadd, level);
    if (v == NULL)
        return LSM_NOMEM;
    /* each manifest reserves the next LSM_FILE_RESERVE table numbers (new_file_number) */
    uint64_t next_file = e->next_file + LSM_FILE_RESERVE, flushed_seq = e->flushed_seq;
    pthread_mutex_unlock(&e->mu);
    int published;
    int rc = lsm_manifest_write(e->path, e->tmp_path, v, next_file, flushed_seq,
                                e->opt.durability != SLSM_DURABILITY_OFF, &published);
    pthread_mutex_lock(&e->mu);
    if (rc && !published) {
        lsm_tableset_unref(v);
        return rc;
    }
    if (rc == LSM_OK && next_file > e->reserved_to)
        e->reserved_to = next_file;
    if (rc) {
        obsolete_drops = 0;
        if (e->sticky_rc == LSM_OK) {
            e->sticky_rc = rc;
            snprintf(e->sticky_msg, sizeof e->sticky_msg, "%s", lsm_file_errmsg());
        }
    }
    *installed = 1;
    if (obsolete_drops)
        for (int i = 0; i < ndrop; i++)
            drop[i]->obsolete = 1;
    lsm_tableset *old = e->current;
    e->current = v;
    e->generation++;
    /* the last reference to replaced tables unmaps and deletes them: not under the lock */
    pthread_mutex_unlock(&e->mu);
    lsm_tableset_unref(old);
    pthread_mutex_lock(&e->mu);
    return rc;
}

/* After install of a compaction's outputs: counted and kept when they became current, else
** removed. */
static void install_outputs(lsm_engine *e, out_set *out, int installed) {
    if (!installed) {
        out_discard(out);
        return;
    }
    for (int i = 0; i < out->n; i++)
        e->st.bytes_compacted += out->files[i]->size;
    e->st.compactions++;
    out_release(out);
}

static int range_overlaps(const lsm_tableset *v, int level, const uint8_t *lo, size_t nlo,
                          const uint8_t *hi, size_t nhi) {
    for (int i = 0; i < v->n[level]; i++)
        if (lsm_fmeta_overlaps(v->files[level][i], lo, nlo, hi, nhi))
            return 1;
    return 0;
}

int lsm_engine_switch_memtable(lsm_engine *e) {
    int other = 1 - e->cur_log;
    if (e->log_size[other] > 0) {
        /* normally emptied when its memtable was flushed; that may have failed */
        int rc = lsm_file_truncate(e->log_fd[other], e->log_path[other], 0);
        if (rc)
            return rc;
        e->log_size[other] = 0;
    }
    lsm_skiplist *fresh = lsm_skiplist_new();
    if (fresh == NULL)
        return LSM_NOMEM;
    e->imm = e->mem;
    e->imm_seq = e->last_seq;
    e->imm_log = e->cur_log;
    e->mem = fresh;
    e->cur_log = other;
    e->generation++;
    return LSM_OK;
}

/* Oldest snapshot any cursor reads. */
static uint64_t oldest_snapshot(lsm_engine *e) {
    uint64_t oldest = e->last_seq;
    for (slsm_cursor *c = e->cursors; c; c = c->next)
        if (c->it && c->snap < oldest)
            oldest = c->snap;
    return oldest;
}

int lsm_engine_flush_imm(lsm_engine *e) {
    if (e->imm == NULL)
        return LSM_OK;
    out_set out = {0};
    int rc = LSM_OK;
    if (lsm_skiplist_count(e->imm) > 0) {
        lsm_iter *it = lsm_skiplist_iter(e->imm);
        if (it == NULL)
            return LSM_NOMEM;
        uint64_t oldest = oldest_snapshot(e);
        pthread_mutex_unlock(&e->mu);
        rc = write_tables(e, it, oldest, 0, UINT64_MAX, &out, 1, 0, NULL);
        lsm_iter_destroy(it);
        pthread_mutex_lock(&e->mu);
        if (rc)
            return rc;
    }
    int level = 0;
    if (out.n == 1 && !e->compacting) {
        lsm_fmeta *f = out.files[0];
        const uint8_t *lo = f->smallest, *hi = f->largest;
        size_t nlo = f->nsmallest - LSM_TAG_BYTES, nhi = f->nlargest - LSM_TAG_BYTES;
        if (!range_overlaps(e->current, 0, lo, nlo, hi, nhi))
            while (level < 2 && !range_overlaps(e->current, level + 1, lo, nlo, hi, nhi))
                level++;
    }
    uint64_t old_flushed = e->flushed_seq;
    e->flushed_seq = e->imm_seq;
    int installed;
    rc = install(e, NULL, 0, out.files, out.n, level, 0, &installed);
    if (!installed) {
        e->flushed_seq = old_flushed;
        out_discard(&out);
        return rc;
    }
    for (int i = 0; i < out.n; i++)
        e->st.bytes_flushed += out.files[i]->size;
    out_release(&out);
    lsm_skiplist_unref(e->imm);
    e->imm = NULL;
    e->generation++;
    e->st.flushes++;
    /* every record in imm's log is now in a table (the manifest says so): empty it. If that
    ** fails the next switch tries again before reusing the log. Not when the manifest may not
    ** be durable (rc set): if a power cut brought back the old one, the log would be the only
    ** copy of these commits. */
    int log = e->imm_log;
    if (rc == LSM_OK && lsm_file_truncate(e->log_fd[log], e->log_path[log], 0) == LSM_OK)
        e->log_size[log] = 0;
    pthread_cond_broadcast(&e->bg_done);
    return rc;
}

int lsm_engine_flush(lsm_engine *e) {
    int rc = lsm_engine_flush_imm(e);
    /* not while a transaction is prepared: its decide record must follow its prepare record
    ** in the same log, which a switch would empty once the memtable is written */
    int prepared = e->writer && e->writer->prepared;
    if (rc == LSM_OK && lsm_skiplist_count(e->mem) > 0 && !prepared) {
        rc = lsm_engine_switch_memtable(e);
        if (rc == LSM_OK)
            rc = lsm_engine_flush_imm(e);
    }
    /* every commit is in tables now: whatever a failed log fsync lost no longer counts */
    if (rc == LSM_OK && !prepared)
        e->log_sync_failed = 0;
    return rc;
}

static double level_score(const lsm_engine *e, int level) {
    const lsm_tableset *v = e->current;
    if (level == 0)
        return (double)v->n[0] / e->opt.l0_trigger;
    double limit = (double)e->opt.level1_bytes;
    for (int l = 1; l < level; l++)
        limit *= 10;
    return (double)lsm_tableset_level_bytes(v, level) / limit;
}

static void user_range(lsm_fmeta **files, int n, const uint8_t **lo, size_t *nlo,
                       const uint8_t **hi, size_t *nhi) {
    for (int i = 0; i < n; i++) {
        lsm_fmeta *f = files[i];
        size_t ns = f->nsmallest - LSM_TAG_BYTES, nl = f->nlargest - LSM_TAG_BYTES;
        if (i == 0 || lsm_ukey_cmp(f->smallest, ns, *lo, *nlo) < 0) {
            *lo = f->smallest;
            *nlo = ns;
        }
        if (i == 0 || lsm_ukey_cmp(f->largest, nl, *hi, *nhi) > 0) {
            *hi = f->largest;
            *nhi = nl;
        }
    }
}

/* Adds to kids the iterators over a level's files[0..n): one per file when they may overlap
** (level 0), else one level iterator. */
static int add_level_iters(lsm_iter **kids, int *nk, lsm_fmeta **files, int n, int overlapping) {
    if (n == 0)
        return LSM_OK;
    if (!overlapping) {
        kids[*nk] = lsm_level_iter_new(files, n, NULL);
        if (kids[*nk] == NULL)
            return LSM_NOMEM;
        (*nk)++;
        return LSM_OK;
    }
    for (int i = 0; i < n; i++) {
        int rc = lsm_fmeta_iter(files[i], NULL, &kids[*nk]);
        if (rc != LSM_OK)
            return rc;
        (*nk)++;
    }
    return LSM_OK;
}

/* The merge of kids[0..nk) when *rc is LSM_OK (it then owns them, even when it fails: NULL with
** *rc = LSM_NOMEM), else NULL with kids destroyed. kids itself is freed either way. */
static lsm_iter *merge_iters(lsm_iter **kids, int nk, int *rc) {
    lsm_iter *it = NULL;
    if (*rc == LSM_OK) {
        it = lsm_merge_iter_new(kids, nk);
        nk = 0;
        if (it == NULL)
            *rc = LSM_NOMEM;
    }
    for (int i = 0; i < nk; i++)
        lsm_iter_destroy(kids[i]);
    free(kids);
    return it;
}

/* Merges inputs of `level` and their overlap in level+1 into level+1: every table of level 0,
** or at a deeper level `input` (when not NULL) or the next table round robin. With `unlocked`,
** releases mu while merging. */
static int compact_level(lsm_engine *e, int level, lsm_fmeta *input, int unlocked) {
    lsm_tableset *v = e->current;
    lsm_tableset_ref(v);
    lsm_fmeta **in = malloc((size_t)(v->n[level] + v->n[level + 1] + 1) * sizeof *in);
    lsm_iter **kids = malloc((size_t)(v->n[level] + 2) * sizeof *kids);
    int n0 = 0, n1 = 0, nk = 0, rc = LSM_OK;
    if (in == NULL || kids == NULL) {
        free(in);
        free(kids);
        lsm_tableset_unref(v);
        return LSM_NOMEM;
    }
    if (level == 0) {
        for (int i = 0; i < v->n[0]; i++)
            in[n0++] = v->files[0][i];
    } else if (input) {
        in[n0++] = input;
    } else {
        int pick = 0;
        if (e->compact_ptr[level]) {
            while (pick < v->n[level]) {
                lsm_fmeta *f = v->files[level][pick];
                if (lsm_ukey_cmp(f->largest, f->nlargest - LSM_TAG_BYTES, e->compact_ptr[level],
                                 e->ncompact_ptr[level]) > 0)
                    break;
                pick++;
            }
            if (pick == v->n[level])
                pick = 0;
        }
        in[n0++] = v->files[level][pick];
    }
    const uint8_t *lo, *hi;
    size_t nlo, nhi;
    user_range(in, n0, &lo, &nlo, &hi, &nhi);
    for (int i = 0; i < v->n[level + 1]; i++)
        if (lsm_fmeta_overlaps(v->files[level + 1][i], lo, nlo, hi, nhi))
            in[n0 + n1++] = v->files[level + 1][i];
    /* remember where this step ended, so the next one continues after it */
    uint8_t *ptr = malloc(nhi ? nhi : 1);
    if (ptr) {
        if (nhi)
            memcpy(ptr, hi, nhi);
        free(e->compact_ptr[level]);
        e->compact_ptr[level] = ptr;
        e->ncompact_ptr[level] = nhi;
    }
    int installed;
    if (level > 0 && n0 == 1 && n1 == 0) {
        /* nothing to merge with: the table moves down as it is */
        rc = install(e, in, 1, in, 1, level + 1, 0, &installed);
        if (installed)
            e->st.compactions++;
        free(in);
        free(kids);
        lsm_tableset_unref(v);
        return rc;
    }
    if (n0 + n1 > 0)
        user_range(in, n0 + n1, &lo, &nlo, &hi, &nhi);
    int drop_tombstones = 1;
    for (int l = level + 2; l < LSM_LEVELS && drop_tombstones; l++)
        if (range_overlaps(v, l, lo, nlo, hi, nhi))
            drop_tombstones = 0;
    /* the inputs of `level`: every table of level 0 (they overlap), or the one picked */
    rc = add_level_iters(kids, &nk, in, n0, 1);
    if (rc == LSM_OK)
        rc = add_level_iters(kids, &nk, in + n0, n1, 0);
    lsm_iter *it = merge_iters(kids, nk, &rc);
    out_set out = {0};
    uint64_t oldest = oldest_snapshot(e);
    gp_limit gp = {0};
    if (level + 2 < LSM_LEVELS) {
        gp.files = v->files[level + 2];
        gp.n = v->n[level + 2];
        gp.max = 10 * (uint64_t)e->opt.file_bytes;
    }
    if (unlocked) {
        e->compacting = 1;
        pthread_mutex_unlock(&e->mu);
    }
    if (rc == LSM_OK)
        rc = write_tables(e, it, oldest, drop_tombstones, e->opt.file_bytes, &out, unlocked, 1,
                          level + 2 < LSM_LEVELS ? &gp : NULL);
    lsm_iter_destroy(it);
    if (unlocked) {
        pthread_mutex_lock(&e->mu);
        e->compacting = 0;
    }
    if (rc == LSM_OK) {
        rc = install(e, in, n0 + n1, out.files, out.n, level + 1, 1, &installed);
        install_outputs(e, &out, installed);
    }
    free(in);
    if (unlocked)
        pthread_mutex_unlock(&e->mu);
    lsm_tableset_unref(v);
    if (unlocked)
        pthread_mutex_lock(&e->mu);
    return rc;
}

/* The level most over its limit, or -1 when none is. */
static int level_to_compact(const lsm_engine *e) {
    int best = -1;
    double best_score = 1.0;
    for (int l = 0; l < LSM_LEVELS - 1; l++) {
        double s = level_score(e, l);
        if (s >= best_score) {
            best_score = s;
            best = l;
        }
    }
    return best;
}

static int compaction_wanted(const lsm_engine *e) {
    return e->read_file != NULL || level_to_compact(e) >= 0;
}

/* The next compaction step: the level most over its size limit, else the level of the file
** whose read budget ran out (*input), else -1. */
static int pick_compaction(lsm_engine *e, lsm_fmeta **input) {
    *input = NULL;
    int level = level_to_compact(e);
    if (level >= 0 || e->read_file == NULL)
        return level;
    lsm_fmeta *f = e->read_file;
    level = e->read_level;
    e->read_file = NULL;
    const lsm_tableset *v = e->current;
    for (int i = 0; i < v->n[level] && *input == NULL; i++)
        if (v->files[level][i] == f)
            *input = f; /* still there: current holds it while we merge */
    lsm_fmeta_unref(f);
    if (*input == NULL)
        return -1;
    e->st.read_compactions++;
    return level;
}

void lsm_engine_charge_read(lsm_engine *e, lsm_fmeta *f, int level) {
    if (--f->read_budget > 0 || e->read_file != NULL || level >= LSM_LEVELS - 1)
        return;
    lsm_fmeta_ref(f);
    e->read_file = f;
    e->read_level = level;
    if (!e->active)
        e->want_active = 1;
    pthread_cond_signal(&e->bg_wake);
}

void lsm_engine_sample_read(lsm_engine *e, const uint8_t *k, size_t nk) {
    lsm_fmeta *first;
    int level;
    if (lsm_tableset_lookup_files(e->current, k, nk, &first, &level) >= 2)
        lsm_engine_charge_read(e, first, level);
}

int lsm_engine_maybe_compact(lsm_engine *e, int max_steps) {
    for (int step = 0; step < max_steps; step++) {
        lsm_fmeta *input;
        int level = pick_compaction(e, &input);
        if (level < 0)
            return LSM_OK;
        int rc = compact_level(e, level, input, 1);
        if (rc)
            return rc;
    }
    return LSM_OK;
}

/* ---- the background thread ----------------------------------------------------------------- */

void lsm_work_begin(lsm_engine *e) {
    while (e->bg_active)
        pthread_cond_wait(&e->bg_done, &e->mu);
    e->bg_active = 1;
}

void lsm_work_end(lsm_engine *e) {
    e->bg_active = 0;
    pthread_cond_broadcast(&e->bg_done);
    pthread_cond_signal(&e->bg_wake);
}

static void *bg_main(void *arg) {
    lsm_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->bg_stop) {
        if (e->bg_active || e->bg_rc || (e->imm == NULL && !compaction_wanted(e))) {
            pthread_cond_wait(&e->bg_wake, &e->mu);
            continue;
        }
        e->bg_active = 1;
        int flush = e->imm != NULL, rc = LSM_OK;
        if (flush) {
            rc = lsm_engine_flush_imm(e);
        } else {
            lsm_fmeta *input;
            int level = pick_compaction(e, &input);
            if (level >= 0)
                rc = compact_level(e, level, input, 1);
        }
        if (rc)
            note_failure(e, rc, flush ? "flush" : "compaction");
        e->bg_active = 0;
        pthread_cond_broadcast(&e->bg_done);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int lsm_bg_start(lsm_engine *e) {
    /* signals belong to the host's threads, not to ours */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&e->bg_thread, NULL, bg_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    e->bg_started = err == 0;
    return e->bg_started;
}

void lsm_bg_stop(lsm_engine *e) {
    if (!e->bg_started)
        return;
    e->bg_stop = 1;
    pthread_cond_broadcast(&e->bg_wake);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->bg_thread, NULL);
    pthread_mutex_lock(&e->mu);
    e->bg_started = 0;
}

int lsm_engine_compact_all(lsm_engine *e) {
    int rc = lsm_engine_flush(e);
    if (rc)
        return rc;
    lsm_tableset *v = e->current;
    int target = 1, total = 0;
    for (int l = 0; l < LSM_LEVELS; l++) {
        total += v->n[l];
        if (v->n[l] && l > target)
            target = l;
    }
    if (total == 0)
        return LSM_OK;
    lsm_tableset_ref(v);
    lsm_fmeta **all = malloc((size_t)total * sizeof *all);
    lsm_iter **kids = malloc((size_t)(v->n[0] + LSM_LEVELS) * sizeof *kids);
    int n = 0, nk = 0;
    if (all == NULL || kids == NULL)
        rc = LSM_NOMEM;
    for (int l = 0; l < LSM_LEVELS && rc == LSM_OK; l++) {
        for (int i = 0; i < v->n[l]; i++)
            all[n++] = v->files[l][i];
        rc = add_level_iters(kids, &nk, v->files[l], v->n[l], l == 0);
    }
    lsm_iter *it = merge_iters(kids, nk, &rc);
    out_set out = {0};
    if (rc == LSM_OK)
        rc = write_tables(e, it, oldest_snapshot(e), 1, e->opt.file_bytes, &out, 0, 0, NULL);
    lsm_iter_destroy(it);
    if (rc == LSM_OK) {
        int installed;
        rc = install(e, all, n, out.files, out.n, target, 1, &installed);
        install_outputs(e, &out, installed);
    }
    free(all);
    lsm_tableset_unref(v);
    return rc;
}

static int check_file(lsm_fmeta *f) {
    lsm_table *t;
    int rc = lsm_fmeta_table(f, &t);
    if (rc == LSM_OK)
        rc = lsm_table_verify(t);
    if (rc)
        return rc;
    if (lsm_table_entries(t) != f->nentries) {
        lsm_file_set_errmsg("%s: entry count differs from the manifest", f->path);
        return LSM_CORRUPT;
    }
    lsm_iter *it = lsm_table_iter(t, NULL, NULL, NULL);
    if (it == NULL)
        return LSM_NOMEM;
    it->vt->first(it);
    if (!it->valid || lsm_ikey_cmp(it->key, it->klen, f->smallest, f->nsmallest) != 0)
        rc = LSM_CORRUPT;
    it->vt->last(it);
    if (!it->valid || lsm_ikey_cmp(it->key, it->klen, f->largest, f->nlargest) != 0)
        rc = LSM_CORRUPT;
    if (rc == LSM_OK && it->rc)
        rc = it->rc;
    lsm_iter_destroy(it);
    if (rc == LSM_CORRUPT)
        lsm_file_set_errmsg("%s: key range differs from the manifest", f->path);
    return rc;
}

int lsm_engine_check(lsm_engine *e) {
    lsm_tableset *v = e->current;
    for (int l = 0; l < LSM_LEVELS; l++)
        for (int i = 0; i < v->n[l]; i++) {
            lsm_fmeta *f = v->files[l][i];
            int rc = check_file(f);
            if (rc)
                return rc;
            if (l > 0 && i > 0) {
                lsm_fmeta *p = v->files[l][i - 1];
                if (lsm_ukey_cmp(p->largest, p->nlargest - LSM_TAG_BYTES, f->smallest,
                                 f->nsmallest - LSM_TAG_BYTES) >= 0) {
                    lsm_file_set_errmsg("level %d: tables %llu and %llu overlap", l,
                                        (unsigned long long)p->number,
                                        (unsigned long long)f->number);
                    return LSM_CORRUPT;
                }
            }
        }
    return LSM_OK;
}
