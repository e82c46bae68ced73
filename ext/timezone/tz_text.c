/*
** tz_text: a small hand-written parser for the date-time forms users store, and formatters.
**
** Accepted: YYYY-MM-DD, then optionally [T|t| ]HH:MM[:SS[.f{1,9}]], an offset (Z, +hh, +hhmm,
** +hh:mm, +hh:mm:ss), and RFC 9557 annotations: one zone ([Area/City], [+05:30], [!...]) and
** key=value tags; u-ca must be iso8601; unknown critical tags are errors, others ignored.
*/
#include "timezone/tz_text.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static int peek(const cursor *c) {
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool digits(cursor *c, int n, int *out) {
    int v = 0;
    if (c->end - c->p < n)
        return false;
    for (int i = 0; i < n; i++) {
        int ch = (unsigned char)c->p[i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    c->p += n;
    *out = v;
    return true;
}

static bool eat(cursor *c, char ch) {
    if (peek(c) == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Fraction after '.' or ',': 1 to 9 digits, as nanoseconds. */
static const char *fraction(cursor *c, int32_t *nanos) {
    int32_t v = 0;
    int n = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
        if (++n > 9)
            return "more than 9 fractional digits";
        v = v * 10 + (*c->p++ - '0');
    }
    if (n == 0)
        return "missing fractional digits";
    for (; n < 9; n++)
        v *= 10;
    *nanos = v;
    return NULL;
}

/* +hh[[:]mm[[:]ss]] after the sign has been seen. */
static const char *offset(cursor *c, int32_t *out) {
    int sign = *c->p++ == '-' ? -1 : 1, h, m = 0, s = 0;
    if (!digits(c, 2, &h))
        return "malformed offset";
    bool colon = eat(c, ':');
    if (colon || (peek(c) >= '0' && peek(c) <= '9')) {
        if (!digits(c, 2, &m))
            return "malformed offset";
        if (colon ? eat(c, ':') : (peek(c) >= '0' && peek(c) <= '9')) {
            if (!digits(c, 2, &s))
                return "malformed offset";
        }
    }
    if (h > 23 || m > 59 || s > 59)
        return "offset out of range";
    *out = sign * (h * 3600 + m * 60 + s);
    return NULL;
}

static const char *annotation(cursor *c, tz_parsed *out, bool first) {
    bool critical = eat(c, '!');
    const char *start = c->p;
    while (peek(c) >= 0 && peek(c) != ']' && peek(c) != '[')
        c->p++;
    if (peek(c) != ']')
        return "unterminated [annotation]";
    size_t n = (size_t)(c->p - start);
    c->p++;
    const char *eq = memchr(start, '=', n);
    if (eq == NULL) {
        if (!first || out->has_zone)
            return "time zone annotation must come first";
        if (n == 0 || n > TZ_NAME_MAX)
            return "malformed time zone annotation";
        memcpy(out->zone, start, n);
        out->zone[n] = '\0';
        out->has_zone = true;
        return NULL;
    }
    size_t klen = (size_t)(eq - start);
    if (klen == 4 && memcmp(start, "u-ca", 4) == 0) {
        size_t vlen = n - klen - 1;
        if (vlen != 7 || strncasecmp(eq + 1, "iso8601", 7) != 0)
            return "unsupported calendar (only iso8601)";
        return NULL;
    }
    return critical ? "unknown critical annotation" : NULL;
}

/* Two digits at p, or -1. */
static int two(const char *p) {
    unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* The form SQLite writes, "YYYY-MM-DD HH:MM:SS", read without the general machinery (it is most
** of what tables hold). False when s is not exactly that. */
static bool parse_sqlite_fast(const char *s, size_t n, tz_parsed *out) {
    if (n != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return false;
    int y1 = two(s), y2 = two(s + 2), mo = two(s + 5), d = two(s + 8), h = two(s + 11),
        mi = two(s + 14), se = two(s + 17);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 59)
        return false;
    int y = y1 * 100 + y2;
    if (d > tz_days_in_month(y, mo))
        return false;
    memset(out, 0, offsetof(tz_parsed, zone));
    out->zone[0] = '\0';
    tz_civil *t = &out->local;
    t->year = y;
    t->month = mo;
    t->day = d;
    t->hour = h;
    t->minute = mi;
    t->second = se;
    return true;
}

/* The problem with text s[0..n), or NULL when it parses. */
static const char *parse_text(const char *s, size_t n, tz_parsed *out) {
    cursor c = {s, s + n};
    /* zone is the last member: clearing its 256 bytes for every row would cost more than the
    ** parse itself. */
    memset(out, 0, offsetof(tz_parsed, zone));
    out->zone[0] = '\0';
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\t'))
        c.p++;
    while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t'))
        c.end--;
    tz_civil *t = &out->local;
    if (peek(&c) == '+' || peek(&c) == '-')
        return "year out of range (0000 to 9999)";
    if (!digits(&c, 4, &t->year))
        return "expected a date YYYY-MM-DD";
    if (peek(&c) >= '0' && peek(&c) <= '9')
        return "year out of range (0000 to 9999)";
    if (!eat(&c, '-') || !digits(&c, 2, &t->month) || !eat(&c, '-') || !digits(&c, 2, &t->day))
        return "expected a date YYYY-MM-DD";
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > tz_days_in_month(t->year, t->month))
        return "date out of range";
    int ch = peek(&c);
    if (ch == 'T' || ch == 't' || ch == ' ') {
        c.p++;
        if (!digits(&c, 2, &t->hour) || !eat(&c, ':') || !digits(&c, 2, &t->minute))
            return "expected a time HH:MM[:SS[.fff]]";
        if (eat(&c, ':')) {
            if (!digits(&c, 2, &t->second))
                return "expected a time HH:MM[:SS[.fff]]";
            if (peek(&c) == '.' || peek(&c) == ',') {
                c.p++;
                const char *err = fraction(&c, &t->nanos);
                if (err)
                    return err;
            }
        }
        if (t->hour > 23 || t->minute > 59 || t->second > 60)
            return "time out of range";
        if (t->second == 60) /* a leap second reads as :59, as in RFC 9557 / Temporal */
            t->second = 59;
        ch = peek(&c);
        if (ch == 'Z' || ch == 'z') {
            c.p++;
            out->has_offset = out->offset_z = true;
        } else if (ch == '+' || ch == '-') {
            const char *err = offset(&c, &out->offset);
            if (err)
                return err;
            out->has_offset = true;
        }
    }
    for (bool first = true; peek(&c) == '['; first = false) {
        c.p++;
        const char *err = annotation(&c, out, first);
        if (err)
            return err;
    }
    if (c.p != c.end)
        return "unexpected text after the date-time";
    return NULL;
}

tz_status tz_text_parse(const char *s, size_t n, tz_parsed *out, char *err, size_t errlen) {
    if (parse_sqlite_fast(s, n, out))
        return TZ_OK;
    const char *why = parse_text(s, n, out);
    if (why == NULL)
        return TZ_OK;
    snprintf(err, errlen, "%s", why);
    return TZ_ERROR;
}

bool tz_offset_mode_parse(const char *s, enum tz_offset_mode *out) {
    static const char *names[] = {"reject", "use", "prefer", "ignore"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tz_offset_mode)i;
            return true;
        }
    }
    return false;
}

enum tz_resolve_status tz_text_resolve(const tz_zone *z, const tz_parsed *p,
                                       enum tz_disambiguation d, enum tz_offset_mode mode,
                                       int64_t *secs) {
    int64_t local = tz_civil_to_seconds(&p->local);
    if (p->offset_z || (p->has_offset && mode == TZ_OFFSET_USE)) {
        *secs = local - p->offset;
        return TZ_RESOLVED;
    }
    tz_resolution r;
    tz_zone_resolve(z, local, &r);
    if (p->has_offset && mode != TZ_OFFSET_IGNORE) {
        int64_t t = local - p->offset;
        if (r.kind != TZ_GAP && (t == r.earlier || t == r.later)) {
            *secs = t;
            return TZ_RESOLVED;
        }
        if (mode == TZ_OFFSET_REJECT)
            return TZ_OFFSET_CONFLICT;
    }
    return tz_resolution_pick(&r, d, secs) ? TZ_RESOLVED : TZ_AMBIGUOUS;
}

static int format_fraction(int32_t nanos, char *buf) {
    if (nanos == 0) {
        buf[0] = '\0';
        return 0;
    }
    int digits_n = 9;
    while (nanos % 10 == 0) {
        nanos /= 10;
        digits_n--;
    }
    return sprintf(buf, ".%0*d", digits_n, (int)nanos);
}

/* Writes v as exactly `width` decimal digits (v >= 0). */
static char *put_digits(char *p, int v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DD?HH:MM:SS" with sep between date and time; returns the end. */
static char *put_date_time(char *p, const tz_civil *c, char sep) {
    p = put_digits(p, (int)c->year, 4);
    *p++ = '-';
    p = put_digits(p, c->month, 2);
    *p++ = '-';
    p = put_digits(p, c->day, 2);
    *p++ = sep;
    p = put_digits(p, c->hour, 2);
    *p++ = ':';
    p = put_digits(p, c->minute, 2);
    *p++ = ':';
    return put_digits(p, c->second, 2);
}

int tz_text_sqlite(const tz_civil *c, char *buf) {
    char *p = put_date_time(buf, c, ' ');
    return (int)(p - buf) + format_fraction(c->nanos, p);
}

void tz_text_offset(int32_t off, char *buf) {
    int a = off < 0 ? -off : off;
    int n = sprintf(buf, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    if (a % 60)
        sprintf(buf + n, ":%02d", a % 60);
}

void tz_text_rfc9557(const tz_zone *z, tz_instant t, char *buf) {
    int32_t off = tz_zone_offset_at(z, t.secs);
    tz_civil c;
    tz_civil_from_seconds(t.secs + off, t.nanos, &c);
    int n = (int)(put_date_time(buf, &c, 'T') - buf);
    n += format_fraction(c.nanos, buf + n);
    tz_text_offset(off, buf + n);
    n += (int)strlen(buf + n);
    snprintf(buf + n, TZ_TEXT_MAX - (size_t)n, "[%s]", z->name);
}
