/*
** host_sql.h: the one query helper the tests/static host programs share.
*/
#ifndef STRATA_HOST_SQL_H
#define STRATA_HOST_SQL_H

#include <sqlite3.h>
#include <stdio.h>

/* The first column of sql's first row as text in out, or "error: <message>". */
static inline const char *host_query_text(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *stmt = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(stmt, 0));
    else
        snprintf(out, cap, "error: %s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return out;
}

#endif
