/*
** ext/jsonschema: registration entry used by dist/jsonschema.so and dist/strata.so.
*/
#ifndef STRATA_JSONSCHEMA_EXTENSION_H
#define STRATA_JSONSCHEMA_EXTENSION_H

#include "common/sqlite_ext.h"

/* Registers every function and module of this extension on db. */
int strata_jsonschema_register(sqlite3 *db, char **pzErrMsg);

#endif
