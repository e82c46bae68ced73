/*
** tz_icu: tz_format's engine (see tz_icu.h). Pattern letters z Z O x X v VV are rewritten into
** quoted literals: the abbreviation, numeric offsets and (for zzzz / vvvv) ICU's localized zone
** name, chosen standard or daylight by our DST flag. Dates use the proleptic Gregorian calendar.
*/
#include "timezone/tz_icu.h"
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/ustring.h>

/* Appends an offset in one of ICU's forms. */
static void offset_text(strbuf *sb, int32_t off, char letter, int count) {
    int a = off < 0 ? -off : off, h = a / 3600, m = a / 60 % 60, s = a % 60;
    char sign = off < 0 ? '-' : '+';
    if (letter == 'X' && off == 0) {
        strbuf_append_char(sb, 'Z');
        return;
    }
    if (letter == 'O' || (letter == 'Z' && count == 4)) {
        if (off == 0) {
            strbuf_append_str(sb, "GMT");
        } else if (letter == 'O' && count < 4) {
            strbuf_appendf(sb, "GMT%c%d", sign, h);
            if (m || s)
                strbuf_appendf(sb, ":%02d", m);
            if (s)
                strbuf_appendf(sb, ":%02d", s);
        } else {
            strbuf_appendf(sb, "GMT%c%02d:%02d", sign, h, m);
            if (s)
                strbuf_appendf(sb, ":%02d", s);
        }
        return;
    }
    if (letter == 'Z') {
        if (count == 5 && off == 0)
            strbuf_append_char(sb, 'Z');
        else if (count == 5)
            strbuf_appendf(sb, "%c%02d:%02d", sign, h, m);
        else
            strbuf_appendf(sb, "%c%02d%02d", sign, h, m);
        return;
    }
    /* x and X: 1 = +hh[mm], 2 = +hhmm, 3 = +hh:mm, 4 = +hhmm[ss], 5 = +hh:mm[:ss] */
    bool colon = count == 3 || count == 5;
    strbuf_appendf(sb, "%c%02d", sign, h);
    if (count != 1 || m)
        strbuf_appendf(sb, colon ? ":%02d" : "%02d", m);
    if (count >= 4 && s)
        strbuf_appendf(sb, colon ? ":%02d" : "%02d", s);
}

/* The pattern letters ICU defines (DateFormatSymbols' pattern characters). Every other ASCII
** letter is reserved by the ICU/CLDR pattern syntax, and ICU would drop it (and what follows it)
** without a word, so it is an error here; literal text goes in single quotes. */
static const char icu_pattern_letters[] = "GyMdkHmsSEDFwWahKzYeugAZvcLQqVUOXxrbB";

static bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

struct tz_icu_formatter {
    char locale[TZ_ICU_LOCALE_MAX + 1];
    UDateFormat *fmt;
    char *icu_pattern; /* the rewritten pattern fmt was built with */
    /* Long zone names of the last zone asked for: [0] standard, [1] daylight; "" = unknown. */
    char names_zone[TZ_NAME_MAX + 1];
    char names[2][256];
    bool names_done[2];
};

/* ICU's localized long name of the zone ("Eastern Daylight Time"), if ICU knows the zone. */
static bool icu_long_name(const tz_zone *z, bool dst, const char *locale, char *out, size_t cap) {
    UChar id[128], canon[128], name[256];
    UErrorCode st = U_ZERO_ERROR;
    UBool system = 0;
    u_uastrncpy(id, z->name, 127);
    id[127] = 0;
    ucal_getCanonicalTimeZoneID(id, -1, canon, 128, &system, &st);
    if (U_FAILURE(st) || !system)
        return false;
    UCalendar *cal = ucal_open(id, -1, locale, UCAL_GREGORIAN, &st);
    if (U_FAILURE(st))
        return false;
    int32_t n =
        ucal_getTimeZoneDisplayName(cal, dst ? UCAL_DST : UCAL_STANDARD, locale, name, 256, &st);
    ucal_close(cal);
    if (U_FAILURE(st) || n <= 0 || n >= 256)
        return false;
    int32_t len = 0;
    u_strToUTF8(out, (int32_t)cap, &len, name, n, &st);
    return U_SUCCESS(st) && len > 0 && (size_t)len < cap;
}

/* The long name through the formatter's one-zone cache; false if ICU does not know the zone. */
static bool long_name(tz_icu_formatter *f, strbuf *sb, const tz_zone *z, bool dst) {
    if (strcmp(f->names_zone, z->name) != 0) {
        snprintf(f->names_zone, sizeof f->names_zone, "%s", z->name);
        f->names_done[0] = f->names_done[1] = false;
    }
    if (!f->names_done[dst]) {
        if (!icu_long_name(z, dst, f->locale, f->names[dst], sizeof f->names[dst]))
            f->names[dst][0] = '\0';
        f->names_done[dst] = true;
    }
    if (f->names[dst][0] == '\0')
        return false;
    strbuf_append_str(sb, f->names[dst]);
    return true;
}

static void append_quoted(strbuf *sb, const char *text, size_t n) {
    strbuf_append_char(sb, '\'');
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\'')
            strbuf_append_char(sb, '\'');
        strbuf_append_char(sb, text[i]);
    }
    strbuf_append_char(sb, '\'');
}

/* Rewrites zone letters of pattern into quoted literals. */
static tz_status rewrite(tz_icu_formatter *f, const char *pattern, const tz_zone *z,
                         const tz_ttinfo *ti, strbuf *out, char *err, size_t errlen) {
    const char *p = pattern;
    while (*p) {
        if (*p == '\'') {
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q[1] != '\''))
                q += *q == '\'' ? 2 : 1;
            if (*q != '\'') {
                snprintf(err, errlen, "unterminated quote in pattern");
                return TZ_ERROR;
            }
            strbuf_append(out, p, (size_t)(q - p) + 1);
            p = q + 1;
            continue;
        }
        char c = *p;
        int count = 1;
        while (p[count] == c)
            count++;
        if (is_ascii_letter(c) && strchr(icu_pattern_letters, c) == NULL) {
            snprintf(err, errlen, "unknown pattern letter '%c' (put literal text in single quotes)",
                     c);
            return TZ_ERROR;
        }
        if (strchr("zZOxXvV", c) == NULL) {
            strbuf_append(out, p, (size_t)count);
            p += count;
            continue;
        }
        strbuf text;
        strbuf_init(&text);
        if ((c == 'z' || c == 'v') && count >= 4) {
            if (!long_name(f, &text, z, c == 'z' && ti->isdst))
                offset_text(&text, ti->utoff, 'O', 4);
        } else if (c == 'z' || c == 'v') {
            strbuf_append_str(&text, ti->abbr);
        } else if (c == 'V') {
            if (count != 2) {
                strbuf_free(&text);
                snprintf(err, errlen, "pattern letters V, VVV, VVVV are not supported (use VV)");
                return TZ_ERROR;
            }
            strbuf_append_str(&text, z->name);
        } else if ((c == 'O' && count != 1 && count != 4) || count > 5) {
            strbuf_free(&text);
            snprintf(err, errlen, "malformed time zone letters in pattern");
            return TZ_ERROR;
        } else {
            offset_text(&text, ti->utoff, c, count);
        }
        if (text.failed) {
            strbuf_free(&text);
            return TZ_NOMEM;
        }
        append_quoted(out, text.data ? text.data : "", text.len);
        strbuf_free(&text);
        p += count;
    }
    return out->failed ? TZ_NOMEM : TZ_OK;
}

tz_icu_formatter *tz_icu_formatter_new(const char *locale) {
    if (strlen(locale) > TZ_ICU_LOCALE_MAX)
        return NULL;
    tz_icu_formatter *f = calloc(1, sizeof *f);
    if (f != NULL)
        snprintf(f->locale, sizeof f->locale, "%s", locale);
    return f;
}

const char *tz_icu_formatter_locale(const tz_icu_formatter *f) {
    return f->locale;
}

void tz_icu_formatter_free(tz_icu_formatter *f) {
    if (f == NULL)
        return;
    if (f->fmt != NULL)
        udat_close(f->fmt);
    free(f->icu_pattern);
    free(f);
}

static const UChar utc_id[] = {'U', 'T', 'C', 0};

/* Makes f->fmt format with pattern (UTF-8): reused when the pattern is unchanged. */
static tz_status use_pattern(tz_icu_formatter *f, const char *pat, size_t len, char *err,
                             size_t errlen) {
    if (f->fmt != NULL && f->icu_pattern != NULL && strcmp(f->icu_pattern, pat) == 0)
        return TZ_OK;
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    UChar *upat = malloc((len + 1) * sizeof(UChar) * 2);
    char *copy = strdup(pat);
    if (upat == NULL || copy == NULL) {
        free(upat);
        free(copy);
        return TZ_NOMEM;
    }
    u_strFromUTF8(upat, (int32_t)(len + 1) * 2, &ulen, pat, (int32_t)len, &st);
    if (U_FAILURE(st)) {
        free(upat);
        free(copy);
        snprintf(err, errlen, "pattern is not valid UTF-8");
        return TZ_ERROR;
    }
    if (f->fmt == NULL) {
        f->fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, f->locale, utc_id, -1, upat, ulen, &st);
        if (U_SUCCESS(st)) {
            UCalendar *cal = ucal_open(utc_id, -1, f->locale, UCAL_GREGORIAN, &st);
            if (U_SUCCESS(st)) {
                /* Proleptic Gregorian, like the rest of the extension (no Julian dates). */
                ucal_setGregorianChange(cal, -8.64e15, &st);
                udat_setCalendar(f->fmt, cal);
                ucal_close(cal);
            }
        }
    } else {
        udat_applyPattern(f->fmt, 0, upat, ulen);
    }
    free(upat);
    if (U_FAILURE(st) || f->fmt == NULL) {
        if (f->fmt != NULL)
            udat_close(f->fmt);
        f->fmt = NULL;
        free(copy);
        snprintf(err, errlen, "ICU cannot use this pattern or locale");
        return TZ_ERROR;
    }
    free(f->icu_pattern);
    f->icu_pattern = copy;
    return TZ_OK;
}

tz_status tz_icu_format(tz_icu_formatter *f, const tz_zone *z, tz_instant t, const char *pattern,
                        char **out, char *err, size_t errlen) {
    *out = NULL;
    if (strlen(pattern) > TZ_ICU_PATTERN_MAX) {
        snprintf(err, errlen, "pattern too long");
        return TZ_ERROR;
    }
    const tz_ttinfo *ti = tz_zone_info_at(z, t.secs);
    strbuf pat;
    strbuf_init(&pat);
    tz_status rc = rewrite(f, pattern, z, ti, &pat, err, errlen);
    if (rc == TZ_OK && pat.data == NULL) {
        snprintf(err, errlen, "empty pattern");
        rc = TZ_ERROR;
    }
    if (rc == TZ_OK)
        rc = use_pattern(f, pat.data, pat.len, err, errlen);
    strbuf_free(&pat);
    if (rc == TZ_NOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc != TZ_OK)
        return rc;
    UErrorCode st = U_ZERO_ERROR;
    double ms = ((double)t.secs + ti->utoff) * 1000.0 + (double)(t.nanos / 1000000);
    UChar text[1024];
    int32_t n = udat_format(f->fmt, ms, text, 1024, NULL, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || n >= 1024) {
        snprintf(err, errlen, "formatted text too long");
        return TZ_ERROR;
    }
    if (U_FAILURE(st)) {
        snprintf(err, errlen, "ICU cannot format this pattern");
        return TZ_ERROR;
    }
    char *utf8 = malloc((size_t)n * 3 + 1);
    if (utf8 == NULL) {
        snprintf(err, errlen, "out of memory");
        return TZ_NOMEM;
    }
    u_strToUTF8(utf8, n * 3 + 1, NULL, text, n, &st);
    if (U_FAILURE(st)) {
        free(utf8);
        snprintf(err, errlen, "cannot convert formatted text");
        return TZ_ERROR;
    }
    *out = utf8;
    return TZ_OK;
}
