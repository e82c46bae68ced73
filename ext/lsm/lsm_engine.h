/*
** lsm_engine: strata's LSM-tree key/value store, the public C API. Plain C, no SQLite.
**
**   slsm_db *db;
**   slsm_open("/data/kv.lsm", NULL, &db);            // NULL = default options
**   slsm_put(db, "k", 1, "v", 1);                    // auto-committed
**   slsm_begin(db, 1); ... slsm_commit(db, 0);       // a transaction
**   slsm_cursor *c; slsm_cursor_open(db, &c);
**   for (slsm_cursor_first(c); slsm_cursor_valid(c); slsm_cursor_next(c)) ...
**   slsm_cursor_close(c); slsm_close(db);
**
** Keys and values are byte strings; keys sort by memcmp, a shorter prefix first. Every function
** returns an LSM_* status (lsm_status.h); slsm_errmsg() describes the last failure.
**
** Files of a database named P: P (the manifest), P-log and P-log2 (write-ahead logs, taking
** turns), P-lock (held with flock while open), P-NNNNNN.sst (tables), P-tmp (a manifest being
** written). Every handle opened on the same file in one process shares one engine; another
** process gets LSM_BUSY.
**
** Opening never changes a file: the logs are replayed into memory, and what a crash left to
** tidy (a torn log tail, commits in both logs, tables a crash left unrecorded) is tidied by the
** first write (or flush, checkpoint, compaction; reads that want a compaction too). A log damaged
** before intact records is LSM_CORRUPT; slsm_salvage keeps what precedes the damage. The engine
** removes only files its manifest accounts for: tables it lists, and table numbers it reserved
** for itself that no table uses any more.
**
** Concurrency: one writer at a time (a handle inside a transaction, or an auto-commit write);
** any number of cursors, each reading the snapshot taken when it was opened or repositioned
** with first/last/seek. A handle is used by one thread at a time; different handles may be
** used from different threads.
*/
#ifndef STRATA_LSM_ENGINE_H
#define STRATA_LSM_ENGINE_H

#include "lsm/lsm_status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct slsm_db slsm_db;

/* Tells whether a prepared transaction committed (see slsm_prepare): 1 committed, 0 not, -1
** when it cannot tell (the open then fails). Called while opening, for a prepared transaction
** whose outcome the log does not record because the process stopped before writing it. */
typedef int (*slsm_resolve_fn)(void *arg, uint64_t coordinator, uint64_t txn);
typedef struct slsm_cursor slsm_cursor;

enum { SLSM_DURABILITY_OFF = 0, SLSM_DURABILITY_NORMAL = 1, SLSM_DURABILITY_FULL = 2 };

typedef struct slsm_options {
    /* OFF: nothing is fsynced (a crash of the machine may lose or damage recent data; a crash
    ** of the process loses nothing). NORMAL (default): tables and the manifest are fsynced,
    ** the log is written at every commit but fsynced only by slsm_checkpoint, so a power cut
    ** may lose the last commits but never corrupts. FULL: the log is fsynced at every commit. */
    int durability;
    size_t memtable_bytes;  /* flush the memtable past this size (default 4 MiB) */
    size_t block_bytes;     /* target data block size (default 4 KiB) */
    size_t file_bytes;      /* target table size in levels >= 1 (default 2 MiB) */
    int bloom_bits_per_key; /* default 10 (~1% false positives); 0 = no filter use */
    int l0_trigger;         /* compact level 0 when it has this many tables (default 4) */
    uint64_t level1_bytes;  /* size limit of level 1; each next level is 10x (default 10 MiB) */
    /* 1 (default): a background thread per open database writes full memtables to tables and
    ** compacts, while commits go on into a fresh memtable; a writer waits only when the next
    ** memtable is full before the previous one is written, or level 0 has 3 * l0_trigger
    ** tables (from 2 * l0_trigger each commit yields 1 ms to let compaction catch up).
    ** 0: the committing writer flushes and then runs up to compact_steps compactions itself. */
    int background;
    int compact_steps; /* without the background thread: compactions per flush (default 8) */
    /* 1: create, write and remove no file (logs are replayed in memory, no lock file is
    ** created); writes give LSM_READONLY. A read-write open in the same process upgrades the
    ** shared engine. */
    int read_only;
    /* 1: LSM_CANTOPEN when no database is at the path (default: create one there) */
    int must_exist;
    /* used while opening only; NULL: a transaction prepared with coordinator 0 did not commit,
    ** any other one cannot be told (the open fails with LSM_CANTOPEN) */
    slsm_resolve_fn resolve;
    void *resolve_arg;
} slsm_options;

void slsm_options_default(slsm_options *o);

int slsm_open(const char *path, const slsm_options *opt, slsm_db **out);
/* Rolls back an open transaction. LSM_MISUSE (and nothing closed) while cursors are open. */
int slsm_close(slsm_db *db);
/* Message for the last failure on this handle ("" if none). */
const char *slsm_errmsg(const slsm_db *db);
/* Removes the files of the database at path that its manifest accounts for (manifest, logs,
** lock, tables, tables it reserved that a crash left behind); no manifest: nothing is removed.
** LSM_BUSY if it is open anywhere, LSM_CORRUPT (nothing removed) if the manifest is unreadable. */
int slsm_destroy(const char *path);

/* What slsm_salvage dropped. */
typedef struct slsm_salvage_report {
    uint64_t last_seq;        /* sequence number of the last commit kept */
    uint64_t dropped_records; /* intact log records that followed the damage, and prepared
                              ** transactions whose outcome nobody could tell */
    uint64_t dropped_bytes;   /* log bytes dropped, the damaged ones included */
    char damage[600];         /* where the first damage was ("" when none) */
} slsm_salvage_report;

/* Opens the database at path as slsm_open does, but where a log is damaged keeps every commit
** before the first bad record and drops the rest (the newer log too, when the damage is in the
** older one), then writes what it kept to tables and closes. LSM_BUSY when the database is open
** in this process. A damaged manifest or table is not salvaged (LSM_CORRUPT). */
int slsm_salvage(const char *path, const slsm_options *opt, slsm_salvage_report *report);

int slsm_put(slsm_db *db, const void *k, size_t nk, const void *v, size_t nv);
int slsm_delete(slsm_db *db, const void *k, size_t nk);
/* LSM_OK with the value (valid until the next call on db), or LSM_NOTFOUND. */
int slsm_get(slsm_db *db, const void *k, size_t nk, const void **v, size_t *nv);

/* Transactions nest: begin(db, n) makes at least n levels open (level 1 is the transaction,
** deeper ones savepoints); commit(db, n) closes levels above n (n = 0 commits); rollback(db, n)
** undoes the work of level n and leaves it open (n = 0 undoes and ends the transaction). A
** commit that fails is not applied and leaves the transaction open: commit again or roll back. */
int slsm_begin(slsm_db *db, int level);
int slsm_commit(slsm_db *db, int level);
int slsm_rollback(slsm_db *db, int level);
int slsm_txn_level(const slsm_db *db);

/* Two-phase commit under an outside coordinator (a host database). slsm_prepare writes the open
** transaction to the log as prepared and returns its number (0 when it wrote nothing: there is
** nothing to commit); the transaction keeps the database until slsm_commit(db, 0), which makes
** it visible, or slsm_rollback, which drops it. Until then a crash leaves its outcome to the
** coordinator: the next open asks opt->resolve(coordinator, txn), so the coordinator must
** record txn, in the same atomic step that commits its own side, as the last transaction of
** this coordinator that committed: a prepared transaction counts as committed when the
** coordinator's recorded number is >= its own. Coordinator 0 means none: such a transaction
** commits only when slsm_commit writes its outcome (fsynced at FULL). A write or a rollback to
** a savepoint after slsm_prepare withdraws the prepare (the transaction goes on); calling it
** again unchanged returns the same number. */
int slsm_prepare(slsm_db *db, uint64_t coordinator, uint64_t *txn);

enum { SLSM_SEEK_GE = 0, SLSM_SEEK_LE = 1, SLSM_SEEK_EQ = 2 };

int slsm_cursor_open(slsm_db *db, slsm_cursor **out);
void slsm_cursor_close(slsm_cursor *c);
/* Restricts the cursor to keys in [lo, hi] (NULL = unbounded; *_open excludes the bound). */
int slsm_cursor_bounds(slsm_cursor *c, const void *lo, size_t nlo, int lo_open, const void *hi,
                       size_t nhi, int hi_open);
int slsm_cursor_first(slsm_cursor *c);
int slsm_cursor_last(slsm_cursor *c);
int slsm_cursor_seek(slsm_cursor *c, const void *k, size_t nk, int mode);
int slsm_cursor_next(slsm_cursor *c);
int slsm_cursor_prev(slsm_cursor *c);
int slsm_cursor_valid(const slsm_cursor *c);
/* Current key and value, valid until the cursor moves. */
const void *slsm_cursor_key(const slsm_cursor *c, size_t *n);
const void *slsm_cursor_value(const slsm_cursor *c, size_t *n);

/* Writes the memtables to tables and empties the logs. */
int slsm_flush(slsm_db *db);
/* fsyncs the log: every commit so far survives a power cut. After a checkpoint failed, the next
** one writes the memtables to tables instead (the failed fsync may have lost log pages that a
** later fsync would not report). */
int slsm_checkpoint(slsm_db *db);
/* Flushes, then merges every table into one sorted run, dropping overwritten versions and
** tombstones no snapshot needs. */
int slsm_compact(slsm_db *db);
/* Reads and checks every table (checksums, key order, counts) and the level invariants.
** LSM_OK, or LSM_CORRUPT with the finding in slsm_errmsg. */
int slsm_integrity_check(slsm_db *db);

typedef struct slsm_stats {
    int files[7];
    uint64_t bytes[7];
    uint64_t memtable_bytes, memtable_entries, log_bytes, last_seq;
    uint64_t puts, deletes, gets, commits, flushes, compactions;
    uint64_t bytes_flushed, bytes_compacted, bloom_skips, max_stall_us;
    uint64_t stalls;           /* times a commit waited for background work */
    uint64_t read_compactions; /* compactions started because reads consulted too many files */
} slsm_stats;

int slsm_stats_get(slsm_db *db, slsm_stats *out);

#endif
