/*
** ext/timezone: SQL binding of the timezone extension: time-zone-aware date/time functions on
** the system tz database.
**
** Registers the scalar functions here and the table-valued ones from tz_tables_sql.c. The
** engine (TZif reader, rules, resolution, text, spans) lives in the other files of this folder
** and does not depend on SQLite. Every zone-dependent function is INNOCUOUS but not
** DETERMINISTIC: a tzdata upgrade changes its results (docs/timezone.md explains).
*/
#include "timezone/extension.h"
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "common/guard_sql.h"
#include "common/version.h"
#include "timezone/tz_args_sql.h"
#include "timezone/tz_db.h"
#include "timezone/tz_sql.h"

#include <string.h>

static void result_text(sqlite3_context *ctx, const char *s) {
    sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
}

static void fn_local(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, 2, argv, &a))
        return;
    tz_civil c;
    if (tz_local_civil(ctx, a.z, a.t, &c)) {
        char buf[TZ_TEXT_MAX];
        sqlite3_result_text(ctx, buf, tz_text_sqlite(&c, buf), SQLITE_TRANSIENT);
    }
    tz_arg_zone_done(a.z, a.owned);
}

static void fn_offset(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, 2, argv, &a))
        return;
    sqlite3_result_int(ctx, tz_zone_offset_at(a.z, a.t.secs));
    tz_arg_zone_done(a.z, a.owned);
}

static void fn_abbrev(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, 2, argv, &a))
        return;
    result_text(ctx, tz_zone_info_at(a.z, a.t.secs)->abbr);
    tz_arg_zone_done(a.z, a.owned);
}

static void fn_is_dst(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, 2, argv, &a))
        return;
    sqlite3_result_int(ctx, tz_zone_info_at(a.z, a.t.secs)->isdst);
    tz_arg_zone_done(a.z, a.owned);
}

static void fn_convert(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_ts_zone a;
    if (!tz_arg_ts_zone(ctx, 2, argv, &a))
        return;
    tz_result_zoned(ctx, a.z, a.t);
    tz_arg_zone_done(a.z, a.owned);
}

/* tz_utc(local, zone [, disambiguation]) */
static void fn_utc(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    tz_civil c;
    enum tz_disambiguation d = TZ_COMPATIBLE;
    if (strata_any_null(argc, argv) || !tz_arg_local(ctx, argv[0], &c) ||
        (argc > 2 && !tz_arg_disambiguation(ctx, argv[2], &d)))
        return;
    bool owned;
    tz_zone *z = tz_arg_zone(ctx, argv, 1, &owned);
    if (z == NULL)
        return;
    tz_resolution r;
    int64_t secs;
    tz_zone_resolve(z, tz_civil_to_seconds(&c), &r);
    if (!tz_resolution_pick(&r, d, &secs)) {
        strata_result_error(
            ctx, TZ_FN(ctx), "'%.80s' falls in a %s in %s",
            (const char *)sqlite3_value_text(argv[0]),
            r.kind == TZ_GAP ? "gap (skipped wall time)" : "fold (repeated wall time)", z->name);
    } else {
        tz_civil u;
        tz_civil_from_seconds(secs, c.nanos, &u);
        char buf[TZ_TEXT_MAX];
        tz_text_sqlite(&u, buf);
        result_text(ctx, buf);
    }
    tz_arg_zone_done(z, owned);
}

/* tz_parse(text [, disambiguation [, offset_mode]]) */
static void fn_parse(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    enum tz_disambiguation d = TZ_COMPATIBLE;
    enum tz_offset_mode mode = TZ_OFFSET_REJECT;
    if (strata_any_null(argc, argv) || (argc > 1 && !tz_arg_disambiguation(ctx, argv[1], &d)))
        return;
    if (argc > 2) {
        const char *m = (const char *)sqlite3_value_text(argv[2]);
        if (!tz_offset_mode_parse(m, &mode)) {
            strata_result_error(ctx, TZ_FN(ctx),
                                "unknown offset mode '%.40s' (reject, use, prefer, ignore)", m);
            return;
        }
    }
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        strata_result_error(ctx, TZ_FN(ctx), "expected text");
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    tz_parsed p;
    char err[TZ_ERR_SIZE];
    if (tz_text_parse(s, (size_t)sqlite3_value_bytes(argv[0]), &p, err, sizeof err) != TZ_OK) {
        strata_result_error(ctx, TZ_FN(ctx), "%s in '%.80s'", err, s);
        return;
    }
    char fixed[16];
    const char *zname = "UTC";
    if (p.has_zone) {
        zname = p.zone;
    } else if (p.has_offset && !p.offset_z) {
        tz_text_offset(p.offset, fixed);
        zname = fixed;
    }
    tz_zone *z = tz_zone_named(ctx, zname);
    if (z == NULL)
        return;
    tz_instant t = {0, p.local.nanos};
    switch (tz_text_resolve(z, &p, d, mode, &t.secs)) {
        case TZ_RESOLVED:
            tz_result_zoned(ctx, z, t);
            break;
        case TZ_AMBIGUOUS:
            strata_result_error(ctx, TZ_FN(ctx), "'%.80s' falls in a gap or fold of %s", s,
                                z->name);
            break;
        case TZ_OFFSET_CONFLICT:
            strata_result_error(ctx, TZ_FN(ctx), "offset does not match time zone in '%.80s'", s);
            break;
    }
    tz_zone_release(z);
}

static void fn_valid(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (strata_any_null(1, argv))
        return;
    tz_zone *z;
    tz_status st = tz_db_get((const char *)sqlite3_value_text(argv[0]), &z, NULL, 0);
    if (st == TZ_NOMEM) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int(ctx, z != NULL);
    tz_zone_release(z);
}

static void fn_data_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *v = tz_db_version();
    if (v == NULL)
        sqlite3_result_null(ctx);
    else
        result_text(ctx, v);
}

int strata_timezone_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        TZ_FUNCTION("tz_local", 2, fn_local),
        TZ_FUNCTION("tz_offset", 2, fn_offset),
        TZ_FUNCTION("tz_abbrev", 2, fn_abbrev),
        TZ_FUNCTION("tz_is_dst", 2, fn_is_dst),
        TZ_FUNCTION("tz_convert", 2, fn_convert),
        TZ_FUNCTION("tz_utc", 2, fn_utc),
        TZ_FUNCTION("tz_utc", 3, fn_utc),
        TZ_FUNCTION("tz_parse", 1, fn_parse),
        TZ_FUNCTION("tz_parse", 2, fn_parse),
        TZ_FUNCTION("tz_parse", 3, fn_parse),
        TZ_FUNCTION("tz_valid", 1, fn_valid),
        TZ_FUNCTION("tz_data_version", 0, fn_data_version),
        {"timezone_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    const strata_group groups[] = {
        {functions, STRATA_COUNT(functions), NULL, 0, NULL, NULL, NULL},
        {tz_calc_functions, tz_calc_nfunctions, tz_table_modules, tz_table_nmodules, NULL, NULL,
         NULL},
    };
    const strata_part part = {"timezone", "timezone_version() = '" STRATA_VERSION "'", groups,
                              STRATA_COUNT(groups)};
    return strata_register(db, ld, &part, pzErrMsg);
}

STRATA_EXPORT int sqlite3_timezone_init(sqlite3 *db, char **pzErrMsg,
                                        const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {strata_guard_register, strata_timezone_register};
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
