/*
** tz_args_sql: turning SQL arguments into engine values (zones, instants, wall times), and
** instants into results, with "tz_x: problem" errors. Shared by extension.c and the other
** *_sql.c files of this extension.
*/
#ifndef STRATA_TZ_ARGS_SQL_H
#define STRATA_TZ_ARGS_SQL_H

#include "common/sqlite_ext.h"
#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"

/* The function name stored as user data at registration. */
#define TZ_FN(ctx) ((const char *)sqlite3_user_data(ctx))

/* Zone argument i (text), cached across rows while the argument is constant. Returns the zone,
** or NULL after setting an error; pass it and *owned to tz_arg_zone_done() when finished. A zone
** cached in the argument's auxdata is borrowed for the call (no reference counting per row). */
tz_zone *tz_arg_zone(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *owned);
void tz_arg_zone_done(tz_zone *z, bool owned);
/* Looks a zone up by name with the same errors as tz_arg_zone (no caching). */
tz_zone *tz_zone_named(sqlite3_context *ctx, const char *name);

/* An instant argument: unix seconds (integer or real), SQLite UTC text, RFC 3339 / 9557 text.
** False after setting an error. If zone_out is given it receives the zone the text named
** (retained; NULL when none), so zoned text keeps its zone. */
bool tz_arg_instant(sqlite3_context *ctx, sqlite3_value *v, tz_instant *out, tz_zone **zone_out);

/* The (ts, zone, ...) arguments most functions start with: an instant, then a zone. */
typedef struct tz_ts_zone {
    tz_instant t;
    tz_zone *z;
    bool owned;
} tz_ts_zone;

/* Reads argv[0] and argv[1] into out unless one of the first nargs arguments is NULL. False
** with NULL or an error as the result; else pass out->z and out->owned to tz_arg_zone_done(). */
bool tz_arg_ts_zone(sqlite3_context *ctx, int nargs, sqlite3_value **argv, tz_ts_zone *out);

/* A wall time argument without offset or zone (SQLite or ISO text). */
bool tz_arg_local(sqlite3_context *ctx, sqlite3_value *v, tz_civil *out);

/* Disambiguation argument (text); false after setting an error. */
bool tz_arg_disambiguation(sqlite3_context *ctx, sqlite3_value *v, enum tz_disambiguation *out);

/* Local wall time of instant t in zone z; false (error set) when outside years 0000..9999. */
bool tz_local_civil(sqlite3_context *ctx, const tz_zone *z, tz_instant t, tz_civil *out);

/* Sets the RFC 9557 text of instant t in zone z as the result (error if out of range). */
void tz_result_zoned(sqlite3_context *ctx, const tz_zone *z, tz_instant t);

#endif
