/*
** ext/lsm: lsm_stats('t'), a table-valued function listing the engine figures of the lsm1
** table t of this connection as (stat, value) rows: files and bytes per level, memtable and
** log size, and the engine's counters since the file was opened in this process.
**
**   SELECT value FROM lsm_stats('kv') WHERE stat = 'level0_files';
**
** The table is looked up in the connection's registry (lsm_vtab_sql.h); a table not used yet
** on this connection is connected first by preparing a statement that names it.
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "lsm/lsm_vtab_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define STATS_LEVELS 7
#define STATS_ROWS (2 * STATS_LEVELS + 20) /* levels, then the 20 figures stats_filter adds */

typedef struct stats_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
    lsm_registry *reg;
} stats_vtab;

typedef struct stats_cursor {
    sqlite3_vtab_cursor base;
    int row, nrows;
    char names[STATS_ROWS][28];
    sqlite3_int64 values[STATS_ROWS];
    int text_row; /* the row whose value is `text` (-1: none) */
    char text[600];
} stats_cursor;

static int stats_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **pzErr) {
    (void)argc;
    (void)argv;
    (void)pzErr;
    int rc = strata_vtab_connect(db, "CREATE TABLE x(stat TEXT, value INTEGER, tbl HIDDEN)",
                                 sizeof(stats_vtab), SQLITE_VTAB_DIRECTONLY, out);
    if (rc != SQLITE_OK)
        return rc;
    stats_vtab *v = (stats_vtab *)*out;
    v->db = db;
    v->reg = aux;
    v->reg->refs++;
    return SQLITE_OK;
}

static int stats_disconnect(sqlite3_vtab *tab) {
    stats_vtab *v = (stats_vtab *)tab;
    lsm_registry_unref(v->reg);
    sqlite3_free(v);
    return SQLITE_OK;
}

static int stats_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
    (void)tab;
    int given;
    int rc = strata_vtab_arguments(info, 2, 1, &given);
    if (rc != SQLITE_OK)
        return rc;
    if (given) {
        info->estimatedCost = 10;
        info->estimatedRows = STATS_ROWS;
    } else {
        info->estimatedCost = 1e12; /* without a table name there is nothing to list */
    }
    return SQLITE_OK;
}

static int stats_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out) {
    (void)tab;
    return strata_vtab_cursor_open(sizeof(stats_cursor), out);
}

static int stats_error(stats_vtab *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int stats_error(stats_vtab *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = strata_vmprintf_error("lsm_stats", fmt, ap);
    va_end(ap);
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = msg;
    return msg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Finds "name" or "schema.name", connecting the table if this connection has not used it. */
static lsm_table_entry *find_table(stats_vtab *v, const char *arg) {
    const char *dot = strchr(arg, '.');
    char *schema = dot ? sqlite3_mprintf("%.*s", (int)(dot - arg), arg) : NULL;
    const char *name = dot ? dot + 1 : arg;
    lsm_table_entry *e = lsm_registry_find(v->reg, schema, name);
    if (e == NULL) {
        char *sql = schema ? sqlite3_mprintf("SELECT 0 FROM \"%w\".\"%w\" WHERE 0", schema, name)
                           : sqlite3_mprintf("SELECT 0 FROM \"%w\" WHERE 0", name);
        sqlite3_stmt *st = NULL;
        if (sql && sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) == SQLITE_OK)
            e = lsm_registry_find(v->reg, schema, name);
        sqlite3_finalize(st);
        sqlite3_free(sql);
    }
    sqlite3_free(schema);
    return e;
}

static void add(stats_cursor *c, const char *name, int level, sqlite3_uint64 value) {
    if (c->nrows >= STATS_ROWS)
        return;
    if (level >= 0)
        snprintf(c->names[c->nrows], sizeof c->names[0], "level%d_%s", level, name);
    else
        snprintf(c->names[c->nrows], sizeof c->names[0], "%s", name);
    c->values[c->nrows++] = value > (sqlite3_uint64)INT64_MAX ? INT64_MAX : (sqlite3_int64)value;
}

static int stats_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                        sqlite3_value **argv) {
    (void)idx_num;
    (void)idx_str;
    stats_cursor *c = (stats_cursor *)cur;
    stats_vtab *v = (stats_vtab *)cur->pVtab;
    c->row = c->nrows = 0;
    c->text_row = -1;
    if (argc < 1)
        return stats_error(v, "a table name is required: lsm_stats('t')");
    const char *arg = (const char *)sqlite3_value_text(argv[0]);
    if (arg == NULL)
        return sqlite3_value_type(argv[0]) == SQLITE_NULL ? SQLITE_OK : SQLITE_NOMEM;
    lsm_table_entry *e = find_table(v, arg);
    if (e == NULL)
        return stats_error(v, "no lsm1 table named '%.100s'", arg);
    if (e->kv == NULL)
        return stats_error(v, "cannot open table '%.100s': %s", arg,
                           e->open_error ? e->open_error : "its file is not open");
    slsm_stats st;
    if (slsm_stats_get(e->kv, &st) != LSM_OK)
        return stats_error(v, "cannot read the figures of '%.100s'", arg);
    for (int l = 0; l < STATS_LEVELS; l++) {
        add(c, "files", l, (sqlite3_uint64)st.files[l]);
        add(c, "bytes", l, st.bytes[l]);
    }
    add(c, "memtable_bytes", -1, st.memtable_bytes);
    add(c, "memtable_entries", -1, st.memtable_entries);
    add(c, "log_bytes", -1, st.log_bytes);
    add(c, "last_seq", -1, st.last_seq);
    add(c, "puts", -1, st.puts);
    add(c, "deletes", -1, st.deletes);
    add(c, "gets", -1, st.gets);
    add(c, "commits", -1, st.commits);
    add(c, "flushes", -1, st.flushes);
    add(c, "compactions", -1, st.compactions);
    add(c, "bytes_flushed", -1, st.bytes_flushed);
    add(c, "bytes_compacted", -1, st.bytes_compacted);
    add(c, "bloom_skips", -1, st.bloom_skips);
    add(c, "max_stall_us", -1, st.max_stall_us);
    add(c, "stalls", -1, st.stalls);
    add(c, "read_compactions", -1, st.read_compactions);
    /* what the last salvage of the table on this connection dropped (0 when none ran) */
    add(c, "salvage_dropped_records", -1, e->salvaged ? e->salvage.dropped_records : 0);
    add(c, "salvage_dropped_bytes", -1, e->salvaged ? e->salvage.dropped_bytes : 0);
    add(c, "salvage_last_seq", -1, e->salvaged ? e->salvage.last_seq : 0);
    if (e->salvaged && e->salvage.damage[0]) {
        c->text_row = c->nrows;
        snprintf(c->text, sizeof c->text, "%s", e->salvage.damage);
    }
    add(c, "salvage_damage", -1, 0);
    return SQLITE_OK;
}

static int stats_next(sqlite3_vtab_cursor *cur) {
    ((stats_cursor *)cur)->row++;
    return SQLITE_OK;
}

static int stats_eof(sqlite3_vtab_cursor *cur) {
    stats_cursor *c = (stats_cursor *)cur;
    return c->row >= c->nrows;
}

static int stats_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    stats_cursor *c = (stats_cursor *)cur;
    if (col == 0)
        sqlite3_result_text(ctx, c->names[c->row], -1, SQLITE_TRANSIENT);
    else if (col == 1 && c->row == c->text_row)
        sqlite3_result_text(ctx, c->text, -1, SQLITE_TRANSIENT);
    else if (col == 1 && strcmp(c->names[c->row], "salvage_damage") == 0)
        sqlite3_result_null(ctx);
    else if (col == 1)
        sqlite3_result_int64(ctx, c->values[c->row]);
    return SQLITE_OK;
}

static int stats_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = ((stats_cursor *)cur)->row + 1;
    return SQLITE_OK;
}

const sqlite3_module lsm_stats_module = {
    .xConnect = stats_connect,
    .xBestIndex = stats_best_index,
    .xDisconnect = stats_disconnect,
    .xOpen = stats_open,
    .xClose = strata_vtab_cursor_close,
    .xFilter = stats_filter,
    .xNext = stats_next,
    .xEof = stats_eof,
    .xColumn = stats_column,
    .xRowid = stats_rowid,
};
