/*
** tz_civil: proleptic Gregorian calendar arithmetic (days <-> year/month/day).
**
** The conversions are the well-known era-based algorithms: a 400-year era has a fixed number of
** days, so both directions are a few integer divisions without loops or tables.
*/
#include "timezone/tz_civil.h"

bool tz_is_leap(int64_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int tz_days_in_month(int64_t year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && tz_is_leap(year) ? 29 : days[month - 1];
}

int64_t tz_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = tz_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int32_t *y, int *m, int *d) {
    days += 719468;
    int64_t era = tz_floor_div(days, 146097);
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int32_t)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int tz_weekday_from_days(int64_t days) {
    /* 1970-01-01 was a Thursday (4). */
    return (int)tz_floor_mod(days + 3, 7) + 1;
}

int64_t tz_civil_to_seconds(const tz_civil *c) {
    return tz_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 + c->minute * 60 +
           c->second;
}

void tz_civil_from_seconds(int64_t secs, int32_t nanos, tz_civil *out) {
    int64_t days = tz_floor_div(secs, 86400);
    int64_t rem = secs - days * 86400;
    tz_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600);
    out->minute = (int)(rem / 60 % 60);
    out->second = (int)(rem % 60);
    out->nanos = nanos;
}

bool tz_civil_valid(const tz_civil *c) {
    return c->year >= TZ_YEAR_MIN && c->year <= TZ_YEAR_MAX && c->month >= 1 && c->month <= 12 &&
           c->day >= 1 && c->day <= tz_days_in_month(c->year, c->month) && c->hour >= 0 &&
           c->hour <= 23 && c->minute >= 0 && c->minute <= 59 && c->second >= 0 &&
           c->second <= 59 && c->nanos >= 0 && c->nanos <= 999999999;
}
