/*
** ext/lsm: the lsm1 module's method table. It joins the table's life and transactions
** (lsm_vtab_sql.c), reads (lsm_scan_sql.c) and writes (lsm_write_sql.c), and lives apart from
** them so that each depends only on what lies below it.
*/
#include "lsm/lsm_vtab_sql.h"

const sqlite3_module lsm_vtab_module = {
    .iVersion = 3,
    .xCreate = lsm_vtab_create,
    .xConnect = lsm_vtab_connect,
    .xBestIndex = lsm_vtab_best_index,
    .xDisconnect = lsm_vtab_disconnect,
    .xDestroy = lsm_vtab_destroy,
    .xOpen = lsm_vtab_open,
    .xClose = lsm_vtab_close,
    .xFilter = lsm_vtab_filter,
    .xNext = lsm_vtab_next,
    .xEof = lsm_vtab_eof,
    .xColumn = lsm_vtab_column,
    .xRowid = lsm_vtab_rowid,
    .xUpdate = lsm_vtab_update,
    .xBegin = lsm_vtab_begin,
    .xSync = lsm_vtab_sync,
    .xCommit = lsm_vtab_commit,
    .xRollback = lsm_vtab_rollback,
    .xRename = lsm_vtab_rename,
    .xSavepoint = lsm_vtab_savepoint,
    .xRelease = lsm_vtab_release,
    .xRollbackTo = lsm_vtab_rollback_to,
    .xShadowName = lsm_vtab_shadow_name,
};
