/*
** ext/lsm: the lsm1 virtual table module (also registered as "lsm"): creation and connection,
** DROP, renaming, transactions and savepoints, and the per-connection table registry.
** Planning and reading are in lsm_scan_sql.c, writes and commands in lsm_write_sql.c.
**
** Every table holds its own engine handle (slsm_db); the engine itself is shared by all
** handles of one process on the same file. Transactions map onto the engine's nested ones:
** level 1 is SQLite's transaction, level n+2 SQLite's savepoint n. The engine commit (the log
** write) happens in xSync, so a failure there still aborts the SQLite transaction (SQLite
** ignores errors from xCommit).
*/
#include "common/error_sql.h"
#include "lsm/lsm_vtab_args.h"
#include "lsm/lsm_vtab_sql.h"

#include <pthread.h>
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

/* ---- create, connect, disconnect, destroy --------------------------------------------------- */

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
    sqlite3_free(v->entry.schema);
    sqlite3_free(v->entry.name);
    sqlite3_free(v->module);
    sqlite3_free(v->path);
    sqlite3_free(v->base.zErrMsg);
    strbuf_free(&v->row);
    sqlite3_free(v);
}

static int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **pzErr) {
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
    if (rc == SQLITE_OK) {
        pending_settle(v->path, 0);
        int erc = slsm_open(v->path, &v->opt, &v->entry.kv);
        if (erc != LSM_OK) {
            *pzErr = strata_mprintf_error(module, "cannot open '%s': %s", args.filename,
                                          slsm_errmsg(v->entry.kv));
            slsm_close(v->entry.kv);
            v->entry.kv = NULL;
            rc = erc == LSM_NOMEM ? SQLITE_NOMEM : engine_rc(erc);
        }
    }
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

static int vtab_disconnect(sqlite3_vtab *tab) {
    vtab_free((lsm_vtab *)tab);
    return SQLITE_OK;
}

/* DROP TABLE removes the files, at once or when the last handle on them in this process
** closes (see pending_drop). When another process holds the file they stay. */
static int vtab_destroy(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv) {
        slsm_close(v->entry.kv);
        v->entry.kv = NULL;
    }
    int rc = slsm_destroy(v->path);
    if (rc == LSM_BUSY) {
        pending_add(v->path);
    } else if (rc != LSM_OK) {
        int orc = slsm_open(v->path, &v->opt, &v->entry.kv);
        if (orc != LSM_OK) {
            slsm_close(v->entry.kv);
            v->entry.kv = NULL;
        }
        return lsm_vtab_error(v, engine_rc(rc), "cannot remove the files of %s", v->entry.name);
    }
    vtab_free(v);
    return SQLITE_OK;
}

static int vtab_rename(sqlite3_vtab *tab, const char *name) {
    lsm_vtab *v = (lsm_vtab *)tab;
    char *copy = sqlite3_mprintf("%s", name);
    if (copy == NULL)
        return SQLITE_NOMEM;
    sqlite3_free(v->entry.name);
    v->entry.name = copy;
    return SQLITE_OK;
}

/* ---- transactions -------------------------------------------------------------------------- */

static int check_open(lsm_vtab *v) {
    if (v->entry.kv == NULL)
        return lsm_vtab_error(v, SQLITE_CANTOPEN, "table %s has no open file", v->entry.name);
    return SQLITE_OK;
}

static int vtab_begin(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    int rc = check_open(v);
    if (rc)
        return rc;
    rc = slsm_begin(v->entry.kv, 1);
    if (rc == LSM_BUSY)
        return lsm_vtab_error(v, SQLITE_BUSY, "%s is busy: %s", v->entry.name,
                              slsm_errmsg(v->entry.kv));
    return rc ? lsm_vtab_engine_error(v, rc, "cannot begin") : SQLITE_OK;
}

static int vtab_sync(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv == NULL)
        return SQLITE_OK;
    int rc = slsm_commit(v->entry.kv, 0);
    if (rc)
        return lsm_vtab_engine_error(v, rc, "commit failed");
    /* The engine flushes an oversized memtable at the start of the next commit. After a large
    ** transaction that could be a long while, and scans of a big skiplist are slow (every step
    ** a cache miss), so flush now. A failure loses nothing (the log has the commit) and the
    ** next commit tries again. */
    slsm_stats st;
    if (slsm_stats_get(v->entry.kv, &st) == LSM_OK && st.memtable_bytes >= v->opt.memtable_bytes)
        slsm_flush(v->entry.kv);
    return SQLITE_OK;
}

static int vtab_commit(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) > 0 && slsm_commit(v->entry.kv, 0) != LSM_OK)
        slsm_rollback(v->entry.kv, 0);
    return SQLITE_OK;
}

static int vtab_rollback(sqlite3_vtab *tab) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv)
        slsm_rollback(v->entry.kv, 0);
    return SQLITE_OK;
}

static int vtab_savepoint(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv == NULL)
        return SQLITE_OK;
    int rc = slsm_begin(v->entry.kv, n + 2);
    return rc ? lsm_vtab_engine_error(v, rc, "cannot open savepoint") : SQLITE_OK;
}

static int vtab_release(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) > n + 1)
        slsm_commit(v->entry.kv, n + 1);
    return SQLITE_OK;
}

static int vtab_rollback_to(sqlite3_vtab *tab, int n) {
    lsm_vtab *v = (lsm_vtab *)tab;
    if (v->entry.kv && slsm_txn_level(v->entry.kv) >= n + 2)
        slsm_rollback(v->entry.kv, n + 2);
    return SQLITE_OK;
}

const sqlite3_module lsm_vtab_module = {
    .iVersion = 2,
    .xCreate = vtab_connect,
    .xConnect = vtab_connect,
    .xBestIndex = lsm_vtab_best_index,
    .xDisconnect = vtab_disconnect,
    .xDestroy = vtab_destroy,
    .xOpen = lsm_vtab_open,
    .xClose = lsm_vtab_close,
    .xFilter = lsm_vtab_filter,
    .xNext = lsm_vtab_next,
    .xEof = lsm_vtab_eof,
    .xColumn = lsm_vtab_column,
    .xRowid = lsm_vtab_rowid,
    .xUpdate = lsm_vtab_update,
    .xBegin = vtab_begin,
    .xSync = vtab_sync,
    .xCommit = vtab_commit,
    .xRollback = vtab_rollback,
    .xRename = vtab_rename,
    .xSavepoint = vtab_savepoint,
    .xRelease = vtab_release,
    .xRollbackTo = vtab_rollback_to,
};
