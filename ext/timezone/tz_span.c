/*
** tz_span: span text (ISO 8601 and friendly), rounding, and zoned add/difference following
** Temporal: calendar units move the wall clock (day clamped to the month, gaps and folds
** resolved with `compatible`), time units are exact; differences count whole calendar units
** without overshooting ("surpassing") the end date, then the exact remainder.
*/
#include "timezone/tz_span.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NS_PER_SEC 1000000000LL
#define NS_PER_DAY (86400LL * NS_PER_SEC)

/* Limits (Jiff's): any span within them stays representable in the calculations below. */
#define MAX_YEARS 19998
#define MAX_MONTHS (MAX_YEARS * 12)
#define MAX_WEEKS 1043497
#define MAX_DAYS 7304484

/* ---- parsing ------------------------------------------------------------------------------- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static int peek(const cursor *c) {
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

/* digits[.fraction]: integer part and the fraction as nanoseconds-per-unit scaled by 1e9. */
static bool number(cursor *c, int64_t *whole, int64_t *frac9, bool *has_frac) {
    int64_t v = 0;
    int n = 0;
    while (peek(c) >= 0 && isdigit(peek(c))) {
        if (++n > 15)
            return false;
        v = v * 10 + (*c->p++ - '0');
    }
    if (n == 0)
        return false;
    *whole = v;
    *frac9 = 0;
    *has_frac = false;
    if (peek(c) == '.' || peek(c) == ',') {
        c->p++;
        int64_t f = 0;
        int k = 0;
        while (peek(c) >= 0 && isdigit(peek(c))) {
            if (++k > 9)
                return false;
            f = f * 10 + (*c->p++ - '0');
        }
        if (k == 0)
            return false;
        for (; k < 9; k++)
            f *= 10;
        *frac9 = f;
        *has_frac = true;
    }
    return true;
}

/* Adds value (with fraction) of a unit to the span; false if a limit is passed. */
static bool add_unit(tz_span *s, enum tz_unit u, int64_t whole, int64_t frac9, bool has_frac) {
    if (has_frac && u > TZ_UNIT_HOUR)
        return false;
    switch (u) {
        case TZ_UNIT_YEAR:
            s->years += whole;
            break;
        case TZ_UNIT_QUARTER:
            s->months += whole * 3;
            break;
        case TZ_UNIT_MONTH:
            s->months += whole;
            break;
        case TZ_UNIT_WEEK:
            s->weeks += whole;
            break;
        case TZ_UNIT_DAY:
            s->days += whole;
            break;
        default: {
            __int128 unit = tz_unit_nanos(u);
            s->nanos += (__int128)whole * unit + (__int128)frac9 * unit / NS_PER_SEC;
            break;
        }
    }
    return s->years <= MAX_YEARS && s->months <= MAX_MONTHS && s->weeks <= MAX_WEEKS &&
           s->days <= MAX_DAYS && s->nanos <= (__int128)MAX_DAYS * NS_PER_DAY;
}

static const char *parse_iso(cursor *c, tz_span *s) {
    static const char date_units[] = "YMWD", time_units[] = "HMS";
    static const enum tz_unit date_u[] = {TZ_UNIT_YEAR, TZ_UNIT_MONTH, TZ_UNIT_WEEK, TZ_UNIT_DAY};
    static const enum tz_unit time_u[] = {TZ_UNIT_HOUR, TZ_UNIT_MINUTE, TZ_UNIT_SECOND};
    int next = 0, parts = 0;
    bool in_time = false, frac_seen = false;
    for (;;) {
        if (peek(c) == 'T' || peek(c) == 't') {
            if (in_time)
                return "malformed ISO 8601 duration";
            c->p++;
            in_time = true;
            next = 0;
            if (peek(c) < 0)
                return "malformed ISO 8601 duration";
            continue;
        }
        if (peek(c) < 0)
            break;
        int64_t whole, frac9;
        bool has_frac;
        if (frac_seen || !number(c, &whole, &frac9, &has_frac))
            return "malformed ISO 8601 duration";
        int d = toupper(peek(c));
        const char *units = in_time ? time_units : date_units;
        const char *pos = d > 0 ? strchr(units, d) : NULL;
        if (pos == NULL || (int)(pos - units) < next)
            return "malformed ISO 8601 duration";
        c->p++;
        next = (int)(pos - units) + 1;
        enum tz_unit u = in_time ? time_u[pos - units] : date_u[pos - units];
        if (!add_unit(s, u, whole, frac9, has_frac))
            return has_frac && u > TZ_UNIT_HOUR ? "fraction on a calendar unit"
                                                : "duration out of range";
        frac_seen = has_frac;
        parts++;
    }
    return parts > 0 ? NULL : "malformed ISO 8601 duration";
}

static const char *parse_friendly(cursor *c, tz_span *s, bool *ago) {
    int parts = 0;
    *ago = false;
    for (;;) {
        while (peek(c) == ' ' || peek(c) == ',')
            c->p++;
        if (peek(c) < 0)
            break;
        if (c->end - c->p == 3 && strncasecmp(c->p, "ago", 3) == 0 && parts > 0) {
            c->p += 3;
            *ago = true;
            break;
        }
        int64_t whole, frac9;
        bool has_frac;
        if (!number(c, &whole, &frac9, &has_frac))
            return "malformed duration (expected e.g. 'P1DT2H' or '1 day 2 hours')";
        while (peek(c) == ' ')
            c->p++;
        char word[16];
        size_t n = 0;
        while (peek(c) >= 0 && isalpha(peek(c))) {
            if (n + 1 >= sizeof word)
                return "unknown unit in duration";
            word[n++] = *c->p++;
        }
        word[n] = '\0';
        enum tz_unit u;
        if (strcmp(word, "m") == 0)
            u = TZ_UNIT_MINUTE;
        else if (!tz_unit_parse(word, &u))
            return "unknown unit in duration";
        if (!add_unit(s, u, whole, frac9, has_frac))
            return has_frac && u > TZ_UNIT_HOUR ? "fraction on a calendar unit"
                                                : "duration out of range";
        parts++;
    }
    return parts > 0 ? NULL : "empty duration";
}

/* The problem with str[0..n), or NULL when it parses. */
static const char *parse_span(const char *str, size_t n, tz_span *out) {
    cursor c = {str, str + n};
    memset(out, 0, sizeof *out);
    while (peek(&c) == ' ')
        c.p++;
    while (c.end > c.p && c.end[-1] == ' ')
        c.end--;
    int sign = 1;
    if (peek(&c) == '+' || peek(&c) == '-')
        sign = *c.p++ == '-' ? -1 : 1;
    const char *err;
    bool ago = false;
    if (peek(&c) == 'P' || peek(&c) == 'p') {
        c.p++;
        err = parse_iso(&c, out);
    } else {
        err = parse_friendly(&c, out, &ago);
    }
    if (err != NULL)
        return err;
    if (ago)
        sign = -sign;
    if (sign < 0) {
        out->years = -out->years;
        out->months = -out->months;
        out->weeks = -out->weeks;
        out->days = -out->days;
        out->nanos = -out->nanos;
    }
    return NULL;
}

/* ---- formatting ---------------------------------------------------------------------------- */

static int64_t abs64(int64_t v) {
    return v < 0 ? -v : v;
}

void tz_span_format(const tz_span *s, enum tz_unit largest_time, char *buf) {
    __int128 t = s->nanos < 0 ? -s->nanos : s->nanos;
    bool neg = s->years < 0 || s->months < 0 || s->weeks < 0 || s->days < 0 || s->nanos < 0;
    char *p = buf;
    if (neg)
        *p++ = '-';
    *p++ = 'P';
    if (s->years)
        p += sprintf(p, "%lldY", (long long)abs64(s->years));
    if (s->months)
        p += sprintf(p, "%lldM", (long long)abs64(s->months));
    if (s->weeks)
        p += sprintf(p, "%lldW", (long long)abs64(s->weeks));
    if (s->days)
        p += sprintf(p, "%lldD", (long long)abs64(s->days));
    if (t == 0) {
        if (p == buf + 1 + neg)
            strcpy(p, "T0S");
        else
            *p = '\0';
        return;
    }
    *p++ = 'T';
    __int128 secs = t / NS_PER_SEC;
    long long frac = (long long)(t % NS_PER_SEC);
    long long h = 0, m = 0;
    if (largest_time >= TZ_UNIT_HOUR) {
        h = (long long)(secs / 3600);
        secs %= 3600;
    }
    if (largest_time >= TZ_UNIT_MINUTE) {
        m = (long long)(secs / 60);
        secs %= 60;
    }
    if (h)
        p += sprintf(p, "%lldH", h);
    if (m)
        p += sprintf(p, "%lldM", m);
    if (secs || frac) {
        p += sprintf(p, "%lld", (long long)secs);
        if (frac) {
            int digits = 9;
            while (frac % 10 == 0) {
                frac /= 10;
                digits--;
            }
            p += sprintf(p, ".%0*lld", digits, frac);
        }
        *p++ = 'S';
    }
    *p = '\0';
}

/* ---- rounding ------------------------------------------------------------------------------ */

bool tz_round_mode_parse(const char *s, enum tz_round_mode *out) {
    static const char *names[] = {"ceil",      "floor",      "expand",    "trunc",   "halfceil",
                                  "halffloor", "halfexpand", "halftrunc", "halfeven"};
    char norm[16];
    size_t n = 0;
    for (; s != NULL && *s; s++) {
        if (*s == '-' || *s == '_')
            continue;
        if (n + 1 >= sizeof norm)
            return false;
        norm[n++] = (char)tolower((unsigned char)*s);
    }
    norm[n] = '\0';
    for (int i = 0; i < 9; i++) {
        if (strcmp(norm, names[i]) == 0) {
            *out = (enum tz_round_mode)i;
            return true;
        }
    }
    return false;
}

__int128 tz_round_ratio(__int128 num, __int128 den, enum tz_round_mode mode) {
    assert(den > 0); /* the floor division below relies on it */
    __int128 q = num / den, r = num % den;
    if (r < 0) {
        q--;
        r += den;
    }
    if (r == 0)
        return q;
    bool neg = num < 0;
    __int128 lo = q, hi = q + 1;
    switch (mode) {
        case TZ_ROUND_CEIL:
            return hi;
        case TZ_ROUND_FLOOR:
            return lo;
        case TZ_ROUND_EXPAND:
            return neg ? lo : hi;
        case TZ_ROUND_TRUNC:
            return neg ? hi : lo;
        default:
            break;
    }
    if (2 * r < den)
        return lo;
    if (2 * r > den)
        return hi;
    switch (mode) {
        case TZ_ROUND_HALF_CEIL:
            return hi;
        case TZ_ROUND_HALF_FLOOR:
            return lo;
        case TZ_ROUND_HALF_EXPAND:
            return neg ? lo : hi;
        case TZ_ROUND_HALF_TRUNC:
            return neg ? hi : lo;
        default:
            return q % 2 == 0 ? lo : hi;
    }
}

__int128 tz_round(__int128 x, __int128 unit, enum tz_round_mode mode) {
    return tz_round_ratio(x, unit, mode) * unit;
}

/* ---- zoned arithmetic ---------------------------------------------------------------------- */

typedef struct ymd {
    int64_t y;
    int m, d;
} ymd;

/* Adds months, clamping the day to the end of the resulting month. */
static ymd add_months(ymd a, int64_t months) {
    int64_t total = a.y * 12 + (a.m - 1) + months;
    ymd r = {tz_floor_div(total, 12), (int)tz_floor_mod(total, 12) + 1, a.d};
    int dim = tz_days_in_month(r.y, r.m);
    if (r.d > dim)
        r.d = dim;
    return r;
}

static int64_t ymd_days(ymd a) {
    return tz_days_from_civil(a.y, a.m, a.d);
}

static ymd ymd_from_days(int64_t days) {
    int32_t y;
    int m, d;
    tz_civil_from_days(days, &y, &m, &d);
    ymd r = {y, m, d};
    return r;
}

static bool days_in_range(int64_t days) {
    return days >= tz_days_from_civil(TZ_YEAR_MIN, 1, 1) &&
           days <= tz_days_from_civil(TZ_YEAR_MAX, 12, 31);
}

static __int128 to_ns(tz_instant t) {
    return (__int128)t.secs * NS_PER_SEC + t.nanos;
}

static bool from_ns(__int128 ns, tz_instant *out) {
    __int128 s = ns / NS_PER_SEC, r = ns % NS_PER_SEC;
    if (r < 0) {
        s--;
        r += NS_PER_SEC;
    }
    if (s < TZ_SECONDS_MIN - 86400 || s > TZ_SECONDS_MAX + 86400)
        return false;
    out->secs = (int64_t)s;
    out->nanos = (int32_t)r;
    return true;
}

/* The instant of the wall time `days` at time-of-day tod (seconds), compatible. */
static int64_t resolve_day(const tz_zone *z, int64_t days, int64_t tod) {
    tz_resolution r;
    int64_t out;
    tz_zone_resolve(z, days * 86400 + tod, &r);
    tz_resolution_pick(&r, TZ_COMPATIBLE, &out);
    return out;
}

bool tz_zoned_add(const tz_zone *z, tz_instant t, const tz_span *s, tz_instant *out) {
    tz_instant base = t;
    if (s->years || s->months || s->weeks || s->days) {
        int64_t local = t.secs + tz_zone_offset_at(z, t.secs);
        int64_t days = tz_floor_div(local, 86400), tod = local - days * 86400;
        ymd d = add_months(ymd_from_days(days), s->years * 12 + s->months);
        int64_t nd = ymd_days(d) + s->weeks * 7 + s->days;
        if (d.y < TZ_YEAR_MIN || d.y > TZ_YEAR_MAX || !days_in_range(nd))
            return false;
        base.secs = resolve_day(z, nd, tod);
    }
    return from_ns(to_ns(base) + s->nanos, out);
}

/* (y, m, d) with an unclamped day compared to b: -1, 0, 1. */
static int cmp_ymd(int64_t y, int m, int d, ymd b) {
    if (y != b.y)
        return y < b.y ? -1 : 1;
    if (m != b.m)
        return m < b.m ? -1 : 1;
    return d < b.d ? -1 : d > b.d;
}

/* Whole years/months/weeks/days from date a to date b without passing b. */
static void date_diff(ymd a, ymd b, enum tz_unit largest, tz_span *out) {
    int64_t da = ymd_days(a), db = ymd_days(b);
    int sign = db > da ? 1 : db < da ? -1 : 0;
    memset(out, 0, sizeof *out);
    if (largest >= TZ_UNIT_MONTH) {
        int64_t years = 0;
        if (largest == TZ_UNIT_YEAR) {
            years = b.y - a.y;
            if (years != 0 && cmp_ymd(a.y + years, a.m, a.d, b) * sign > 0)
                years -= sign;
        }
        int64_t y0 = a.y + years;
        int64_t months = (b.y - y0) * 12 + (b.m - a.m);
        if (months != 0) {
            int64_t total = y0 * 12 + (a.m - 1) + months;
            if (cmp_ymd(tz_floor_div(total, 12), (int)tz_floor_mod(total, 12) + 1, a.d, b) * sign >
                0)
                months -= sign;
        }
        ymd mid = add_months(a, years * 12 + months);
        out->years = years;
        out->months = months;
        out->days = db - ymd_days(mid);
    } else {
        out->days = db - da;
    }
    if (largest == TZ_UNIT_WEEK) {
        out->weeks = out->days / 7;
        out->days %= 7;
    }
}

static int64_t round_increment_max(enum tz_unit u) {
    switch (u) {
        case TZ_UNIT_HOUR:
            return 24;
        case TZ_UNIT_MINUTE:
        case TZ_UNIT_SECOND:
            return 60;
        case TZ_UNIT_NANOSECOND:
        case TZ_UNIT_MICROSECOND:
        case TZ_UNIT_MILLISECOND:
            return 1000;
        default:
            return 0;
    }
}

/* The instant of base date + n smallest units (calendar) at time-of-day tod. */
static int64_t calendar_step(const tz_zone *z, ymd base, enum tz_unit u, int64_t n, int64_t tod) {
    int64_t days;
    if (u == TZ_UNIT_YEAR)
        days = ymd_days(add_months(base, n * 12));
    else if (u == TZ_UNIT_MONTH)
        days = ymd_days(add_months(base, n));
    else
        days = ymd_days(base) + n * (u == TZ_UNIT_WEEK ? 7 : 1);
    return resolve_day(z, days, tod);
}

/* The instant of start + span (calendar part on the wall clock at tod, then nanos). */
static __int128 span_end(const tz_zone *z, ymd start, int64_t tod, int32_t nanos,
                         const tz_span *s) {
    ymd m = add_months(start, s->years * 12 + s->months);
    int64_t t = resolve_day(z, ymd_days(m) + s->weeks * 7 + s->days, tod);
    return (__int128)t * NS_PER_SEC + nanos + s->nanos;
}

/* Temporal's bubbling: after rounding at `from`, each larger unit up to `largest` absorbs the
** smaller ones when the rounded end has reached one more of it. */
static void bubble(const tz_zone *z, ymd start, int64_t tod, int32_t nanos, enum tz_unit from,
                   enum tz_unit largest, int sign, tz_span *s) {
    __int128 end = span_end(z, start, tod, nanos, s);
    for (enum tz_unit u = from + 1; u <= largest; u++) {
        if (u == TZ_UNIT_QUARTER || (u == TZ_UNIT_WEEK && largest != TZ_UNIT_WEEK))
            continue;
        tz_span c = *s;
        c.nanos = 0;
        c.days = 0;
        if (u >= TZ_UNIT_MONTH)
            c.weeks = 0;
        if (u == TZ_UNIT_YEAR)
            c.months = 0;
        if (u == TZ_UNIT_WEEK)
            c.weeks += sign;
        else if (u == TZ_UNIT_MONTH)
            c.months += sign;
        else if (u == TZ_UNIT_YEAR)
            c.years += sign;
        else
            continue;
        if ((end - span_end(z, start, tod, nanos, &c)) * sign < 0)
            break;
        *s = c;
    }
}

/* The problem, or NULL when out holds a - b. */
static const char *zoned_diff(const tz_zone *z, tz_instant a, tz_instant b,
                              const tz_diff_options *o, tz_span *out) {
    memset(out, 0, sizeof *out);
    if (o->smallest > o->largest)
        return "smallest unit is larger than largest unit";
    if (o->largest == TZ_UNIT_QUARTER || o->smallest == TZ_UNIT_QUARTER)
        return "quarters are not a difference unit";
    int64_t max = round_increment_max(o->smallest);
    if (o->increment < 1 || o->increment > 1000000000 ||
        (max && (o->increment >= max || max % o->increment != 0) && o->increment != 1))
        return "increment must divide the next larger unit";
    __int128 d = to_ns(a) - to_ns(b);
    if (o->largest <= TZ_UNIT_HOUR) {
        out->nanos = tz_round(d, (__int128)tz_unit_nanos(o->smallest) * o->increment, o->mode);
        return NULL;
    }
    if (d == 0)
        return NULL;
    int sign = d > 0 ? 1 : -1;
    int64_t la = a.secs + tz_zone_offset_at(z, a.secs), lb = b.secs + tz_zone_offset_at(z, b.secs);
    int64_t days_a = tz_floor_div(la, 86400), days_b = tz_floor_div(lb, 86400);
    __int128 tod_a = (__int128)(la - days_a * 86400) * NS_PER_SEC + a.nanos;
    __int128 tod_b = (__int128)(lb - days_b * 86400) * NS_PER_SEC + b.nanos;
    int64_t tod_b_secs = lb - days_b * 86400;
    int64_t end_days = days_a;
    if ((tod_a - tod_b) * sign < 0)
        end_days -= sign;
    ymd start = ymd_from_days(days_b);
    tz_span cal;
    __int128 rem = 0;
    int64_t mid = 0;
    for (int tries = 0; tries < 3; tries++) {
        date_diff(start, ymd_from_days(end_days), o->largest, &cal);
        ymd m = add_months(start, cal.years * 12 + cal.months);
        mid = resolve_day(z, ymd_days(m) + cal.weeks * 7 + cal.days, tod_b_secs);
        rem = to_ns(a) - ((__int128)mid * NS_PER_SEC + b.nanos);
        if (rem == 0 || (rem > 0) == (sign > 0))
            break;
        end_days -= sign;
    }
    if (o->smallest <= TZ_UNIT_HOUR) {
        __int128 r = tz_round(rem, (__int128)tz_unit_nanos(o->smallest) * o->increment, o->mode);
        /* Rounding up to a whole day of this zone's wall clock carries into the days. */
        int64_t mid_local = mid + tz_zone_offset_at(z, mid);
        int64_t next = resolve_day(z, tz_floor_div(mid_local, 86400) + sign, tod_b_secs);
        __int128 daylen = (__int128)(next - mid) * NS_PER_SEC;
        *out = cal;
        out->nanos = r;
        if (daylen != 0 && (r - daylen) * sign >= 0) {
            out->days += sign;
            out->nanos = r - daylen;
            bubble(z, start, tod_b_secs, b.nanos, TZ_UNIT_DAY, o->largest, sign, out);
        }
        return NULL;
    }
    /* Round to a calendar unit as Temporal does: the smallest unit's count past the larger
    ** units, truncated to the increment (r1), and the exact progress from r1 to r1 + increment
    ** decides the rounding. */
    ymd base = start;
    int64_t n;
    switch (o->smallest) {
        case TZ_UNIT_YEAR:
            n = cal.years;
            break;
        case TZ_UNIT_MONTH:
            base = add_months(start, cal.years * 12);
            n = cal.months;
            break;
        case TZ_UNIT_WEEK:
            base = add_months(start, cal.years * 12 + cal.months);
            n = cal.weeks + cal.days / 7;
            break;
        default:
            base = add_months(start, cal.years * 12 + cal.months);
            base = ymd_from_days(ymd_days(base) + cal.weeks * 7);
            n = cal.days;
            break;
    }
    int64_t inc = o->increment;
    int64_t r1 = n / inc * inc, r2 = r1 + inc * sign;
    int64_t s0 = calendar_step(z, base, o->smallest, r1, tod_b_secs);
    int64_t s1 = calendar_step(z, base, o->smallest, r2, tod_b_secs);
    __int128 num = to_ns(a) - ((__int128)s0 * NS_PER_SEC + b.nanos);
    __int128 den = (__int128)(s1 - s0) * NS_PER_SEC;
    if (den < 0) {
        den = -den;
        num = -num;
    }
    if (den == 0)
        return "cannot round: zero-length unit";
    /* The value, in increments, is r1 / inc + sign * num / den. */
    int64_t rn =
        (int64_t)tz_round_ratio((__int128)(r1 / inc) * den + sign * num, den, o->mode) * inc;
    memset(out, 0, sizeof *out);
    out->years = cal.years;
    switch (o->smallest) {
        case TZ_UNIT_YEAR:
            out->years = rn;
            break;
        case TZ_UNIT_MONTH:
            out->months = rn;
            break;
        case TZ_UNIT_WEEK:
            out->months = cal.months;
            out->weeks = rn;
            break;
        default:
            out->months = cal.months;
            out->weeks = cal.weeks;
            out->days = rn;
            break;
    }
    /* Temporal never bubbles weeks into months or years. */
    if (o->smallest != TZ_UNIT_WEEK)
        bubble(z, start, tod_b_secs, b.nanos, o->smallest, o->largest, sign, out);
    return NULL;
}

tz_status tz_span_parse(const char *s, size_t n, tz_span *out, char *err, size_t errlen) {
    const char *why = parse_span(s, n, out);
    if (why == NULL)
        return TZ_OK;
    snprintf(err, errlen, "%s", why);
    return TZ_ERROR;
}

tz_status tz_zoned_diff(const tz_zone *z, tz_instant a, tz_instant b, const tz_diff_options *o,
                        tz_span *out, char *err, size_t errlen) {
    const char *why = zoned_diff(z, a, b, o, out);
    if (why == NULL)
        return TZ_OK;
    snprintf(err, errlen, "%s", why);
    return TZ_ERROR;
}
