/*
** ext/vec: what extension.c registers: the scalar functions (scalar_sql.c), vec_each (each_sql.c)
** and the vec0 module (vec0_module_sql.c).
*/
#ifndef STRATA_VEC_SCALAR_SQL_H
#define STRATA_VEC_SCALAR_SQL_H

#include "common/register_sql.h"
#include "common/sqlite_ext.h"

extern const strata_function vec_scalar_functions[];
extern const size_t vec_scalar_nfunctions;
extern const sqlite3_module vec_each_module;
extern const sqlite3_module vec0_module;

#endif
