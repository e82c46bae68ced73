/*
** ext/jsonschema: registration entry used by dist/jsonschema.so and dist/strata.so.
*/
#ifndef STRATA_JSONSCHEMA_EXTENSION_H
#define STRATA_JSONSCHEMA_EXTENSION_H

#include "common/register_sql.h"

/* Registers every function and module of this extension on db. */
int strata_jsonschema_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

#endif
