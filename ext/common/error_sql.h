/*
** SQL error helpers. Every error a strata function raises reads "<function>: <problem>", so a
** user can tell which call in a long statement failed and why.
*/
#ifndef STRATA_ERROR_SQL_H
#define STRATA_ERROR_SQL_H

#include "common/sqlite_ext.h"

#include <stdarg.h>
#include <stddef.h>

/* sqlite3_result_error with a printf-style message prefixed by "fn: ". Out of memory is
** reported as SQLITE_NOMEM. */
void strata_result_error(sqlite3_context *ctx, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list. */
char *strata_vmprintf_error(const char *fn, const char *fmt, va_list ap);

/* Returns a sqlite3_malloc'd "fn: message" for places that hand errors back as char**
** (xCreate, xConnect, init functions, vtab zErrMsg). NULL when out of memory. */
char *strata_mprintf_error(const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
