/*
** tz_sql: registration hooks between the binding files of the timezone extension.
*/
#ifndef STRATA_TZ_SQL_H
#define STRATA_TZ_SQL_H

#include "common/sqlite_ext.h"
#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"

/* Sets the RFC 9557 text of instant t in zone z as the result (error if out of range). */
void tz_result_zoned(sqlite3_context *ctx, const tz_zone *z, tz_instant t);

/* tz_calc_sql.c: durations, truncation, arithmetic, formatting. */
int tz_register_calc(sqlite3 *db, int flags);
/* tz_tables_sql.c: tz_names and tz_transitions. */
int tz_register_tables(sqlite3 *db);

static inline int tz_register_more(sqlite3 *db, int flags) {
    int rc = tz_register_calc(db, flags);
    return rc == SQLITE_OK ? tz_register_tables(db) : rc;
}

#endif
