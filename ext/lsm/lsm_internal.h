/*
** lsm_internal: the engine's shared state, seen by lsm_engine.c (handles, recovery,
** transactions, point reads), lsm_cursor.c (cursors) and lsm_compact.c (flush, compaction,
** the background thread, integrity check). Everything here is used with lsm_engine.mu held,
** except what the background thread reads while it merges: the immutable memtable, the
** files of a table set it holds a reference to, and the options.
**
** Two logs take turns: commits go to log[cur_log] and the memtable; when the memtable is full
** it becomes the immutable memtable `imm` (its records stay in the other log) and a fresh
** memtable starts in the emptied other log. The background thread writes imm to a table,
** records in the manifest that its commits are in tables, and empties its log.
**
** Opening only reads (lsm_recover.c): the engine starts inactive, with the logs replayed into
** memory and what they hold beyond their valid records noted. The first write (or maintenance
** call, or a read that wants a compaction) activates it: the logs are opened for writing and
** cut to what counts, a pending decide record is written, tables a crash left behind are
** removed, commits found in both logs are written to a table, and the background thread
** starts. A read-only engine never activates.
*/
#ifndef STRATA_LSM_INTERNAL_H
#define STRATA_LSM_INTERNAL_H

#include "lsm/lsm_batch.h"
#include "lsm/lsm_buffer.h"
#include "lsm/lsm_engine.h"
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_tableset.h"

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
    lsm_tableset *current;
    uint64_t last_seq;    /* last committed sequence number */
    uint64_t flushed_seq; /* commits up to here are in tables */
    uint64_t next_file;
    uint64_t generation; /* bumped by every change, so cursors know when to rebuild */
    slsm_db *writer;     /* handle holding the write transaction */
    int read_only;       /* opened read-only: never activates (a read-write open upgrades it) */
    int active;          /* activated: files taken over for writing */
    int want_active;     /* a read wants a compaction: activate once the read is done */
    /* found at open, for activation: bytes of each log that count (the rest is a torn tail, or
    ** the log holds only commits already in tables) and the size of each log file */
    uint64_t log_keep[2], log_found[2];
    int orphans_done;      /* tables a crash left behind have been removed */
    int imm_both_logs;     /* imm (from recovery) holds the commits of both logs */
    uint64_t orphan_below; /* the manifest's file number at open: table numbers below it that
                           ** no table uses are the engine's own leftovers */
    uint64_t reserved_to;  /* file numbers below this are covered by the durable manifest */
    /* a prepared transaction that ended a log at open, whose outcome the coordinator told: its
    ** decide record is appended at activation (decide_log -1: none) */
    int decide_log, decide_outcome;
    uint64_t decide_at, decide_seq, decide_coord;
    int sticky_rc; /* set when the log could not be restored after a failed write */
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
    int read_only;
    int prepared; /* the transaction's prepare record is in the log (slsm_prepare) */
    uint64_t prep_seq, prep_coord;
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

/* Table numbers a manifest write reserves beyond the next one: files a flush or compaction
** creates before its manifest is written are covered, so after a crash they are known to be
** the engine's own. */
#define LSM_FILE_RESERVE 16

/* Records rc's message on db (from the file layer or a fixed text) and returns rc. */
int lsm_db_fail(slsm_db *db, int rc, const char *msg);
/* The handle's open transaction as a sorted list (built on demand); NULL when out of memory. */
lsm_skiplist *lsm_db_overlay(slsm_db *db);

/* lsm_recover.c: opening and activation. */
/* Before any file is created: LSM_OK when a database is at e->path (or none is and `create`),
** LSM_CANTOPEN when none is, LSM_CORRUPT when table files or logs are there without a
** manifest. */
int lsm_store_check(lsm_engine *e, int create);
/* Reads the manifest (writing a first one for a new database) and replays the logs into
** memory. With salvage, stops at the first damage instead of failing and fills rep. */
int lsm_engine_recover(lsm_engine *e, const slsm_options *opt, int salvage,
                       slsm_salvage_report *rep);
/* Activates the engine (mu held; LSM_READONLY for a read-only one). _owned: the caller owns
** the tree (lsm_work_begin). */
int lsm_engine_activate(lsm_engine *e);
int lsm_engine_activate_owned(lsm_engine *e);
/* Appends a record to log `log` (fsynced with sync). On failure what was written is cut back
** out; if that fails too the engine refuses writes until reopened (sticky). */
int lsm_engine_log_append(lsm_engine *e, int log, const uint8_t *rec, size_t n, int sync);
/* Appends the decide record of the prepared batch seq of coordinator coord to log `log`. */
int lsm_engine_log_decide(lsm_engine *e, int log, uint64_t seq, uint64_t coord, int outcome,
                          int sync);
/* At the end of a read (mu held, no iteration under way): activates the engine when a read
** asked for a compaction, so a database that is only read is still reshaped by its reads. */
void lsm_engine_read_done(lsm_engine *e);
/* Removes the tables below orphan_below that the current table set does not hold. */
void lsm_engine_remove_orphans(lsm_engine *e);
/* Makes sure table numbers up to e->next_file + need are reserved by the manifest (the owner
** of the tree; mu held). */
int lsm_engine_reserve_files(lsm_engine *e, uint64_t need);

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
** Only the owner of the tree (bg_active) flushes, compacts or installs table sets: work_begin
** waits for the current owner to finish and takes ownership, work_end gives it back. */
int lsm_bg_start(lsm_engine *e);
void lsm_bg_stop(lsm_engine *e);
void lsm_work_begin(lsm_engine *e);
void lsm_work_end(lsm_engine *e);

#endif
