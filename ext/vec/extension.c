/*
** ext/vec: SQL binding of the vec extension: vector storage and KNN search, compatible with
** sqlite-vec (issue #5).
**
** Registers the scalar functions (scalar_sql.c), vec_each (each_sql.c) and the vec0 module
** (vec0_sql.c) on one connection. The engine lives in the other files of this folder and does
** not depend on SQLite.
*/
#include "common/error_sql.h"
#include "vec/extension.h"
#include "vec/scalar_sql.h"

int strata_vec_register(sqlite3 *db, char **pzErrMsg) {
    int rc = vec_register_scalars(db); /* vec_version among them: sqlite-vec's version string */
    if (rc == SQLITE_OK)
        rc = vec_register_each(db);
    if (rc == SQLITE_OK)
        rc = vec_register_vec0(db);
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("vec", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_vec_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_vec_register(db, pzErrMsg);
}
