/*
** tz_calc_sql: SQL binding of the calculating functions: tz_duration / jiff_duration,
** tz_trunc, tz_hours_in_day, tz_add, tz_diff and tz_format.
*/
#include "common/error_sql.h"
#include "timezone/tz_args_sql.h"
#include "timezone/tz_sql.h"
#include "timezone/tz_units.h"

#include <string.h>

/* tz_duration(a, b, unit): exact elapsed time a - b as REAL in unit. */
static void fn_duration(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_instant a, b;
    if (tz_any_null(ctx, 3, argv))
        return;
    const char *u = (const char *)sqlite3_value_text(argv[2]);
    enum tz_unit unit;
    if (!tz_unit_parse(u, &unit) || unit > TZ_UNIT_DAY) {
        strata_result_error(ctx, TZ_FN(ctx), "unknown unit '%.40s' (nanoseconds .. hours, days)",
                            u);
        return;
    }
    if (!tz_arg_instant(ctx, argv[0], &a, NULL) || !tz_arg_instant(ctx, argv[1], &b, NULL))
        return;
    double ns = (double)(a.secs - b.secs) * 1e9 + (double)(a.nanos - b.nanos);
    sqlite3_result_double(ctx, ns / (double)tz_unit_nanos(unit));
}

typedef struct calc_def {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
} calc_def;

static const calc_def calcs[] = {
    {"tz_duration", 3, fn_duration},
    {"jiff_duration", 3, fn_duration},
};

int tz_register_calc(sqlite3 *db, int flags) {
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof calcs / sizeof *calcs; i++)
        rc = sqlite3_create_function_v2(db, calcs[i].name, calcs[i].nargs, flags,
                                        (void *)calcs[i].name, calcs[i].fn, NULL, NULL, NULL);
    return rc;
}
