/*
** tz_bench: UTC -> local wall-clock conversions per second for one zone and one method:
**
**   tz_bench <zone> strata|offset|glibc|icu [count]
**
** All methods convert the same pseudo-random instants (1970-2036, fixed seed) into local
** fields and print the seconds the conversion loop took. strata = our TZif engine; offset = our
** engine's instant -> offset lookup alone (no calendar fields); glibc =
** localtime_r under TZ=<zone> (process-global, reference only); icu = ucal_setMillis + ucal_get.
*/
#include "timezone/tz_civil.h"
#include "timezone/tz_db.h"
#include "timezone/tz_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: tz_bench <zone> strata|offset|glibc|icu [count]\n");
        return 2;
    }
    const char *zone = argv[1], *method = argv[2];
    long n = argc > 3 ? atol(argv[3]) : 2000000;
    if (n <= 0 || n > 100000000)
        return 2;
    int64_t *ts = malloc((size_t)n * sizeof *ts);
    if (ts == NULL)
        return 1;
    uint64_t seed = 88172645463325252ULL;
    for (long i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ts[i] = (int64_t)(seed % 2082758400ULL); /* 1970 .. 2036 */
    }
    long long sum = 0;
    double start = 0, end = 0;
    if (strcmp(method, "offset") == 0) {
        tz_db_status st;
        tz_zone *z = tz_db_get(zone, &st);
        if (z == NULL)
            return 1;
        start = now();
        for (long i = 0; i < n; i++)
            sum += tz_zone_offset_at(z, ts[i]);
        end = now();
        tz_zone_release(z);
        tz_db_reset();
    } else if (strcmp(method, "strata") == 0) {
        tz_db_status st;
        tz_zone *z = tz_db_get(zone, &st);
        if (z == NULL)
            return 1;
        start = now();
        for (long i = 0; i < n; i++) {
            tz_civil c;
            tz_civil_from_seconds(ts[i] + tz_zone_offset_at(z, ts[i]), 0, &c);
            sum += c.year + c.month + c.day + c.hour + c.minute + c.second;
        }
        end = now();
        tz_zone_release(z);
        tz_db_reset();
    } else if (strcmp(method, "glibc") == 0) {
        setenv("TZ", zone, 1);
        tzset();
        start = now();
        for (long i = 0; i < n; i++) {
            struct tm tm;
            time_t t = (time_t)ts[i];
            localtime_r(&t, &tm);
            sum += tm.tm_year + tm.tm_mon + tm.tm_mday + tm.tm_hour + tm.tm_min + tm.tm_sec;
        }
        end = now();
    } else if (strcmp(method, "icu") == 0) {
        UChar id[128];
        UErrorCode status = U_ZERO_ERROR;
        u_uastrncpy(id, zone, 127);
        UCalendar *cal = ucal_open(id, -1, "en_US", UCAL_GREGORIAN, &status);
        if (U_FAILURE(status))
            return 1;
        start = now();
        for (long i = 0; i < n; i++) {
            ucal_setMillis(cal, (UDate)ts[i] * 1000.0, &status);
            sum += ucal_get(cal, UCAL_YEAR, &status) + ucal_get(cal, UCAL_MONTH, &status) +
                   ucal_get(cal, UCAL_DATE, &status) + ucal_get(cal, UCAL_HOUR_OF_DAY, &status) +
                   ucal_get(cal, UCAL_MINUTE, &status) + ucal_get(cal, UCAL_SECOND, &status);
        }
        end = now();
        ucal_close(cal);
    } else {
        return 2;
    }
    free(ts);
    printf("%.6f %lld\n", end - start, sum);
    return 0;
}
