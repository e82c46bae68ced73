/*
** fuzz_timezone_zone.h: the questions every timezone harness asks of a zone it built, at
** instants inside the range SQL callers can reach (years 0000 to 9999), with the invariants the
** SQL functions rely on.
*/
#ifndef STRATA_FUZZ_TIMEZONE_ZONE_H
#define STRATA_FUZZ_TIMEZONE_ZONE_H

#include "timezone/tz_civil.h"
#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"

#include <stdlib.h>
#include <string.h>

static inline void fuzz_check_info(const tz_ttinfo *i) {
    if (!i || i->utoff <= -TZ_OFFSET_MAX - 1 || i->utoff > TZ_OFFSET_MAX ||
        !memchr(i->abbr, 0, sizeof i->abbr))
        abort();
}

/* Walks up to 40 transitions from t and resolves the wall times around each. */
static inline void fuzz_query_zone(const tz_zone *z, int64_t t) {
    if (t < TZ_SECONDS_MIN)
        t = TZ_SECONDS_MIN;
    if (t > TZ_SECONDS_MAX)
        t = TZ_SECONDS_MAX;
    fuzz_check_info(tz_zone_info_at(z, t));
    char buf[TZ_TEXT_MAX];
    tz_text_rfc9557(z, (tz_instant){t, 0}, buf);
    tz_transition tr;
    for (int i = 0; i < 40 && tz_zone_next_transition(z, t, &tr); i++) {
        if (tr.at <= t)
            abort(); /* transitions move forwards */
        fuzz_check_info(&tr.before);
        fuzz_check_info(&tr.after);
        for (int64_t d = -2; d <= 2; d++) {
            tz_resolution r;
            tz_zone_resolve(z, tr.at + tr.after.utoff + d * 1800, &r);
            if (r.earlier > r.later)
                abort();
        }
        t = tr.at;
    }
    tz_resolution r;
    tz_zone_resolve(z, t, &r);
    (void)tz_zone_start_of_day(z, tz_floor_div(t, 86400));
}

#endif
