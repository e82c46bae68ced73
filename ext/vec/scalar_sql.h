/*
** ext/vec: registration of the scalar functions (scalar_sql.c), vec_each (each_sql.c) and the
** vec0 module (vec0_sql.c).
*/
#ifndef STRATA_VEC_SCALAR_SQL_H
#define STRATA_VEC_SCALAR_SQL_H

#include "common/sqlite_ext.h"

int vec_register_scalars(sqlite3 *db);
int vec_register_each(sqlite3 *db);
int vec_register_vec0(sqlite3 *db);

#endif
