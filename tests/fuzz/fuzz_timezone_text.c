/*
** fuzz_timezone_text: date-time and span text the way the SQL functions take them: two
** timestamps ("2024-03-10 02:30", RFC 3339, RFC 9557 with a [Zone] annotation), a span ("P1Y2M",
** "2h 30m", "3 days ago") and the options of a difference. Each timestamp is resolved in its
** zone (looked up in the system database, as tz_* does) under every offset mode and
** disambiguation; the span is formatted, added to the first time, and the difference of the two
** times is taken and added back.
**
** Input: timestamp a, NUL, timestamp b, NUL, span, NUL, then option bytes (largest unit,
** smallest unit, rounding mode, increment).
*/
#include "timezone/tz_db.h"
#include "timezone/tz_span.h"

#include "fuzz/fuzz_timezone_zone.h"
#include "fuzz/fuzz_util.h"

#include <stdint.h>

/* The zone a parsed timestamp names, as the SQL binding picks it; NULL when it names none. */
static tz_zone *zone_of(const tz_parsed *p) {
    tz_zone *z;
    char err[TZ_ERR_SIZE], name[16] = "UTC";
    if (p->has_zone) {
        tz_status st = tz_db_get(p->zone, &z, err, sizeof err);
        if ((st == TZ_OK) != (z != NULL) || (st != TZ_OK && !memchr(err, 0, sizeof err)))
            abort();
        return z;
    }
    if (p->has_offset && !p->offset_z)
        tz_text_offset(p->offset, name);
    tz_db_get(name, &z, NULL, 0);
    return z;
}

/* Parses and resolves one timestamp; false when it is not one. */
static bool timestamp(const char *s, size_t n, tz_zone **z, tz_instant *t) {
    tz_parsed p;
    char err[TZ_ERR_SIZE];
    if (tz_text_parse(s, n, &p, err, sizeof err) != TZ_OK) {
        if (err[0] == '\0' || !memchr(err, 0, sizeof err))
            abort(); /* a failure says why */
        return false;
    }
    if (!memchr(p.zone, 0, sizeof p.zone) || !tz_civil_valid(&p.local))
        abort();
    *z = zone_of(&p);
    if (!*z)
        return false;
    for (int mode = TZ_OFFSET_REJECT; mode <= TZ_OFFSET_IGNORE; mode++)
        for (int d = TZ_COMPATIBLE; d <= TZ_REJECT; d++) {
            int64_t secs;
            tz_text_resolve(*z, &p, (enum tz_disambiguation)d, (enum tz_offset_mode)mode, &secs);
        }
    t->nanos = p.local.nanos;
    if (tz_text_resolve(*z, &p, TZ_COMPATIBLE, TZ_OFFSET_PREFER, &t->secs) != TZ_RESOLVED) {
        tz_zone_release(*z);
        *z = NULL;
        return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *rest = data, *parts[4];
    size_t nrest = size, lens[4];
    char *text[3];
    for (int i = 0; i < 3; i++) {
        text[i] = fuzz_split(rest, nrest, &lens[i], &parts[i], &nrest);
        rest = parts[i];
    }
    tz_zone *za = NULL, *zb = NULL;
    tz_instant a = {0, 0}, b = {0, 0};
    bool ok_a = timestamp(text[0], lens[0], &za, &a);
    bool ok_b = timestamp(text[1], lens[1], &zb, &b);
    tz_span s;
    bool ok_s = tz_span_parse(text[2], lens[2], &s, NULL, 0) == TZ_OK;
    char buf[TZ_SPAN_TEXT_MAX];
    if (ok_s)
        for (int u = TZ_UNIT_NANOSECOND; u <= TZ_UNIT_HOUR; u++)
            tz_span_format(&s, (enum tz_unit)u, buf);
    if (ok_a) {
        fuzz_query_zone(za, a.secs);
        tz_instant r;
        if (ok_s)
            tz_zoned_add(za, a, &s, &r);
    }
    if (ok_a && ok_b) {
        tz_diff_options o = {TZ_UNIT_HOUR, TZ_UNIT_NANOSECOND, TZ_ROUND_TRUNC, 1};
        if (nrest >= 11) {
            o.largest = (enum tz_unit)(rest[0] % (TZ_UNIT_YEAR + 1));
            o.smallest = (enum tz_unit)(rest[1] % (TZ_UNIT_YEAR + 1));
            o.mode = (enum tz_round_mode)(rest[2] % (TZ_ROUND_HALF_EVEN + 1));
            memcpy(&o.increment, rest + 3, 8);
        }
        tz_span d;
        /* As tz_diff: calendar units only between times of one zone. */
        bool same_zone = strcmp(za->name, zb->name) == 0;
        if ((o.largest < TZ_UNIT_DAY || same_zone) &&
            tz_zoned_diff(za, a, b, &o, &d, NULL, 0) == TZ_OK) {
            tz_span_format(&d, o.largest < TZ_UNIT_HOUR ? o.largest : TZ_UNIT_HOUR, buf);
            tz_instant back;
            tz_zoned_add(zb, b, &d, &back);
        }
    }
    if (za)
        tz_zone_release(za);
    if (zb)
        tz_zone_release(zb);
    for (int i = 0; i < 3; i++)
        free(text[i]);
    return 0;
}
