/*
** ext/lsm: what the lsm1 module (lsm_vtab_sql.c) and lsm_stats (lsm_stats_sql.c) share: a
** per-connection list of the lsm tables connected on it, so lsm_stats('t') finds t's engine.
*/
#ifndef STRATA_LSM_VTAB_SQL_H
#define STRATA_LSM_VTAB_SQL_H

#include "common/sqlite_ext.h"
#include "common/strbuf.h"
#include "lsm/lsm_engine.h"

/* One connected lsm table, as the registry lists it. */
typedef struct lsm_table_entry {
    struct lsm_table_entry *next;
    char *schema, *name; /* sqlite3_malloc'd */
    slsm_db *kv;         /* NULL while its file cannot be opened */
    char *open_error;    /* why it cannot (sqlite3_malloc'd; NULL once open) */
    int open_rc;
    slsm_salvage_report salvage; /* the last salvage of this table on this connection */
    int salvaged;
} lsm_table_entry;

typedef struct lsm_registry {
    int refs; /* modules registered with it, plus connected tables */
    lsm_table_entry *tables;
} lsm_registry;

/* A registry holding one reference, its creator's. */
lsm_registry *lsm_registry_new(void);
void lsm_registry_ref(void *registry);
void lsm_registry_unref(void *registry);
/* The table named name (schema may be NULL: any schema, main first), or NULL. */
lsm_table_entry *lsm_registry_find(lsm_registry *reg, const char *schema, const char *name);

/* An lsm1 table on one connection. Columns: 0 the key, 1..nval the values, then the hidden
** lsm1_command, lsm1_key and lsm1_value. */
typedef struct lsm_vtab {
    sqlite3_vtab base;
    lsm_table_entry entry; /* kv, names, registry link */
    lsm_registry *reg;
    sqlite3 *db;
    char *module; /* "lsm1" or "lsm", as the user wrote it: errors start with it */
    char *path;   /* resolved file name */
    slsm_options opt;
    int key_type; /* LSMV_KEY_* */
    int nval;
    int text_order_ok; /* TEXT keys: SQLite's BINARY order is the key order (UTF-8 database) */
    strbuf row;        /* a write's encoded values, reused from row to row */
    /* The host database coordinates commits (see lsm_vtab_sql.c): in a database file the
    ** table's shadow table "<name>_txn" holds its coordinator id and the number of the last
    ** transaction it committed. In-memory and temporary databases have none (coordinator 0). */
    int in_file;        /* the host database is a file: the table has a shadow table ... */
    int atomic;         /* ... commits follow the database (atomic=on) */
    int shadow_missing; /* ... or it is not there: a foreign table, read-only, never dropped */
    int read_only;      /* the host database is read-only */
    sqlite3_uint64 coordinator;
    sqlite3_stmt *record_txn; /* UPDATE of the shadow table, prepared on first use */
    int sql_level;            /* the engine transaction level SQLite has asked for */
} lsm_vtab;

#define LSMV_COL_COMMAND(v) ((v)->nval + 1)
#define LSMV_COL_KEY(v) ((v)->nval + 2)
#define LSMV_COL_VALUE(v) ((v)->nval + 3)

/* Makes the table usable by a read or write: opens its file if an earlier open failed (an
** error naming it otherwise) and, for writes, opens the engine transaction SQLite has begun. */
int lsm_vtab_ready(lsm_vtab *v, int for_write);
/* The salvage command (lsm_vtab_sql.c): keeps what precedes the first damage of the table's
** logs, then opens the table. */
int lsm_vtab_salvage(lsm_vtab *v);

/* Sets the table's error message "module: ..." and returns rc. */
int lsm_vtab_error(lsm_vtab *v, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Maps an engine failure to SQLite: the message is "module: what: engine message". */
int lsm_vtab_engine_error(lsm_vtab *v, int rc, const char *what);

/* lsm_vtab_sql.c: the table's life (create, connect, drop, rename) and its part in the host
** transaction (begin, sync, commit, rollback, savepoints). */
int lsm_vtab_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                    char **pzErr);
int lsm_vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **pzErr);
int lsm_vtab_disconnect(sqlite3_vtab *tab);
int lsm_vtab_destroy(sqlite3_vtab *tab);
int lsm_vtab_begin(sqlite3_vtab *tab);
int lsm_vtab_sync(sqlite3_vtab *tab);
int lsm_vtab_commit(sqlite3_vtab *tab);
int lsm_vtab_rollback(sqlite3_vtab *tab);
int lsm_vtab_rename(sqlite3_vtab *tab, const char *name);
int lsm_vtab_savepoint(sqlite3_vtab *tab, int n);
int lsm_vtab_release(sqlite3_vtab *tab, int n);
int lsm_vtab_rollback_to(sqlite3_vtab *tab, int n);
int lsm_vtab_shadow_name(const char *suffix);

/* lsm_scan_sql.c: planning and reading. */
int lsm_vtab_best_index(sqlite3_vtab *tab, sqlite3_index_info *info);
int lsm_vtab_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out);
int lsm_vtab_close(sqlite3_vtab_cursor *cur);
int lsm_vtab_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                    sqlite3_value **argv);
int lsm_vtab_next(sqlite3_vtab_cursor *cur);
int lsm_vtab_eof(sqlite3_vtab_cursor *cur);
int lsm_vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col);
int lsm_vtab_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid);

/* lsm_write_sql.c: INSERT, UPDATE, DELETE and commands. */
int lsm_vtab_update(sqlite3_vtab *tab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid);
/* Encodes a key value of a write as the table's key bytes into buf (LSMC_VARINT_MAX bytes for
** UINT keys) or points *out into the value; an unusable key sets the error and returns it. */
int lsm_vtab_key_for_write(lsm_vtab *v, sqlite3_value *val, uint8_t *buf, const uint8_t **out,
                           size_t *n);

/* The lsm1 module, also registered as lsm (lsm_vtab_sql.c), and the lsm_stats table-valued
** function (lsm_stats_sql.c). Their client data is the connection's lsm_registry. */
extern const sqlite3_module lsm_vtab_module;
extern const sqlite3_module lsm_stats_module;

#endif
