/*
** dist/strata.so: every strata extension behind one entry point, sqlite3_strata_init.
**
** Each extension registers all of its functions or none (common/register_sql.h); one that
** fails stops the load with its error, and the ones before it stay registered, complete.
*/
#include "common/guard_sql.h"
#include "common/register_sql.h"
#include "common/version.h"
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
    static const strata_function functions[] = {
        {"strata_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    const strata_group group = {functions, STRATA_COUNT(functions), NULL, 0, NULL, NULL, NULL};
    const strata_part part = {"strata", "strata_version() = '" STRATA_VERSION "'", &group, 1};
    int rc = strata_guard_register(db, pzErrMsg);
    for (size_t i = 0; rc == SQLITE_OK && i < STRATA_COUNT(all); i++)
        rc = all[i](db, pzErrMsg);
    if (rc == SQLITE_OK)
        rc = strata_register(db, &part, pzErrMsg);
    return rc;
}
