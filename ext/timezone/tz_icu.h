/*
** tz_icu: ICU date formatting with offsets from our own zone data.
**
** ICU formats the wall-clock fields (read as UTC, so its bundled 2022 zone data never decides an
** offset) with the locale's month and day names; every time-zone pattern letter is replaced by
** text computed from our zone before ICU sees the pattern.
*/
#ifndef STRATA_TZ_ICU_H
#define STRATA_TZ_ICU_H

#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"

#define TZ_ICU_PATTERN_MAX 512

/* Returns malloc'd UTF-8 text, or NULL with *err set to a static message (NULL err = no memory). */
char *tz_icu_format(const tz_zone *z, tz_instant t, const char *pattern, const char *locale,
                    const char **err);

#endif
