/*
** lsm_internal: the engine's shared state, seen by lsm_engine.c (handles, recovery,
** transactions, point reads), lsm_cursor.c (cursors) and lsm_compact.c (flush, compaction,
** the background thread, integrity check). Everything here is used with lsm_engine.mu held,
** except what the background thread reads while it merges: the immutable memtable, the
** files of a version it holds a reference to, and the options.
**
** Two logs take turns: commits go to log[cur_log] and the memtable; when the memtable is full
** it becomes the immutable memtable `imm` (its records stay in the other log) and a fresh
** memtable starts in the emptied other log. The background thread writes imm to a table,
** records in the manifest that its commits are in tables, and empties its log.
*/
#ifndef STRATA_LSM_INTERNAL_H
#define STRATA_LSM_INTERNAL_H

#include "lsm/lsm_batch.h"
#include "lsm/lsm_engine.h"
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_version.h"

#include <pthread.h>
#include <stdint.h>

typedef struct lsm_engine {
    pthread_mutex_t mu;
    struct lsm_engine *next_open; /* process-wide list of open engines */
    int refs;                     /* handles */
    uint64_t dev, ino;            /* of the lock file */
    long pid;                     /* a forked child never shares its parent's engine */
    char *path, *lock_path, *tmp_path;
    char *log_path[2];
    int lock_fd, log_fd[2];
    uint64_t log_size[2];
    int cur_log; /* the log commits append to */
    slsm_options opt;
    lsm_skiplist *mem;
    lsm_skiplist *imm; /* full memtable being written to a table (NULL if none) */
    uint64_t imm_seq;  /* last sequence number in imm */
    int imm_log;       /* the log holding imm's commits */
    lsm_version *current;
    uint64_t last_seq;    /* last committed sequence number */
    uint64_t flushed_seq; /* commits up to here are in tables */
    uint64_t next_file;
    uint64_t generation; /* bumped by every change, so cursors know when to rebuild */
    slsm_db *writer;     /* handle holding the write transaction */
    int sticky_rc;       /* set when the log could not be restored after a failed write */
    char sticky_msg[600];
    /* A checkpoint's fsync of a log failed. Linux may then have dropped the pages it could not
    ** write and reports success to the next fsync, so until a flush has put every commit in
    ** (fsynced) tables, a checkpoint flushes instead of trusting an fsync of the log. */
    int log_sync_failed;
    struct slsm_cursor *cursors;
    /* background work: flushes of imm and compaction steps, one at a time */
    pthread_t bg_thread;
    pthread_cond_t bg_wake; /* work may be waiting, or stop */
    pthread_cond_t bg_done; /* a job finished (imm gone, a level shrank, or bg_rc set) */
    int bg_started, bg_stop, bg_active;
    int compacting; /* a compaction merges without the lock: a flush goes to level 0 */
    int bg_rc;      /* failure of the last background job, reported to the next writer */
    char bg_msg[600];
    /* read-triggered compaction: a file whose read budget ran out (a reference is held), to be
    ** merged into the next level when no level is over its size limit */
    lsm_fmeta *read_file;
    int read_level;
    uint8_t *compact_ptr[LSM_LEVELS];
    size_t ncompact_ptr[LSM_LEVELS];
    slsm_stats st;
} lsm_engine;

struct slsm_db {
    lsm_engine *e;
    int level;
    size_t *sp_len;
    uint32_t *sp_count;
    int sp_cap;
    lsm_batch batch;
    lsm_skiplist *overlay; /* batch contents as a sorted list, built when read */
    uint32_t overlay_ops;
    int ncursors;
    uint8_t *getbuf;
    size_t getcap;
    int64_t read_sample_left; /* bytes this handle's cursors read before the next sample */
    char errmsg[600];
};

struct slsm_cursor {
    slsm_db *db;
    struct slsm_cursor *next, *prev; /* engine's list of cursors */
    lsm_iter *it;
    uint64_t generation;
    uint32_t overlay_ops;
    uint64_t snap;          /* committed sequence numbers visible */
    uint64_t overlay_limit; /* overlay entries below this are visible */
    int valid, forward, rc;
    uint8_t *key, *val, *tmp, *lo, *hi;
    const uint8_t *cur_val; /* the current value: val, or in place in the iterator */
    size_t nkey, capkey, nval, capval, captmp, nlo, nhi;
    int has_lo, has_hi, lo_open, hi_open;
    lsm_bounds bounds; /* lo and hi for the tables' iterators (inclusive) */
};

/* Records rc's message on db (from the file layer or a fixed text) and returns rc. */
int lsm_db_fail(slsm_db *db, int rc, const char *msg);
/* The handle's open transaction as a sorted list (built on demand); NULL when out of memory. */
lsm_skiplist *lsm_db_overlay(slsm_db *db);
/* Oldest snapshot any cursor reads. */
uint64_t lsm_engine_oldest_snapshot(lsm_engine *e);

/* Makes the memtable immutable and starts a fresh one in the other log (imm must be NULL). */
int lsm_engine_switch_memtable(lsm_engine *e);
/* Writes imm to a table (without the lock while writing), installs it, empties its log. */
int lsm_engine_flush_imm(lsm_engine *e);
/* Flushes imm and the memtable: everything committed ends up in tables, both logs empty. */
int lsm_engine_flush(lsm_engine *e);
/* Runs up to max_steps compaction steps while some level is over its limit. */
int lsm_engine_maybe_compact(lsm_engine *e, int max_steps);
int lsm_engine_compact_all(lsm_engine *e);
int lsm_engine_check(lsm_engine *e);

/* Read-triggered compaction (lsm_compact.c), with mu held. A lookup that consulted file f of
** `level` and then another file charges f; once f's budget is spent it is compacted down.
** Cursors sample a key every LSM_READ_SAMPLE_BYTES they read and charge the first of the files
** a lookup of it would consult, when that is more than one. */
#define LSM_READ_SAMPLE_BYTES (1 << 20)
void lsm_engine_charge_read(lsm_engine *e, lsm_fmeta *f, int level);
void lsm_engine_sample_read(lsm_engine *e, const uint8_t *k, size_t nk);

/* The background thread (lsm_compact.c). Start: 0 when the thread could not be created (the
** writer then does the work inline). Stop: called with mu held; releases it while joining.
** Only the owner of the tree (bg_active) flushes, compacts or installs versions: work_begin
** waits for the current owner to finish and takes ownership, work_end gives it back. */
int lsm_bg_start(lsm_engine *e);
void lsm_bg_stop(lsm_engine *e);
void lsm_work_begin(lsm_engine *e);
void lsm_work_end(lsm_engine *e);

/* Grows *buf to hold n bytes; 0 when out of memory. */
int lsm_grow(uint8_t **buf, size_t *cap, size_t n);

#endif
