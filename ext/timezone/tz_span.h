/*
** tz_span: durations as Temporal/Jiff spans (years .. nanoseconds, all fields of one sign), their
** ISO 8601 ("P1Y2M3DT4H5M6.5S") and friendly ("1 month 2 days", "2h 30m", "3 days ago") text,
** rounding modes, and zoned arithmetic and differences.
*/
#ifndef STRATA_TZ_SPAN_H
#define STRATA_TZ_SPAN_H

#include "timezone/tz_text.h"
#include "timezone/tz_units.h"
#include "timezone/tz_zone.h"

typedef struct tz_span {
    int64_t years, months, weeks, days;
    __int128 nanos; /* the time part: hours, minutes, seconds and below as nanoseconds */
} tz_span;

/* Largest span text written, NUL included. */
#define TZ_SPAN_TEXT_MAX 128

/* Parses ISO 8601 or friendly text: TZ_OK, or TZ_ERROR with the problem in err. */
tz_status tz_span_parse(const char *s, size_t n, tz_span *out, char *err, size_t errlen);
/* ISO 8601 text with the time part split into hours, minutes, seconds (largest: unit the time
** part starts at, TZ_UNIT_HOUR normally; smaller units put everything in that unit). */
void tz_span_format(const tz_span *s, enum tz_unit largest_time, char *buf);

enum tz_round_mode {
    TZ_ROUND_CEIL,
    TZ_ROUND_FLOOR,
    TZ_ROUND_EXPAND,
    TZ_ROUND_TRUNC,
    TZ_ROUND_HALF_CEIL,
    TZ_ROUND_HALF_FLOOR,
    TZ_ROUND_HALF_EXPAND,
    TZ_ROUND_HALF_TRUNC,
    TZ_ROUND_HALF_EVEN,
};
/* Accepts "half-expand", "halfExpand", "half_expand" etc. */
bool tz_round_mode_parse(const char *s, enum tz_round_mode *out);
/* Rounds x to a multiple of unit (> 0) with the mode, signs respected (floor goes down). */
__int128 tz_round(__int128 x, __int128 unit, enum tz_round_mode mode);
/* Same for a value num/den (den > 0) to a whole number. */
__int128 tz_round_ratio(__int128 num, __int128 den, enum tz_round_mode mode);

/* instant + span in zone z: calendar units on the wall clock (day clamped to the month, then
** resolved with `compatible`), then the time part as exact time. False if out of range. */
bool tz_zoned_add(const tz_zone *z, tz_instant t, const tz_span *s, tz_instant *out);

typedef struct tz_diff_options {
    enum tz_unit largest, smallest;
    enum tz_round_mode mode;
    int64_t increment;
} tz_diff_options;

/* a - b as a span counted from b (Temporal's b.until(a)). Units of a day or more use the wall
** clock of zone z (both instants must be in it); smaller units are exact. TZ_OK, or TZ_ERROR
** with the problem in err (bad options). tz_zoned_add(z, b, result) gives a back when nothing
** was rounded. */
tz_status tz_zoned_diff(const tz_zone *z, tz_instant a, tz_instant b, const tz_diff_options *o,
                        tz_span *out, char *err, size_t errlen);

#endif
