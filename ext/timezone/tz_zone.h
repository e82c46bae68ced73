/*
** tz_zone: one time zone in memory (parsed TZif data, a POSIX TZ rule, or a fixed offset) and the
** questions asked of it: the offset at an instant, the transitions in a range, and the instant(s)
** a local wall time denotes.
**
** A tz_zone is immutable once built, so many threads may read it at once. Zones handed out by
** the cache (tz_db.h) are reference counted; tz_zone_release() frees the last reference.
*/
#ifndef STRATA_TZ_ZONE_H
#define STRATA_TZ_ZONE_H

#include "timezone/tz_status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets are bounded like RFC 8536 (and Jiff): strictly within +-26 hours. */
#define TZ_OFFSET_MAX 93599
#define TZ_ABBR_MAX 15 /* longest abbreviation kept, without the NUL */
#define TZ_NAME_MAX 255

/* One local time type: offset east of UTC in seconds, DST flag, abbreviation. */
typedef struct tz_ttinfo {
    int32_t utoff;
    bool isdst;
    char abbr[TZ_ABBR_MAX + 1];
} tz_ttinfo;

/* A POSIX TZ rule date: Jn (julian, no Feb 29), n (zero-based day of year) or Mm.w.d. */
typedef struct tz_rule_date {
    char kind; /* 'J', 'D' (plain n) or 'M' */
    int day, week, month, weekday;
    int32_t secs; /* local time of day of the change, -167h..167h */
} tz_rule_date;

/* A POSIX TZ string such as EST5EDT,M3.2.0,M11.1.0. */
typedef struct tz_rule {
    tz_ttinfo std, dst;
    bool has_dst;
    tz_rule_date start, end;
} tz_rule;

typedef struct tz_zone {
    char name[TZ_NAME_MAX + 1]; /* as the user should see it: "America/New_York", "+05:30" */
    size_t ntrans;
    int64_t *trans;      /* ascending instants, ntrans of them */
    uint8_t *trans_type; /* index into types for each transition */
    int ntypes;
    tz_ttinfo types[256];
    /* Lookup index over [index_base, trans[ntrans - 1]]: for each 2^TZ_INDEX_SHIFT-second
    ** bucket, the last transition at or before the bucket's start. NULL = binary search only. */
    uint32_t *index;
    size_t nindex;
    int64_t index_base;
    bool has_rule; /* the footer applies after the last transition (or always if ntrans==0) */
    tz_rule rule;
    int refs; /* atomically updated by tz_zone_retain/release */
} tz_zone;

/* About 24 days: transitions are rarely closer, so a bucket holds at most one or two. */
#define TZ_INDEX_SHIFT 21

/* Builds z's lookup index (optional: on failure lookups use binary search alone). */
void tz_zone_build_index(tz_zone *z);

/* A change of local time type at instant `at`. */
typedef struct tz_transition {
    int64_t at;
    tz_ttinfo before, after;
} tz_transition;

/* Parses a POSIX TZ string (the TZif footer). Returns false on malformed input. */
bool tz_rule_parse(const char *s, size_t n, tz_rule *out);

/* A zone with one fixed offset (seconds east) named by name (copied, truncated). */
tz_zone *tz_zone_new_fixed(const char *name, int32_t utoff, const char *abbr);
/* Parses TZif bytes (v1..v4) into *out (one reference): TZ_OK, TZ_ERROR with the problem in err
** (bad data), or TZ_NOMEM. */
tz_status tz_zone_from_tzif(const char *name, const unsigned char *data, size_t len, tz_zone **out,
                            char *err, size_t errlen);
void tz_zone_retain(tz_zone *z);
void tz_zone_release(tz_zone *z);

/* Local time type in effect at instant t (seconds since the epoch). */
const tz_ttinfo *tz_zone_info_at(const tz_zone *z, int64_t t);
int32_t tz_zone_offset_at(const tz_zone *z, int64_t t);

/* The first transition strictly after t, if any before year 10000. Transitions that change
** nothing (same offset, DST flag and abbreviation) are skipped. */
bool tz_zone_next_transition(const tz_zone *z, int64_t t, tz_transition *out);

enum tz_disambiguation { TZ_COMPATIBLE, TZ_EARLIER, TZ_LATER, TZ_REJECT };
enum tz_resolve_kind { TZ_UNIQUE, TZ_GAP, TZ_FOLD };

/* What a local wall time (local seconds) is in zone z. For a unique time, earlier == later.
** For a fold, earlier < later are the two instants. For a gap, `later` is the local time read
** with the offset before the transition (pushed forward), `earlier` with the offset after it
** (pulled back), and gap_start the transition instant. */
typedef struct tz_resolution {
    enum tz_resolve_kind kind;
    int64_t earlier, later, gap_start;
} tz_resolution;

void tz_zone_resolve(const tz_zone *z, int64_t local, tz_resolution *out);
/* Picks the instant for a disambiguation; false when TZ_REJECT meets a gap or fold. */
bool tz_resolution_pick(const tz_resolution *r, enum tz_disambiguation d, int64_t *out);
/* The first instant of local date `days` (days since 1970-01-01): midnight, the earlier
** midnight of a fold, or the transition when a gap swallows midnight. */
int64_t tz_zone_start_of_day(const tz_zone *z, int64_t days);
/* Parses "compatible" / "earlier" / "later" / "reject"; false otherwise. */
bool tz_disambiguation_parse(const char *s, enum tz_disambiguation *out);

#endif
