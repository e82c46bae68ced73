/*
** ext/embed has two halves that share dist/embed.so: remote HTTP APIs (remote_sql.c) and local
** models (local_sql.c). Each registers its own functions and modules.
*/
#ifndef STRATA_EMBED_PARTS_H
#define STRATA_EMBED_PARTS_H

#include "common/sqlite_ext.h"

int strata_embed_remote_register(sqlite3 *db, char **pzErrMsg);
int strata_embed_local_register(sqlite3 *db, char **pzErrMsg);

#endif
