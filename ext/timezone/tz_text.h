/*
** tz_text: reading and writing date-time text: SQLite's "YYYY-MM-DD HH:MM:SS[.fff]", RFC 3339
** ("...T...Z", "...+05:30") and RFC 9557 ("...-04:00[America/New_York][u-ca=iso8601]").
*/
#ifndef STRATA_TZ_TEXT_H
#define STRATA_TZ_TEXT_H

#include "timezone/tz_civil.h"
#include "timezone/tz_status.h"
#include "timezone/tz_zone.h"

#include <stddef.h>

/* What a date-time text says, before any zone is consulted. */
typedef struct tz_parsed {
    tz_civil local;
    bool has_offset; /* a numeric offset or Z */
    bool offset_z;   /* the offset was Z: an exact instant, never a conflict */
    int32_t offset;  /* seconds east */
    bool has_zone;   /* a [Zone] or [+hh:mm] annotation */
    char zone[TZ_NAME_MAX + 1];
} tz_parsed;

/* An exact instant. */
typedef struct tz_instant {
    int64_t secs;
    int32_t nanos;
} tz_instant;

/* Parses text: TZ_OK, or TZ_ERROR with the problem in err. */
tz_status tz_text_parse(const char *s, size_t n, tz_parsed *out, char *err, size_t errlen);

enum tz_offset_mode { TZ_OFFSET_REJECT, TZ_OFFSET_USE, TZ_OFFSET_PREFER, TZ_OFFSET_IGNORE };
bool tz_offset_mode_parse(const char *s, enum tz_offset_mode *out);

enum tz_resolve_status { TZ_RESOLVED, TZ_AMBIGUOUS, TZ_OFFSET_CONFLICT };
/* The instant of a parsed wall time in zone z, honouring a written offset per `mode` and
** resolving gaps/folds per `d`. */
enum tz_resolve_status tz_text_resolve(const tz_zone *z, const tz_parsed *p,
                                       enum tz_disambiguation d, enum tz_offset_mode mode,
                                       int64_t *secs);

/* Longest text the formatters write, NUL included. */
#define TZ_TEXT_MAX (64 + TZ_NAME_MAX)
/* "YYYY-MM-DD HH:MM:SS" with ".f" (trailing zeros trimmed) only when nanos != 0; returns the
** length. */
int tz_text_sqlite(const tz_civil *c, char *buf);
/* "+05:30", "-04:00", "+00:19:32" (seconds only when non-zero). */
void tz_text_offset(int32_t offset, char *buf);
/* "YYYY-MM-DDTHH:MM:SS[.f]+hh:mm[zone]" for the instant in zone z. */
void tz_text_rfc9557(const tz_zone *z, tz_instant t, char *buf);

#endif
