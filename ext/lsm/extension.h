/*
** ext/lsm: registration entry used by dist/lsm.so and dist/strata.so.
*/
#ifndef STRATA_LSM_EXTENSION_H
#define STRATA_LSM_EXTENSION_H

#include "common/sqlite_ext.h"

/* Registers every function and module of this extension on db. */
int strata_lsm_register(sqlite3 *db, char **pzErrMsg);

#endif
