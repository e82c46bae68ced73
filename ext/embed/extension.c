/*
** ext/embed: SQL binding of the embed extension: text embeddings from HTTP APIs (issue #7) and
*local GGUF models (issue #8).
**
** Registers functions and modules on one connection. The engine lives in the other files of
** this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "embed/embed_parts.h"
#include "embed/extension.h"

int strata_embed_register(sqlite3 *db, char **pzErrMsg) {
    int rc = strata_register_version(db, "embed_version");
    if (rc == SQLITE_OK)
        rc = strata_embed_remote_register(db, pzErrMsg);
    if (rc == SQLITE_OK)
        rc = strata_embed_local_register(db, pzErrMsg);
    if (rc != SQLITE_OK && pzErrMsg)
        *pzErrMsg =
            strata_mprintf_error("embed", "cannot register functions: %s", sqlite3_errstr(rc));
    return rc;
}

STRATA_EXPORT int sqlite3_embed_init(sqlite3 *db, char **pzErrMsg,
                                     const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    return strata_embed_register(db, pzErrMsg);
}
