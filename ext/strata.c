/*
** dist/strata.so: every strata extension behind one entry point, sqlite3_strata_init.
**
** The whole library loads or nothing does (common/register_sql.h): every part is checked
** before any is registered.
*/
#include "common/guard_sql.h"
#include "common/register_sql.h"
#include "common/version.h"
#include "embed/extension.h"
#include "jsonschema/extension.h"
#include "lsm/extension.h"
#include "timezone/extension.h"
#include "vec/extension.h"

/* strata_version(), the part that only this library has. */
static int register_strata(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        {"strata_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    const strata_group group = {functions, STRATA_COUNT(functions), NULL, 0, NULL, NULL, NULL};
    const strata_part part = {"strata", "strata_version() = '" STRATA_VERSION "'", &group, 1};
    return strata_register(db, ld, &part, pzErrMsg);
}

STRATA_EXPORT int sqlite3_strata_init(sqlite3 *db, char **pzErrMsg,
                                      const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {
        strata_guard_register,    strata_lsm_register,   strata_jsonschema_register,
        strata_timezone_register, strata_embed_register, strata_vec_register,
        register_strata,
    };
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
