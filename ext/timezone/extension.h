/*
** ext/timezone: registration entry used by dist/timezone.so and dist/strata.so.
*/
#ifndef STRATA_TIMEZONE_EXTENSION_H
#define STRATA_TIMEZONE_EXTENSION_H

#include "common/register_sql.h"

/* Registers every function and module of this extension on db. */
int strata_timezone_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

#endif
