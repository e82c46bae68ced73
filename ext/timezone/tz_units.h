/*
** tz_units: unit names (nanoseconds .. years) and their exact lengths where they have one.
*/
#ifndef STRATA_TZ_UNITS_H
#define STRATA_TZ_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* Ordered from smallest to largest; DAY here means a 24-hour day where a length is needed. */
enum tz_unit {
    TZ_UNIT_NANOSECOND,
    TZ_UNIT_MICROSECOND,
    TZ_UNIT_MILLISECOND,
    TZ_UNIT_SECOND,
    TZ_UNIT_MINUTE,
    TZ_UNIT_HOUR,
    TZ_UNIT_DAY,
    TZ_UNIT_WEEK,
    TZ_UNIT_MONTH,
    TZ_UNIT_QUARTER,
    TZ_UNIT_YEAR,
};

/* Accepts singular/plural names and the usual short forms (ns, us, ms, s, min, h, d, w, mo, y). */
bool tz_unit_parse(const char *s, enum tz_unit *out);
/* Nanoseconds in a unit up to TZ_UNIT_WEEK (days as 24 h); 0 for calendar units. */
int64_t tz_unit_nanos(enum tz_unit u);
const char *tz_unit_name(enum tz_unit u);

#endif
