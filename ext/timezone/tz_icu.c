/*
** tz_icu: tz_format's engine (see tz_icu.h). Pattern letters z Z O x X v VV are rewritten into
** quoted literals: the abbreviation, numeric offsets and (for zzzz / vvvv) ICU's localized zone
** name, chosen standard or daylight by our DST flag. Dates use the proleptic Gregorian calendar.
*/
#include "timezone/tz_icu.h"
#include "common/strbuf.h"

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

/* ICU's localized long name of the zone ("Eastern Daylight Time"), if ICU knows the zone. */
static bool long_name(strbuf *sb, const tz_zone *z, bool dst, const char *locale) {
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
    char utf8[1024];
    int32_t len = 0;
    u_strToUTF8(utf8, sizeof utf8, &len, name, n, &st);
    if (U_FAILURE(st) || len >= (int32_t)sizeof utf8)
        return false;
    strbuf_append(sb, utf8, (size_t)len);
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

/* Rewrites zone letters of pattern into quoted literals. NULL err on success. */
static const char *rewrite(const char *pattern, const tz_zone *z, const tz_ttinfo *ti,
                           const char *locale, strbuf *out) {
    const char *p = pattern;
    while (*p) {
        if (*p == '\'') {
            const char *q = p + 1;
            while (*q && !(*q == '\'' && q[1] != '\''))
                q += *q == '\'' ? 2 : 1;
            if (*q != '\'')
                return "unterminated quote in pattern";
            strbuf_append(out, p, (size_t)(q - p) + 1);
            p = q + 1;
            continue;
        }
        char c = *p;
        int count = 1;
        while (p[count] == c)
            count++;
        if (strchr("zZOxXvV", c) == NULL) {
            strbuf_append(out, p, (size_t)count);
            p += count;
            continue;
        }
        strbuf text;
        strbuf_init(&text);
        if ((c == 'z' || c == 'v') && count >= 4) {
            if (!long_name(&text, z, c == 'z' && ti->isdst, locale))
                offset_text(&text, ti->utoff, 'O', 4);
        } else if (c == 'z' || c == 'v') {
            strbuf_append_str(&text, ti->abbr);
        } else if (c == 'V') {
            if (count != 2) {
                strbuf_free(&text);
                return "pattern letters V, VVV, VVVV are not supported (use VV)";
            }
            strbuf_append_str(&text, z->name);
        } else if ((c == 'O' && count != 1 && count != 4) || count > 5) {
            strbuf_free(&text);
            return "malformed time zone letters in pattern";
        } else {
            offset_text(&text, ti->utoff, c, count);
        }
        if (text.failed) {
            strbuf_free(&text);
            return "out of memory";
        }
        append_quoted(out, text.data ? text.data : "", text.len);
        strbuf_free(&text);
        p += count;
    }
    return out->failed ? "out of memory" : NULL;
}

char *tz_icu_format(const tz_zone *z, tz_instant t, const char *pattern, const char *locale,
                    const char **err) {
    *err = NULL;
    if (strlen(pattern) > TZ_ICU_PATTERN_MAX) {
        *err = "pattern too long";
        return NULL;
    }
    const tz_ttinfo *ti = tz_zone_info_at(z, t.secs);
    strbuf pat;
    strbuf_init(&pat);
    const char *e = rewrite(pattern, z, ti, locale, &pat);
    if (e == NULL && pat.data == NULL)
        e = "empty pattern";
    if (e != NULL) {
        *err = e;
        strbuf_free(&pat);
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    UChar *upat = malloc((pat.len + 1) * sizeof(UChar) * 2);
    if (upat == NULL) {
        strbuf_free(&pat);
        return NULL;
    }
    u_strFromUTF8(upat, (int32_t)(pat.len + 1) * 2, &ulen, pat.data, (int32_t)pat.len, &st);
    strbuf_free(&pat);
    if (U_FAILURE(st)) {
        free(upat);
        *err = "pattern is not valid UTF-8";
        return NULL;
    }
    static const UChar utc[] = {'U', 'T', 'C', 0};
    UDateFormat *fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, locale, utc, -1, upat, ulen, &st);
    free(upat);
    if (U_FAILURE(st)) {
        *err = "ICU cannot use this pattern or locale";
        return NULL;
    }
    UCalendar *cal = ucal_open(utc, -1, locale, UCAL_GREGORIAN, &st);
    if (U_SUCCESS(st)) {
        /* Proleptic Gregorian, like the rest of the extension (no Julian dates before 1582). */
        ucal_setGregorianChange(cal, -8.64e15, &st);
        udat_setCalendar(fmt, cal);
        ucal_close(cal);
    }
    double ms = ((double)t.secs + ti->utoff) * 1000.0 + (double)(t.nanos / 1000000);
    UChar out[1024];
    int32_t n = udat_format(fmt, ms, out, 1024, NULL, &st);
    udat_close(fmt);
    if (U_FAILURE(st) || n >= 1024) {
        *err = "formatted text too long";
        return NULL;
    }
    char *utf8 = malloc((size_t)n * 3 + 1);
    if (utf8 == NULL)
        return NULL;
    u_strToUTF8(utf8, n * 3 + 1, NULL, out, n, &st);
    if (U_FAILURE(st)) {
        free(utf8);
        *err = "cannot convert formatted text";
        return NULL;
    }
    return utf8;
}
