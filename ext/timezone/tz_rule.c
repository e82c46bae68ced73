/*
** tz_rule: POSIX TZ strings, the footer of TZif v2+ files ("EST5EDT,M3.2.0,M11.1.0").
**
** The grammar follows POSIX with the RFC 8536 extensions: quoted names (<+0330>), transition
** times from -167 to 167 hours. Evaluation lives in tz_zone.c; this file only parses.
*/
#include "timezone/tz_zone.h"

#include <ctype.h>
#include <string.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static int peek(const cursor *c) {
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

/* Reads an abbreviation: <...> quoted (alnum, + and -) or at least three letters. */
static bool parse_abbr(cursor *c, char *out) {
    size_t n = 0;
    if (peek(c) == '<') {
        c->p++;
        while (peek(c) != '>') {
            int ch = peek(c);
            if (ch < 0 || !(isalnum(ch) || ch == '+' || ch == '-') || n >= TZ_ABBR_MAX)
                return false;
            out[n++] = (char)ch;
            c->p++;
        }
        c->p++;
    } else {
        while (peek(c) >= 0 && isalpha(peek(c))) {
            if (n >= TZ_ABBR_MAX)
                return false;
            out[n++] = *c->p++;
        }
    }
    out[n] = '\0';
    return n >= 3;
}

/* Reads an unsigned number of at most maxdigits digits. */
static bool parse_uint(cursor *c, int maxdigits, int *out) {
    int v = 0, n = 0;
    while (peek(c) >= 0 && isdigit(peek(c))) {
        if (++n > maxdigits)
            return false;
        v = v * 10 + (*c->p++ - '0');
    }
    *out = v;
    return n > 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours; returns seconds (positive = the sign as written). */
static bool parse_hms(cursor *c, int max_hours, int32_t *out) {
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (!parse_uint(c, 3, &h) || h > max_hours)
        return false;
    if (peek(c) == ':') {
        c->p++;
        if (!parse_uint(c, 2, &m) || m > 59)
            return false;
        if (peek(c) == ':') {
            c->p++;
            if (!parse_uint(c, 2, &s) || s > 59)
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool parse_date(cursor *c, tz_rule_date *d) {
    memset(d, 0, sizeof *d);
    if (peek(c) == 'M') {
        c->p++;
        d->kind = 'M';
        if (!parse_uint(c, 2, &d->month) || d->month < 1 || d->month > 12 || peek(c) != '.')
            return false;
        c->p++;
        if (!parse_uint(c, 1, &d->week) || d->week < 1 || d->week > 5 || peek(c) != '.')
            return false;
        c->p++;
        if (!parse_uint(c, 1, &d->weekday) || d->weekday > 6)
            return false;
    } else if (peek(c) == 'J') {
        c->p++;
        d->kind = 'J';
        if (!parse_uint(c, 3, &d->day) || d->day < 1 || d->day > 365)
            return false;
    } else {
        d->kind = 'D';
        if (!parse_uint(c, 3, &d->day) || d->day > 365)
            return false;
    }
    d->secs = 2 * 3600;
    if (peek(c) == '/') {
        c->p++;
        if (!parse_hms(c, 167, &d->secs))
            return false;
    }
    return true;
}

bool tz_rule_parse(const char *s, size_t n, tz_rule *out) {
    cursor c = {s, s + n};
    int32_t off;
    memset(out, 0, sizeof *out);
    if (!parse_abbr(&c, out->std.abbr) || !parse_hms(&c, 24, &off))
        return false;
    out->std.utoff = -off;
    if (c.p == c.end)
        return true;
    if (!parse_abbr(&c, out->dst.abbr))
        return false;
    out->has_dst = true;
    out->dst.isdst = true;
    out->dst.utoff = out->std.utoff + 3600;
    if (peek(&c) != ',' && c.p != c.end) {
        if (!parse_hms(&c, 24, &off))
            return false;
        out->dst.utoff = -off;
    }
    if (c.p == c.end) {
        /* POSIX leaves the default rule to the implementation; tzcode uses the US rule. */
        static const char us[] = ",M3.2.0,M11.1.0";
        c.p = us;
        c.end = us + sizeof us - 1;
    }
    if (peek(&c) != ',')
        return false;
    c.p++;
    if (!parse_date(&c, &out->start) || peek(&c) != ',')
        return false;
    c.p++;
    if (!parse_date(&c, &out->end))
        return false;
    return c.p == c.end;
}
