/*
** tz_sql: registration hooks between the binding files of the timezone extension.
*/
#ifndef STRATA_TZ_SQL_H
#define STRATA_TZ_SQL_H

#include "common/register_sql.h"
#include "common/sqlite_ext.h"
#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"

/* Zone data can change under a running process (tzdata upgrade): INNOCUOUS, not DETERMINISTIC.
** Each function's user data is its name, for error messages (TZ_FN). */
#define TZ_FLAGS (SQLITE_UTF8 | SQLITE_INNOCUOUS)
#define TZ_FUNCTION(name, nargs, fn)                                                               \
    { name, nargs, TZ_FLAGS, fn, name }

/* tz_calc_sql.c: durations, truncation, arithmetic, formatting. */
extern const strata_function tz_calc_functions[];
extern const size_t tz_calc_nfunctions;
/* tz_tables_sql.c: tz_names and tz_transitions. */
extern const strata_module tz_table_modules[];
extern const size_t tz_table_nmodules;

#endif
