/*
** ext/lsm: SQL binding of the lsm extension: an LSM-tree key/value store exposed as the lsm1
*virtual table (issue #6).
**
** Registers functions and modules on one connection. The engine lives in the other files of
** this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "lsm/extension.h"

int strata_lsm_register(sqlite3 *db, char **pzErrMsg) {
    int rc = strata_register_version(db, "lsm_version");
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("lsm", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_lsm_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_lsm_register(db, pzErrMsg);
}
