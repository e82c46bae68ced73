/*
** tz_tables_sql: table-valued functions over the zone database.
**
**   SELECT * FROM tz_names;                         -- every zone, its link target, country,
**                                                   -- and its offset and abbreviation now
**   SELECT * FROM tz_transitions('Europe/London', '2024-01-01', '2025-01-01');
**
** tz_transitions generates rows lazily from the zone (TZif table, then the POSIX rule), so an
** open range stops at year 9999 and a LIMIT stops early.
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "timezone/tz_args_sql.h"
#include "timezone/tz_db.h"
#include "timezone/tz_sql.h"

#include <time.h>

/* ---- tz_names ------------------------------------------------------------------------------- */

enum { NAMES_NAME, NAMES_TARGET, NAMES_OFFSET, NAMES_ABBREV, NAMES_IS_DST, NAMES_COUNTRY };

typedef struct names_cursor {
    sqlite3_vtab_cursor base;
    const tz_db_name *list;
    size_t n, i;
    int64_t now;
    tz_zone *zone; /* zone of row i, loaded on demand */
} names_cursor;

static int names_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err) {
    return strata_vtab_connect(db,
                               "CREATE TABLE x(name TEXT, target TEXT, utc_offset INTEGER,"
                               " abbrev TEXT, is_dst INTEGER, country TEXT)",
                               sizeof(sqlite3_vtab), SQLITE_VTAB_INNOCUOUS, out);
}

static int names_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    info->estimatedCost = 1000;
    info->estimatedRows = 600;
    return SQLITE_OK;
}

static int names_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(names_cursor), out);
}

static int names_close(sqlite3_vtab_cursor *cur) {
    names_cursor *c = (names_cursor *)cur;
    tz_zone_release(c->zone);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int names_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
                        sqlite3_value **argv) {
    names_cursor *c = (names_cursor *)cur;
    c->list = tz_db_names(&c->n);
    c->i = 0;
    c->now = (int64_t)time(NULL);
    return SQLITE_OK;
}

static int names_next(sqlite3_vtab_cursor *cur) {
    names_cursor *c = (names_cursor *)cur;
    tz_zone_release(c->zone);
    c->zone = NULL;
    c->i++;
    return SQLITE_OK;
}

static int names_eof(sqlite3_vtab_cursor *cur) {
    names_cursor *c = (names_cursor *)cur;
    return c->list == NULL || c->i >= c->n;
}

static int names_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    names_cursor *c = (names_cursor *)cur;
    const tz_db_name *e = &c->list[c->i];
    switch (col) {
        case NAMES_NAME:
            sqlite3_result_text(ctx, e->name, -1, SQLITE_TRANSIENT);
            return SQLITE_OK;
        case NAMES_TARGET:
            sqlite3_result_text(ctx, e->target, -1, SQLITE_TRANSIENT);
            return SQLITE_OK;
        case NAMES_COUNTRY:
            if (e->country)
                sqlite3_result_text(ctx, e->country, -1, SQLITE_TRANSIENT);
            return SQLITE_OK;
        default:
            break;
    }
    if (c->zone == NULL) {
        tz_status st = tz_db_get(e->name, &c->zone, NULL, 0);
        if (st != TZ_OK)
            return st == TZ_NOMEM ? SQLITE_NOMEM : SQLITE_OK; /* unreadable: NULLs */
    }
    const tz_ttinfo *ti = tz_zone_info_at(c->zone, c->now);
    if (col == NAMES_OFFSET)
        sqlite3_result_int(ctx, ti->utoff);
    else if (col == NAMES_ABBREV)
        sqlite3_result_text(ctx, ti->abbr, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_int(ctx, ti->isdst);
    return SQLITE_OK;
}

static int names_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((names_cursor *)cur)->i;
    return SQLITE_OK;
}

static sqlite3_module names_module = {
    .xConnect = names_connect,
    .xBestIndex = names_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xOpen = names_open,
    .xClose = names_close,
    .xFilter = names_filter,
    .xNext = names_next,
    .xEof = names_eof,
    .xColumn = names_column,
    .xRowid = names_rowid,
};

/* ---- tz_transitions -------------------------------------------------------------------------- */

enum {
    TR_INSTANT,
    TR_UNIX,
    TR_OFFSET_BEFORE,
    TR_OFFSET_AFTER,
    TR_ABBREV,
    TR_IS_DST,
    TR_ZONE,
    TR_FROM,
    TR_TO,
};

typedef struct tr_cursor {
    sqlite3_vtab_cursor base;
    tz_zone *zone;
    int64_t to;
    tz_transition cur;
    bool eof;
    sqlite3_int64 rowid;
} tr_cursor;

static int tr_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **err) {
    return strata_vtab_connect(db,
                               "CREATE TABLE x(instant TEXT, unix INTEGER, offset_before INTEGER,"
                               " offset_after INTEGER, abbrev TEXT, is_dst INTEGER, zone HIDDEN,"
                               " from_ts HIDDEN, to_ts HIDDEN)",
                               sizeof(sqlite3_vtab), SQLITE_VTAB_INNOCUOUS, out);
}

/* idxNum bit i set = argument column TR_ZONE + i constrained by equality, passed in order. */
static int tr_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    int given;
    int rc = strata_vtab_arguments(info, TR_ZONE, 3, &given);
    if (rc != SQLITE_OK)
        return rc;
    if (!(given & 1))
        return strata_vtab_error(vt, "tz_transitions", "a time zone argument is required");
    info->idxNum = given;
    info->estimatedCost = 100;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int tr_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(tr_cursor), out);
}

static int tr_close(sqlite3_vtab_cursor *cur) {
    tr_cursor *c = (tr_cursor *)cur;
    tz_zone_release(c->zone);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int tr_set_error(tr_cursor *c, const char *msg) {
    return strata_vtab_error(c->base.pVtab, "tz_transitions", "%s", msg);
}

/* Reads a bound as an instant with tz_arg_instant's rules, through a scratch context-free
** parse (the vtab has no sqlite3_context). */
static int tr_bound(tr_cursor *c, sqlite3_value *v, int64_t *out) {
    if (sqlite3_value_type(v) == SQLITE_INTEGER) {
        *out = sqlite3_value_int64(v);
        if (!tz_seconds_accepted(*out))
            return tr_set_error(c, "bound out of range (years 0000 to 9999)");
        return SQLITE_OK;
    }
    if (sqlite3_value_type(v) == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        if (!(d >= (double)TZ_SECONDS_MIN && d <= (double)TZ_SECONDS_MAX))
            return tr_set_error(c, "bound out of range (years 0000 to 9999)");
        *out = (int64_t)d;
        return SQLITE_OK;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    tz_parsed p;
    char err[TZ_ERR_SIZE];
    const char *why = NULL;
    if (s == NULL)
        why = "NULL bound";
    else if (tz_text_parse(s, (size_t)sqlite3_value_bytes(v), &p, err, sizeof err) != TZ_OK)
        why = err;
    else if (p.has_zone)
        why = "bounds must be UTC or carry an offset, not a zone";
    if (why != NULL) {
        char *msg = sqlite3_mprintf("%s in bound '%.80s'", why, s ? s : "");
        int rc = msg ? tr_set_error(c, msg) : SQLITE_NOMEM;
        sqlite3_free(msg);
        return rc;
    }
    *out = tz_civil_to_seconds(&p.local) - (p.has_offset ? p.offset : 0);
    return SQLITE_OK;
}

static int tr_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr, int argc,
                     sqlite3_value **argv) {
    tr_cursor *c = (tr_cursor *)cur;
    int64_t from = TZ_SECONDS_MIN;
    c->to = TZ_SECONDS_MAX;
    c->eof = true;
    c->rowid = 0;
    tz_zone_release(c->zone);
    c->zone = NULL;
    int a = 0;
    for (int j = 0; j < 3; j++) {
        if (!(idx & (1 << j)))
            continue;
        sqlite3_value *v = argv[a++];
        if (sqlite3_value_type(v) == SQLITE_NULL)
            return SQLITE_OK; /* NULL in, no rows out */
        int rc = SQLITE_OK;
        if (j == 0) {
            const char *name = (const char *)sqlite3_value_text(v);
            tz_status st = tz_db_get(name, &c->zone, NULL, 0);
            if (st != TZ_OK) {
                if (st == TZ_NOMEM)
                    return SQLITE_NOMEM;
                char *msg = sqlite3_mprintf("unknown time zone '%.80s'", name);
                rc = msg ? tr_set_error(c, msg) : SQLITE_NOMEM;
                sqlite3_free(msg);
            }
        } else {
            rc = tr_bound(c, v, j == 1 ? &from : &c->to);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    /* The table covers years 0000..9999; a bound up to a day beyond (an offset applied to an
    ** extreme date) selects the same transitions as the edge itself. */
    if (from < TZ_SECONDS_MIN)
        from = TZ_SECONDS_MIN;
    if (c->to > TZ_SECONDS_MAX)
        c->to = TZ_SECONDS_MAX;
    c->eof = !tz_zone_next_transition(c->zone, from - 1, &c->cur) || c->cur.at >= c->to;
    return SQLITE_OK;
}

static int tr_next(sqlite3_vtab_cursor *cur) {
    tr_cursor *c = (tr_cursor *)cur;
    c->eof = !tz_zone_next_transition(c->zone, c->cur.at, &c->cur) || c->cur.at >= c->to;
    c->rowid++;
    return SQLITE_OK;
}

static int tr_eof(sqlite3_vtab_cursor *cur) {
    return ((tr_cursor *)cur)->eof;
}

static int tr_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    tr_cursor *c = (tr_cursor *)cur;
    const tz_transition *t = &c->cur;
    switch (col) {
        case TR_INSTANT: {
            tz_civil civ;
            char buf[TZ_TEXT_MAX];
            tz_civil_from_seconds(t->at, 0, &civ);
            tz_text_sqlite(&civ, buf);
            sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
            break;
        }
        case TR_UNIX:
            sqlite3_result_int64(ctx, t->at);
            break;
        case TR_OFFSET_BEFORE:
            sqlite3_result_int(ctx, t->before.utoff);
            break;
        case TR_OFFSET_AFTER:
            sqlite3_result_int(ctx, t->after.utoff);
            break;
        case TR_ABBREV:
            sqlite3_result_text(ctx, t->after.abbr, -1, SQLITE_TRANSIENT);
            break;
        case TR_IS_DST:
            sqlite3_result_int(ctx, t->after.isdst);
            break;
        case TR_ZONE:
            sqlite3_result_text(ctx, c->zone->name, -1, SQLITE_TRANSIENT);
            break;
        default:
            break;
    }
    return SQLITE_OK;
}

static int tr_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = ((tr_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static sqlite3_module tr_module = {
    .xConnect = tr_connect,
    .xBestIndex = tr_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xOpen = tr_open,
    .xClose = tr_close,
    .xFilter = tr_filter,
    .xNext = tr_next,
    .xEof = tr_eof,
    .xColumn = tr_column,
    .xRowid = tr_rowid,
};

const strata_module tz_table_modules[] = {
    {"tz_names", &names_module, NULL},
    {"tz_transitions", &tr_module, NULL},
};
const size_t tz_table_nmodules = STRATA_COUNT(tz_table_modules);
