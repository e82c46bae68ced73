/*
** tz_zone: questions asked of a parsed zone: offset at an instant (binary search, then the POSIX
** footer rule past the last transition), the next transition after an instant, and the
** instant(s) a wall-clock time denotes (unique, skipped by a gap, or repeated by a fold).
*/
#include "timezone/tz_zone.h"
#include "timezone/tz_civil.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tz_zone *tz_zone_new_fixed(const char *name, int32_t utoff, const char *abbr) {
    tz_zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        return NULL;
    z->refs = 1;
    snprintf(z->name, sizeof z->name, "%s", name);
    z->ntypes = 1;
    z->types[0].utoff = utoff;
    snprintf(z->types[0].abbr, sizeof z->types[0].abbr, "%s", abbr);
    return z;
}

void tz_zone_retain(tz_zone *z) {
    __atomic_add_fetch(&z->refs, 1, __ATOMIC_RELAXED);
}

void tz_zone_release(tz_zone *z) {
    if (z == NULL)
        return;
    int left = __atomic_sub_fetch(&z->refs, 1, __ATOMIC_ACQ_REL);
    assert(left >= 0); /* one release per reference: the cache and auxdata share zones */
    if (left != 0)
        return;
    free(z->trans);
    free(z->trans_type);
    free(z->index);
    free(z);
}

/* ---- the POSIX rule ------------------------------------------------------------------------ */

/* Local seconds at which rule date d happens in year. */
static int64_t rule_date_local(const tz_rule_date *d, int64_t year) {
    int64_t days;
    if (d->kind == 'J') {
        days = tz_days_from_civil(year, 1, 1) + d->day - 1 + (tz_is_leap(year) && d->day >= 60);
    } else if (d->kind == 'D') {
        days = tz_days_from_civil(year, 1, 1) + d->day;
    } else {
        int64_t first = tz_days_from_civil(year, d->month, 1);
        int wd_first = tz_weekday_from_days(first) % 7; /* 0 = Sunday */
        int mday = (d->weekday - wd_first + 7) % 7 + 1 + (d->week - 1) * 7;
        if (mday > tz_days_in_month(year, d->month))
            mday -= 7;
        days = first + mday - 1;
    }
    return days * 86400 + d->secs;
}

/* The DST start and end instants of one year. */
static void rule_year(const tz_rule *r, int64_t year, int64_t *start, int64_t *end) {
    *start = rule_date_local(&r->start, year) - r->std.utoff;
    *end = rule_date_local(&r->end, year) - r->dst.utoff;
}

static int64_t year_of(int64_t t) {
    int32_t y;
    int m, d;
    tz_civil_from_days(tz_floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* Whether the rule has DST in effect at t: the latest start/end event at or before t decides
** (an end and a start at the same instant leave DST on, as for all-year DST rules). */
static bool rule_isdst(const tz_rule *r, int64_t t) {
    int64_t y = year_of(t), best = INT64_MIN;
    bool dst = false;
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t s, e;
        rule_year(r, yy, &s, &e);
        if (e <= t && e > best) {
            best = e;
            dst = false;
        }
        if (s <= t && s >= best) {
            best = s;
            dst = true;
        }
    }
    return dst;
}

static const tz_ttinfo *rule_info(const tz_rule *r, int64_t t) {
    return r->has_dst && rule_isdst(r, t) ? &r->dst : &r->std;
}

/* The first rule event strictly after t. */
static bool rule_next(const tz_rule *r, int64_t t, int64_t *out) {
    if (!r->has_dst)
        return false;
    int64_t y = year_of(t), best = INT64_MAX;
    for (int64_t yy = y - 1; yy <= y + 2; yy++) {
        int64_t s, e;
        rule_year(r, yy, &s, &e);
        if (s > t && s < best)
            best = s;
        if (e > t && e < best)
            best = e;
    }
    if (best == INT64_MAX)
        return false;
    *out = best;
    return true;
}

/* ---- lookups ------------------------------------------------------------------------------- */

/* Index of the last transition at or before t; -1 if t is before the first. Branch-free: the
** comparison picks the half with a conditional move, so random instants do not pay a branch
** misprediction per step. */
static ptrdiff_t search_trans(const tz_zone *z, int64_t t) {
    const int64_t *b = z->trans;
    size_t n = z->ntrans;
    if (n == 0)
        return -1;
    while (n > 1) {
        size_t half = n >> 1;
        b = b[half] <= t ? b + half : b;
        n -= half;
    }
    return *b <= t ? b - z->trans : -1;
}

/* The same through the bucket index when t is inside it: one load and a step or two. */
static ptrdiff_t find_trans(const tz_zone *z, int64_t t) {
    if (z->index == NULL || t < z->index_base || t >= z->trans[z->ntrans - 1])
        return search_trans(z, t);
    size_t i = z->index[(uint64_t)(t - z->index_base) >> TZ_INDEX_SHIFT];
    while (i + 1 < z->ntrans && z->trans[i + 1] <= t)
        i++;
    return (ptrdiff_t)i;
}

/* Most buckets an index may have (about 6,700 years). */
#define INDEX_MAX 100000

void tz_zone_build_index(tz_zone *z) {
    /* Every lookup (binary search, index) relies on what the TZif reader checked: transitions
    ** strictly ascending, each naming a type the zone has. */
    for (size_t i = 0; i < z->ntrans; i++)
        assert((i == 0 || z->trans[i - 1] < z->trans[i]) && z->trans_type[i] < z->ntypes);
    if (z->ntrans < 4)
        return;
    /* Start no earlier than 1901 (the 32-bit TZif range): files may open with a "big bang"
    ** transition far in the past that would make the index huge. */
    int64_t base = z->trans[0] > -2147483648LL ? z->trans[0] : -2147483648LL;
    int64_t last = z->trans[z->ntrans - 1];
    if (last <= base)
        return;
    uint64_t nb = ((uint64_t)(last - base) >> TZ_INDEX_SHIFT) + 1;
    if (nb > INDEX_MAX)
        return;
    uint32_t *index = malloc((size_t)nb * sizeof *index);
    if (index == NULL)
        return;
    ptrdiff_t i = search_trans(z, base);
    for (uint64_t k = 0; k < nb; k++) {
        int64_t start = base + (int64_t)(k << TZ_INDEX_SHIFT);
        while ((size_t)(i + 1) < z->ntrans && z->trans[i + 1] <= start)
            i++;
        index[k] = (uint32_t)i;
    }
    z->index = index;
    z->nindex = (size_t)nb;
    z->index_base = base;
}

const tz_ttinfo *tz_zone_info_at(const tz_zone *z, int64_t t) {
    if (z->ntrans == 0)
        return z->has_rule ? rule_info(&z->rule, t) : &z->types[0];
    if (z->has_rule && t >= z->trans[z->ntrans - 1])
        return rule_info(&z->rule, t);
    ptrdiff_t i = find_trans(z, t);
    /* RFC 8536: before the first transition, local time type 0 applies. */
    return i < 0 ? &z->types[0] : &z->types[z->trans_type[i]];
}

int32_t tz_zone_offset_at(const tz_zone *z, int64_t t) {
    return tz_zone_info_at(z, t)->utoff;
}

/* The next instant after t at which the table or the rule may change the local time type. */
static bool next_raw(const tz_zone *z, int64_t t, int64_t *out) {
    if (z->ntrans > 0 && t < z->trans[z->ntrans - 1]) {
        *out = z->trans[find_trans(z, t) + 1];
        return true;
    }
    return z->has_rule && rule_next(&z->rule, t, out);
}

static bool same_info(const tz_ttinfo *a, const tz_ttinfo *b) {
    return a->utoff == b->utoff && a->isdst == b->isdst && strcmp(a->abbr, b->abbr) == 0;
}

bool tz_zone_next_transition(const tz_zone *z, int64_t t, tz_transition *out) {
    int64_t cur = t;
    /* A few no-op entries may follow each other; more than this many means no real change. */
    for (int guard = 0; guard < 64; guard++) {
        int64_t at;
        if (!next_raw(z, cur, &at) || at > TZ_SECONDS_MAX)
            return false;
        const tz_ttinfo *before = tz_zone_info_at(z, at - 1);
        const tz_ttinfo *after = tz_zone_info_at(z, at);
        if (!same_info(before, after)) {
            out->at = at;
            out->before = *before;
            out->after = *after;
            return true;
        }
        cur = at;
    }
    return false;
}

/* ---- local time to instant ----------------------------------------------------------------- */

#define MAX_CANDIDATES 16

void tz_zone_resolve(const tz_zone *z, int64_t local, tz_resolution *out) {
    int64_t lo = local - TZ_OFFSET_MAX - 1, hi = local + TZ_OFFSET_MAX + 1;
    int32_t cands[MAX_CANDIDATES];
    tz_transition trs[MAX_CANDIDATES];
    int nc = 0, ntr = 0;
    cands[nc++] = tz_zone_offset_at(z, lo);
    for (int64_t cur = lo; ntr < MAX_CANDIDATES - 1;) {
        tz_transition tr;
        if (!tz_zone_next_transition(z, cur, &tr) || tr.at > hi)
            break;
        trs[ntr++] = tr;
        cands[nc++] = tr.after.utoff;
        cur = tr.at;
    }
    int64_t earliest = INT64_MAX, latest = INT64_MIN;
    int valid = 0;
    for (int i = 0; i < nc; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= cands[j] == cands[i];
        if (dup)
            continue;
        int64_t t = local - cands[i];
        if (tz_zone_offset_at(z, t) != cands[i])
            continue;
        valid++;
        if (t < earliest)
            earliest = t;
        if (t > latest)
            latest = t;
    }
    if (valid > 0) {
        out->kind = earliest == latest ? TZ_UNIQUE : TZ_FOLD;
        out->earlier = earliest;
        out->later = latest;
        out->gap_start = earliest;
        return;
    }
    for (int i = 0; i < ntr; i++) {
        const tz_transition *tr = &trs[i];
        if (tr->at + tr->before.utoff <= local && local < tr->at + tr->after.utoff) {
            out->kind = TZ_GAP;
            out->earlier = local - tr->after.utoff;
            out->later = local - tr->before.utoff;
            out->gap_start = tr->at;
            return;
        }
    }
    /* Unreachable with consistent data; answer with the offset before, as a gap would. */
    out->kind = TZ_GAP;
    out->earlier = out->later = out->gap_start = local - cands[0];
}

bool tz_resolution_pick(const tz_resolution *r, enum tz_disambiguation d, int64_t *out) {
    if (r->kind == TZ_UNIQUE) {
        *out = r->earlier;
        return true;
    }
    switch (d) {
        case TZ_COMPATIBLE:
            *out = r->kind == TZ_GAP ? r->later : r->earlier;
            return true;
        case TZ_EARLIER:
            *out = r->earlier;
            return true;
        case TZ_LATER:
            *out = r->later;
            return true;
        default:
            return false;
    }
}

bool tz_disambiguation_parse(const char *s, enum tz_disambiguation *out) {
    static const char *names[] = {"compatible", "earlier", "later", "reject"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tz_disambiguation)i;
            return true;
        }
    }
    return false;
}

int64_t tz_zone_start_of_day(const tz_zone *z, int64_t days) {
    tz_resolution r;
    tz_zone_resolve(z, days * 86400, &r);
    /* A gap swallowing midnight: the day starts when the gap ends, at the transition. */
    return r.kind == TZ_GAP ? r.gap_start : r.earlier;
}
