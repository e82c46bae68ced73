/*
** ext/timezone: SQL binding of the timezone extension: time-zone-aware date/time functions on the
*system tz database (issue #3).
**
** Registers functions and modules on one connection. The engine lives in the other files of
** this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "timezone/extension.h"

int strata_timezone_register(sqlite3 *db, char **pzErrMsg) {
    int rc = strata_register_version(db, "timezone_version");
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("timezone", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_timezone_init(sqlite3 *db, char **pzErrMsg,
                                        const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_timezone_register(db, pzErrMsg);
}
