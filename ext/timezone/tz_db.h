/*
** tz_db: the system time zone database: where it lives (TZDIR or /usr/share/zoneinfo), the zones
** it holds, and a bounded, thread-safe cache of parsed zones.
**
** Zone names come from untrusted SQL, so only names made of [A-Za-z0-9_+-] components separated
** by '/' are ever turned into paths; nothing outside the zoneinfo directory can be named.
*/
#ifndef STRATA_TZ_DB_H
#define STRATA_TZ_DB_H

#include "timezone/tz_zone.h"

#include <stddef.h>

/* Most zones kept parsed at once; past this the cache drops its references and starts over. */
#define TZ_DB_CACHE_MAX 1024
/* Largest TZif file read. */
#define TZ_DB_FILE_MAX (1 << 20)

/* The zone named by `name`: "UTC"/"Z", a fixed offset "+05:30" / "-08" / "+0530", or an IANA
** name (matched case-insensitively, spelled as on disk), into *out (the caller owns one
** reference). TZ_OK; TZ_UNKNOWN_ZONE, TZ_ERROR (its file is not TZif) or TZ_NOMEM with the
** problem in err. */
tz_status tz_db_get(const char *name, tz_zone **out, char *err, size_t errlen);
/* The zoneinfo directory in use (TZDIR if set when first asked, else /usr/share/zoneinfo). */
const char *tz_db_dir(void);
/* The tzdata version ("2026f") from tzdata.zi, or NULL if unknown. */
const char *tz_db_version(void);

/* One entry of the zone list. */
typedef struct tz_db_name {
    const char *name;
    const char *target;  /* canonical zone for a link (from tzdata.zi), else name */
    const char *country; /* ISO 3166 code(s) from zone.tab / zone1970.tab, or NULL */
} tz_db_name;

/* Every zone name in the database, sorted. NULL on failure. Valid until tz_db_reset(). */
const tz_db_name *tz_db_names(size_t *count);
/* Parses a fixed offset "+05:30" etc. into seconds east; false if s is not one. */
bool tz_db_parse_fixed(const char *s, int32_t *out);
/* Frees the cache and the name list (for leak-checked tests; not while zones are in use). */
void tz_db_reset(void);

#endif
