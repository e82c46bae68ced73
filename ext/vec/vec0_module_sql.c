/*
** ext/vec: the vec0 module's method table. It joins the table's life, plans and cursors
** (vec0_sql.c) with writes (vec0_write_sql.c), and lives apart from them so that each depends
** only on what lies below it (see vec0_sql.h).
*/
#include "vec/scalar_sql.h"
#include "vec/vec0_sql.h"

/* Transactions: the diskann graph's changes are written when the transaction commits or a
** savepoint begins, and dropped with a rollback (vec0_graph_sql.c); the buffer's row count is
** known within a transaction only (vec0_graphbuffer_sql.c). */

static int vec0_begin(sqlite3_vtab *vt) {
    vec0_graph_buffer_forget((vec0_vtab *)vt); /* another connection may have changed it */
    return SQLITE_OK;
}

static int vec0_sync(sqlite3_vtab *vt) {
    return vec0_graph_sync((vec0_vtab *)vt);
}

static int vec0_commit(sqlite3_vtab *vt) {
    (void)vt;
    return SQLITE_OK;
}

static int vec0_rollback(sqlite3_vtab *vt) {
    vec0_graph_rollback((vec0_vtab *)vt);
    vec0_graph_buffer_forget((vec0_vtab *)vt);
    return SQLITE_OK;
}

static int vec0_savepoint(sqlite3_vtab *vt, int i) {
    (void)i;
    return vec0_graph_flush((vec0_vtab *)vt);
}

static int vec0_release(sqlite3_vtab *vt, int i) {
    (void)vt;
    (void)i;
    return SQLITE_OK;
}

static int vec0_rollback_to(sqlite3_vtab *vt, int i) {
    (void)i;
    vec0_graph_rollback((vec0_vtab *)vt);
    vec0_graph_buffer_forget((vec0_vtab *)vt);
    return SQLITE_OK;
}

const sqlite3_module vec0_module = {
    .iVersion = 3,
    .xCreate = vec0_create,
    .xConnect = vec0_connect,
    .xBestIndex = vec0_best_index,
    .xDisconnect = vec0_disconnect,
    .xDestroy = vec0_destroy,
    .xOpen = vec0_open,
    .xClose = vec0_close,
    .xFilter = vec0_filter,
    .xNext = vec0_next,
    .xEof = vec0_eof,
    .xColumn = vec0_xcolumn,
    .xRowid = vec0_rowid,
    .xUpdate = vec0_update,
    .xBegin = vec0_begin,
    .xSync = vec0_sync,
    .xCommit = vec0_commit,
    .xRollback = vec0_rollback,
    .xRename = vec0_rename,
    .xSavepoint = vec0_savepoint,
    .xRelease = vec0_release,
    .xRollbackTo = vec0_rollback_to,
    .xShadowName = vec0_shadow_name,
};
