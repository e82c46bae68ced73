/*
** ext/embed: registration entry used by dist/embed.so and dist/strata.so.
*/
#ifndef STRATA_EMBED_EXTENSION_H
#define STRATA_EMBED_EXTENSION_H

#include "common/register_sql.h"

/* Registers every function and module of this extension on db. */
int strata_embed_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

#endif
