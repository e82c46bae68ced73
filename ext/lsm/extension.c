/*
** ext/lsm: SQL binding of the lsm extension: an LSM-tree key/value store exposed as the lsm1
** virtual table (issue #6).
**
** Registers lsm_version(), the lsm1 and lsm modules (lsm_vtab_sql.c) and lsm_stats
** (lsm_stats_sql.c) on one connection. They share a registry of the connection's lsm tables,
** freed with the last module. The engine lives in the other files of this folder and does not
** depend on SQLite.
*/
#include "common/error_sql.h"
#include "lsm/extension.h"
#include "lsm/lsm_vtab_sql.h"

int strata_lsm_register(sqlite3 *db, char **pzErrMsg) {
    int rc = strata_register_version(db, "lsm_version");
    lsm_registry *reg = NULL;
    if (rc == SQLITE_OK) {
        reg = lsm_registry_new();
        if (reg == NULL)
            rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK) {
        reg->refs++; /* held while registering */
        rc = lsm_register_vtab(db, reg);
        if (rc == SQLITE_OK)
            rc = lsm_register_stats(db, reg);
        lsm_registry_unref(reg);
    }
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("lsm", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_lsm_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_lsm_register(db, pzErrMsg);
}
