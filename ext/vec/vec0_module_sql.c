/*
** ext/vec: the vec0 module's method table. It joins the table's life, plans and cursors
** (vec0_sql.c) with writes (vec0_write_sql.c), and lives apart from them so that each depends
** only on what lies below it (see vec0_sql.h).
*/
#include "vec/scalar_sql.h"
#include "vec/vec0_sql.h"

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
    .xRename = vec0_rename,
    .xShadowName = vec0_shadow_name,
};
