/*
** tz_tzif: parses TZif files (RFC 8536, versions 1 to 4) into a tz_zone.
**
** Every count from the header is bounded before it is used and every read is checked against
** the buffer length, so a truncated or hostile file yields an error, never an overread. Version
** 2+ files are read from their 64-bit block and footer; leap-second records are skipped (zones
** are read as POSIX time, like Python's zoneinfo and most libraries).
*/
#include "timezone/tz_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZIF_HEADER 44
#define TZIF_MAX_TIMES 100000
#define TZIF_MAX_LEAPS 10000
#define TZIF_MAX_CHARS 4096
#define TZIF_MAX_FOOTER 512

/* The problem of an allocation that failed: told apart from bad data by its address. */
static const char out_of_memory[] = "out of memory";

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const unsigned char *p, size_t avail, tzif_counts *c, char *version,
                        const char **err) {
    if (avail < TZIF_HEADER || memcmp(p, "TZif", 4) != 0) {
        *err = "not a TZif file";
        return false;
    }
    *version = (char)p[4];
    if (*version != 0 && (*version < '2' || *version > '4')) {
        *err = "unsupported TZif version";
        return false;
    }
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chars = be32(p + 40);
    if (c->type < 1 || c->type > 256 || c->chars < 1 || c->chars > TZIF_MAX_CHARS ||
        c->time > TZIF_MAX_TIMES || c->leap > TZIF_MAX_LEAPS ||
        (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type)) {
        *err = "TZif header counts out of range";
        return false;
    }
    return true;
}

static size_t block_size(const tzif_counts *c, size_t timesize) {
    return (size_t)c->time * timesize + c->time + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (timesize + 4) + c->isstd + c->isut;
}

/* Fills z's transitions and types from one data block (timesize 4 or 8). */
static bool read_block(tz_zone *z, const unsigned char *p, const tzif_counts *c, size_t timesize,
                       const char **err) {
    const unsigned char *idx = p + (size_t)c->time * timesize;
    const unsigned char *types = idx + c->time;
    const unsigned char *chars = types + (size_t)c->type * 6;
    if (c->time > 0) {
        z->trans = malloc(c->time * sizeof *z->trans);
        z->trans_type = malloc(c->time);
        if (z->trans == NULL || z->trans_type == NULL) {
            *err = out_of_memory;
            return false;
        }
    }
    z->ntrans = c->time;
    for (uint32_t i = 0; i < c->time; i++) {
        int64_t t = timesize == 8 ? be64(p + i * 8) : (int64_t)(int32_t)be32(p + i * 4);
        if (i > 0 && t <= z->trans[i - 1]) {
            *err = "TZif transitions are not ascending";
            return false;
        }
        if (idx[i] >= c->type) {
            *err = "TZif transition type out of range";
            return false;
        }
        z->trans[i] = t;
        z->trans_type[i] = idx[i];
    }
    z->ntypes = (int)c->type;
    for (uint32_t i = 0; i < c->type; i++) {
        const unsigned char *t = types + i * 6;
        int32_t off = (int32_t)be32(t);
        unsigned ai = t[5];
        if (off < -TZ_OFFSET_MAX || off > TZ_OFFSET_MAX || t[4] > 1 || ai >= c->chars) {
            *err = "TZif local time type out of range";
            return false;
        }
        const unsigned char *nul = memchr(chars + ai, 0, c->chars - ai);
        if (nul == NULL || (size_t)(nul - (chars + ai)) > TZ_ABBR_MAX) {
            *err = "TZif abbreviation malformed";
            return false;
        }
        z->types[i].utoff = off;
        z->types[i].isdst = t[4] == 1;
        memcpy(z->types[i].abbr, chars + ai, (size_t)(nul - (chars + ai)) + 1);
    }
    return true;
}

/* Parses data into *out; NULL, or the problem (out_of_memory when an allocation failed). */
static const char *parse_tzif(const char *name, const unsigned char *data, size_t len,
                              tz_zone **out) {
    tzif_counts c;
    char version;
    const char *err = NULL;
    *out = NULL;
    if (!read_header(data, len, &c, &version, &err))
        return err;
    size_t pos = TZIF_HEADER, timesize = 4;
    if (version != 0) {
        size_t skip = block_size(&c, 4);
        if (len - pos < skip)
            return "TZif file truncated";
        pos += skip;
        if (!read_header(data + pos, len - pos, &c, &version, &err))
            return err;
        pos += TZIF_HEADER;
        timesize = 8;
    }
    size_t need = block_size(&c, timesize);
    if (len - pos < need)
        return "TZif file truncated";
    tz_zone *z = calloc(1, sizeof *z);
    if (z == NULL)
        return out_of_memory;
    z->refs = 1;
    snprintf(z->name, sizeof z->name, "%s", name);
    if (!read_block(z, data + pos, &c, timesize, &err))
        goto fail;
    pos += need;
    if (version != 0) {
        /* The footer: "\n" POSIX-TZ "\n"; an empty string means no rule. */
        const unsigned char *f = data + pos;
        size_t avail = len - pos;
        const unsigned char *endl =
            avail > 1
                ? memchr(f + 1, '\n', avail - 1 < TZIF_MAX_FOOTER ? avail - 1 : TZIF_MAX_FOOTER)
                : NULL;
        if (avail < 2 || f[0] != '\n' || endl == NULL) {
            err = "TZif footer malformed";
            goto fail;
        }
        size_t n = (size_t)(endl - f) - 1;
        if (n > 0) {
            if (!tz_rule_parse((const char *)f + 1, n, &z->rule)) {
                err = "TZif footer TZ string malformed";
                goto fail;
            }
            z->has_rule = true;
        }
    }
    tz_zone_build_index(z);
    *out = z;
    return NULL;
fail:
    tz_zone_release(z);
    return err;
}

tz_status tz_zone_from_tzif(const char *name, const unsigned char *data, size_t len, tz_zone **out,
                            char *err, size_t errlen) {
    const char *why = parse_tzif(name, data, len, out);
    if (why == NULL)
        return TZ_OK;
    snprintf(err, errlen, "%s", why);
    return why == out_of_memory ? TZ_NOMEM : TZ_ERROR;
}
