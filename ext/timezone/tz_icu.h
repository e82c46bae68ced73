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
#define TZ_ICU_LOCALE_MAX 63

/* A formatter for one locale. It keeps the ICU formatter of the last pattern and the long zone
** names of the last zone, so formatting many rows with one pattern costs one ICU call each. Not
** thread-safe: one per statement. */
typedef struct tz_icu_formatter tz_icu_formatter;

/* NULL when out of memory or the locale name is longer than TZ_ICU_LOCALE_MAX. */
tz_icu_formatter *tz_icu_formatter_new(const char *locale);
const char *tz_icu_formatter_locale(const tz_icu_formatter *f);
void tz_icu_formatter_free(tz_icu_formatter *f);

/* The instant formatted with pattern as malloc'd UTF-8 text in *out: TZ_OK, or TZ_ERROR (bad
** pattern) or TZ_NOMEM with the problem in err. */
tz_status tz_icu_format(tz_icu_formatter *f, const tz_zone *z, tz_instant t, const char *pattern,
                        char **out, char *err, size_t errlen);

#endif
