/*
** Unit tests of the timezone engine: calendar math, POSIX rules, TZif parsing (including
** truncated and corrupted files), instant lookups and wall-time resolution.
*/
#include "timezone/tz_civil.h"
#include "timezone/tz_db.h"
#include "timezone/tz_span.h"
#include "timezone/tz_text.h"
#include "timezone/tz_zone.h"
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>

static void test_civil(void) {
    CHECK_EQ_INT(tz_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(tz_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(tz_days_from_civil(0, 1, 1), -719528);
    for (int64_t d = -800000; d < 3000000; d += 997) {
        int32_t y;
        int m, dd;
        tz_civil_from_days(d, &y, &m, &dd);
        CHECK_EQ_INT(tz_days_from_civil(y, m, dd), d);
    }
    CHECK_EQ_INT(tz_weekday_from_days(0), 4);                               /* Thursday */
    CHECK_EQ_INT(tz_weekday_from_days(tz_days_from_civil(2024, 3, 10)), 7); /* Sunday */
    CHECK_EQ_INT(tz_days_in_month(2024, 2), 29);
    CHECK_EQ_INT(tz_days_in_month(2100, 2), 28);
}

static void test_rule_parse(void) {
    tz_rule r;
    CHECK(tz_rule_parse("EST5EDT,M3.2.0,M11.1.0", 22, &r));
    CHECK_EQ_INT(r.std.utoff, -18000);
    CHECK_EQ_INT(r.dst.utoff, -14400);
    CHECK_EQ_STR(r.dst.abbr, "EDT");
    CHECK(tz_rule_parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 36, &r));
    CHECK_EQ_INT(r.std.utoff, 37800);
    CHECK_EQ_STR(r.std.abbr, "+1030");
    CHECK(tz_rule_parse("<-03>3", 6, &r) && !r.has_dst);
    CHECK(tz_rule_parse("IST-1GMT0,M10.5.0,M3.5.0/1", 26, &r));
    CHECK_EQ_INT(r.dst.utoff, 0);
    CHECK(tz_rule_parse("EST5EDT,0/0,J365/25", 19, &r));
    CHECK(tz_rule_parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 31, &r));
    CHECK_EQ_INT(r.start.secs, -3600);
    CHECK(!tz_rule_parse("E5", 2, &r));
    CHECK(!tz_rule_parse("EST5EDT,M13.1.0,M11.1.0", 23, &r));
    CHECK(!tz_rule_parse("EST5EDT,M3.2.0", 14, &r));
    CHECK(!tz_rule_parse("EST99", 5, &r));
    CHECK(!tz_rule_parse("<EST5", 5, &r));
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

static int64_t at(int y, int mo, int d, int h, int mi) {
    tz_civil c = {y, mo, d, h, mi, 0, 0};
    return tz_civil_to_seconds(&c);
}

/* tz_zone_from_tzif's zone, or NULL with the problem in err (TZ_ERR_SIZE bytes). */
static tz_zone *tzif(const char *name, const unsigned char *data, size_t len, char *err) {
    tz_zone *z;
    tz_status st = tz_zone_from_tzif(name, data, len, &z, err, TZ_ERR_SIZE);
    CHECK((st == TZ_OK) == (z != NULL));
    return z;
}

/* tz_db_get's zone, or NULL with its status in *st. */
static tz_zone *db_get(const char *name, tz_status *st) {
    tz_zone *z;
    *st = tz_db_get(name, &z, NULL, 0);
    return z;
}

static void test_tzif_new_york(void) {
    size_t len;
    unsigned char *buf = read_file("/usr/share/zoneinfo/America/New_York", &len);
    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    char err[TZ_ERR_SIZE];
    tz_zone *z = tzif("America/New_York", buf, len, err);
    CHECK(z != NULL);
    if (z != NULL) {
        CHECK(z->has_rule);
        CHECK_EQ_INT(tz_zone_offset_at(z, at(2024, 7, 1, 12, 0)), -14400);
        CHECK_EQ_INT(tz_zone_offset_at(z, at(2024, 1, 1, 12, 0)), -18000);
        /* Past 2037 only the footer rule knows. */
        CHECK_EQ_INT(tz_zone_offset_at(z, at(2100, 7, 1, 12, 0)), -14400);
        CHECK_EQ_INT(tz_zone_offset_at(z, at(2100, 12, 1, 12, 0)), -18000);
        tz_transition tr;
        CHECK(tz_zone_next_transition(z, at(2099, 1, 1, 0, 0), &tr));
        CHECK_EQ_INT(tr.at, at(2099, 3, 8, 7, 0));
        CHECK_EQ_STR(tr.after.abbr, "EDT");
        tz_resolution r;
        tz_zone_resolve(z, at(2024, 3, 10, 2, 30), &r);
        CHECK_EQ_INT(r.kind, TZ_GAP);
        CHECK_EQ_INT(r.later, at(2024, 3, 10, 7, 30));
        CHECK_EQ_INT(r.earlier, at(2024, 3, 10, 6, 30));
        tz_zone_resolve(z, at(2024, 11, 3, 1, 30), &r);
        CHECK_EQ_INT(r.kind, TZ_FOLD);
        CHECK_EQ_INT(r.earlier, at(2024, 11, 3, 5, 30));
        CHECK_EQ_INT(r.later, at(2024, 11, 3, 6, 30));
        tz_zone_resolve(z, at(2124, 11, 5, 1, 30), &r);
        CHECK_EQ_INT(r.kind, TZ_FOLD);
        int64_t t;
        CHECK(!tz_resolution_pick(&r, TZ_REJECT, &t));
        CHECK(tz_resolution_pick(&r, TZ_COMPATIBLE, &t) && t == r.earlier);
    }
    tz_zone_release(z);
    /* Every truncation is an error, never an overread (ASan checks the latter). */
    for (size_t n = 0; n < len; n++) {
        err[0] = '\0';
        tz_zone *bad = tzif("x", buf, n, err);
        CHECK(bad == NULL && err[0] != '\0');
        tz_zone_release(bad);
    }
    /* Random corruption: parse or fail, but every answer stays in bounds. */
    unsigned seed = 12345;
    unsigned char *copy = malloc(len);
    for (int round = 0; copy != NULL && round < 3000; round++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] = (unsigned char)(seed >> 20);
        }
        tz_zone *zz = tzif("x", copy, len, err);
        if (zz != NULL) {
            int32_t off = tz_zone_offset_at(zz, at(2050, 1, 1, 0, 0));
            CHECK(off >= -TZ_OFFSET_MAX && off <= TZ_OFFSET_MAX);
            tz_resolution r;
            tz_zone_resolve(zz, at(2030, 3, 10, 2, 30), &r);
        }
        tz_zone_release(zz);
    }
    free(copy);
    free(buf);
}

static void test_db(void) {
    tz_status st;
    tz_zone *z = db_get("australia/lord_howe", &st);
    CHECK(z != NULL);
    if (z != NULL) {
        CHECK_EQ_STR(z->name, "Australia/Lord_Howe");
        tz_resolution r;
        tz_zone_resolve(z, at(2024, 10, 6, 2, 15), &r);
        CHECK_EQ_INT(r.kind, TZ_GAP);
        CHECK_EQ_INT(r.later - r.earlier, 1800);
    }
    tz_zone_release(z);
    CHECK(db_get("../../etc/passwd", &st) == NULL && st == TZ_UNKNOWN_ZONE);
    CHECK(db_get("/etc/passwd", &st) == NULL && st == TZ_UNKNOWN_ZONE);
    CHECK(db_get("Mars/Olympus", &st) == NULL && st == TZ_UNKNOWN_ZONE);
    CHECK(db_get("localtime", &st) == NULL);
    char err[TZ_ERR_SIZE];
    CHECK_EQ_INT(tz_db_get("Mars/Olympus", &z, err, sizeof err), TZ_UNKNOWN_ZONE);
    CHECK(z == NULL);
    CHECK_EQ_STR(err, "unknown time zone 'Mars/Olympus'");
    z = db_get("-03:30", &st);
    CHECK(z != NULL && tz_zone_offset_at(z, 0) == -12600);
    tz_zone_release(z);
    size_t n;
    const tz_db_name *names = tz_db_names(&n);
    CHECK(names != NULL && n > 300);
    CHECK(tz_db_version() != NULL);
    tz_db_reset();
}

static char parse_err[TZ_ERR_SIZE];

/* NULL, or what tz_text_parse found wrong with s. */
static const char *parse(const char *s, tz_parsed *p) {
    if (tz_text_parse(s, strlen(s), p, parse_err, sizeof parse_err) == TZ_OK)
        return NULL;
    return parse_err;
}

static void test_text(void) {
    tz_parsed p;
    CHECK(parse("2024-11-03T01:30:00.5-07:00[America/Los_Angeles]", &p) == NULL);
    CHECK_EQ_INT(p.local.nanos, 500000000);
    CHECK_EQ_INT(p.offset, -25200);
    CHECK_EQ_STR(p.zone, "America/Los_Angeles");
    CHECK(parse("2024-01-01 00:00:00", &p) == NULL && !p.has_offset);
    CHECK(parse("2024-01-01T00:00Z[Europe/Paris][u-ca=iso8601]", &p) == NULL);
    CHECK(p.offset_z && p.has_zone);
    CHECK(parse("2024-01-01T00:00Z[!x-y=z]", &p) != NULL);
    CHECK(parse("2024-01-01T00:00Z[x-y=z]", &p) == NULL);
    CHECK(parse("2024-02-30", &p) != NULL);
    CHECK(parse("-2024-01-01", &p) != NULL);
    CHECK(parse("12024-01-01", &p) != NULL);
    CHECK(parse("2024-01-01T25:00", &p) != NULL);
    CHECK(parse("2024-01-01T10:00:00.1234567891", &p) != NULL);
    char buf[TZ_TEXT_MAX];
    tz_civil c = {2024, 1, 2, 3, 4, 5, 120000000};
    tz_text_sqlite(&c, buf);
    CHECK_EQ_STR(buf, "2024-01-02 03:04:05.12");
    tz_text_offset(-(5 * 3600 + 17 * 60 + 32), buf);
    CHECK_EQ_STR(buf, "-05:17:32");
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A "slim" v2 file: no transitions, one type, everything from the footer rule. */
static size_t make_slim(unsigned char *buf, const char *footer) {
    size_t n = 0;
    for (int block = 0; block < 2; block++) {
        memset(buf + n, 0, 44);
        memcpy(buf + n, "TZif2", 5);
        put32(buf + n + 36, 1); /* typecnt */
        put32(buf + n + 40, 4); /* charcnt */
        n += 44;
        put32(buf + n, (uint32_t)-18000);
        buf[n + 4] = 0;
        buf[n + 5] = 0;
        memcpy(buf + n + 6, "EST", 4);
        n += 10;
    }
    size_t f = strlen(footer);
    buf[n++] = '\n';
    memcpy(buf + n, footer, f);
    n += f;
    buf[n++] = '\n';
    return n;
}

static void test_slim_and_v1_files(void) {
    size_t len;
    unsigned char *fat = read_file("/usr/share/zoneinfo/America/New_York", &len);
    unsigned char slim[256];
    size_t slen = make_slim(slim, "EST5EDT,M3.2.0,M11.1.0");
    char err[TZ_ERR_SIZE];
    tz_zone *zf = fat ? tzif("fat", fat, len, err) : NULL;
    tz_zone *zs = tzif("slim", slim, slen, err);
    CHECK(zf != NULL && zs != NULL);
    if (zf != NULL && zs != NULL) {
        CHECK_EQ_INT(zs->ntrans, 0);
        /* Since 2007 the fat table and the rule alone must agree on every hour. */
        for (int64_t t = at(2007, 1, 1, 0, 0); t < at(2045, 1, 1, 0, 0); t += 3599)
            if (tz_zone_offset_at(zf, t) != tz_zone_offset_at(zs, t)) {
                CHECK_EQ_INT(t, -1);
                break;
            }
        tz_resolution r;
        tz_zone_resolve(zs, at(2030, 3, 10, 2, 30), &r);
        CHECK_EQ_INT(r.kind, TZ_GAP);
        tz_zone_resolve(zs, at(2030, 11, 3, 1, 30), &r);
        CHECK_EQ_INT(r.kind, TZ_FOLD);
    }
    tz_zone_release(zs);
    /* A version-1 file: the 32-bit block alone (the header's version byte says 1). */
    if (fat != NULL) {
        fat[4] = 0;
        tz_zone *z1 = tzif("v1", fat, len, err);
        CHECK(z1 != NULL);
        if (z1 != NULL && zf != NULL) {
            CHECK(!z1->has_rule);
            CHECK_EQ_INT(tz_zone_offset_at(z1, at(2024, 7, 1, 0, 0)), -14400);
            CHECK_EQ_INT(tz_zone_offset_at(z1, at(1950, 7, 1, 0, 0)),
                         tz_zone_offset_at(zf, at(1950, 7, 1, 0, 0)));
        }
        tz_zone_release(z1);
    }
    tz_zone_release(zf);
    free(fat);
    /* Footers that are not rules are errors. */
    slen = make_slim(slim, "EST5EDT,M3.2.0");
    CHECK(tzif("bad", slim, slen, err) == NULL);
    CHECK_EQ_STR(err, "TZif footer TZ string malformed");
    /* All-year DST written as a rule (start Jan 1 00:00, end Dec 31 25:00): always DST. */
    slen = make_slim(slim, "EST5EDT,0/0,J365/25");
    tz_zone *zd = tzif("dst", slim, slen, err);
    CHECK(zd != NULL);
    if (zd != NULL) {
        for (int64_t t = at(2030, 1, 1, 0, 0); t < at(2032, 1, 1, 0, 0); t += 3599)
            if (tz_zone_offset_at(zd, t) != -14400) {
                CHECK_EQ_INT(t, -1);
                break;
            }
        tz_transition tr;
        CHECK(!tz_zone_next_transition(zd, at(2030, 6, 1, 0, 0), &tr));
    }
    tz_zone_release(zd);
}

static void *cache_worker(void *arg) {
    static const char *zones[] = {"America/New_York",    "Europe/London", "Asia/Tokyo",
                                  "Australia/Lord_Howe", "+05:30",        "UTC"};
    long bad = 0;
    unsigned seed = (unsigned)(size_t)arg;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        tz_status st;
        tz_zone *z = db_get(zones[(seed >> 8) % 6], &st);
        if (z == NULL) {
            bad++;
            continue;
        }
        bad += tz_zone_offset_at(z, 1719835200) == 1; /* never true: just use the zone */
        tz_zone_release(z);
    }
    return (void *)bad;
}

static void test_cache_threads(void) {
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, cache_worker, (void *)(i + 1)) == 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL);
    }
    /* Every zone in the list: more than the cache holds would evict; all stay usable. */
    size_t n;
    const tz_db_name *names = tz_db_names(&n);
    tz_zone *first = NULL;
    for (size_t i = 0; names != NULL && i < n; i++) {
        tz_status st;
        tz_zone *z = db_get(names[i].name, &st);
        CHECK(z != NULL);
        if (i == 0)
            first = z;
        else
            tz_zone_release(z);
    }
    if (first != NULL) {
        tz_db_reset(); /* the cache lets go; our reference keeps the zone alive */
        CHECK(tz_zone_offset_at(first, 0) > -TZ_OFFSET_MAX);
        tz_zone_release(first);
    }
    tz_db_reset();
}

static char span_err[TZ_ERR_SIZE];

/* NULL, or what tz_span_parse found wrong with s. */
static const char *span(const char *s, tz_span *out) {
    if (tz_span_parse(s, strlen(s), out, span_err, sizeof span_err) == TZ_OK)
        return NULL;
    return span_err;
}

static void test_spans(void) {
    tz_span s;
    char buf[TZ_SPAN_TEXT_MAX];
    CHECK(span("P1Y2M3W4DT5H6M7.5S", &s) == NULL);
    CHECK(s.years == 1 && s.months == 2 && s.weeks == 3 && s.days == 4);
    tz_span_format(&s, TZ_UNIT_HOUR, buf);
    CHECK_EQ_STR(buf, "P1Y2M3W4DT5H6M7.5S");
    CHECK(span("-PT1.5H", &s) == NULL);
    tz_span_format(&s, TZ_UNIT_HOUR, buf);
    CHECK_EQ_STR(buf, "-PT1H30M");
    CHECK(span("2 hours, 30 minutes ago", &s) == NULL);
    tz_span_format(&s, TZ_UNIT_MINUTE, buf);
    CHECK_EQ_STR(buf, "-PT150M");
    CHECK(span("1 quarter", &s) == NULL && s.months == 3);
    CHECK(span("P", &s) != NULL);
    CHECK(span("PT", &s) != NULL);
    CHECK(span("P1H", &s) != NULL);
    CHECK(span("PT1S2M", &s) != NULL);
    CHECK(span("PT1.5M2S", &s) != NULL);
    CHECK(span("P1000000Y", &s) != NULL);
    CHECK(span("9999999999999999 seconds", &s) != NULL);
    CHECK(span("", &s) != NULL);
    CHECK(span("ago", &s) != NULL);
    /* Rounding modes on +-1.5 and +-2.5 units. */
    static const struct {
        enum tz_round_mode m;
        int r15, rm15, r25;
    } cases[] = {
        {TZ_ROUND_CEIL, 2, -1, 3},        {TZ_ROUND_FLOOR, 1, -2, 2},
        {TZ_ROUND_EXPAND, 2, -2, 3},      {TZ_ROUND_TRUNC, 1, -1, 2},
        {TZ_ROUND_HALF_CEIL, 2, -1, 3},   {TZ_ROUND_HALF_FLOOR, 1, -2, 2},
        {TZ_ROUND_HALF_EXPAND, 2, -2, 3}, {TZ_ROUND_HALF_TRUNC, 1, -1, 2},
        {TZ_ROUND_HALF_EVEN, 2, -2, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_EQ_INT(tz_round_ratio(3, 2, cases[i].m), cases[i].r15);
        CHECK_EQ_INT(tz_round_ratio(-3, 2, cases[i].m), cases[i].rm15);
        CHECK_EQ_INT(tz_round_ratio(5, 2, cases[i].m), cases[i].r25);
    }
    CHECK_EQ_INT(tz_round_ratio(7, 4, TZ_ROUND_HALF_TRUNC), 2);
    CHECK_EQ_INT(tz_round_ratio(-7, 4, TZ_ROUND_HALF_EVEN), -2);
    enum tz_round_mode m;
    CHECK(tz_round_mode_parse("halfExpand", &m) && m == TZ_ROUND_HALF_EXPAND);
    CHECK(tz_round_mode_parse("half-even", &m) && m == TZ_ROUND_HALF_EVEN);
    CHECK(!tz_round_mode_parse("half", &m));
}

/* Mutated valid inputs and random bytes through every text parser: each returns an answer or an
** error, never reads past its input (the buffers are exactly sized heap blocks, so ASan sees any
** overread), and accepted values are in range. */
static void test_parsers_fuzz(void) {
    static const char *seeds[] = {
        "2024-11-03T01:30:00.123456789-07:00[America/Los_Angeles][u-ca=iso8601]",
        "2024-01-01 00:00:00",
        "2024-01-01T00:00Z[!x=y]",
        "P1Y2M3W4DT5H6M7.5S",
        "2 hours, 30 minutes ago",
        "EST5EDT,M3.2.0,M11.1.0",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "+05:30:15"};
    unsigned seed = 99;
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        const char *base = seeds[(seed >> 16) % (sizeof seeds / sizeof *seeds)];
        size_t n = strlen(base);
        char *buf = malloc(n + 1);
        if (buf == NULL)
            return;
        memcpy(buf, base, n + 1);
        int flips = 1 + (int)((seed >> 8) % 4);
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(round % 3 == 0 ? (int)((seed >> 20) & 0xff)
                                                         : "09-:.T+Z[]!P"[(seed >> 20) % 12]);
        }
        size_t len = (seed >> 4) % (n + 1); /* also truncated */
        tz_parsed p;
        if (tz_text_parse(buf, len, &p, NULL, 0) == TZ_OK)
            CHECK(tz_civil_valid(&p.local) && p.offset > -86400 && p.offset < 86400);
        tz_span sp;
        tz_span_parse(buf, len, &sp, NULL, 0);
        tz_rule r;
        if (tz_rule_parse(buf, len, &r))
            CHECK(r.std.utoff >= -25 * 3600 && r.std.utoff <= 25 * 3600);
        buf[len] = '\0';
        int32_t off;
        if (tz_db_parse_fixed(buf, &off))
            CHECK(off > -86400 && off < 86400);
        free(buf);
    }
}

/* The bucket index and the plain binary search agree, in every zone, at every transition and
** the seconds around it. */
static void test_index_matches_search(void) {
    size_t n;
    const tz_db_name *names = tz_db_names(&n);
    long checked = 0;
    for (size_t k = 0; names != NULL && k < n; k++) {
        tz_status st;
        tz_zone *z = db_get(names[k].name, &st);
        if (z == NULL || z->index == NULL) {
            tz_zone_release(z);
            continue;
        }
        uint32_t *index = z->index;
        for (size_t i = 0; i < z->ntrans; i++) {
            for (int64_t d = -2; d <= 1; d++) {
                int64_t t = z->trans[i] + d;
                int32_t with = tz_zone_offset_at(z, t);
                z->index = NULL;
                int32_t without = tz_zone_offset_at(z, t);
                z->index = index;
                if (with != without) {
                    CHECK_EQ_INT(t, -1);
                    break;
                }
                checked++;
            }
        }
        tz_zone_release(z);
    }
    CHECK(checked > 100000);
    tz_db_reset();
}

int main(void) {
    RUN(test_civil);
    RUN(test_rule_parse);
    RUN(test_tzif_new_york);
    RUN(test_db);
    RUN(test_text);
    RUN(test_slim_and_v1_files);
    RUN(test_cache_threads);
    RUN(test_spans);
    RUN(test_parsers_fuzz);
    RUN(test_index_matches_search);
    return unit_report("unit_tz_engine");
}
