/*
** ext/embed: SQL binding of the embed extension: text embeddings from HTTP APIs (the remote
** half: remote_*.c, symbols rembed_*) and local models (the local half: local_*.c, symbols
** lembed_*).
**
** Registers both halves on one connection: each has a registry (clients, models) that its
** functions and modules share. The engine lives in the other files of this folder and does not
** depend on SQLite.
*/
#include "embed/extension.h"
#include "common/guard_sql.h"
#include "common/version.h"
#include "embed/local_registry.h"
#include "embed/remote_sql.h"

int strata_embed_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        {"embed_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    rembed_registry *clients = rembed_registry_new();
    lembed_registry *models = lembed_registry_new();
    if (clients == NULL || models == NULL) {
        rembed_registry_unref(clients);
        lembed_registry_unref(models);
        return SQLITE_NOMEM;
    }
    const strata_group groups[] = {
        {functions, STRATA_COUNT(functions), NULL, 0, NULL, NULL, NULL},
        {rembed_functions, rembed_nfunctions, rembed_modules, rembed_nmodules, clients,
         rembed_registry_ref, rembed_registry_unref},
        {lembed_functions, lembed_nfunctions, lembed_modules, lembed_nmodules, models,
         lembed_registry_ref, lembed_registry_unref},
        {lembed_plain_functions, lembed_plain_nfunctions, NULL, 0, NULL, NULL, NULL},
    };
    const strata_part part = {"embed", "embed_version() = '" STRATA_VERSION "'", groups,
                              STRATA_COUNT(groups)};
    int rc = strata_register(db, ld, &part, pzErrMsg);
    rembed_registry_unref(clients);
    lembed_registry_unref(models);
    return rc;
}

STRATA_EXPORT int sqlite3_embed_init(sqlite3 *db, char **pzErrMsg,
                                     const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {strata_guard_register, strata_embed_register};
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
