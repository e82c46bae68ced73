/*
** ext/embed: SQL binding of the local half (issue #8). Registers nothing until
** that issue lands.
*/
#include "embed/embed_parts.h"

int strata_embed_local_register(sqlite3 *db, char **pzErrMsg) {
    return SQLITE_OK;
}
