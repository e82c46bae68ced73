/*
** ext/vec: registration entry used by dist/vec.so and dist/strata.so.
*/
#ifndef STRATA_VEC_EXTENSION_H
#define STRATA_VEC_EXTENSION_H

#include "common/register_sql.h"

/* Registers every function and module of this extension on db. */
int strata_vec_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

#endif
