/*
** The registry guard (see guard_sql.h).
*/
#include "common/guard_sql.h"
#include "common/error_sql.h"
#include "common/register_sql.h"
#include "common/vtab_sql.h"

#include <stdbool.h>
#include <string.h>

typedef struct guard {
    int refs;
    bool locked;      /* strata_lock() was called */
    int admin_tables; /* live temp.strata_admin tables */
} guard;

static void guard_ref(void *p) {
    ((guard *)p)->refs++;
}

static void guard_unref(void *p) {
    guard *g = p;
    if (g != NULL && --g->refs == 0)
        sqlite3_free(g);
}

/* True when db cannot write its main database: opened read-only (mode=ro, immutable, the
** shell's -readonly) or with PRAGMA query_only on. Unknown counts as read-only. */
static bool read_only(sqlite3 *db) {
    if (sqlite3_db_readonly(db, "main") != 0)
        return true;
    sqlite3_stmt *stmt = NULL;
    bool ro = sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &stmt, NULL) != SQLITE_OK ||
              sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_int(stmt, 0) != 0;
    sqlite3_finalize(stmt);
    return ro;
}

static void lock_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    guard *g = sqlite3_user_data(ctx);
    g->locked = true;
    sqlite3_result_int(ctx, 1);
}

static void locked_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    guard *g = sqlite3_user_data(ctx);
    bool open = g->admin_tables > 0 || (!g->locked && !read_only(sqlite3_context_db_handle(ctx)));
    sqlite3_result_int(ctx, !open);
}

/* ---- temp.strata_admin --------------------------------------------------------------------- */

typedef struct admin_vtab {
    sqlite3_vtab base;
    guard *g;
} admin_vtab;

/* xCreate runs only for CREATE VIRTUAL TABLE; xConnect also when SQLite reloads the temp schema
** holding a table an operator created. Anything outside temp is a database file's schema
** speaking, which opens nothing. */
static int admin_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err) {
    if (argc < 2 || strcmp(argv[1], "temp") != 0) {
        *err = strata_mprintf_error("strata_admin", "create it in the temp schema: CREATE "
                                                    "VIRTUAL TABLE temp.strata_admin USING "
                                                    "strata_admin()");
        return SQLITE_ERROR;
    }
    if (argc > 3) {
        *err = strata_mprintf_error("strata_admin", "takes no arguments");
        return SQLITE_ERROR;
    }
    int rc = strata_vtab_connect(db, "CREATE TABLE x(registries TEXT)", sizeof(admin_vtab),
                                 SQLITE_VTAB_DIRECTONLY, out);
    if (rc != SQLITE_OK)
        return rc;
    admin_vtab *v = (admin_vtab *)*out;
    v->g = aux;
    guard_ref(v->g);
    v->g->admin_tables++;
    return SQLITE_OK;
}

static int admin_disconnect(sqlite3_vtab *base) {
    admin_vtab *v = (admin_vtab *)base;
    v->g->admin_tables--;
    guard_unref(v->g);
    sqlite3_free(v);
    return SQLITE_OK;
}

static int admin_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    info->estimatedCost = 1;
    info->estimatedRows = 1;
    return SQLITE_OK;
}

typedef struct admin_cursor {
    sqlite3_vtab_cursor base;
    bool done;
} admin_cursor;

static int admin_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(admin_cursor), out);
}

static int admin_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                        sqlite3_value **argv) {
    ((admin_cursor *)cur)->done = false;
    return SQLITE_OK;
}

static int admin_next(sqlite3_vtab_cursor *cur) {
    ((admin_cursor *)cur)->done = true;
    return SQLITE_OK;
}

static int admin_eof(sqlite3_vtab_cursor *cur) {
    return ((admin_cursor *)cur)->done;
}

/* One row: the registries are open while this table exists. */
static int admin_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    sqlite3_result_text(ctx, "open", -1, SQLITE_STATIC);
    return SQLITE_OK;
}

static int admin_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = 1;
    return SQLITE_OK;
}

static const sqlite3_module admin_module = {
    .iVersion = 1,
    .xCreate = admin_connect,
    .xConnect = admin_connect,
    .xBestIndex = admin_best_index,
    .xDisconnect = admin_disconnect,
    .xDestroy = admin_disconnect,
    .xOpen = admin_open,
    .xClose = strata_vtab_cursor_close,
    .xFilter = admin_filter,
    .xNext = admin_next,
    .xEof = admin_eof,
    .xColumn = admin_column,
    .xRowid = admin_rowid,
};

/* ---- registration and the check ------------------------------------------------------------ */

int strata_guard_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        /* Only ever restricts, but a database file's view must not lock the operator out. */
        {"strata_lock", 0, STRATA_DIRECT, lock_func, NULL},
        {"strata_locked", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, locked_func, NULL},
    };
    static const strata_module modules[] = {{"strata_admin", &admin_module, NULL}};
    guard *g = sqlite3_malloc64(sizeof *g);
    if (g == NULL)
        return SQLITE_NOMEM;
    memset(g, 0, sizeof *g);
    g->refs = 1;
    const strata_group group = {
        functions,  STRATA_COUNT(functions), modules, STRATA_COUNT(modules), g, guard_ref,
        guard_unref};
    /* Any strata library's guard will do: the probe asks whether one is there. */
    const strata_part part = {"strata", "strata_locked() IN (0, 1)", &group, 1};
    int rc = strata_register(db, ld, &part, pzErrMsg);
    guard_unref(g);
    return rc;
}

const char *strata_guard_refusal(sqlite3 *db) {
    sqlite3_stmt *stmt = NULL;
    int locked = 1;
    if (sqlite3_prepare_v2(db, "SELECT strata_locked()", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        locked = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (!locked)
        return NULL;
    if (read_only(db))
        return "the connection is read-only (an operator opens them with CREATE VIRTUAL TABLE "
               "temp.strata_admin USING strata_admin())";
    return "strata_lock() was called";
}
