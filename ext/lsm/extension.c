/*
** ext/lsm: SQL binding of the lsm extension: an LSM-tree key/value store exposed as the lsm1
** virtual table.
**
** Registers lsm_version(), the lsm1 and lsm modules (lsm_vtab_sql.c) and lsm_stats
** (lsm_stats_sql.c) on one connection. They share a registry of the connection's lsm tables,
** freed with the last module. The engine lives in the other files of this folder and does not
** depend on SQLite.
*/
#include "lsm/extension.h"
#include "common/guard_sql.h"
#include "common/register_sql.h"
#include "common/version.h"
#include "lsm/lsm_vtab_sql.h"

int strata_lsm_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        {"lsm_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    static const strata_module modules[] = {
        {"lsm1", &lsm_vtab_module, NULL},
        {"lsm", &lsm_vtab_module, NULL},
        {"lsm_stats", &lsm_stats_module, NULL},
    };
    lsm_registry *reg = lsm_registry_new();
    if (reg == NULL)
        return SQLITE_NOMEM;
    const strata_group groups[] = {
        {functions, STRATA_COUNT(functions), modules, STRATA_COUNT(modules), reg, lsm_registry_ref,
         lsm_registry_unref},
    };
    const strata_part part = {"lsm", "lsm_version() = '" STRATA_VERSION "'", groups,
                              STRATA_COUNT(groups)};
    int rc = strata_register(db, ld, &part, pzErrMsg);
    lsm_registry_unref(reg);
    return rc;
}

STRATA_EXPORT int sqlite3_lsm_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {strata_guard_register, strata_lsm_register};
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
