/*
** tz_civil: proleptic Gregorian calendar arithmetic on plain integers.
**
** Instants are seconds since 1970-01-01T00:00:00Z plus nanoseconds; wall-clock times use the same
** count of "local seconds" (the instant the wall time would be in UTC). Years are limited to
** TZ_YEAR_MIN..TZ_YEAR_MAX so every intermediate value fits in int64 with room to spare.
*/
#ifndef STRATA_TZ_CIVIL_H
#define STRATA_TZ_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define TZ_YEAR_MIN 0
#define TZ_YEAR_MAX 9999
/* 0000-01-01T00:00:00 and 9999-12-31T23:59:59 in seconds since the epoch. */
#define TZ_SECONDS_MIN (-62167219200LL)
#define TZ_SECONDS_MAX 253402300799LL

/* Whether an integer timestamp is accepted: years 0000 to 9999, with a day's slack either side
** so that an extreme date with an offset applied still counts. */
static inline bool tz_seconds_accepted(int64_t secs) {
    return secs >= TZ_SECONDS_MIN - 86400 && secs <= TZ_SECONDS_MAX + 86400;
}

/* A wall-clock date and time without zone. */
typedef struct tz_civil {
    int32_t year;
    int month, day, hour, minute, second; /* 1-12, 1-31, 0-23, 0-59, 0-59 */
    int32_t nanos;                        /* 0..999999999 */
} tz_civil;

/* Division rounding toward negative infinity. Inline: with a constant divisor the compiler turns
** it into a multiplication, and every conversion divides by 86400 and 146097. */
static inline int64_t tz_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t tz_floor_mod(int64_t a, int64_t b) {
    return a - tz_floor_div(a, b) * b;
}
bool tz_is_leap(int64_t year);
int tz_days_in_month(int64_t year, int month);
/* Days since 1970-01-01 of y-m-d (month 1..12, day 1..31; no range check). */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int32_t *y, int *m, int *d);
/* 1 = Monday .. 7 = Sunday (ISO). */
int tz_weekday_from_days(int64_t days);

/* Seconds since the epoch of the wall time (nanos ignored) and back. */
int64_t tz_civil_to_seconds(const tz_civil *c);
void tz_civil_from_seconds(int64_t secs, int32_t nanos, tz_civil *out);
/* True when every field is in range (day within its month, year in TZ_YEAR_MIN..MAX). */
bool tz_civil_valid(const tz_civil *c);

#endif
