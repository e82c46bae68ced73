/*
** ext/vec: vec0 writes: INSERT (with OR REPLACE), UPDATE, DELETE, and the commands run through
** the hidden command column: INSERT INTO t(t) VALUES ('optimize' | 'integrity_check').
**
** Every value is validated before the first write, so a rejected row leaves nothing behind.
** A row occupies one slot of a chunk of its partition; inserts fill the lowest free slot of the
** oldest chunk with room (so holes left by deletes are reused), and 'optimize' moves rows from
** later chunks into earlier holes, then drops the chunks it emptied.
*/
#include "vec/vec0_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sql_type(sqlite3_value *v) {
    return vec_sql_type_name(sqlite3_value_type(v));
}

static int text_key(const vec0_vtab *v) {
    return v->s.pk >= 0 && v->s.cols[v->s.pk].value_type == VEC0_TEXT;
}

/* Checks a non-vector value against its column's declared type. */
static int check_value(vec0_vtab *v, const vec0_column *c, sqlite3_value *val) {
    int t = sqlite3_value_type(val);
    const char *what = c->kind == VEC0_METADATA    ? "metadata"
                       : c->kind == VEC0_PARTITION ? "partition key"
                                                   : "auxiliary";
    if (t == SQLITE_NULL) {
        if (c->kind == VEC0_AUX)
            return SQLITE_OK;
        return vec0_error(v, "%s column \"%s\" does not accept NULL", what, c->name);
    }
    int ok;
    switch (c->value_type) {
        case VEC0_INTEGER:
            ok = t == SQLITE_INTEGER;
            break;
        case VEC0_FLOAT:
            ok = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
            break;
        case VEC0_TEXT:
            ok = t == SQLITE_TEXT;
            break;
        case VEC0_BLOB:
            ok = t == SQLITE_BLOB;
            break;
        case VEC0_BOOLEAN:
            ok = t == SQLITE_INTEGER &&
                 (sqlite3_value_int64(val) == 0 || sqlite3_value_int64(val) == 1);
            break;
        default:
            ok = 1;
    }
    if (!ok)
        return vec0_error(v, "expected %s for %s column \"%s\", received %s%s",
                          vec0_value_type_name(c->value_type), what, c->name, sql_type(val),
                          c->value_type == VEC0_BOOLEAN ? " (booleans are 0 or 1)" : "");
    return SQLITE_OK;
}

/* Reads and checks the vector for column c. */
static int read_vector(vec0_vtab *v, const vec0_column *c, sqlite3_value *val, vec_value *out) {
    char *err = NULL;
    if (sqlite3_value_type(val) == SQLITE_NULL)
        return vec0_error(v, "a vector is required for column \"%s\"", c->name);
    if (vec_value_read_column(val, c->vtype, (size_t)c->dims, out, &err) != 0) {
        int rc = vec0_error(v, "invalid vector for column \"%s\": %s", c->name,
                            err ? err : "out of memory");
        sqlite3_free(err);
        return rc;
    }
    if (out->dims != (size_t)c->dims) {
        long long got = (long long)out->dims;
        vec_value_clear(out);
        return vec0_error(v,
                          "dimension mismatch for inserted vector for the \"%s\" column: expected "
                          "%d dimensions but received %lld",
                          c->name, c->dims, got);
    }
    return SQLITE_OK;
}

/* ---- rows ----------------------------------------------------------------------------------- */

static int lookup_id(vec0_vtab *v, sqlite3_value *id, int *found, sqlite3_int64 *rowid) {
    int rc = SQLITE_OK;
    if (v->st_lookup_id == NULL)
        rc =
            vec0_prepare(v, &v->st_lookup_id, "SELECT rowid FROM \"%w\".\"%w_rowids\" WHERE id = ?",
                         v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_value(v->st_lookup_id, 1, id);
    rc = sqlite3_step(v->st_lookup_id);
    *found = rc == SQLITE_ROW;
    if (*found)
        *rowid = sqlite3_column_int64(v->st_lookup_id, 0);
    return sqlite3_reset(v->st_lookup_id);
}

static int delete_row(vec0_vtab *v, sqlite3_int64 rowid) {
    int found, offset;
    sqlite3_int64 chunk_id;
    int rc = vec0_locate(v, rowid, &found, &chunk_id, &offset);
    if (rc != SQLITE_OK || !found)
        return rc;
    rc = vec0_slot_release(v, chunk_id, offset);
    if (rc == SQLITE_OK)
        rc = vec0_graph_remove(v, rowid);
    for (int i = 0; rc == SQLITE_OK && i < (v->s.naux > 0 ? 2 : 1); i++) {
        sqlite3_stmt *st;
        rc = vec0_prepare_cached(v, &st, "DELETE FROM \"%w\".\"%w_%s\" WHERE rowid = ?", v->schema,
                                 v->name, i ? "auxiliary" : "rowids");
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_step(st);
        rc = vec0_done(v, st);
    }
    return rc;
}

/* argv[2 + declared index] for schema column sc. */
static sqlite3_value *arg_of(const vec0_vtab *v, sqlite3_value **argv, int sc) {
    for (int d = 0; d < v->ndecl; d++)
        if (v->decl_col[d] == sc)
            return argv[2 + d];
    return NULL;
}

/* Validates the vectors and typed values of a row; vecs[slot] gets each vector. */
static int validate_row(vec0_vtab *v, sqlite3_value **argv, vec_value *vecs, int update) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        sqlite3_value *val = arg_of(v, argv, i);
        if (val == NULL || c->kind == VEC0_PRIMARY_KEY)
            continue;
        if (update && sqlite3_value_nochange(val))
            continue;
        if (c->kind == VEC0_VECTOR) {
            if (update && sqlite3_value_type(val) == SQLITE_NULL)
                continue; /* UPDATE with a NULL vector keeps the stored one */
            rc = read_vector(v, c, val, &vecs[c->slot]);
        } else {
            rc = check_value(v, c, val);
        }
    }
    return rc;
}

/* Binds metadata values (in slot order) at ?first.. of st. */
static void bind_metadata(const vec0_vtab *v, sqlite3_stmt *st, sqlite3_value **argv, int first) {
    for (int i = 0; i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        if (c->kind != VEC0_METADATA)
            continue;
        sqlite3_value *val = arg_of(v, argv, i);
        if (c->value_type == VEC0_FLOAT)
            sqlite3_bind_double(st, first + c->slot, sqlite3_value_double(val));
        else
            sqlite3_bind_value(st, first + c->slot, val);
    }
}

/* Prepares (cached) the INSERT sql_fmt, whose two %s take n columns named by col_fmt and their
** parameters ?first.. */
static int prepare_insert(vec0_vtab *v, sqlite3_stmt **st, const char *sql_fmt, const char *col_fmt,
                          int first, int n) {
    char *cols = vec0_numbered_list(col_fmt, 0, n);
    char *vals = vec0_numbered_list(", ?%d", first, n);
    int rc = cols && vals ? vec0_prepare_cached(v, st, sql_fmt, v->schema, v->name, cols, vals)
                          : SQLITE_NOMEM;
    sqlite3_free(cols);
    sqlite3_free(vals);
    return rc;
}

static int insert_row(vec0_vtab *v, sqlite3_value **argv, sqlite3_int64 *out_rowid) {
    const vec0_schema *s = &v->s;
    sqlite3_value *key = argv[2];
    sqlite3_value *rowid_arg = argv[1];
    int has_rowid = 0;
    sqlite3_int64 rowid = 0;
    /* the key: an integer rowid / integer primary key, or a text primary key */
    if (text_key(v)) {
        if (sqlite3_value_type(key) != SQLITE_TEXT)
            return vec0_error(v, "the primary key \"%s\" must be TEXT, received %s",
                              s->cols[s->pk].name, sql_type(key));
        if (sqlite3_value_type(rowid_arg) != SQLITE_NULL)
            return vec0_error(v, "a table with a text primary key assigns rowids itself");
    } else {
        for (int i = 0; i < 2; i++) {
            sqlite3_value *k = i ? key : rowid_arg;
            if (sqlite3_value_type(k) == SQLITE_NULL)
                continue;
            if (sqlite3_value_type(k) != SQLITE_INTEGER)
                return vec0_error(v, "the %s must be an INTEGER, received %s",
                                  s->pk >= 0 ? "primary key" : "rowid", sql_type(k));
            if (has_rowid && sqlite3_value_int64(k) != rowid)
                return vec0_error(v, "rowid and primary key differ");
            rowid = sqlite3_value_int64(k);
            has_rowid = 1;
        }
    }
    vec_value vecs[VEC0_MAX_VECTORS];
    memset(vecs, 0, sizeof vecs);
    int rc = validate_row(v, argv, vecs, 0);
    /* an existing row: replaced under OR REPLACE, else a constraint error */
    int found = 0;
    sqlite3_int64 existing = 0;
    if (rc == SQLITE_OK) {
        if (text_key(v))
            rc = lookup_id(v, key, &found, &existing);
        else if (has_rowid) {
            sqlite3_int64 cid;
            int off;
            rc = vec0_locate(v, rowid, &found, &cid, &off);
            existing = rowid;
        }
    }
    if (rc == SQLITE_OK && found) {
        if (sqlite3_vtab_on_conflict(v->db) == SQLITE_REPLACE) {
            rc = delete_row(v, existing);
        } else {
            vec0_error(v, "UNIQUE constraint failed on %s primary key", v->name);
            rc = SQLITE_CONSTRAINT;
        }
    }
    sqlite3_value *part[VEC0_MAX_PARTITIONS];
    for (int i = 0; i < s->ncols; i++)
        if (s->cols[i].kind == VEC0_PARTITION)
            part[s->cols[i].slot] = arg_of(v, argv, i);
    sqlite3_int64 chunk_id = 0;
    int offset = 0, cluster = -1;
    vec0_chunk_info info;
    if (rc == SQLITE_OK && s->ivf_column >= 0)
        rc = vec0_ivf_assign(v, vecs[s->cols[s->ivf_column].slot].data, &cluster);
    if (rc == SQLITE_OK)
        rc = vec0_find_slot(v, part, cluster, &chunk_id, &offset, &info);
    /* the row's entry: rowid, id, position, metadata */
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = prepare_insert(v, &st,
                            "INSERT INTO \"%w\".\"%w_rowids\"(rowid, id, chunk_id, chunk_offset%s) "
                            "VALUES (?1, ?2, ?3, ?4%s)",
                            ", metadata%02d", 5, s->nmetadata);
    if (rc == SQLITE_OK) {
        if (has_rowid)
            sqlite3_bind_int64(st, 1, rowid);
        if (text_key(v))
            sqlite3_bind_value(st, 2, key);
        sqlite3_bind_int64(st, 3, chunk_id);
        sqlite3_bind_int(st, 4, offset);
        bind_metadata(v, st, argv, 5);
        sqlite3_step(st);
        rc = vec0_done(v, st);
        if (rc != SQLITE_OK)
            vec0_error(v, "%s", sqlite3_errmsg(v->db));
        rowid = sqlite3_last_insert_rowid(v->db);
    }
    if (rc == SQLITE_OK) {
        const void *data[VEC0_MAX_VECTORS];
        for (int i = 0; i < s->nvectors; i++)
            data[i] = vecs[i].data;
        rc = vec0_slot_claim(v, chunk_id, offset, rowid, data, &info);
        const vec0_column *gc = vec0_graph_column(v);
        if (rc == SQLITE_OK && gc)
            rc = vec0_graph_add(v, rowid, data[gc->slot]);
    }
    if (rc == SQLITE_OK && s->naux > 0) {
        rc = prepare_insert(v, &st, "INSERT INTO \"%w\".\"%w_auxiliary\"(rowid%s) VALUES (?1%s)",
                            ", value%02d", 2, s->naux);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, rowid);
            for (int i = 0; i < s->ncols; i++)
                if (s->cols[i].kind == VEC0_AUX)
                    sqlite3_bind_value(st, 2 + s->cols[i].slot, arg_of(v, argv, i));
            sqlite3_step(st);
            rc = vec0_done(v, st);
        }
    }
    for (int i = 0; i < s->nvectors; i++)
        vec_value_clear(&vecs[i]);
    *out_rowid = rowid;
    return rc;
}

static int update_row(vec0_vtab *v, sqlite3_value **argv) {
    const vec0_schema *s = &v->s;
    sqlite3_int64 rowid = sqlite3_value_int64(argv[0]);
    if (sqlite3_value_type(argv[1]) != SQLITE_INTEGER || sqlite3_value_int64(argv[1]) != rowid ||
        (!text_key(v) && sqlite3_value_type(argv[2]) == SQLITE_INTEGER &&
         sqlite3_value_int64(argv[2]) != rowid))
        return vec0_error(v, "changing the rowid or an integer primary key is not supported; "
                             "delete and insert instead");
    int found, offset;
    sqlite3_int64 chunk_id;
    int rc = vec0_locate(v, rowid, &found, &chunk_id, &offset);
    if (rc != SQLITE_OK || !found)
        return rc;
    vec_value vecs[VEC0_MAX_VECTORS];
    memset(vecs, 0, sizeof vecs);
    rc = validate_row(v, argv, vecs, 1);
    if (rc == SQLITE_OK && text_key(v) && sqlite3_value_type(argv[2]) != SQLITE_TEXT)
        rc = vec0_error(v, "the primary key \"%s\" must be TEXT, received %s", s->cols[s->pk].name,
                        sql_type(argv[2]));
    /* partition keys cannot change: the row would have to move to another chunk */
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (c->kind != VEC0_PARTITION)
            continue;
        sqlite3_stmt *st;
        rc = vec0_prepare_cached(
            v, &st, "SELECT partition%02d IS ? FROM \"%w\".\"%w_chunks\" WHERE chunk_id = ?",
            c->slot, v->schema, v->name);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_value(st, 1, arg_of(v, argv, i));
        sqlite3_bind_int64(st, 2, chunk_id);
        int same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
        rc = vec0_done(v, st);
        if (rc == SQLITE_OK && !same)
            rc = vec0_error(v,
                            "UPDATE on partition key column \"%s\" is not supported; delete "
                            "and insert the row instead",
                            c->name);
    }
    char table[VEC0_NAME_MAX + 40];
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++) {
        if (vecs[i].data == NULL)
            continue;
        int vb = (int)vec_type_bytes(vecs[i].type, vecs[i].dims);
        sqlite3_int64 row;
        int byte;
        vec0_vector_pos(v, vec0_vector_column(v, i), chunk_id, offset, &row, &byte);
        vec0_table_name(v, table, sizeof table, "vectorchunks", i);
        rc = vec0_blob_write(v, table, "vectors", row, vecs[i].data, vb, byte);
    }
    /* codes of the changed vectors (NULL entries keep theirs) */
    const void *changed[VEC0_MAX_VECTORS] = {0};
    int any_changed = 0;
    for (int i = 0; i < s->nvectors; i++) {
        changed[i] = vecs[i].data;
        any_changed |= vecs[i].data != NULL && vec0_has_codes(vec0_vector_column(v, i));
    }
    if (rc == SQLITE_OK && any_changed)
        rc = vec0_write_codes(v, chunk_id, offset, changed);
    /* a new vector of the diskann column gets new neighbours */
    const vec0_column *gc = vec0_graph_column(v);
    if (rc == SQLITE_OK && gc && vecs[gc->slot].data)
        rc = vec0_graph_replace(v, rowid, vecs[gc->slot].data);
    /* a new vector of the ivf column may belong to another cluster */
    if (rc == SQLITE_OK && s->ivf_column >= 0 && vecs[s->cols[s->ivf_column].slot].data) {
        int cluster = -1;
        rc = vec0_ivf_assign(v, vecs[s->cols[s->ivf_column].slot].data, &cluster);
        if (rc == SQLITE_OK)
            rc = vec0_move_row(v, rowid, cluster);
    }
    if (rc == SQLITE_OK && (s->nmetadata > 0 || text_key(v))) {
        char *sets = sqlite3_mprintf("id = %s", text_key(v) ? "?1" : "id");
        for (int i = 0; sets && i < s->nmetadata; i++) {
            char *next = sqlite3_mprintf("%s, metadata%02d = ?%d", sets, i, 3 + i);
            sqlite3_free(sets);
            sets = next;
        }
        sqlite3_stmt *st = NULL;
        rc = sets ? vec0_prepare_cached(v, &st,
                                        "UPDATE \"%w\".\"%w_rowids\" SET %s WHERE rowid = ?2",
                                        v->schema, v->name, sets)
                  : SQLITE_NOMEM;
        sqlite3_free(sets);
        if (rc == SQLITE_OK) {
            if (text_key(v))
                sqlite3_bind_value(st, 1, argv[2]);
            sqlite3_bind_int64(st, 2, rowid);
            bind_metadata(v, st, argv, 3);
            sqlite3_step(st);
            rc = vec0_done(v, st);
            if (rc != SQLITE_OK)
                vec0_error(v, "%s", sqlite3_errmsg(v->db));
        }
    }
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        sqlite3_value *val = arg_of(v, argv, i);
        if (c->kind != VEC0_AUX || sqlite3_value_nochange(val))
            continue;
        sqlite3_stmt *st;
        rc = vec0_prepare_cached(
            v, &st,
            "INSERT INTO \"%w\".\"%w_auxiliary\"(rowid, value%02d) VALUES (?1, ?2) "
            "ON CONFLICT(rowid) DO UPDATE SET value%02d = ?2",
            v->schema, v->name, c->slot, c->slot);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_value(st, 2, val);
        sqlite3_step(st);
        rc = vec0_done(v, st);
    }
    for (int i = 0; i < s->nvectors; i++)
        vec_value_clear(&vecs[i]);
    return rc;
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Moves rows from later chunks into free slots of earlier chunks of the same partition. */
static int optimize(vec0_vtab *v) {
    const vec0_schema *s = &v->s;
    sqlite3_int64 *sources = NULL;
    size_t n = 0;
    int rc = vec0_select_ids(v, &sources, &n,
                             "SELECT chunk_id FROM \"%w\".\"%w_chunks\" WHERE count < size "
                             "ORDER BY chunk_id DESC",
                             v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    char *cond = sqlite3_mprintf("%s", "");
    for (int i = 0; cond && i < s->npartitions; i++) {
        char *next = sqlite3_mprintf("%s AND partition%02d IS (SELECT partition%02d FROM "
                                     "\"%w\".\"%w_chunks\" WHERE chunk_id = ?1)",
                                     cond, i, i, v->schema, v->name);
        sqlite3_free(cond);
        cond = next;
    }
    sqlite3_stmt *dest = NULL;
    rc =
        cond
            ? vec0_prepare(v, &dest,
                           "SELECT chunk_id, size, validity, count FROM \"%w\".\"%w_chunks\" WHERE "
                           "count < size AND chunk_id < ?1 AND chunk_id >= (?1 >> 32) << 32%s "
                           "ORDER BY chunk_id LIMIT 1",
                           v->schema, v->name, cond)
            : SQLITE_NOMEM;
    sqlite3_free(cond);
    void *bufs[VEC0_MAX_VECTORS] = {0};
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++)
        if (s->cols[i].kind == VEC0_VECTOR) {
            bufs[s->cols[i].slot] = sqlite3_malloc64(vec0_vector_bytes(&s->cols[i]));
            if (bufs[s->cols[i].slot] == NULL)
                rc = SQLITE_NOMEM;
        }
    sqlite3_blob *blobs[VEC0_MAX_VECTORS] = {0};
    for (size_t si = 0; rc == SQLITE_OK && si < n; si++) {
        sqlite3_int64 src = sources[si];
        for (;;) {
            unsigned char bits[VEC0_MAX_CHUNK / 8];
            int size, count;
            sqlite3_reset(dest);
            sqlite3_bind_int64(dest, 1, src);
            if (sqlite3_step(dest) != SQLITE_ROW)
                break; /* nowhere earlier to go */
            sqlite3_int64 dst = sqlite3_column_int64(dest, 0);
            int dsize = sqlite3_column_int(dest, 1);
            const unsigned char *dbits = sqlite3_column_blob(dest, 2);
            int doff = dbits && sqlite3_column_bytes(dest, 2) == dsize / 8
                           ? vec0_first_free(dbits, dsize)
                           : -1;
            sqlite3_reset(dest);
            if (doff < 0) {
                rc = vec0_error(v, "corrupt chunk %lld", (long long)dst);
                break;
            }
            rc = vec0_chunk_state(v, src, &size, &count, bits);
            if (rc != SQLITE_OK)
                break;
            int last = -1;
            for (int o = size - 1; o >= 0 && last < 0; o--)
                if (bits[o / 8] >> (o % 8) & 1)
                    last = o;
            if (last < 0)
                break;
            sqlite3_int64 rowid = 0;
            sqlite3_blob *rb = NULL;
            char table[VEC0_NAME_MAX + 40];
            vec0_table_name(v, table, sizeof table, "chunkrowids", -1);
            rc = sqlite3_blob_open(v->db, v->schema, table, "rowids", src, 0, &rb);
            if (rc == SQLITE_OK)
                rc = sqlite3_blob_read(rb, &rowid, 8, last * 8);
            sqlite3_blob_close(rb);
            for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++)
                rc = vec0_read_vector(v, &blobs[i], i, src, last, bufs[i]);
            for (int i = 0; i < s->nvectors; i++) {
                sqlite3_blob_close(blobs[i]);
                blobs[i] = NULL;
            }
            if (rc == SQLITE_OK)
                rc = vec0_slot_claim(v, dst, doff, rowid, (const void *const *)bufs, NULL);
            if (rc == SQLITE_OK)
                rc = vec0_exec(v,
                               "UPDATE \"%w\".\"%w_rowids\" SET chunk_id = %lld, chunk_offset = "
                               "%d WHERE rowid = %lld",
                               v->schema, v->name, (long long)dst, doff, (long long)rowid);
            if (rc == SQLITE_OK)
                rc = vec0_slot_release(v, src, last);
            if (rc != SQLITE_OK || count <= 1)
                break; /* error, or the source chunk is gone */
        }
    }
    sqlite3_finalize(dest);
    for (int i = 0; i < VEC0_MAX_VECTORS; i++)
        sqlite3_free(bufs[i]);
    sqlite3_free(sources);
    return rc;
}

static int popcount_bytes(const unsigned char *p, int n) {
    int c = 0;
    for (int i = 0; i < n; i++)
        c += __builtin_popcount(p[i]);
    return c;
}

/* Checks that chunks, positions and vector blobs agree; raises the first problem found. */
static int integrity_check(vec0_vtab *v) {
    const vec0_schema *s = &v->s;
    sqlite3_stmt *st;
    int rc = vec0_prepare(v, &st,
                          "SELECT chunk_id, size, count, validity, r.rowids FROM "
                          "\"%w\".\"%w_chunks\" LEFT JOIN \"%w\".\"%w_chunkrowids\" r "
                          "ON r.rowid = chunk_id ORDER BY chunk_id",
                          v->schema, v->name, v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_int64 total = 0;
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        int size = sqlite3_column_int(st, 1), count = sqlite3_column_int(st, 2);
        const unsigned char *bits = sqlite3_column_blob(st, 3);
        int nbits = sqlite3_column_bytes(st, 3);
        const unsigned char *rowids = sqlite3_column_blob(st, 4);
        int nrowids = sqlite3_column_bytes(st, 4);
        if (size <= 0 || size > VEC0_MAX_CHUNK || size % 8 || nbits != size / 8 ||
            nrowids != size * 8 || bits == NULL || rowids == NULL) {
            rc = vec0_error(v, "integrity_check: chunk %lld has a bad size or bitmap",
                            (long long)id);
            break;
        }
        if (popcount_bytes(bits, nbits) != count || count == 0) {
            rc = vec0_error(v, "integrity_check: chunk %lld counts %d rows, its bitmap %d",
                            (long long)id, count, popcount_bytes(bits, nbits));
            break;
        }
        total += count;
        for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++)
            rc = vec0_check_blocks(v, id, size, vec0_vector_column(v, i), 0);
        if (rc == SQLITE_OK)
            rc = vec0_index_check_chunk(v, id, size);
        for (int o = 0; rc == SQLITE_OK && o < size; o++) {
            if (!(bits[o / 8] >> (o % 8) & 1))
                continue;
            sqlite3_int64 rowid, cid;
            int found, off;
            memcpy(&rowid, rowids + 8 * o, 8);
            rc = vec0_locate(v, rowid, &found, &cid, &off);
            if (rc == SQLITE_OK && (!found || cid != id || off != o))
                rc = vec0_error(v,
                                "integrity_check: slot %d of chunk %lld holds rowid %lld, "
                                "which is recorded elsewhere",
                                o, (long long)id, (long long)rowid);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    rc = vec0_prepare(v, &st, "SELECT count(*) FROM \"%w\".\"%w_rowids\"", v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_int64 rows = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rows != total)
        return vec0_error(v, "integrity_check: %lld rows recorded, %lld slots in use",
                          (long long)rows, (long long)total);
    return vec0_index_check_rows(v, rows);
}

static int command(vec0_vtab *v, sqlite3_value *cmd, sqlite3_value **argv) {
    const char *c = (const char *)sqlite3_value_text(cmd);
    if (sqlite3_value_type(cmd) != SQLITE_TEXT || c == NULL)
        return vec0_error(v, "a command must be text");
    if (strcmp(c, "optimize") == 0) {
        int rc = optimize(v);
        if (rc == SQLITE_OK)
            rc = vec0_graph_buffer_flush(v);
        return rc == SQLITE_OK ? vec0_graph_optimize(v) : rc;
    }
    if (strcmp(c, "integrity_check") == 0 || strcmp(c, "integrity-check") == 0)
        return integrity_check(v);
    if (strncmp(c, "export-sqlite-vec:", 18) == 0)
        return vec0_export_sqlite_vec(v, c + 18);
    int rc = vec0_index_command(v, c, argv);
    if (rc != SQLITE_NOTFOUND)
        return rc;
    return vec0_error(v,
                      "unknown vec0 command '%s' (optimize, integrity_check, "
                      "export-sqlite-vec:table, oversample=N, search_list_size=N, nprobe=N, "
                      "compute-centroids, set-centroid:N, assign-vectors, clear-centroids, "
                      "threads=N)",
                      c);
}

int vec0_update(sqlite3_vtab *vt, int argc, sqlite3_value **argv, sqlite3_int64 *rowid) {
    vec0_vtab *v = (vec0_vtab *)vt;
    int rc = vec0_check_format(v);
    if (rc != SQLITE_OK)
        return rc;
    if (v->foreign)
        return vec0_foreign_error(v, "write it");
    if (argc == 1)
        return delete_row(v, sqlite3_value_int64(argv[0]));
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        if (v->col_cmd >= 0 && sqlite3_value_type(argv[2 + v->col_cmd]) != SQLITE_NULL)
            return command(v, argv[2 + v->col_cmd], argv);
        return insert_row(v, argv, rowid);
    }
    return update_row(v, argv);
}
