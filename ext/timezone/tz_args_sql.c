/*
** tz_args_sql: SQL argument conversion for the timezone extension (see tz_args_sql.h).
*/
#include "timezone/tz_args_sql.h"
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "timezone/tz_db.h"

#include <math.h>

static void release_zone(void *p) {
    tz_zone_release(p);
}

tz_zone *tz_zone_named(sqlite3_context *ctx, const char *name) {
    tz_zone *z;
    char err[TZ_ERR_SIZE];
    tz_status st = tz_db_get(name, &z, err, sizeof err);
    if (st == TZ_NOMEM)
        sqlite3_result_error_nomem(ctx);
    else if (st != TZ_OK)
        strata_result_error(ctx, TZ_FN(ctx), "%s", err);
    return z;
}

tz_zone *tz_arg_zone(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *owned) {
    /* SQLite frees auxdata only between calls, so a cached zone outlives this call. */
    tz_zone *z = sqlite3_get_auxdata(ctx, i);
    *owned = false;
    if (z != NULL)
        return z;
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) {
        strata_result_error(ctx, TZ_FN(ctx), "time zone must be text");
        return NULL;
    }
    z = tz_zone_named(ctx, (const char *)sqlite3_value_text(argv[i]));
    if (z == NULL)
        return NULL;
    /* set_auxdata may destroy its value at once (argument not constant): keep our own ref. */
    tz_zone_retain(z);
    *owned = true;
    sqlite3_set_auxdata(ctx, i, z, release_zone);
    return z;
}

void tz_arg_zone_done(tz_zone *z, bool owned) {
    if (owned)
        tz_zone_release(z);
}

static bool in_range(sqlite3_context *ctx, int64_t secs) {
    if (!tz_seconds_accepted(secs)) {
        strata_result_error(ctx, TZ_FN(ctx), "timestamp out of range (years 0000 to 9999)");
        return false;
    }
    return true;
}

bool tz_arg_instant(sqlite3_context *ctx, sqlite3_value *v, tz_instant *out, tz_zone **zone_out) {
    if (zone_out)
        *zone_out = NULL;
    switch (sqlite3_value_type(v)) {
        case SQLITE_INTEGER: {
            sqlite3_int64 s = sqlite3_value_int64(v);
            if (!in_range(ctx, s))
                return false;
            out->secs = s;
            out->nanos = 0;
            return true;
        }
        case SQLITE_FLOAT: {
            double d = sqlite3_value_double(v);
            if (!(d >= (double)TZ_SECONDS_MIN && d <= (double)TZ_SECONDS_MAX)) {
                strata_result_error(ctx, TZ_FN(ctx), "timestamp out of range (years 0000 to 9999)");
                return false;
            }
            double fl = floor(d);
            int64_t ns = llround((d - fl) * 1e9);
            out->secs = (int64_t)fl + (ns >= 1000000000);
            out->nanos = (int32_t)(ns >= 1000000000 ? ns - 1000000000 : ns);
            return true;
        }
        case SQLITE_TEXT:
            break;
        default:
            strata_result_error(ctx, TZ_FN(ctx), "timestamp must be text or a number");
            return false;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    tz_parsed p;
    char err[TZ_ERR_SIZE];
    if (tz_text_parse(s, (size_t)n, &p, err, sizeof err) != TZ_OK) {
        strata_result_error(ctx, TZ_FN(ctx), "%s in timestamp '%.80s'", err, s);
        return false;
    }
    out->nanos = p.local.nanos;
    if (!p.has_zone) {
        out->secs = tz_civil_to_seconds(&p.local) - (p.has_offset ? p.offset : 0);
        if (zone_out != NULL && p.has_offset && !p.offset_z) {
            char name[16];
            tz_text_offset(p.offset, name);
            *zone_out = tz_zone_named(ctx, name);
            if (*zone_out == NULL)
                return false;
        }
        return true;
    }
    tz_zone *z = tz_zone_named(ctx, p.zone);
    if (z == NULL)
        return false;
    enum tz_resolve_status rs = tz_text_resolve(z, &p, TZ_COMPATIBLE, TZ_OFFSET_REJECT, &out->secs);
    if (rs == TZ_OFFSET_CONFLICT) {
        strata_result_error(ctx, TZ_FN(ctx), "offset does not match time zone in '%.80s'", s);
        tz_zone_release(z);
        return false;
    }
    if (zone_out)
        *zone_out = z;
    else
        tz_zone_release(z);
    return true;
}

bool tz_arg_local(sqlite3_context *ctx, sqlite3_value *v, tz_civil *out) {
    if (sqlite3_value_type(v) != SQLITE_TEXT) {
        strata_result_error(ctx, TZ_FN(ctx), "local date-time must be text");
        return false;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    tz_parsed p;
    char err[TZ_ERR_SIZE];
    const char *why = NULL;
    if (tz_text_parse(s, (size_t)sqlite3_value_bytes(v), &p, err, sizeof err) != TZ_OK)
        why = err;
    else if (p.has_offset || p.has_zone)
        why = "expected a local date-time without offset or zone";
    if (why != NULL) {
        strata_result_error(ctx, TZ_FN(ctx), "%s in '%.80s'", why, s);
        return false;
    }
    *out = p.local;
    return true;
}

bool tz_arg_disambiguation(sqlite3_context *ctx, sqlite3_value *v, enum tz_disambiguation *out) {
    const char *s = (const char *)sqlite3_value_text(v);
    if (s == NULL || !tz_disambiguation_parse(s, out)) {
        strata_result_error(ctx, TZ_FN(ctx),
                            "unknown disambiguation '%.40s' (compatible, earlier, later, reject)",
                            s ? s : "");
        return false;
    }
    return true;
}

bool tz_local_civil(sqlite3_context *ctx, const tz_zone *z, tz_instant t, tz_civil *out) {
    tz_civil_from_seconds(t.secs + tz_zone_offset_at(z, t.secs), t.nanos, out);
    if (out->year < TZ_YEAR_MIN || out->year > TZ_YEAR_MAX) {
        strata_result_error(ctx, TZ_FN(ctx), "result out of range (years 0000 to 9999)");
        return false;
    }
    return true;
}

void tz_result_zoned(sqlite3_context *ctx, const tz_zone *z, tz_instant t) {
    tz_civil c;
    if (!tz_local_civil(ctx, z, t, &c))
        return;
    char buf[TZ_TEXT_MAX];
    tz_text_rfc9557(z, t, buf);
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

bool tz_arg_ts_zone(sqlite3_context *ctx, int nargs, sqlite3_value **argv, tz_ts_zone *out) {
    if (strata_any_null(nargs, argv) || !tz_arg_instant(ctx, argv[0], &out->t, NULL))
        return false;
    out->z = tz_arg_zone(ctx, argv, 1, &out->owned);
    return out->z != NULL;
}
