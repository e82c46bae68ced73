/*
** ext/lsm: registration entry used by dist/lsm.so and dist/strata.so.
*/
#ifndef STRATA_LSM_EXTENSION_H
#define STRATA_LSM_EXTENSION_H

#include "common/register_sql.h"

/* Registers every function and module of this extension on db. */
int strata_lsm_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

#endif
