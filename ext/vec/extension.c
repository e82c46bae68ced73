/*
** ext/vec: SQL binding of the vec extension: vector storage and KNN search, compatible with
** sqlite-vec.
**
** Registers the scalar functions (scalar_sql.c), vec_each (each_sql.c) and the vec0 module
** (vec0_module_sql.c) on one connection. The engine lives in the other files of this folder
** and does not depend on SQLite.
*/
#include "vec/extension.h"
#include "common/guard_sql.h"
#include "common/version.h"
#include "vec/scalar_sql.h"

int strata_vec_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_module modules[] = {
        {"vec_each", &vec_each_module, NULL},
        {"vec0", &vec0_module, NULL},
    };
    const strata_group groups[] = {
        {vec_scalar_functions, vec_scalar_nfunctions, modules, STRATA_COUNT(modules), NULL, NULL,
         NULL},
    };
    /* vec_debug() names strata's version: sqlite-vec's vec_debug() does not. */
    const strata_part part = {"vec", "instr(vec_debug(), 'Strata version: " STRATA_VERSION "') > 0",
                              groups, STRATA_COUNT(groups)};
    return strata_register(db, ld, &part, pzErrMsg);
}

STRATA_EXPORT int sqlite3_vec_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {strata_guard_register, strata_vec_register};
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
