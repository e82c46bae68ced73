/*
** fuzz_timezone_tzif: TZif files (RFC 8536 v1-v4, with their POSIX TZ footer) through
** tz_zone_from_tzif, then offsets, transitions and wall-time resolution on the zone it built.
*/
#include "fuzz/fuzz_timezone_zone.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[TZ_ERR_SIZE] = "";
    tz_zone *z;
    tz_status st = tz_zone_from_tzif("Fuzz/Zone", data, size, &z, err, sizeof err);
    if ((st == TZ_OK) != (z != NULL))
        abort();
    if (!z) {
        if (err[0] == '\0')
            abort(); /* a failure says why */
        return 0;
    }
    fuzz_query_zone(z, TZ_SECONDS_MIN);
    fuzz_query_zone(z, 0);
    fuzz_query_zone(z, 1700000000);
    for (size_t i = 0; i < z->ntrans && i < 8; i++)
        fuzz_query_zone(z, z->trans[i] - 1);
    if (z->ntrans)
        fuzz_query_zone(z, z->trans[z->ntrans - 1]);
    tz_zone_release(z);
    return 0;
}
