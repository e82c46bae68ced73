/*
** tz_units: unit names and lengths for durations, truncation and rounding.
*/
#include "timezone/tz_units.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    enum tz_unit unit;
} unit_names[] = {
    {"nanosecond", TZ_UNIT_NANOSECOND},
    {"nanoseconds", TZ_UNIT_NANOSECOND},
    {"ns", TZ_UNIT_NANOSECOND},
    {"microsecond", TZ_UNIT_MICROSECOND},
    {"microseconds", TZ_UNIT_MICROSECOND},
    {"us", TZ_UNIT_MICROSECOND},
    {"millisecond", TZ_UNIT_MILLISECOND},
    {"milliseconds", TZ_UNIT_MILLISECOND},
    {"ms", TZ_UNIT_MILLISECOND},
    {"second", TZ_UNIT_SECOND},
    {"seconds", TZ_UNIT_SECOND},
    {"sec", TZ_UNIT_SECOND},
    {"secs", TZ_UNIT_SECOND},
    {"s", TZ_UNIT_SECOND},
    {"minute", TZ_UNIT_MINUTE},
    {"minutes", TZ_UNIT_MINUTE},
    {"min", TZ_UNIT_MINUTE},
    {"mins", TZ_UNIT_MINUTE},
    {"hour", TZ_UNIT_HOUR},
    {"hours", TZ_UNIT_HOUR},
    {"hr", TZ_UNIT_HOUR},
    {"hrs", TZ_UNIT_HOUR},
    {"h", TZ_UNIT_HOUR},
    {"day", TZ_UNIT_DAY},
    {"days", TZ_UNIT_DAY},
    {"d", TZ_UNIT_DAY},
    {"week", TZ_UNIT_WEEK},
    {"weeks", TZ_UNIT_WEEK},
    {"w", TZ_UNIT_WEEK},
    {"month", TZ_UNIT_MONTH},
    {"months", TZ_UNIT_MONTH},
    {"mo", TZ_UNIT_MONTH},
    {"quarter", TZ_UNIT_QUARTER},
    {"quarters", TZ_UNIT_QUARTER},
    {"year", TZ_UNIT_YEAR},
    {"years", TZ_UNIT_YEAR},
    {"y", TZ_UNIT_YEAR},
};

bool tz_unit_parse(const char *s, enum tz_unit *out) {
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof unit_names / sizeof *unit_names; i++) {
        if (strcasecmp(s, unit_names[i].name) == 0) {
            *out = unit_names[i].unit;
            return true;
        }
    }
    return false;
}

int64_t tz_unit_nanos(enum tz_unit u) {
    static const int64_t ns[] = {1,           1000,          1000000,        1000000000,
                                 60000000000, 3600000000000, 86400000000000, 604800000000000};
    return u <= TZ_UNIT_WEEK ? ns[u] : 0;
}

const char *tz_unit_name(enum tz_unit u) {
    static const char *names[] = {"nanosecond", "microsecond", "millisecond", "second",
                                  "minute",     "hour",        "day",         "week",
                                  "month",      "quarter",     "year"};
    return names[u];
}
