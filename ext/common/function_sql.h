/*
** What every extension's SQL functions share about their arguments and results: NULL in gives
** NULL out, and the subtypes that say what a vector BLOB holds.
*/
#ifndef STRATA_FUNCTION_SQL_H
#define STRATA_FUNCTION_SQL_H

#include "common/sqlite_ext.h"

#include <stdbool.h>

/* Whether any of the first n arguments is NULL. A function that then returns without setting a
** result returns NULL, as SQLite's own functions do for NULL input. */
static inline bool strata_any_null(int n, sqlite3_value **argv) {
    for (int i = 0; i < n; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return true;
    return false;
}

/* Subtypes of vector BLOBs. sqlite-vec's numbers (223, 224, 225), so a vector one extension
** returns is read right by the other; float16 is ours. */
#define STRATA_SUBTYPE_F32 223
#define STRATA_SUBTYPE_BIT 224
#define STRATA_SUBTYPE_INT8 225
#define STRATA_SUBTYPE_F16 226

#endif
