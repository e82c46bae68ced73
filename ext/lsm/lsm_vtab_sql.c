/*
** ext/lsm: the lsm1 virtual table module (also registered as "lsm"): creation and connection,
** DROP, renaming, transactions and savepoints, the commit protocol with the host database, and
** the per-connection table registry. Planning and reading are in lsm_scan_sql.c, writes and
** commands in lsm_write_sql.c.
**
** Every table holds its own engine handle (slsm_db); the engine itself is shared by all
** handles of one process on the same file. Transactions map onto the engine's nested ones:
** level 1 is SQLite's transaction, level n+2 SQLite's savepoint n.
**
** Commit protocol: the host database decides. In a database file, CREATE VIRTUAL TABLE t also
** creates the shadow table t_txn(coordinator, txn): one row with a random coordinator id and
** the number of the last transaction of t that committed.
**
**   xSync    slsm_prepare writes the transaction to the log as prepared under t's coordinator
**            id, numbered txn; then UPDATE t_txn SET txn = <txn>, inside the host transaction
**   (SQLite commits the host database: t_txn's new number commits with everything else)
**   xCommit  slsm_commit writes the outcome to the log and makes the rows visible
**   xRollback (or a failed COMMIT) slsm_rollback writes "aborted" and drops them
**
** A crash between the two leaves a prepared transaction without an outcome; the next open asks
** t_txn: committed when its number is >= txn (a transaction of t that aborted always has its
** outcome in the log before a later one of t). So the table commits exactly when the host
** transaction does, and several lsm tables in one transaction commit together. In-memory and
** temporary databases have no shadow table: their transactions prepare in xSync (so a full disk
** fails the COMMIT) and commit with the outcome record in xCommit; after a crash there is no
** host database left to agree with. A table created with atomic=off has its shadow table but
** does not update it: its commits skip the row in the database file (faster auto-commits) at the
** price of that agreement across a crash. A table opened from a read-only database reads only.
**
** A table of a database file whose shadow table is missing was not created by CREATE VIRTUAL
** TABLE in that file (a schema written by other means, a stranger's database): its store is
** opened read-only, so reading it cannot make the engine write there, and DROP TABLE leaves the
** store's files alone.
**
** Opening never creates a store, except CREATE VIRTUAL TABLE: connecting a table whose store
** is missing or cannot be opened succeeds (so DROP TABLE still works), and every use of the
** table then reports why, naming the file.
*/
#include "common/error_sql.h"
#include "lsm/lsm_vtab_args.h"
#include "lsm/lsm_vtab_sql.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- registry ------------------------------------------------------------------------------ */

lsm_registry *lsm_registry_new(void) {
    lsm_registry *reg = sqlite3_malloc(sizeof *reg);
    if (reg) {
        reg->refs = 1; /* the creator's */
        reg->tables = NULL;
    }
    return reg;
}

void lsm_registry_ref(void *registry) {
    ((lsm_registry *)registry)->refs++;
}

void lsm_registry_unref(void *registry) {
    lsm_registry *reg = registry;
    if (reg && --reg->refs <= 0)
        sqlite3_free(reg);
}

lsm_table_entry *lsm_registry_find(lsm_registry *reg, const char *schema, const char *name) {
    lsm_table_entry *found = NULL;
    for (lsm_table_entry *e = reg->tables; e; e = e->next) {
        if (sqlite3_stricmp(e->name, name) != 0)
            continue;
        if (schema && sqlite3_stricmp(e->schema, schema) != 0)
            continue;
        if (found == NULL || sqlite3_stricmp(e->schema, "main") == 0)
            found = e;
    }
    return found;
}

static void registry_remove(lsm_registry *reg, lsm_table_entry *entry) {
    for (lsm_table_entry **pp = &reg->tables; *pp; pp = &(*pp)->next)
        if (*pp == entry) {
            *pp = entry->next;
            break;
        }
}

/* ---- files whose removal waits for their last handle ----------------------------------------
**
** DROP TABLE may run while another handle on the same file is still open in this process: a
** table of another connection, or this connection's old copy of the table that SQLite has not
** yet disconnected after a schema reload. The files are then removed when the last handle
** closes. Opening the file again cancels that. */

typedef struct pending_drop {
    struct pending_drop *next;
    char path[];
} pending_drop;

static pthread_mutex_t pending_mu = PTHREAD_MUTEX_INITIALIZER;
static pending_drop *pending;

static pending_drop **pending_find(const char *path) {
    pending_drop **pp = &pending;
    while (*pp && strcmp((*pp)->path, path) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void pending_add(const char *path) {
    size_t n = strlen(path) + 1;
    pthread_mutex_lock(&pending_mu);
    if (*pending_find(path) == NULL) {
        pending_drop *d = malloc(sizeof *d + n);
        if (d) {
            memcpy(d->path, path, n);
            d->next = pending;
            pending = d;
        }
    }
    pthread_mutex_unlock(&pending_mu);
}

/* remove_files: 1 to try removing the files (a handle just closed), 0 to cancel the removal. */
static void pending_settle(const char *path, int remove_files) {
    pthread_mutex_lock(&pending_mu);
    pending_drop **pp = pending_find(path);
    if (*pp && (!remove_files || slsm_destroy(path) != LSM_BUSY)) {
        pending_drop *d = *pp;
        *pp = d->next;
        free(d);
    }
    pthread_mutex_unlock(&pending_mu);
}

/* ---- errors -------------------------------------------------------------------------------- */

int lsm_vtab_error(lsm_vtab *v, int rc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = strata_vmprintf_error(v->module, fmt, ap);
    va_end(ap);
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = msg;
    return msg ? rc : SQLITE_NOMEM;
}

static int engine_rc(int rc) {
    if (rc == LSM_NOTFOUND)
        return SQLITE_ERROR;
    if (rc == LSM_READONLY)
        return SQLITE_READONLY;
    if (rc == LSM_RANGE)
        return SQLITE_TOOBIG;
    return rc;
}

int lsm_vtab_engine_error(lsm_vtab *v, int rc, const char *what) {
    if (rc == LSM_NOMEM)
        return SQLITE_NOMEM;
    const char *msg = v->entry.kv ? slsm_errmsg(v->entry.kv) : "table file is not open";
    return lsm_vtab_error(v, engine_rc(rc), "%s: %s", what, msg);
}

/* ---- paths and declarations ---------------------------------------------------------------- */

/* The file name the table uses: relative names are taken from the directory of the database
** file holding the table, or the current directory for in-memory and temporary databases. The
** result is absolute, so a later chdir() of the program does not move the table's files. */
static char *resolve_path(sqlite3 *db, const char *schema, const char *filename) {
    if (filename[0] == '/')
        return sqlite3_mprintf("%s", filename);
    const char *dbfile = sqlite3_db_filename(db, schema);
    const char *slash = dbfile ? strrchr(dbfile, '/') : NULL;
    if (slash && dbfile[0] == '/')
        return sqlite3_mprintf("%.*s/%s", (int)(slash - dbfile), dbfile, filename);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return sqlite3_mprintf("%s", filename);
    if (slash)
        return sqlite3_mprintf("%s/%.*s/%s", cwd, (int)(slash - dbfile), dbfile, filename);
    return sqlite3_mprintf("%s/%s", cwd, filename);
}

static char *declare_sql(const lsm_vtab_args *a) {
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendf(s, "CREATE TABLE x(%s %s PRIMARY KEY", a->key_name, a->key_decl);
    for (int i = 0; i < a->nval; i++)
        sqlite3_str_appendf(s, ", %s", a->val_decl[i]);
    sqlite3_str_appendall(s, ", lsm1_command HIDDEN, lsm1_key HIDDEN, lsm1_value HIDDEN)"
                             " WITHOUT ROWID");
    return sqlite3_str_finish(s);
}

/* 1 when the database stores text as UTF-8. BINARY collation compares the stored encoding's
** bytes, so in a UTF-16 database text sorts differently from the UTF-8 bytes of TEXT keys. */
static int database_is_utf8(sqlite3 *db, const char *schema) {
    char *sql = sqlite3_mprintf("PRAGMA \"%w\".encoding", schema);
    sqlite3_stmt *st = NULL;
    int utf8 = 0;
    if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *enc = (const char *)sqlite3_column_text(st, 0);
        utf8 = enc && sqlite3_stricmp(enc, "UTF-8") == 0;
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return utf8;
}

static void vtab_free(lsm_vtab *v) {
    if (v == NULL)
        return;
    if (v->entry.kv) {
        slsm_close(v->entry.kv);
        if (v->path)
            pending_settle(v->path, 1);
    }
    if (v->reg) {
        registry_remove(v->reg, &v->entry);
        lsm_registry_unref(v->reg);
    }
    sqlite3_finalize(v->record_txn);
    sqlite3_free(v->entry.schema);
    sqlite3_free(v->entry.name);
    sqlite3_free(v->entry.open_error);
    sqlite3_free(v->module);
    sqlite3_free(v->path);
    sqlite3_free(v->base.zErrMsg);
    strbuf_free(&v->row);
    sqlite3_free(v);
}

/* ---- the commit protocol's test hook --------------------------------------------------------
**
** STRATA_LSM_CRASH_AT=<step>[:<n>] kills the process (SIGKILL) the n-th time (default: the first)
** a step of the commit protocol is reached, so that tests can crash it at every step: sync
** (xSync entered), prepared (the prepare record is in the log), recorded (the shadow table
** updated), commit (xCommit entered: the host database has committed), committed (the outcome
** is in the log), rollback (xRollback entered). Read from the environment once per process. */

static pthread_once_t crash_once = PTHREAD_ONCE_INIT;
static char crash_step[32];
static long crash_nth;
static long crash_seen;

static void crash_init(void) {
    const char *env = getenv("STRATA_LSM_CRASH_AT");
    if (env == NULL || env[0] == 0)
        return;
    const char *colon = strchr(env, ':');
    size_t n = colon ? (size_t)(colon - env) : strlen(env);
    if (n >= sizeof crash_step)
        return;
    memcpy(crash_step, env, n);
    crash_step[n] = 0;
    crash_nth = colon ? strtol(colon + 1, NULL, 10) : 1;
}

static void protocol_step(const char *step) {
    pthread_once(&crash_once, crash_init);
    if (crash_step[0] && strcmp(step, crash_step) == 0 &&
        __atomic_add_fetch(&crash_seen, 1, __ATOMIC_RELAXED) == crash_nth)
        kill(getpid(), SIGKILL);
}

/* ---- the shadow table -------------------------------------------------------------------- */

/* What a prepared transaction's outcome is resolved against while the store opens. */
typedef struct host_record {
    int found;                  /* the shadow table was read */
    sqlite3_uint64 coordinator; /* its id */
    sqlite3_uint64 committed;   /* the number of the last transaction that committed */
} host_record;

static int resolve_outcome(void *arg, uint64_t coordinator, uint64_t txn) {
    const host_record *h = arg;
    if (!h->found || coordinator != h->coordinator)
        return -1; /* prepared through another table or database */
    return txn <= h->committed;
}

/* Reads the shadow table; a database without it (created by hand, or from elsewhere) gets
** found = 0. */
static void read_shadow(lsm_vtab *v, host_record *h) {
    memset(h, 0, sizeof *h);
    char *sql = sqlite3_mprintf("SELECT coordinator, txn FROM \"%w\".\"%w_txn\"", v->entry.schema,
                                v->entry.name);
    sqlite3_stmt *st = NULL;
    if (sql && sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        h->found = 1;
        h->coordinator = (sqlite3_uint64)sqlite3_column_int64(st, 0);
        h->committed = (sqlite3_uint64)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
}

static int create_shadow(lsm_vtab *v, char **pzErr) {
    sqlite3_uint64 id = 0;
    while (id == 0 || id > (sqlite3_uint64)INT64_MAX)
        sqlite3_randomness(sizeof id, &id);
    char *sql = sqlite3_mprintf(
        "CREATE TABLE \"%w\".\"%w_txn\"(coordinator INTEGER NOT NULL, txn INTEGER NOT NULL);"
        "INSERT INTO \"%w\".\"%w_txn\" VALUES (%lld, 0)",
        v->entry.schema, v->entry.name, v->entry.schema, v->entry.name, (sqlite3_int64)id);
    if (sql == NULL)
        return SQLITE_NOMEM;
    char *err = NULL;
    int rc = sqlite3_exec(v->db, sql, NULL, NULL, &err);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        *pzErr = strata_mprintf_error(v->module, "cannot create the shadow table %s_txn: %s",
                                      v->entry.name, err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    v->coordinator = id;
    return rc;
}

/* Records txn as the table's last committed transaction, in the host transaction. */
static int record_txn(lsm_vtab *v, sqlite3_uint64 txn) {
    int rc = SQLITE_OK;
    if (v->record_txn == NULL) {
        char *sql = sqlite3_mprintf("UPDATE \"%w\".\"%w_txn\" SET txn = ?1", v->entry.schema,
                                    v->entry.name);
        if (sql == NULL)
            return SQLITE_NOMEM;
        rc = sqlite3_prepare_v3(v->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &v->record_txn, NULL);
        sqlite3_free(sql);
    }
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(v->record_txn, 1, (sqlite3_int64)txn);
        rc = sqlite3_step(v->record_txn);
        rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_reset(v->record_txn);
        sqlite3_reset(v->record_txn);
        if (rc == SQLITE_OK && sqlite3_changes(v->db) != 1)
            rc = SQLITE_CORRUPT;
    }
    if (rc != SQLITE_OK) {
        int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        return lsm_vtab_error(v, busy ? SQLITE_BUSY : rc,
                              "cannot commit %s: recording it in %s.%s_txn failed: %s",
                              v->entry.name, v->entry.schema, v->entry.name,
                              rc == SQLITE_CORRUPT ? "its row is missing" : sqlite3_errmsg(v->db));
    }
    return SQLITE_OK;
}

/* ---- opening the store ----------------------------------------------------------------------- */

/* Opens the table's store (creating it with `create`), or keeps the reason it cannot be. */
static int open_store(lsm_vtab *v, int create) {
    host_record h = {0, 0, 0};
    if (v->in_file && !create) {
        read_shadow(v, &h);
        v->shadow_missing = !h.found;
        v->coordinator = h.coordinator;
    }
    slsm_options o = v->opt;
    o.must_exist = !create;
    o.read_only = v->read_only || v->shadow_missing;
    o.resolve = resolve_outcome;
    o.resolve_arg = &h;
    pending_settle(v->path, 0);
    slsm_db *kv = NULL;
    int erc = slsm_open(v->path, &o, &kv);
    if (erc == LSM_OK) {
        v->entry.kv = kv;
        sqlite3_free(v->entry.open_error);
        v->entry.open_error = NULL;
        v->entry.open_rc = 0;
        return SQLITE_OK;
    }
    sqlite3_free(v->entry.open_error);
    v->entry.open_error = sqlite3_mprintf("%s", slsm_errmsg(kv));
    v->entry.open_rc = erc == LSM_NOMEM ? SQLITE_NOMEM : engine_rc(erc);
    slsm_close(kv);
    return v->entry.open_rc;
}

int lsm_vtab_ready(lsm_vtab *v, int for_write) {
    if (v->entry.kv == NULL && open_store(v, 0) != SQLITE_OK) {
        if (v->entry.open_rc == SQLITE_NOMEM)
            return SQLITE_NOMEM;
        return lsm_vtab_error(v, v->entry.open_rc, "cannot open %s ('%s'): %s", v->entry.name,
                              v->path, v->entry.open_error ? v->entry.open_error : "?");
    }
    if (!for_write)
        return SQLITE_OK;
    if (v->read_only)
        return lsm_vtab_error(v, SQLITE_READONLY, "cannot write %s: its database is read-only",
                              v->entry.name);
    if (v->shadow_missing)
        return lsm_vtab_error(v, SQLITE_ERROR,
                              "cannot write %s: its shadow table %s.%s_txn is missing (the table "
                              "was not created in this database), so its store is read-only",
                              v->entry.name, v->entry.schema, v->entry.name);
    if (v->sql_level > 0 && slsm_txn_level(v->entry.kv) < v->sql_level) {
        int rc = slsm_begin(v->entry.kv, v->sql_level);
        if (rc == LSM_BUSY)
            return lsm_vtab_error(v, SQLITE_BUSY, "%s is busy: %s", v->entry.name,
                                  slsm_errmsg(v->entry.kv));
        if (rc)
            return lsm_vtab_engine_error(v, rc, "cannot begin");
    }
    return SQLITE_OK;
}

int lsm_vtab_salvage(lsm_vtab *v) {
    if (v->read_only || v->shadow_missing)
        return lsm_vtab_error(v, SQLITE_READONLY, "cannot salvage %s: %s", v->entry.name,
                              v->read_only ? "its database is read-only"
                                           : "its shadow table is missing");
    if (!sqlite3_get_autocommit(v->db))
        return lsm_vtab_error(v, SQLITE_ERROR, "salvage of %s must run outside a transaction",
                              v->entry.name);
    memset(&v->entry.salvage, 0, sizeof v->entry.salvage);
    v->entry.salvaged = 1;
    if (v->entry.kv)
        return SQLITE_OK; /* it opened: nothing is damaged */
    host_record h = {0, 0, 0};
    if (v->in_file)
        read_shadow(v, &h);
    slsm_options o = v->opt;
    o.resolve = resolve_outcome;
    o.resolve_arg = &h;
    int erc = slsm_salvage(v->path, &o, &v->entry.salvage);
    if (erc) {
        v->entry.salvaged = 0;
        return lsm_vtab_error(v, erc == LSM_NOMEM ? SQLITE_NOMEM : engine_rc(erc),
                              "salvage of %s failed: %s", v->entry.name, v->entry.salvage.damage);
    }
    return lsm_vtab_ready(v, 1);
}

/* ---- create, connect, disconnect, destroy --------------------------------------------------- */

static int vtab_init(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **pzErr, int create) {
    const char *module = argv[0];
    lsm_vtab_args args;
    char err[300];
    *out = NULL;
    if (lsm_vtab_args_parse(argc, argv, &args, err, sizeof err) != 0) {
        *pzErr = strata_mprintf_error(module, "%s", err);
        lsm_vtab_args_free(&args);
        return SQLITE_ERROR;
    }
    lsm_vtab *v = sqlite3_malloc(sizeof *v);
    if (v == NULL) {
        lsm_vtab_args_free(&args);
        return SQLITE_NOMEM;
    }
    memset(v, 0, sizeof *v);
    strbuf_init(&v->row);
    v->db = db;
    v->key_type = args.key_type;
    v->nval = args.nval;
    v->opt = args.opt;
    v->text_order_ok = args.key_type != LSMV_KEY_TEXT || database_is_utf8(db, argv[1]);
    const char *dbfile = sqlite3_db_filename(db, argv[1]);
    v->in_file = dbfile != NULL && dbfile[0] != 0;
    v->atomic = v->in_file && args.atomic;
    v->read_only = sqlite3_db_readonly(db, argv[1]) == 1;
    v->module = sqlite3_mprintf("%s", module);
    v->entry.schema = sqlite3_mprintf("%s", argv[1]);
    v->entry.name = sqlite3_mprintf("%s", argv[2]);
    v->path = resolve_path(db, argv[1], args.filename);
    char *sql = declare_sql(&args);
    int rc = SQLITE_OK;
    if (!v->module || !v->entry.schema || !v->entry.name || !v->path || !sql)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        rc = sqlite3_declare_vtab(db, sql);
        if (rc != SQLITE_OK)
            *pzErr = strata_mprintf_error(module, "bad column declaration: %s", sqlite3_errmsg(db));
    }
    /* CREATE makes the shadow table (rolled back with the statement if the store then fails
    ** to open) and the store; a connection reports a store it cannot open when it is used */
    if (rc == SQLITE_OK && create && v->in_file)
        rc = create_shadow(v, pzErr);
    if (rc == SQLITE_OK && create && open_store(v, 1) != SQLITE_OK) {
        rc = v->entry.open_rc;
        *pzErr = strata_mprintf_error(module, "cannot open '%s': %s", args.filename,
                                      v->entry.open_error ? v->entry.open_error : "?");
    }
    if (rc == SQLITE_OK && !create)
        open_store(v, 0);
    if (rc == SQLITE_OK) {
        /* a table that writes files: never usable from triggers or views of a schema */
        sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
        sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
        v->reg = aux;
        v->reg->refs++;
        v->entry.next = v->reg->tables;
        v->reg->tables = &v->entry;
        *out = &v->base;
    } else {
        vtab_free(v);
    }
    sqlite3_free(sql);
    lsm_vtab_args_free(&args);
    return rc;
}

int lsm_vtab_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                    char **pzErr) {
    return vtab_init(db, aux, argc, argv, out, pzErr, 1);
}

int lsm_vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **pzErr) {
    return vtab_init(db, aux, argc, argv, out, pzErr, 0);
}

int lsm_vtab_disconnect(sqlite3_vtab *tab) {
    vtab_free((lsm_vtab *)tab);
    return SQLITE_OK;
}

/* DROP TABLE drops the shadow table and removes the files the store's manifest accounts for,
** at once or when the last handle on them in this process closes (see pending_drop). When
** another process holds the store they stay; a store that is missing or whose manifest is
** unreadable leaves its files as they are, and so does a table without its shadow table. */
int lsm_vtab_destroy(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->in_file && v->shadow_missing) {
        vtab_free(v); /* not this database's store: its files stay */
        return SQLITE_OK;
    }
    if (v->in_file) {
        sqlite3_finalize(v->record_txn);
        v->record_txn = NULL;
        char *sql = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\".\"%w_txn\"", v->entry.schema,
                                    v->entry.name);
        if (sql == NULL)
            return SQLITE_NOMEM;
        int rc = sqlite3_exec(v->db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return lsm_vtab_error(v, rc, "cannot drop the shadow table %s_txn: %s", v->entry.name,
                                  sqlite3_errmsg(v->db));
    }
    if (v->entry.kv) {
        slsm_close(v->entry.kv);
        v->entry.kv = NULL;
    }
    int rc = slsm_destroy(v->path);
    if (rc == LSM_BUSY) {
        pending_add(v->path);
    } else if (rc != LSM_OK && rc != LSM_CORRUPT) {
        open_store(v, 0);
        return lsm_vtab_error(v, engine_rc(rc), "cannot remove the files of %s", v->entry.name);
    }
    vtab_free(v);
    return SQLITE_OK;
}

int lsm_vtab_rename(sqlite3_vtab *tab, const char *name) {
    lsm_vtab *v = (lsm_vtab *)tab;
    char *copy = sqlite3_mprintf("%s", name);
    if (copy == NULL)
        return SQLITE_NOMEM;
    if (v->in_file && !v->shadow_missing) {
        sqlite3_finalize(v->record_txn);
        v->record_txn = NULL;
        char *sql = sqlite3_mprintf("ALTER TABLE \"%w\".\"%w_txn\" RENAME TO \"%w_txn\"",
                                    v->entry.schema, v->entry.name, name);
        int rc = sql ? sqlite3_exec(v->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
        sqlite3_free(sql);
        if (rc != SQLITE_OK) {
            sqlite3_free(copy);
            return lsm_vtab_error(v, rc, "cannot rename the shadow table %s_txn: %s", v->entry.name,
                                  sqlite3_errmsg(v->db));
        }
    }
    sqlite3_free(v->entry.name);
    v->entry.name = copy;
    return SQLITE_OK;
}

/* The shadow table is the table's own: under SQLITE_DBCONFIG_DEFENSIVE, SQL cannot write it. */
int lsm_vtab_shadow_name(const char *suffix) {
    return strcmp(suffix, "txn") == 0;
}

/* ---- transactions -------------------------------------------------------------------------- */

/* The engine transaction (and its savepoint levels) begins at the table's first write, in
** lsm_vtab_ready: a statement that only runs a command (integrity-check, salvage) needs none,
** and no write can come between a savepoint and that first write to move its position. */
int lsm_vtab_begin(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    v->sql_level = 1;
    return SQLITE_OK;
}

int lsm_vtab_sync(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    protocol_step("sync");
    if (v->entry.kv == NULL || slsm_txn_level(v->entry.kv) == 0)
        return SQLITE_OK;
    uint64_t txn;
    int rc = slsm_prepare(v->entry.kv, v->atomic ? v->coordinator : 0, &txn);
    if (rc)
        return lsm_vtab_engine_error(v, rc, "commit failed");
    if (txn == 0)
        return SQLITE_OK; /* nothing written */
    protocol_step("prepared");
    if (v->atomic) {
        rc = record_txn(v, txn);
        if (rc)
            return rc;
        protocol_step("recorded");
    }
    return SQLITE_OK;
}

int lsm_vtab_commit(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    protocol_step("commit");
    v->sql_level = 0;
    if (v->entry.kv == NULL || slsm_txn_level(v->entry.kv) == 0)
        return SQLITE_OK;
    /* the host database has committed: so does the table (an I/O error writing the outcome
    ** leaves the engine refusing writes until reopened, when the shadow table settles it) */
    if (slsm_commit(v->entry.kv, 0) != LSM_OK && slsm_txn_level(v->entry.kv) > 0)
        slsm_rollback(v->entry.kv, 0);
    protocol_step("committed");
    /* The engine flushes an oversized memtable at the start of the next commit. After a large
    ** transaction that could be a long while, and scans of a big skiplist are slow (every step
    ** a cache miss), so flush now. A failure loses nothing (the log has the commit) and the
    ** next commit tries again. */
    slsm_stats st;
    if (slsm_stats_get(v->entry.kv, &st) == LSM_OK && st.memtable_bytes >= v->opt.memtable_bytes)
        slsm_flush(v->entry.kv);
    return SQLITE_OK;
}

int lsm_vtab_rollback(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    protocol_step("rollback");
    v->sql_level = 0;
    if (v->entry.kv)
        slsm_rollback(v->entry.kv, 0);
    return SQLITE_OK;
}

int lsm_vtab_savepoint(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (n + 2 > v->sql_level)
        v->sql_level = n + 2;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) > 0 && slsm_txn_level(v->entry.kv) < n + 2) {
        int rc = slsm_begin(v->entry.kv, n + 2);
        if (rc)
            return lsm_vtab_engine_error(v, rc, "cannot open savepoint");
    }
    return SQLITE_OK;
}

int lsm_vtab_release(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->sql_level > n + 1)
        v->sql_level = n + 1;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) > n + 1)
        slsm_commit(v->entry.kv, n + 1);
    return SQLITE_OK;
}

int lsm_vtab_rollback_to(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) >= n + 2)
        slsm_rollback(v->entry.kv, n + 2);
    return SQLITE_OK;
}
