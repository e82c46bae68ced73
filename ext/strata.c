/*
** dist/strata.so: every strata extension behind one entry point, sqlite3_strata_init.
*/
#include "common/error_sql.h"
#include "embed/extension.h"
#include "jsonschema/extension.h"
#include "lsm/extension.h"
#include "timezone/extension.h"
#include "vec/extension.h"

typedef int (*register_fn)(sqlite3 *, char **);

STRATA_EXPORT int sqlite3_strata_init(sqlite3 *db, char **pzErrMsg,
                                      const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const register_fn all[] = {
        strata_lsm_register,   strata_jsonschema_register, strata_timezone_register,
        strata_embed_register, strata_vec_register,
    };
    int rc = strata_register_version(db, "strata_version");
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof all / sizeof all[0]; i++)
        rc = all[i](db, pzErrMsg);
    return rc;
}
