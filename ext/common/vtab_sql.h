/*
** What every strata virtual table repeats: declaring its schema and allocating the table,
** allocating a cursor, reporting an error, and handing the arguments of a table-valued function
** (its hidden columns) to xFilter.
*/
#ifndef STRATA_VTAB_SQL_H
#define STRATA_VTAB_SQL_H

#include "common/sqlite_ext.h"

#include <stddef.h>

/* xConnect's common part: declares schema, then allocates a zeroed table of size bytes (a
** struct that starts with its sqlite3_vtab) into *out. config is SQLITE_VTAB_INNOCUOUS or
** SQLITE_VTAB_DIRECTONLY, or 0 for neither. */
int strata_vtab_connect(sqlite3 *db, const char *schema, size_t size, int config,
                        sqlite3_vtab **out);

/* xDisconnect of a table that owns nothing else. */
int strata_vtab_disconnect(sqlite3_vtab *vt);

/* xOpen's common part: a zeroed cursor of size bytes (a struct that starts with its
** sqlite3_vtab_cursor). */
int strata_vtab_cursor_open(size_t size, sqlite3_vtab_cursor **out);

/* xClose of a cursor that owns nothing else. */
int strata_vtab_cursor_close(sqlite3_vtab_cursor *cur);

/* A cursor over rows numbered from 0, for the tables that list a registry: its xOpen, xFilter
** (back to row 0) and xNext, and the row it is on. */
typedef struct strata_row_cursor {
    sqlite3_vtab_cursor base;
    int row;
} strata_row_cursor;

int strata_row_cursor_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out);
int strata_row_cursor_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                             sqlite3_value **argv);
int strata_row_cursor_next(sqlite3_vtab_cursor *cur);

static inline int strata_row(const sqlite3_vtab_cursor *cur) {
    return ((const strata_row_cursor *)cur)->row;
}

/* Sets vt's error to "fn: message". SQLITE_ERROR, or SQLITE_NOMEM when the message could not be
** made. */
int strata_vtab_error(sqlite3_vtab *vt, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* xBestIndex for a table-valued function whose n arguments are the hidden columns first ..
** first + n - 1: each one constrained by equality is passed to xFilter, in column order, and
** omitted from SQLite's own check. *given gets bit i set when column first + i is given.
** SQLITE_CONSTRAINT when such a constraint is not usable in this plan. */
int strata_vtab_arguments(sqlite3_index_info *info, int first, int n, int *given);

#endif
