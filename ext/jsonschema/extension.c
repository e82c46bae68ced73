/*
** ext/jsonschema: SQL binding of the jsonschema extension: JSON Schema validation as SQL functions
*(issue #4).
**
** Registers functions and modules on one connection. The engine lives in the other files of
** this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "jsonschema/extension.h"

int strata_jsonschema_register(sqlite3 *db, char **pzErrMsg) {
    int rc = strata_register_version(db, "jsonschema_version");
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("jsonschema", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_jsonschema_init(sqlite3 *db, char **pzErrMsg,
                                          const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_jsonschema_register(db, pzErrMsg);
}
