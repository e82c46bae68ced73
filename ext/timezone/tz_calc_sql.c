/*
** tz_calc_sql: SQL binding of the calculating functions: tz_duration / jiff_duration,
** tz_trunc, tz_hours_in_day, tz_add, tz_diff and tz_format.
*/
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "timezone/tz_args_sql.h"
#include "timezone/tz_icu.h"
#include "timezone/tz_span.h"
#include "timezone/tz_sql.h"
#include "timezone/tz_units.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool unit_arg(sqlite3_context *ctx, sqlite3_value *v, enum tz_unit *out) {
    const char *u = (const char *)sqlite3_value_text(v);
    if (u == NULL || !tz_unit_parse(u, out)) {
        strata_result_error(ctx, TZ_FN(ctx), "unknown unit '%.40s'", u ? u : "");
        return false;
    }
    return true;
}

/* tz_duration(a, b, unit): exact elapsed time a - b as REAL in unit. */
static void fn_duration(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_instant a, b;
    enum tz_unit unit;
    if (strata_any_null(3, argv) || !unit_arg(ctx, argv[2], &unit))
        return;
    if (unit > TZ_UNIT_DAY) {
        strata_result_error(ctx, TZ_FN(ctx), "unit '%s' has no fixed length (nanoseconds .. days)",
                            tz_unit_name(unit));
        return;
    }
    if (!tz_arg_instant(ctx, argv[0], &a, NULL) || !tz_arg_instant(ctx, argv[1], &b, NULL))
        return;
    double ns = (double)(a.secs - b.secs) * 1e9 + (double)(a.nanos - b.nanos);
    sqlite3_result_double(ctx, ns / (double)tz_unit_nanos(unit));
}

/* A zoned argument: the instant and its zone (UTC when the text names none). */
static tz_zone *zoned_arg(sqlite3_context *ctx, sqlite3_value *v, tz_instant *t) {
    tz_zone *z;
    if (!tz_arg_instant(ctx, v, t, &z))
        return NULL;
    return z != NULL ? z : tz_zone_named(ctx, "UTC");
}

/* tz_trunc(ts, unit, zone [, week_start]) */
static void fn_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_instant t;
    enum tz_unit unit;
    int week_start = 1;
    if (strata_any_null(argc, argv) || !tz_arg_instant(ctx, argv[0], &t, NULL) ||
        !unit_arg(ctx, argv[1], &unit))
        return;
    if (unit < TZ_UNIT_SECOND) {
        strata_result_error(ctx, TZ_FN(ctx), "unit must be second or larger");
        return;
    }
    if (argc > 3) {
        static const char *days[] = {"monday", "tuesday",  "wednesday", "thursday",
                                     "friday", "saturday", "sunday"};
        const char *w = (const char *)sqlite3_value_text(argv[3]);
        week_start = 0;
        for (int i = 0; i < 7; i++)
            if (strcasecmp(w, days[i]) == 0 || (w[0] == '1' + i && w[1] == '\0'))
                week_start = i + 1;
        if (week_start == 0) {
            strata_result_error(ctx, TZ_FN(ctx), "unknown week start '%.20s' (monday .. sunday)",
                                w);
            return;
        }
    }
    bool owned;
    tz_zone *z = tz_arg_zone(ctx, argv, 2, &owned);
    if (z == NULL)
        return;
    int32_t off = tz_zone_offset_at(z, t.secs);
    int64_t local = t.secs + off;
    tz_instant r = {0, 0};
    if (unit <= TZ_UNIT_HOUR) {
        int64_t step = tz_unit_nanos(unit) / 1000000000;
        int64_t lt = local - tz_floor_mod(local, step);
        /* Keep the original offset when it still names that wall time (folds), else resolve. */
        tz_resolution res;
        tz_zone_resolve(z, lt, &res);
        r.secs = lt - off;
        if (res.kind == TZ_GAP || (r.secs != res.earlier && r.secs != res.later))
            tz_resolution_pick(&res, TZ_COMPATIBLE, &r.secs);
    } else {
        int64_t days = tz_floor_div(local, 86400);
        int32_t y;
        int m, d;
        tz_civil_from_days(days, &y, &m, &d);
        if (unit == TZ_UNIT_WEEK)
            days -= (tz_weekday_from_days(days) - week_start + 7) % 7;
        else if (unit == TZ_UNIT_MONTH)
            days = tz_days_from_civil(y, m, 1);
        else if (unit == TZ_UNIT_QUARTER)
            days = tz_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
        else if (unit == TZ_UNIT_YEAR)
            days = tz_days_from_civil(y, 1, 1);
        r.secs = tz_zone_start_of_day(z, days);
    }
    tz_result_zoned(ctx, z, r);
    tz_arg_zone_done(z, owned);
}

/* tz_hours_in_day(ts, zone): length of the local day containing ts, in hours. */
static void fn_hours_in_day(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, argc, argv, &a))
        return;
    int64_t days = tz_floor_div(a.t.secs + tz_zone_offset_at(a.z, a.t.secs), 86400);
    int64_t len = tz_zone_start_of_day(a.z, days + 1) - tz_zone_start_of_day(a.z, days);
    sqlite3_result_double(ctx, (double)len / 3600.0);
    tz_arg_zone_done(a.z, a.owned);
}

static bool span_arg(sqlite3_context *ctx, sqlite3_value *v, tz_span *out) {
    if (sqlite3_value_type(v) != SQLITE_TEXT) {
        strata_result_error(ctx, TZ_FN(ctx), "span must be text");
        return false;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    char err[TZ_ERR_SIZE];
    if (tz_span_parse(s, (size_t)sqlite3_value_bytes(v), out, err, sizeof err) != TZ_OK) {
        strata_result_error(ctx, TZ_FN(ctx), "%s in '%.80s'", err, s);
        return false;
    }
    return true;
}

/* tz_add(zoned, span) */
static void fn_add(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_instant t, r;
    tz_span s;
    if (strata_any_null(argc, argv) || !span_arg(ctx, argv[1], &s))
        return;
    tz_zone *z = zoned_arg(ctx, argv[0], &t);
    if (z == NULL)
        return;
    if (!tz_zoned_add(z, t, &s, &r))
        strata_result_error(ctx, TZ_FN(ctx), "result out of range (years 0000 to 9999)");
    else
        tz_result_zoned(ctx, z, r);
    tz_zone_release(z);
}

/* tz_diff(a, b [, largest [, smallest [, mode [, increment]]]]): the span from b to a (Temporal's
** b.until(a)) as ISO 8601, so tz_add(b, tz_diff(a, b)) is a. */
static void fn_diff(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_diff_options o = {TZ_UNIT_HOUR, TZ_UNIT_NANOSECOND, TZ_ROUND_TRUNC, 1};
    bool largest_given = argc > 2;
    if (strata_any_null(argc, argv) || (argc > 2 && !unit_arg(ctx, argv[2], &o.largest)) ||
        (argc > 3 && !unit_arg(ctx, argv[3], &o.smallest)))
        return;
    if (!largest_given || o.smallest > o.largest) {
        if (!largest_given && o.smallest > o.largest)
            o.largest = o.smallest;
    }
    if (argc > 4) {
        const char *m = (const char *)sqlite3_value_text(argv[4]);
        if (!tz_round_mode_parse(m, &o.mode)) {
            strata_result_error(ctx, TZ_FN(ctx),
                                "unknown rounding mode '%.20s' (ceil, floor, expand, trunc,"
                                " half-ceil, half-floor, half-expand, half-trunc, half-even)",
                                m);
            return;
        }
    }
    if (argc > 5)
        o.increment = sqlite3_value_int64(argv[5]);
    tz_instant a, b;
    tz_zone *za = zoned_arg(ctx, argv[0], &a);
    if (za == NULL)
        return;
    tz_zone *zb = zoned_arg(ctx, argv[1], &b);
    if (zb == NULL) {
        tz_zone_release(za);
        return;
    }
    tz_span s;
    char err[TZ_ERR_SIZE];
    if (o.largest >= TZ_UNIT_DAY && strcmp(za->name, zb->name) != 0) {
        strata_result_error(ctx, TZ_FN(ctx),
                            "units of a day or more need both times in the same time zone");
    } else if (tz_zoned_diff(za, a, b, &o, &s, err, sizeof err) != TZ_OK) {
        strata_result_error(ctx, TZ_FN(ctx), "%s", err);
    } else {
        char buf[TZ_SPAN_TEXT_MAX];
        tz_span_format(&s, o.largest < TZ_UNIT_HOUR ? o.largest : TZ_UNIT_HOUR, buf);
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
    }
    tz_zone_release(za);
    tz_zone_release(zb);
}

static void free_formatter(void *p) {
    tz_icu_formatter_free(p);
}

/* The statement's formatter, kept as auxdata of the pattern argument (rebuilt when the locale
** changes), or one for this call only (*owned) when the pattern is not a constant. NULL after
** setting an error. */
static tz_icu_formatter *formatter_arg(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                                       bool *owned) {
    const char *locale = argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : "en";
    tz_icu_formatter *f = sqlite3_get_auxdata(ctx, 2);
    *owned = false;
    if (f != NULL && strcmp(tz_icu_formatter_locale(f), locale) == 0)
        return f;
    if (strlen(locale) > TZ_ICU_LOCALE_MAX) {
        strata_result_error(ctx, TZ_FN(ctx), "locale name too long");
        return NULL;
    }
    f = tz_icu_formatter_new(locale);
    if (f == NULL) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    sqlite3_set_auxdata(ctx, 2, f, free_formatter);
    /* set_auxdata frees f at once when the pattern is not constant: then use a private one. */
    if (sqlite3_get_auxdata(ctx, 2) == f)
        return f;
    f = tz_icu_formatter_new(locale);
    if (f == NULL)
        sqlite3_result_error_nomem(ctx);
    *owned = true;
    return f;
}

/* tz_format(ts, zone, pattern [, locale]) */
static void fn_format(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, argc, argv, &a))
        return;
    tz_civil c;
    tz_icu_formatter *f = NULL;
    bool f_owned = false;
    if (tz_local_civil(ctx, a.z, a.t, &c) &&
        (f = formatter_arg(ctx, argc, argv, &f_owned)) != NULL) {
        char *s, err[TZ_ERR_SIZE];
        tz_status st = tz_icu_format(f, a.z, a.t, (const char *)sqlite3_value_text(argv[2]), &s,
                                     err, sizeof err);
        if (st == TZ_OK)
            sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
        else if (st == TZ_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            strata_result_error(ctx, TZ_FN(ctx), "%s", err);
        free(s);
    }
    if (f_owned)
        tz_icu_formatter_free(f);
    tz_arg_zone_done(a.z, a.owned);
}

const strata_function tz_calc_functions[] = {
    TZ_FUNCTION("tz_duration", 3, fn_duration),
    TZ_FUNCTION("jiff_duration", 3, fn_duration),
    TZ_FUNCTION("tz_trunc", 3, fn_trunc),
    TZ_FUNCTION("tz_trunc", 4, fn_trunc),
    TZ_FUNCTION("tz_hours_in_day", 2, fn_hours_in_day),
    TZ_FUNCTION("tz_add", 2, fn_add),
    TZ_FUNCTION("tz_diff", 2, fn_diff),
    TZ_FUNCTION("tz_diff", 3, fn_diff),
    TZ_FUNCTION("tz_diff", 4, fn_diff),
    TZ_FUNCTION("tz_diff", 5, fn_diff),
    TZ_FUNCTION("tz_diff", 6, fn_diff),
    TZ_FUNCTION("tz_format", 3, fn_format),
    TZ_FUNCTION("tz_format", 4, fn_format),
};
const size_t tz_calc_nfunctions = STRATA_COUNT(tz_calc_functions);
