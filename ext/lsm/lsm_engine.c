/*
** lsm_engine: handles, the process-wide registry of open engines, open and recovery,
** transactions, the commit path and point reads. Cursors are in lsm_cursor.c; flush,
** compaction and the integrity check in lsm_compact.c.
**
** Commit path: the batch is sealed into one log record and written with one write() (fsynced
** under FULL durability), then applied to the memtable. If the write fails the log is cut back
** to its previous length, so a failed commit leaves no trace; if even that fails the engine
** refuses further writes until it is reopened. A memtable over its size limit is switched out
** (made immutable, for the background thread to write) at the start of the next commit; the
** commit waits only when the previous one is still being written, or level 0 is far behind.
** A failure of background work is returned by the next commit (which is then not applied) and
** the work is retried.
*/
#include "lsm/lsm_internal.h"
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_wal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static lsm_engine *registry;

void slsm_options_default(slsm_options *o) {
    memset(o, 0, sizeof *o);
    o->durability = SLSM_DURABILITY_NORMAL;
    o->memtable_bytes = 4u << 20;
    o->block_bytes = 4096;
    o->file_bytes = 2u << 20;
    o->bloom_bits_per_key = 10;
    o->l0_trigger = 4;
    o->level1_bytes = 10u << 20;
    o->compact_steps = 8;
    o->background = 1;
}

static void sanitize_options(slsm_options *o) {
    slsm_options d;
    slsm_options_default(&d);
    if (o->durability < SLSM_DURABILITY_OFF || o->durability > SLSM_DURABILITY_FULL)
        o->durability = d.durability;
    if (o->memtable_bytes < (64u << 10))
        o->memtable_bytes = 64u << 10;
    if (o->memtable_bytes > (1u << 30))
        o->memtable_bytes = 1u << 30;
    if (o->block_bytes < 256)
        o->block_bytes = 256;
    if (o->block_bytes > (1u << 20))
        o->block_bytes = 1u << 20;
    if (o->file_bytes < (64u << 10))
        o->file_bytes = 64u << 10;
    if (o->bloom_bits_per_key < 0 || o->bloom_bits_per_key > 40)
        o->bloom_bits_per_key = d.bloom_bits_per_key;
    if (o->l0_trigger < 2 || o->l0_trigger > 64)
        o->l0_trigger = d.l0_trigger;
    if (o->level1_bytes < o->file_bytes)
        o->level1_bytes = o->file_bytes;
    if (o->compact_steps < 1)
        o->compact_steps = d.compact_steps;
    o->background = o->background != 0;
}

static const char *default_message(int rc) {
    if (rc == LSM_NOMEM)
        return "out of memory";
    if (rc == LSM_IOERR || rc == LSM_FULL || rc == LSM_CORRUPT || rc == LSM_CANTOPEN ||
        rc == LSM_BUSY) {
        const char *m = lsm_file_errmsg();
        if (m[0])
            return m;
        return rc == LSM_CORRUPT ? "database is corrupt" : "I/O error";
    }
    return "error";
}

int lsm_db_fail(slsm_db *db, int rc, const char *msg) {
    if (db == NULL || rc == LSM_OK || rc == LSM_NOTFOUND)
        return rc;
    snprintf(db->errmsg, sizeof db->errmsg, "%s", msg ? msg : default_message(rc));
    return rc;
}

const char *slsm_errmsg(const slsm_db *db) {
    return db ? db->errmsg : "out of memory";
}

static char *path_with(const char *base, const char *suffix) {
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", base, suffix);
    return p;
}

/* ---- open and close ------------------------------------------------------------------------ */

static void engine_free(lsm_engine *e) {
    if (e == NULL)
        return;
    lsm_skiplist_unref(e->mem);
    lsm_skiplist_unref(e->imm);
    lsm_fmeta_unref(e->read_file);
    lsm_tableset_unref(e->current);
    for (int i = 0; i < 2; i++) {
        if (e->log_fd[i] >= 0)
            lsm_file_close(e->log_fd[i]);
        free(e->log_path[i]);
    }
    if (e->lock_fd >= 0)
        lsm_file_close(e->lock_fd);
    for (int l = 0; l < LSM_LEVELS; l++)
        free(e->compact_ptr[l]);
    free(e->path);
    free(e->lock_path);
    free(e->tmp_path);
    pthread_cond_destroy(&e->bg_wake);
    pthread_cond_destroy(&e->bg_done);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

static lsm_engine *engine_alloc(const char *path, const slsm_options *opt) {
    lsm_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->bg_wake, NULL);
    pthread_cond_init(&e->bg_done, NULL);
    e->lock_fd = e->log_fd[0] = e->log_fd[1] = -1;
    e->decide_log = -1;
    if (opt)
        e->opt = *opt;
    else
        slsm_options_default(&e->opt);
    sanitize_options(&e->opt);
    /* the resolver is used while opening only: its argument may not outlive the open */
    e->opt.resolve = NULL;
    e->opt.resolve_arg = NULL;
    e->path = strdup(path);
    e->log_path[0] = path_with(path, "-log");
    e->log_path[1] = path_with(path, "-log2");
    e->lock_path = path_with(path, "-lock");
    e->tmp_path = path_with(path, "-tmp");
    if (!e->path || !e->log_path[0] || !e->log_path[1] || !e->lock_path || !e->tmp_path) {
        engine_free(e);
        return NULL;
    }
    return e;
}

/* A read-write open of an engine opened read-only in this process: it takes the exclusive
** lock and may then activate. What the read-only open replayed stays valid, as no other
** process could write while it held the shared lock. (mu held) */
static int engine_upgrade(lsm_engine *e) {
    int rc = lsm_file_lock(e->lock_fd, e->lock_path, 0);
    if (rc) {
        /* flock converts by unlocking first: keep at least the shared lock */
        lsm_file_lock(e->lock_fd, e->lock_path, 1);
        return rc;
    }
    e->read_only = 0;
    return LSM_OK;
}

/* slsm_open and slsm_salvage. A read-only open whose database has no lock file (copied
** without it) gets an engine of its own, not shared and not locked: creating the lock file
** would be a write. */
static int open_handle(const char *path, const slsm_options *opt, int salvage,
                       slsm_salvage_report *rep, slsm_db **out) {
    *out = NULL;
    slsm_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return LSM_NOMEM;
    *out = db;
    lsm_batch_init(&db->batch);
    if (path == NULL || path[0] == 0 || strlen(path) > 4000)
        return lsm_db_fail(db, LSM_CANTOPEN, "invalid database file name");
    slsm_options o;
    if (opt)
        o = *opt;
    else
        slsm_options_default(&o);
    int read_only = o.read_only && !salvage;
    if (salvage)
        o.must_exist = 1;
    lsm_engine *e = engine_alloc(path, &o);
    if (e == NULL)
        return lsm_db_fail(db, LSM_NOMEM, NULL);
    e->read_only = read_only;
    /* before a file is created: is a database there, or evidence of one without a manifest? */
    int rc = lsm_store_check(e, !read_only && !o.must_exist);
    if (rc == LSM_OK)
        rc = lsm_file_open(e->lock_path, read_only ? O_RDONLY : O_RDWR | O_CREAT, &e->lock_fd);
    int shared = rc == LSM_OK;
    if (rc == LSM_NOTFOUND && read_only) {
        rc = LSM_OK;
    } else if (rc == LSM_OK) {
        rc = lsm_file_identity(e->lock_fd, &e->dev, &e->ino);
    }
    if (rc) {
        engine_free(e);
        return lsm_db_fail(db, rc == LSM_NOTFOUND ? LSM_CANTOPEN : rc, NULL);
    }
    pthread_mutex_lock(&registry_mu);
    lsm_engine *found = registry;
    while (shared && found &&
           !(found->dev == e->dev && found->ino == e->ino && found->pid == (long)getpid()))
        found = found->next_open;
    if (shared && found) {
        engine_free(e);
        e = found;
        pthread_mutex_lock(&e->mu);
        if (salvage) {
            lsm_file_set_errmsg("%s is open in this process: close it before salvaging", path);
            rc = LSM_BUSY;
        } else if (e->read_only && !read_only) {
            rc = engine_upgrade(e);
        }
        if (rc == LSM_OK)
            e->refs++;
        pthread_mutex_unlock(&e->mu);
        if (rc)
            lsm_db_fail(db, rc, NULL);
    } else {
        if (e->lock_fd >= 0)
            rc = lsm_file_lock(e->lock_fd, e->lock_path, read_only);
        if (rc == LSM_OK)
            rc = lsm_engine_recover(e, &o, salvage, rep);
        if (rc == LSM_OK) {
            e->refs = 1;
            e->pid = (long)getpid();
            if (shared) {
                e->next_open = registry;
                registry = e;
            }
        } else {
            lsm_db_fail(db, rc, NULL);
            /* freed (its lock released) before another open can look for it */
            engine_free(e);
        }
    }
    pthread_mutex_unlock(&registry_mu);
    if (rc)
        return rc;
    db->e = e;
    db->read_only = read_only;
    return LSM_OK;
}

int slsm_open(const char *path, const slsm_options *opt, slsm_db **out) {
    return open_handle(path, opt, 0, NULL, out);
}

static void txn_reset(slsm_db *db) {
    lsm_batch_clear(&db->batch);
    lsm_skiplist_unref(db->overlay);
    db->overlay = NULL;
    db->overlay_ops = 0;
    db->level = 0;
    db->prepared = 0;
    if (db->e && db->e->writer == db)
        db->e->writer = NULL;
}

static int withdraw_prepare(slsm_db *db);

int slsm_close(slsm_db *db) {
    if (db == NULL)
        return LSM_OK;
    lsm_engine *e = db->e;
    int rc = LSM_OK;
    if (e) {
        if (db->ncursors > 0)
            return lsm_db_fail(db, LSM_MISUSE, "cannot close: cursors are open");
        pthread_mutex_lock(&registry_mu);
        pthread_mutex_lock(&e->mu);
        if (db->prepared)
            withdraw_prepare(db);
        txn_reset(db);
        int last = --e->refs == 0;
        if (last) {
            lsm_engine **pp = &registry;
            while (*pp && *pp != e)
                pp = &(*pp)->next_open;
            if (*pp)
                *pp = e->next_open;
            lsm_bg_stop(e);
            /* the last close leaves everything in tables and empty logs, unless nothing was
            ** written: then it changes no file, as the open did not */
            if (e->active && e->sticky_rc == LSM_OK) {
                lsm_work_begin(e);
                rc = lsm_engine_flush(e);
                lsm_work_end(e);
            }
        }
        pthread_mutex_unlock(&e->mu);
        /* freed (its lock file closed) before another open can miss it in the registry and
        ** find the file still locked */
        if (last)
            engine_free(e);
        pthread_mutex_unlock(&registry_mu);
    }
    lsm_batch_free(&db->batch);
    free(db->sp_len);
    free(db->sp_count);
    free(db->getbuf);
    free(db);
    return rc;
}

int slsm_salvage(const char *path, const slsm_options *opt, slsm_salvage_report *report) {
    memset(report, 0, sizeof *report);
    slsm_db *db;
    int rc = open_handle(path, opt, 1, report, &db);
    if (rc == LSM_OK) {
        /* take the salvaged state over at once: cut the logs, write everything to tables */
        lsm_engine *e = db->e;
        pthread_mutex_lock(&e->mu);
        lsm_work_begin(e);
        rc = lsm_engine_activate_owned(e);
        if (rc == LSM_OK)
            rc = lsm_engine_flush(e);
        lsm_work_end(e);
        pthread_mutex_unlock(&e->mu);
        if (rc)
            lsm_db_fail(db, rc, NULL);
    }
    if (rc)
        snprintf(report->damage, sizeof report->damage, "%s", slsm_errmsg(db));
    int crc = slsm_close(db);
    return rc ? rc : crc;
}

/* ---- destroy ------------------------------------------------------------------------------- */

typedef struct destroy_scan {
    const char *base, *path;
    uint64_t below; /* the manifest's next file number: tables below it are the engine's */
} destroy_scan;

static void remove_table_file(void *arg, const char *name) {
    destroy_scan *s = arg;
    size_t nb = strlen(s->base);
    if (strncmp(name, s->base, nb) != 0 || name[nb] != '-')
        return;
    const char *p = name + nb + 1;
    char *end;
    unsigned long long number = strtoull(p, &end, 10);
    if (end == p || *p < '0' || *p > '9' || strcmp(end, ".sst") != 0 || number >= s->below)
        return;
    char *path = lsm_table_path(s->path, number);
    if (path)
        lsm_file_remove(path);
    free(path);
}

int slsm_destroy(const char *path) {
    lsm_engine *e = engine_alloc(path, NULL);
    if (e == NULL)
        return LSM_NOMEM;
    int holding = 0; /* registry_mu */
    int rc = lsm_file_open(e->lock_path, O_RDWR, &e->lock_fd);
    if (rc == LSM_NOTFOUND) {
        rc = LSM_OK; /* no lock file: the manifest still tells what to remove */
    } else if (rc == LSM_OK) {
        rc = lsm_file_identity(e->lock_fd, &e->dev, &e->ino);
        pthread_mutex_lock(&registry_mu);
        holding = 1;
        for (lsm_engine *x = registry; x && rc == LSM_OK; x = x->next_open)
            if (x->dev == e->dev && x->ino == e->ino) {
                lsm_file_set_errmsg("%s is open", path);
                rc = LSM_BUSY;
            }
        if (rc == LSM_OK)
            rc = lsm_file_lock(e->lock_fd, e->lock_path, 0);
    }
    uint64_t flushed;
    if (rc == LSM_OK)
        rc = lsm_manifest_read(e->path, e->path, &e->current, &e->next_file, &flushed);
    if (rc == LSM_OK) {
        /* only what the manifest accounts for: its tables (and the numbers it reserved), the
        ** logs, the manifest itself and the lock */
        char dir[4096];
        destroy_scan s = {NULL, path, e->next_file};
        if (lsm_file_split(path, dir, sizeof dir, &s.base) == LSM_OK)
            lsm_file_list_dir(path, remove_table_file, &s);
        lsm_file_remove(e->log_path[0]);
        lsm_file_remove(e->log_path[1]);
        lsm_file_remove(e->tmp_path);
        lsm_file_remove(e->path);
        lsm_file_remove(e->lock_path);
    } else if (rc == LSM_NOTFOUND) {
        rc = LSM_OK; /* no database here: nothing is known to be one's */
    }
    engine_free(e);
    /* the registry stays locked until the lock file is closed, as in slsm_close */
    if (holding)
        pthread_mutex_unlock(&registry_mu);
    return rc;
}

/* ---- commit ------------------------------------------------------------------------------- */

static int apply_op(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                    const uint8_t *v, size_t nv) {
    lsm_engine *e = arg;
    if (type == LSM_TYPE_PUT)
        e->st.puts++;
    else
        e->st.deletes++;
    return lsm_skiplist_add(e->mem, k, nk, lsm_make_tag(seq, type), v, nv);
}

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int sticky(slsm_db *db) {
    lsm_engine *e = db->e;
    char msg[700];
    snprintf(msg, sizeof msg, "database must be reopened after an earlier failure: %s",
             e->sticky_msg);
    return lsm_db_fail(db, e->sticky_rc, msg);
}

/* Level 0 sizes at which writers slow down (1 ms once per commit) and stop. */
static int l0_slowdown(const lsm_engine *e) {
    return 2 * e->opt.l0_trigger;
}

static int l0_stop(const lsm_engine *e) {
    return 3 * e->opt.l0_trigger;
}

/* Makes sure the memtable has room for a commit (mu held; may release it while waiting). */
static int make_room(slsm_db *db) {
    lsm_engine *e = db->e;
    uint64_t t0 = 0;
    int delayed = 0, rc = LSM_OK;
    for (;;) {
        if (e->bg_rc) {
            /* report the background failure once, and let the thread try again */
            rc = lsm_db_fail(db, e->bg_rc, e->bg_msg);
            e->bg_rc = 0;
            pthread_cond_signal(&e->bg_wake);
            break;
        }
        if (e->bg_started && !delayed && e->current->n[0] >= l0_slowdown(e)) {
            /* give compaction the CPU in small doses rather than stopping later for long */
            if (t0 == 0)
                t0 = now_us();
            delayed = 1;
            pthread_mutex_unlock(&e->mu);
            nanosleep(&(struct timespec){0, 1000000}, NULL);
            pthread_mutex_lock(&e->mu);
            continue;
        }
        if (lsm_skiplist_bytes(e->mem) < e->opt.memtable_bytes)
            break;
        if (e->bg_started && (e->imm || e->current->n[0] >= l0_stop(e))) {
            if (t0 == 0)
                t0 = now_us();
            e->st.stalls++;
            pthread_cond_wait(&e->bg_done, &e->mu);
            continue;
        }
        if (e->imm == NULL) {
            rc = lsm_engine_switch_memtable(e);
            if (rc) {
                lsm_db_fail(db, rc, NULL);
                break;
            }
        }
        if (e->bg_started) {
            pthread_cond_signal(&e->bg_wake);
            continue;
        }
        /* no background thread: flush and compact here, refusing the commit on failure */
        if (t0 == 0)
            t0 = now_us();
        lsm_work_begin(e);
        rc = lsm_engine_flush_imm(e);
        if (rc == LSM_OK)
            rc = lsm_engine_maybe_compact(e, e->opt.compact_steps);
        lsm_work_end(e);
        if (rc) {
            lsm_db_fail(db, rc, NULL);
            break;
        }
    }
    if (t0) {
        uint64_t dt = now_us() - t0;
        if (dt > e->st.max_stall_us)
            e->st.max_stall_us = dt;
    }
    return rc;
}

/* Applies a batch whose record is in the log to the memtable (mu held). */
static int apply_committed(slsm_db *db, const uint8_t *payload, size_t n, uint64_t seq,
                           uint32_t count) {
    lsm_engine *e = db->e;
    int rc = lsm_batch_walk(payload, n, 0, apply_op, e);
    e->last_seq = seq + count - 1;
    e->generation++;
    e->st.commits++;
    if (rc) {
        /* the log has the whole commit but memory only part of it: reopen to recover */
        e->sticky_rc = rc;
        snprintf(e->sticky_msg, sizeof e->sticky_msg, "out of memory applying a commit");
        return lsm_db_fail(db, rc, NULL);
    }
    return LSM_OK;
}

/* Checks that the handle may write and takes the files over if the engine has not yet. */
static int writable(slsm_db *db) {
    lsm_engine *e = db->e;
    if (db->read_only || e->read_only)
        return lsm_db_fail(db, LSM_READONLY, "database is open read-only");
    if (e->sticky_rc)
        return sticky(db);
    int rc = lsm_engine_activate(e);
    if (rc)
        return lsm_db_fail(db, rc, NULL);
    return LSM_OK;
}

static int commit_batch(slsm_db *db, lsm_batch *b) {
    lsm_engine *e = db->e;
    if (b->count == 0)
        return LSM_OK;
    int rc = writable(db);
    if (rc == LSM_OK)
        rc = make_room(db);
    if (rc)
        return rc;
    if (e->sticky_rc) /* set while make_room waited */
        return sticky(db);
    size_t n;
    uint64_t seq = e->last_seq + 1;
    const uint8_t *rec = lsm_batch_seal(b, seq, LSM_REC_COMMIT, NULL, 0, &n);
    rc = lsm_engine_log_append(e, e->cur_log, rec, n, e->opt.durability == SLSM_DURABILITY_FULL);
    if (rc)
        return lsm_db_fail(db, rc, NULL);
    return apply_committed(db, rec + LSM_WAL_HEADER, n - LSM_WAL_HEADER, seq, b->count);
}

/* ---- transactions -------------------------------------------------------------------------- */

static int overlay_op(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                      const uint8_t *v, size_t nv) {
    slsm_db *db = arg;
    (void)seq; /* the batch header's seq is stale inside a transaction: order by op index, as
               ** write_op does */
    int rc = lsm_skiplist_add(db->overlay, k, nk,
                              lsm_make_tag(LSM_OVERLAY_SEQ + db->overlay_ops, type), v, nv);
    if (rc == LSM_OK)
        db->overlay_ops++;
    return rc;
}

lsm_skiplist *lsm_db_overlay(slsm_db *db) {
    if (db->overlay == NULL) {
        db->overlay = lsm_skiplist_new();
        db->overlay_ops = 0;
        if (db->overlay == NULL)
            return NULL;
    }
    if (db->overlay_ops < db->batch.count) {
        const uint8_t *payload = (const uint8_t *)db->batch.buf.data + LSM_WAL_HEADER;
        size_t n = db->batch.buf.len - LSM_WAL_HEADER;
        if (lsm_batch_walk(payload, n, db->overlay_ops, overlay_op, db) != LSM_OK) {
            lsm_skiplist_unref(db->overlay);
            db->overlay = NULL;
            db->overlay_ops = 0;
            return NULL;
        }
    }
    return db->overlay;
}

int slsm_txn_level(const slsm_db *db) {
    return db->level;
}

int slsm_begin(slsm_db *db, int level) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (level <= db->level)
        return LSM_OK;
    if (level > 100000)
        return lsm_db_fail(db, LSM_RANGE, "too many nested transactions");
    pthread_mutex_lock(&e->mu);
    int rc = LSM_OK;
    if (db->level == 0) {
        if (db->read_only || e->read_only)
            rc = lsm_db_fail(db, LSM_READONLY, "database is open read-only");
        else if (e->writer && e->writer != db)
            rc = lsm_db_fail(db, LSM_BUSY, "database is locked by another writer");
        else if (e->sticky_rc)
            rc = sticky(db);
        else {
            e->writer = db;
            lsm_batch_clear(&db->batch);
            if (db->batch.buf.len < LSM_BATCH_HEADER) {
                uint8_t zero[LSM_BATCH_HEADER] = {0};
                strbuf_append(&db->batch.buf, zero, sizeof zero);
                if (db->batch.buf.failed) {
                    db->batch.buf.failed = 0;
                    e->writer = NULL;
                    rc = lsm_db_fail(db, LSM_NOMEM, NULL);
                }
            }
        }
    }
    if (rc == LSM_OK && level > db->sp_cap) {
        int cap = level + 8;
        size_t *l = realloc(db->sp_len, (size_t)cap * sizeof *l);
        if (l)
            db->sp_len = l;
        uint32_t *c = realloc(db->sp_count, (size_t)cap * sizeof *c);
        if (c)
            db->sp_count = c;
        if (l && c)
            db->sp_cap = cap;
        else {
            if (db->level == 0)
                e->writer = NULL;
            rc = lsm_db_fail(db, LSM_NOMEM, NULL);
        }
    }
    if (rc == LSM_OK) {
        for (int l = db->level; l < level; l++) {
            db->sp_len[l] = db->batch.buf.len;
            db->sp_count[l] = db->batch.count;
        }
        db->level = level;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* Writes the decide record of the handle's prepared transaction (mu held). A failure leaves the
** engine refusing writes until reopened: the coordinator then settles the outcome. */
static int decide(slsm_db *db, int outcome) {
    lsm_engine *e = db->e;
    /* without a coordinator this record is the commit: durable at FULL. An abort always is, as
    ** a later transaction of the same coordinator may reuse its sequence numbers. */
    int sync = e->opt.durability == SLSM_DURABILITY_FULL && (db->prep_coord == 0 || !outcome);
    int rc = lsm_engine_log_decide(e, e->cur_log, db->prep_seq, db->prep_coord, outcome, sync);
    db->prepared = 0;
    if (rc) {
        lsm_db_fail(db, rc, NULL);
        if (e->sticky_rc == LSM_OK) {
            e->sticky_rc = rc;
            snprintf(e->sticky_msg, sizeof e->sticky_msg,
                     "the outcome of a prepared transaction could not be logged: %.500s",
                     db->errmsg);
        }
    }
    return rc;
}

/* The transaction changes after slsm_prepare: its prepare record no longer describes it. */
static int withdraw_prepare(slsm_db *db) {
    return db->prepared ? decide(db, 0) : LSM_OK;
}

int slsm_prepare(slsm_db *db, uint64_t coordinator, uint64_t *txn) {
    lsm_engine *e = db->e;
    *txn = 0;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (db->level == 0)
        return lsm_db_fail(db, LSM_MISUSE, "no transaction to prepare");
    pthread_mutex_lock(&e->mu);
    int rc = LSM_OK;
    if (db->prepared) {
        *txn = db->prep_seq;
    } else if (db->batch.count > 0) {
        rc = writable(db);
        if (rc == LSM_OK)
            rc = make_room(db);
        if (rc == LSM_OK && e->sticky_rc)
            rc = sticky(db);
        uint64_t seq = e->last_seq + 1;
        uint8_t coord[LSM_WAL_COORD_BYTES];
        lsm_put_fixed64(coord, coordinator);
        size_t n;
        const uint8_t *rec = NULL;
        if (rc == LSM_OK) {
            rec = lsm_batch_seal(&db->batch, seq, LSM_REC_PREPARE, coord, sizeof coord, &n);
            if (rec == NULL)
                rc = lsm_db_fail(db, LSM_NOMEM, NULL);
        }
        if (rec) {
            rc = lsm_engine_log_append(e, e->cur_log, rec, n,
                                       e->opt.durability == SLSM_DURABILITY_FULL);
            lsm_batch_untrail(&db->batch, sizeof coord);
            if (rc)
                lsm_db_fail(db, rc, NULL);
        }
        if (rc == LSM_OK) {
            db->prepared = 1;
            db->prep_seq = seq;
            db->prep_coord = coordinator;
            *txn = seq;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int slsm_commit(slsm_db *db, int level) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (level < 0)
        level = 0;
    if (level >= db->level)
        return LSM_OK;
    if (level > 0) {
        db->level = level;
        return LSM_OK;
    }
    pthread_mutex_lock(&e->mu);
    int rc;
    if (db->prepared) {
        /* the coordinator committed: the transaction is applied whether or not its decide
        ** record can be written (if not, the engine must be reopened and the coordinator
        ** settles it) */
        rc = decide(db, 1);
        const uint8_t *payload = (const uint8_t *)db->batch.buf.data + LSM_WAL_HEADER;
        int arc = apply_committed(db, payload, db->batch.buf.len - LSM_WAL_HEADER, db->prep_seq,
                                  db->batch.count);
        if (rc == LSM_OK)
            rc = arc;
        txn_reset(db);
    } else {
        rc = commit_batch(db, &db->batch);
        if (rc == LSM_OK)
            txn_reset(db);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int slsm_rollback(slsm_db *db, int level) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (level < 0)
        level = 0;
    if (level > db->level)
        return LSM_OK;
    pthread_mutex_lock(&e->mu);
    int rc = withdraw_prepare(db);
    if (level == 0) {
        txn_reset(db);
    } else {
        lsm_batch_truncate(&db->batch, db->sp_len[level - 1], db->sp_count[level - 1]);
        db->level = level;
        if (db->overlay_ops > db->batch.count) {
            /* cursors keep the old list; the next read rebuilds it from the batch */
            lsm_skiplist_unref(db->overlay);
            db->overlay = NULL;
            db->overlay_ops = 0;
        }
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* ---- writes and reads ---------------------------------------------------------------------- */

static int write_op(slsm_db *db, int type, const void *k, size_t nk, const void *v, size_t nv) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (nk > LSM_MAX_KEY_BYTES)
        return lsm_db_fail(db, LSM_RANGE, "key too large (limit 1 MiB)");
    if (nv > LSM_MAX_VALUE_BYTES)
        return lsm_db_fail(db, LSM_RANGE, "value too large (limit 256 MiB)");
    pthread_mutex_lock(&e->mu);
    int rc = LSM_OK;
    if (db->read_only || e->read_only) {
        rc = lsm_db_fail(db, LSM_READONLY, "database is open read-only");
    } else if (e->writer && e->writer != db) {
        rc = lsm_db_fail(db, LSM_BUSY, "database is locked by another writer");
    } else if (db->level > 0 && (rc = withdraw_prepare(db)) != LSM_OK) {
        /* the prepare could not be withdrawn: the engine refuses writes now */
    } else if (db->level > 0) {
        size_t before = db->batch.buf.len;
        rc = lsm_batch_add(&db->batch, type, k, nk, v, nv);
        if (rc == LSM_OK && db->overlay && db->overlay_ops + 1 == db->batch.count) {
            rc = lsm_skiplist_add(db->overlay, k, nk,
                                  lsm_make_tag(LSM_OVERLAY_SEQ + db->overlay_ops, type), v, nv);
            if (rc == LSM_OK)
                db->overlay_ops++;
            else
                lsm_batch_truncate(&db->batch, before, db->batch.count - 1);
        }
        if (rc)
            lsm_db_fail(db, rc, rc == LSM_FULL ? "transaction too large (limit 1 GiB)" : NULL);
    } else {
        lsm_batch_clear(&db->batch);
        rc = lsm_batch_add(&db->batch, type, k, nk, v, nv);
        if (rc == LSM_OK)
            rc = commit_batch(db, &db->batch);
        else
            lsm_db_fail(db, rc, NULL);
        lsm_batch_clear(&db->batch);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int slsm_put(slsm_db *db, const void *k, size_t nk, const void *v, size_t nv) {
    return write_op(db, LSM_TYPE_PUT, k, nk, v, nv);
}

int slsm_delete(slsm_db *db, const void *k, size_t nk) {
    return write_op(db, LSM_TYPE_DELETE, k, nk, NULL, 0);
}

static int found_value(slsm_db *db, uint64_t tag, const uint8_t *val, size_t nv, const void **v,
                       size_t *n) {
    if ((tag & 0xff) == LSM_TYPE_DELETE)
        return LSM_NOTFOUND;
    if (!lsm_grow(&db->getbuf, &db->getcap, nv ? nv : 1))
        return lsm_db_fail(db, LSM_NOMEM, NULL);
    if (nv)
        memcpy(db->getbuf, val, nv);
    *v = db->getbuf;
    *n = nv;
    return LSM_OK;
}

static int get_locked(slsm_db *db, const uint8_t *k, size_t nk, const void **v, size_t *n) {
    lsm_engine *e = db->e;
    uint64_t tag;
    const uint8_t *val;
    size_t nv;
    if (db->level > 0 && db->batch.count > 0) {
        lsm_skiplist *ov = lsm_db_overlay(db);
        if (ov == NULL)
            return lsm_db_fail(db, LSM_NOMEM, NULL);
        if (lsm_skiplist_get(ov, k, nk, UINT64_MAX, &tag, &val, &nv))
            return found_value(db, tag, val, nv, v, n);
    }
    uint64_t max_tag = e->last_seq << 8 | 0xff;
    if (lsm_skiplist_get(e->mem, k, nk, max_tag, &tag, &val, &nv))
        return found_value(db, tag, val, nv, v, n);
    if (e->imm && lsm_skiplist_get(e->imm, k, nk, max_tag, &tag, &val, &nv))
        return found_value(db, tag, val, nv, v, n);
    lsm_tableset *cur = e->current;
    uint32_t hash = lsm_bloom_hash(k, nk);
    lsm_fmeta *first = NULL; /* the first file consulted, charged once when a second one is */
    int first_level = 0, charged = 0;
    for (int l = 0; l < LSM_LEVELS; l++) {
        int lo = 0, hi = cur->n[l];
        if (l > 0) {
            lo = lsm_tableset_find_file(cur, l, k, nk);
            hi = lo < hi ? lo + 1 : lo;
        }
        for (int i = lo; i < hi; i++) {
            lsm_fmeta *f = cur->files[l][i];
            if (!lsm_fmeta_overlaps(f, k, nk, k, nk))
                continue;
            if (first == NULL) {
                first = f;
                first_level = l;
            } else if (!charged) {
                lsm_engine_charge_read(e, first, first_level);
                charged = 1;
            }
            lsm_table *t;
            int found, rc = lsm_fmeta_table(f, &t);
            if (rc == LSM_OK)
                rc = lsm_table_get(t, k, nk, max_tag, hash, &found, &tag, &val, &nv);
            if (rc)
                return lsm_db_fail(db, rc, NULL);
            if (found)
                return found_value(db, tag, val, nv, v, n);
            e->st.bloom_skips++;
        }
    }
    return LSM_NOTFOUND;
}

int slsm_get(slsm_db *db, const void *k, size_t nk, const void **v, size_t *n) {
    lsm_engine *e = db->e;
    *v = NULL;
    *n = 0;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (nk > LSM_MAX_KEY_BYTES)
        return LSM_NOTFOUND;
    pthread_mutex_lock(&e->mu);
    e->st.gets++;
    int rc = get_locked(db, k, nk, v, n);
    lsm_engine_read_done(e);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* ---- maintenance --------------------------------------------------------------------------- */

/* Runs fn with the background thread paused, so fn may change the tree itself; `writes`: fn
** writes files (the engine is activated first, and a read-only one refuses). */
static int locked_call(slsm_db *db, int (*fn)(lsm_engine *), int writes) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    if (writes && (db->read_only || e->read_only))
        return lsm_db_fail(db, LSM_READONLY, "database is open read-only");
    pthread_mutex_lock(&e->mu);
    int rc;
    if (e->sticky_rc) {
        rc = sticky(db);
    } else {
        lsm_work_begin(e);
        rc = writes ? lsm_engine_activate_owned(e) : LSM_OK;
        if (rc == LSM_OK)
            rc = fn(e);
        lsm_work_end(e);
        if (rc)
            lsm_db_fail(db, rc, NULL);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int slsm_flush(slsm_db *db) {
    return locked_call(db, lsm_engine_flush, 1);
}

static int checkpoint(lsm_engine *e) {
    if (e->log_sync_failed)
        return lsm_engine_flush(e);
    int rc = LSM_OK;
    for (int i = 0; i < 2 && rc == LSM_OK; i++)
        if (e->log_size[i] > 0)
            rc = lsm_file_sync(e->log_fd[i], e->log_path[i]);
    if (rc)
        e->log_sync_failed = 1;
    return rc;
}

int slsm_checkpoint(slsm_db *db) {
    return locked_call(db, checkpoint, 1);
}

int slsm_compact(slsm_db *db) {
    return locked_call(db, lsm_engine_compact_all, 1);
}

int slsm_integrity_check(slsm_db *db) {
    return locked_call(db, lsm_engine_check, 0);
}

/* slsm_stats (the public header) cannot see LSM_LEVELS: the per-level arrays must fit them. */
_Static_assert(sizeof(((slsm_stats *)0)->files) / sizeof(int) >= LSM_LEVELS &&
                   sizeof(((slsm_stats *)0)->bytes) / sizeof(uint64_t) >= LSM_LEVELS,
               "slsm_stats has fewer level slots than LSM_LEVELS");

int slsm_stats_get(slsm_db *db, slsm_stats *out) {
    lsm_engine *e = db->e;
    if (e == NULL)
        return lsm_db_fail(db, LSM_MISUSE, "database is not open");
    pthread_mutex_lock(&e->mu);
    *out = e->st;
    for (int l = 0; l < LSM_LEVELS; l++) {
        out->files[l] = e->current->n[l];
        out->bytes[l] = lsm_tableset_level_bytes(e->current, l);
    }
    out->memtable_bytes = lsm_skiplist_bytes(e->mem);
    out->memtable_entries = lsm_skiplist_count(e->mem);
    if (e->imm) {
        out->memtable_bytes += lsm_skiplist_bytes(e->imm);
        out->memtable_entries += lsm_skiplist_count(e->imm);
    }
    out->log_bytes = e->log_size[0] + e->log_size[1];
    out->last_seq = e->last_seq;
    pthread_mutex_unlock(&e->mu);
    return LSM_OK;
}
