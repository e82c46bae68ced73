/*
** ext/vec: registration entry used by dist/vec.so and dist/strata.so.
*/
#ifndef STRATA_VEC_EXTENSION_H
#define STRATA_VEC_EXTENSION_H

#include "common/sqlite_ext.h"

/* Registers every function and module of this extension on db. */
int strata_vec_register(sqlite3 *db, char **pzErrMsg);

#endif
