/*
** fuzz_timezone_rule: POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", ...), as a
** TZif footer holds them: tz_rule_parse alone, then inside a minimal TZif v2 file with no
** transitions, so the rule answers every question tz_zone_from_tzif's zone is asked.
*/
#include "fuzz/fuzz_timezone_zone.h"

#include <stdint.h>

/* A TZif header: version, then the six counts (isut, isstd, leap, time, type, chars). */
static unsigned char *put_header(unsigned char *p, char version) {
    static const uint32_t counts[6] = {0, 0, 0, 0, 1, 4};
    memcpy(p, "TZif", 4);
    p[4] = (unsigned char)version;
    memset(p + 5, 0, 15);
    for (int i = 0; i < 6; i++) {
        p[20 + 4 * i] = (unsigned char)(counts[i] >> 24);
        p[21 + 4 * i] = (unsigned char)(counts[i] >> 16);
        p[22 + 4 * i] = (unsigned char)(counts[i] >> 8);
        p[23 + 4 * i] = (unsigned char)counts[i];
    }
    p += 44;
    /* One type: UTC offset 0, no DST, abbreviation 0 ("UTC"). */
    memcpy(p, "\0\0\0\0\0\0UTC\0", 10);
    return p + 10;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tz_rule rule;
    bool ok = tz_rule_parse((const char *)data, size, &rule);
    if (ok && (rule.std.utoff <= -TZ_OFFSET_MAX - 1 || rule.std.utoff > TZ_OFFSET_MAX))
        abort();
    if (size > 400 || memchr(data, '\n', size))
        return 0;
    unsigned char file[2 * 54 + 400 + 2];
    unsigned char *p = put_header(file, '2');
    p = put_header(p, '2');
    *p++ = '\n';
    memcpy(p, data, size);
    p += size;
    *p++ = '\n';
    tz_zone *z;
    tz_zone_from_tzif("Fuzz/Rule", file, (size_t)(p - file), &z, NULL, 0);
    if ((z != NULL) != (ok || size == 0))
        abort(); /* the footer is accepted exactly when the rule parses */
    if (!z)
        return 0;
    fuzz_query_zone(z, TZ_SECONDS_MIN);
    fuzz_query_zone(z, 0);
    fuzz_query_zone(z, 1700000000);
    fuzz_query_zone(z, TZ_SECONDS_MAX - 86400 * 400);
    tz_zone_release(z);
    return 0;
}
