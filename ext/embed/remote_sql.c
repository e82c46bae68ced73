/*
** ext/embed: SQL binding of the remote half (issue #7). Registers nothing until
** that issue lands.
*/
#include "embed/embed_parts.h"

int strata_embed_remote_register(sqlite3 *db, char **pzErrMsg) {
    return SQLITE_OK;
}
