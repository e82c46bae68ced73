/*
** ext/vec: the lowest layer of the vec0 files: statements (prepared, cached, run), the vtab error
** message, and where things are stored (see vec0_sql.h): which row and byte hold a slot's vector
** or code, which chunk ids a cluster owns, where a rowid lives, which layout (strata's or
** sqlite-vec's) the shadow tables have. It calls no other vec0 file; they all call it.
*/
#include "vec/vec0_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements ---------------------------------------------------------------------------- */

/* Prepares the SQL that fmt and ap print; `cached`: from and into v's statement cache. */
static int prepare_va(vec0_vtab *v, sqlite3_stmt **st, int cached, const char *fmt, va_list ap) {
    char *sql = sqlite3_vmprintf(fmt, ap);
    *st = NULL;
    if (sql == NULL)
        return SQLITE_NOMEM;
    if (!cached) {
        int rc = sqlite3_prepare_v2(v->db, sql, -1, st, NULL);
        sqlite3_free(sql);
        return rc;
    }
    for (int i = 0; i < v->ncache; i++)
        if (strcmp(v->cache[i].sql, sql) == 0) {
            sqlite3_free(sql);
            *st = v->cache[i].st;
            sqlite3_reset(*st);
            sqlite3_clear_bindings(*st);
            return SQLITE_OK;
        }
    int rc = sqlite3_prepare_v3(v->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc == SQLITE_OK && v->ncache < VEC0_STMT_CACHE) {
        v->cache[v->ncache].sql = sql;
        v->cache[v->ncache].st = *st;
        v->ncache++;
        return SQLITE_OK;
    }
    sqlite3_free(sql);
    return rc;
}

int vec0_prepare(vec0_vtab *v, sqlite3_stmt **st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = prepare_va(v, st, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int vec0_prepare_cached(vec0_vtab *v, sqlite3_stmt **st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = prepare_va(v, st, 1, fmt, ap);
    va_end(ap);
    return rc;
}

char *vec0_numbered_list(const char *item_fmt, int first, int n) {
    sqlite3_str *list = sqlite3_str_new(NULL);
    for (int i = 0; i < n; i++)
        sqlite3_str_appendf(list, item_fmt, first + i);
    if (sqlite3_str_errcode(list) != SQLITE_OK || sqlite3_str_length(list) == 0) {
        int failed = sqlite3_str_errcode(list) != SQLITE_OK;
        sqlite3_free(sqlite3_str_finish(list));
        return failed ? NULL : sqlite3_mprintf("%s", ""); /* finish gives NULL for "" */
    }
    return sqlite3_str_finish(list);
}

int vec0_done(vec0_vtab *v, sqlite3_stmt *st) {
    for (int i = 0; i < v->ncache; i++)
        if (v->cache[i].st == st)
            return sqlite3_reset(st);
    return sqlite3_finalize(st);
}

void vec0_cache_clear(vec0_vtab *v) {
    for (int i = 0; i < v->ncache; i++) {
        sqlite3_finalize(v->cache[i].st);
        sqlite3_free(v->cache[i].sql);
    }
    v->ncache = 0;
}

int vec0_exec(vec0_vtab *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    if (sql == NULL)
        return SQLITE_NOMEM;
    int rc = sqlite3_exec(v->db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc;
}

int vec0_error(vec0_vtab *v, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = msg ? sqlite3_mprintf("vec0: %s", msg) : NULL;
    sqlite3_free(msg);
    return SQLITE_ERROR;
}

/* ---- storage layout ------------------------------------------------------------------------ */

int vec0_shadow_name(const char *suffix) {
    static const char *fixed[] = {"info", "chunks", "chunkrowids", "rowids", "auxiliary"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(suffix, fixed[i]) == 0)
            return 1;
    static const char *numbered[] = {"vectorchunks", "codechunks", "centroids", "graph",
                                     "graphbuffer"};
    for (size_t i = 0; i < sizeof numbered / sizeof numbered[0]; i++) {
        size_t n = strlen(numbered[i]);
        if (strncmp(suffix, numbered[i], n) == 0 && strlen(suffix) == n + 2 && suffix[n] >= '0' &&
            suffix[n] <= '9' && suffix[n + 1] >= '0' && suffix[n + 1] <= '9')
            return 1;
    }
    return 0;
}

int vec0_collect_ids(sqlite3_stmt *st, sqlite3_int64 **out, size_t *count) {
    sqlite3_int64 *ids = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            sqlite3_int64 *grown = sqlite3_realloc64(ids, cap * sizeof *grown);
            if (grown == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = grown;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sqlite3_free(ids);
        return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
    }
    *out = ids;
    *count = n;
    return SQLITE_OK;
}

int vec0_select_ids(vec0_vtab *v, sqlite3_int64 **out, size_t *count, const char *fmt, ...) {
    sqlite3_stmt *st;
    va_list ap;
    va_start(ap, fmt);
    int rc = prepare_va(v, &st, 0, fmt, ap);
    va_end(ap);
    return rc == SQLITE_OK ? vec0_collect_ids(st, out, count) : rc;
}

int vec0_locate(vec0_vtab *v, sqlite3_int64 rowid, int *found, sqlite3_int64 *chunk_id,
                int *offset) {
    int rc = SQLITE_OK;
    if (v->st_lookup == NULL)
        rc = vec0_prepare(v, &v->st_lookup,
                          "SELECT chunk_id, chunk_offset FROM \"%w\".\"%w_rowids\" WHERE rowid = ?",
                          v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(v->st_lookup, 1, rowid);
    rc = sqlite3_step(v->st_lookup);
    *found = rc == SQLITE_ROW;
    if (*found) {
        *chunk_id = sqlite3_column_int64(v->st_lookup, 0);
        *offset = sqlite3_column_int(v->st_lookup, 1);
    }
    rc = sqlite3_reset(v->st_lookup);
    return rc;
}

const vec0_column *vec0_vector_column(const vec0_vtab *v, int slot) {
    for (int i = 0; i < v->s.ncols; i++)
        if (v->s.cols[i].kind == VEC0_VECTOR && v->s.cols[i].slot == slot)
            return &v->s.cols[i];
    return NULL;
}

static int slots_of(const vec0_vtab *v, size_t block_bytes, size_t record) {
    int b = record ? (int)(block_bytes / record) : 1;
    return b < 1 ? 1 : b > v->s.chunk_size ? v->s.chunk_size : b;
}

int vec0_block_slots(const vec0_vtab *v, const vec0_column *c) {
    if (v->foreign)
        return v->s.chunk_size;
    /* an indexed column's vectors are read one at a time to rescore candidates: smaller
    ** blocks keep each read's walk along the overflow pages short */
    int indexed = c->index.kind != VEC0_INDEX_FLAT;
    return slots_of(v, indexed ? VEC0_INDEXED_BLOCK_BYTES : VEC0_BLOCK_BYTES, vec0_vector_bytes(c));
}

int vec0_code_block_slots(const vec0_vtab *v, const vec0_column *c) {
    return slots_of(v, VEC0_BLOCK_BYTES, vec0_code_bytes(c));
}

void vec0_vector_pos(const vec0_vtab *v, const vec0_column *c, sqlite3_int64 chunk_id, int offset,
                     sqlite3_int64 *row, int *byte) {
    int b = vec0_block_slots(v, c);
    size_t vb = vec0_vector_bytes(c);
    if (v->foreign) {
        *row = chunk_id;
        *byte = (int)(vb * (size_t)offset);
    } else {
        *row = vec0_block_row(chunk_id, offset / b);
        *byte = (int)(vb * (size_t)(offset % b));
    }
}

int vec0_read_vector(vec0_vtab *v, sqlite3_blob **blob, int slot, sqlite3_int64 chunk_id,
                     int offset, void *buf) {
    const vec0_column *col = vec0_vector_column(v, slot);
    if (col == NULL)
        return SQLITE_INTERNAL;
    size_t vb = vec0_vector_bytes(col);
    sqlite3_int64 row;
    int byte;
    vec0_vector_pos(v, col, chunk_id, offset, &row, &byte);
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc;
        if (*blob == NULL) {
            char table[VEC0_NAME_MAX * 2 + 32];
            snprintf(table, sizeof table, vec0_vector_table_format(v), v->name, slot);
            rc = sqlite3_blob_open(v->db, v->schema, table, "vectors", row, 0, blob);
        } else {
            rc = sqlite3_blob_reopen(*blob, row);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(*blob, buf, (int)vb, byte);
        if (rc == SQLITE_OK)
            return SQLITE_OK;
        /* an expired handle (the row was written since) is reopened once */
        sqlite3_blob_close(*blob);
        *blob = NULL;
        if (attempt == 1)
            return rc;
    }
    return SQLITE_ERROR;
}

/* Tables created by sqlite-vec keep another storage layout: strata reads them (scans, point
** lookups, KNN without metadata filters), so their rows can be copied into a strata table, but
** refuses to write them. Checked once per connection, on first use. */
int vec0_check_format(vec0_vtab *v) {
    if (v->format_checked)
        return SQLITE_OK;
    sqlite3_stmt *st;
    int rc = vec0_prepare(v, &st, "SELECT value FROM \"%w\".\"%w_info\" WHERE key = 'format'",
                          v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    v->foreign = rc != SQLITE_ROW;
    sqlite3_finalize(st);
    v->format_checked = 1;
    return SQLITE_OK;
}

int vec0_foreign_error(vec0_vtab *v, const char *what) {
    return vec0_error(v,
                      "table \"%s\" was created by sqlite-vec, whose storage differs: strata "
                      "reads it but cannot %s; copy its rows into a table created with strata "
                      "(INSERT INTO new SELECT ... FROM %s)",
                      v->name, what, v->name);
}

const char *vec0_vector_table_format(const vec0_vtab *v) {
    return v->foreign ? "%s_vector_chunks%02d" : "%s_vectorchunks%02d";
}

int vec0_has_codes(const vec0_column *c) {
    return c && c->kind == VEC0_VECTOR &&
           (c->index.kind == VEC0_INDEX_RESCORE || c->index.kind == VEC0_INDEX_IVF) &&
           c->index.quantizer != VEC_QUANT_NONE;
}

size_t vec0_code_bytes(const vec0_column *c) {
    return vec_quant_bytes(c->index.quantizer, (size_t)c->dims);
}

void vec0_cluster_range(const vec0_vtab *v, int cluster, sqlite3_int64 *lo, sqlite3_int64 *hi) {
    const sqlite3_int64 span = (sqlite3_int64)1 << VEC0_CLUSTER_SHIFT;
    if (v->s.ivf_column < 0) {
        *lo = 1;
        *hi = VEC0_CHUNK_ID_END - 1;
    } else if (cluster < 0) {
        *lo = 1;
        *hi = span - 1;
    } else {
        *lo = ((sqlite3_int64)cluster + 1) * span;
        *hi = *lo + span - 1;
    }
}
