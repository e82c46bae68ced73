/*
** ext/vec: where vec0 rows are stored: the slots of chunks (see vec0_sql.h). Claiming a slot
** writes the row's rowid, vectors and codes into it; releasing one zeroes them and drops the
** chunk once empty; finding one picks the chunk of the previous insert while it has room, else
** the oldest chunk of the row's partition (and ivf cluster) with a free slot, else a new chunk.
** Moving a row (to another ivf cluster) is a claim and a release. The write paths
** (vec0_write_sql.c) and index training (vec0_index_sql.c) build on these.
*/
#include "vec/vec0_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vec0_blob_write(vec0_vtab *v, const char *table, const char *column, sqlite3_int64 row,
                    const void *data, int n, int offset) {
    sqlite3_blob *b = NULL;
    int rc = sqlite3_blob_open(v->db, v->schema, table, column, row, 1, &b);
    if (rc == SQLITE_OK)
        rc = sqlite3_blob_write(b, data, n, offset);
    sqlite3_blob_close(b);
    return rc;
}

void vec0_table_name(const vec0_vtab *v, char *out, size_t n, const char *suffix, int slot) {
    if (slot >= 0)
        snprintf(out, n, "%s_%s%02d", v->name, suffix, slot);
    else
        snprintf(out, n, "%s_%s", v->name, suffix);
}

/* ---- codes ---------------------------------------------------------------------------------- */

int vec0_write_codes(vec0_vtab *v, sqlite3_int64 chunk_id, int offset, const void *const *vecs) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        if (!vec0_has_codes(c) || (vecs && vecs[c->slot] == NULL))
            continue;
        size_t cb = vec0_code_bytes(c);
        unsigned char *code = sqlite3_malloc64(cb);
        float *f = vecs ? sqlite3_malloc64(4 * (size_t)c->dims) : NULL;
        if (code == NULL || (vecs && f == NULL)) {
            sqlite3_free(code);
            sqlite3_free(f);
            return SQLITE_NOMEM;
        }
        if (vecs) {
            vec_to_f32(c->vtype, vecs[c->slot], (size_t)c->dims, f);
            vec_quantize(c->index.quantizer, f, (size_t)c->dims, code);
            sqlite3_free(f);
        } else {
            memset(code, 0, cb);
        }
        int b = vec0_code_block_slots(v, c);
        char table[VEC0_NAME_MAX + 40];
        snprintf(table, sizeof table, "%s_codechunks%02d", v->name, c->slot);
        sqlite3_blob *blob = NULL;
        rc = sqlite3_blob_open(v->db, v->schema, table, "codes",
                               vec0_block_row(chunk_id, offset / b), 1, &blob);
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_write(blob, code, (int)cb, (int)(cb * (size_t)(offset % b)));
        sqlite3_blob_close(blob);
        sqlite3_free(code);
    }
    return rc;
}

/* ---- slots ---------------------------------------------------------------------------------- */

/* Reads a chunk's size, count and validity bitmap (into bits, size/8 bytes). */
int vec0_chunk_state(vec0_vtab *v, sqlite3_int64 chunk_id, int *size, int *count,
                     unsigned char *bits) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(
        v, &st, "SELECT size, count, validity FROM \"%w\".\"%w_chunks\" WHERE chunk_id = ?",
        v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, chunk_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *size = sqlite3_column_int(st, 0);
        *count = sqlite3_column_int(st, 1);
        int nb = sqlite3_column_bytes(st, 2);
        const void *p = sqlite3_column_blob(st, 2);
        if (*size <= 0 || *size > VEC0_MAX_CHUNK || nb != *size / 8 || p == NULL)
            rc = vec0_error(v, "corrupt chunk %lld", (long long)chunk_id);
        else {
            memcpy(bits, p, (size_t)nb);
            rc = SQLITE_OK;
        }
    } else {
        rc = rc == SQLITE_DONE ? vec0_error(v, "missing chunk %lld", (long long)chunk_id) : rc;
    }
    vec0_done(v, st);
    return rc;
}

static int chunk_set_state(vec0_vtab *v, sqlite3_int64 chunk_id, int count,
                           const unsigned char *bits, int size) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(
        v, &st, "UPDATE \"%w\".\"%w_chunks\" SET count = ?, validity = ? WHERE chunk_id = ?",
        v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int(st, 1, count);
    sqlite3_bind_blob(st, 2, bits, size / 8, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, chunk_id);
    sqlite3_step(st);
    return vec0_done(v, st);
}

/* Writes rowid, its vectors vecs[slot] and their codes into slot `offset` of chunk_id; with
** vecs == NULL (a released slot), zeros. */
static int slot_write(vec0_vtab *v, sqlite3_int64 chunk_id, int offset, sqlite3_int64 rowid,
                      const void *const *vecs) {
    static const unsigned char zeros[4 * VEC0_MAX_DIMS];
    char table[VEC0_NAME_MAX + 40];
    vec0_table_name(v, table, sizeof table, "chunkrowids", -1);
    int rc = vec0_blob_write(v, table, "rowids", chunk_id, &rowid, 8, offset * 8);
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        if (c->kind != VEC0_VECTOR)
            continue;
        sqlite3_int64 row;
        int byte;
        vec0_vector_pos(v, c, chunk_id, offset, &row, &byte);
        vec0_table_name(v, table, sizeof table, "vectorchunks", c->slot);
        rc = vec0_blob_write(v, table, "vectors", row, vecs ? vecs[c->slot] : zeros,
                             (int)vec0_vector_bytes(c), byte);
    }
    if (rc == SQLITE_OK)
        rc = vec0_write_codes(v, chunk_id, offset, vecs);
    return rc;
}

/* Puts rowid and its vectors (vecs[slot]) into free slot `offset` of chunk_id. */
int vec0_slot_claim(vec0_vtab *v, sqlite3_int64 chunk_id, int offset, sqlite3_int64 rowid,
                    const void *const *vecs, const vec0_chunk_info *known) {
    unsigned char bits[VEC0_MAX_CHUNK / 8];
    int size, count, rc = SQLITE_OK;
    if (known) { /* read by vec0_find_slot in this same call: no need to read it again */
        size = known->size;
        count = known->count;
        memcpy(bits, known->bits, (size_t)size / 8);
    } else {
        rc = vec0_chunk_state(v, chunk_id, &size, &count, bits);
    }
    if (rc != SQLITE_OK)
        return rc;
    bits[offset / 8] |= (unsigned char)(1u << (offset % 8));
    rc = chunk_set_state(v, chunk_id, count + 1, bits, size);
    return rc == SQLITE_OK ? slot_write(v, chunk_id, offset, rowid, vecs) : rc;
}

/* Empties slot `offset` of chunk_id (zeroing its bytes), dropping the chunk once empty. */
int vec0_slot_release(vec0_vtab *v, sqlite3_int64 chunk_id, int offset) {
    unsigned char bits[VEC0_MAX_CHUNK / 8];
    int size, count;
    int rc = vec0_chunk_state(v, chunk_id, &size, &count, bits);
    if (rc != SQLITE_OK)
        return rc;
    if (offset < 0 || offset >= size)
        return vec0_error(v, "corrupt position %d in chunk %lld", offset, (long long)chunk_id);
    bits[offset / 8] &= (unsigned char)~(1u << (offset % 8));
    if (count <= 1) {
        rc = vec0_exec(v,
                       "DELETE FROM \"%w\".\"%w_chunks\" WHERE chunk_id = %lld;"
                       "DELETE FROM \"%w\".\"%w_chunkrowids\" WHERE rowid = %lld",
                       v->schema, v->name, (long long)chunk_id, v->schema, v->name,
                       (long long)chunk_id);
        /* the chunk's vector blocks, and its code blocks where the column has codes */
        for (int i = 0; rc == SQLITE_OK && i < v->s.nvectors; i++)
            for (int codes = 0;
                 rc == SQLITE_OK && codes <= vec0_has_codes(vec0_vector_column(v, i)); codes++)
                rc = vec0_exec(v,
                               "DELETE FROM \"%w\".\"%w_%s%02d\" WHERE rowid BETWEEN %lld AND %lld",
                               v->schema, v->name, codes ? "codechunks" : "vectorchunks", i,
                               (long long)vec0_block_row(chunk_id, 0),
                               (long long)vec0_block_row(chunk_id, VEC0_CHUNK_BLOCKS - 1));
        return rc;
    }
    rc = chunk_set_state(v, chunk_id, count - 1, bits, size);
    return rc == SQLITE_OK ? slot_write(v, chunk_id, offset, 0, NULL) : rc;
}

int vec0_first_free(const unsigned char *bits, int size) {
    for (int o = 0; o < size; o++)
        if (!(bits[o / 8] >> (o % 8) & 1))
            return o;
    return -1;
}

/* Steps st (SELECT chunk_id, size, validity ...); 1 with a free slot, 0 for no row, or -1. */
static int take_slot(vec0_vtab *v, sqlite3_stmt *st, sqlite3_int64 *chunk_id, int *offset,
                     vec0_chunk_info *info, int *rc) {
    *rc = sqlite3_step(st);
    if (*rc != SQLITE_ROW) {
        *rc = vec0_done(v, st);
        return *rc == SQLITE_OK ? 0 : -1;
    }
    int size = sqlite3_column_int(st, 1);
    const unsigned char *bits = sqlite3_column_blob(st, 2);
    *chunk_id = sqlite3_column_int64(st, 0);
    *offset = bits && sqlite3_column_bytes(st, 2) == size / 8 && size <= VEC0_MAX_CHUNK
                  ? vec0_first_free(bits, size)
                  : -1;
    if (*offset >= 0) {
        info->size = size;
        info->count = sqlite3_column_int(st, 3);
        memcpy(info->bits, bits, (size_t)size / 8);
    }
    vec0_done(v, st);
    if (*offset < 0) {
        *rc = vec0_error(v, "corrupt chunk %lld", (long long)*chunk_id);
        return -1;
    }
    *rc = SQLITE_OK;
    return 1;
}

/* Finds a chunk with room whose partition values are part[] (may create one): the chunk of
** the previous insert while it has room (a hint, checked against the table, so ROLLBACK cannot
** fool it), else the oldest chunk with a free slot. */
int vec0_find_slot(vec0_vtab *v, sqlite3_value **part, int cluster, sqlite3_int64 *chunk_id,
                   int *offset, vec0_chunk_info *info) {
    const vec0_schema *s = &v->s;
    sqlite3_int64 lo, hi; /* the cluster's chunk ids (ivf) */
    vec0_cluster_range(v, cluster, &lo, &hi);
    int np = s->npartitions;
    char *cond = sqlite3_mprintf(" AND chunk_id BETWEEN ?%d AND ?%d", np + 2, np + 3);
    for (int i = 0; cond && i < s->npartitions; i++) {
        char *next = sqlite3_mprintf("%s AND partition%02d = ?%d", cond, i, i + 1);
        sqlite3_free(cond);
        cond = next;
    }
    if (cond == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *st;
    int rc = SQLITE_OK, found = 0;
    if (v->insert_hint > 0) {
        rc = vec0_prepare_cached(
            v, &st,
            "SELECT chunk_id, size, validity, count FROM \"%w\".\"%w_chunks\" WHERE "
            "chunk_id = ?%d AND count < size%s",
            v->schema, v->name, s->npartitions + 1, cond);
        if (rc == SQLITE_OK) {
            for (int i = 0; i < s->npartitions; i++)
                sqlite3_bind_value(st, i + 1, part[i]);
            sqlite3_bind_int64(st, np + 1, v->insert_hint);
            sqlite3_bind_int64(st, np + 2, lo);
            sqlite3_bind_int64(st, np + 3, hi);
            found = take_slot(v, st, chunk_id, offset, info, &rc);
        }
    }
    if (rc == SQLITE_OK && found == 0) {
        rc = vec0_prepare_cached(
            v, &st,
            "SELECT chunk_id, size, validity, count FROM \"%w\".\"%w_chunks\" WHERE "
            "count < size%s ORDER BY chunk_id LIMIT 1",
            v->schema, v->name, cond);
        if (rc == SQLITE_OK) {
            for (int i = 0; i < s->npartitions; i++)
                sqlite3_bind_value(st, i + 1, part[i]);
            sqlite3_bind_int64(st, np + 2, lo);
            sqlite3_bind_int64(st, np + 3, hi);
            found = take_slot(v, st, chunk_id, offset, info, &rc);
        }
    }
    sqlite3_free(cond);
    if (rc != SQLITE_OK || found) {
        if (found > 0)
            v->insert_hint = *chunk_id;
        return rc;
    }
    /* a new chunk */
    char *cols = vec0_numbered_list("partition%02d, ", 0, s->npartitions);
    char *vals = vec0_numbered_list("?%d, ", 1, s->npartitions);
    if (cols == NULL || vals == NULL) {
        sqlite3_free(cols);
        sqlite3_free(vals);
        return SQLITE_NOMEM;
    }
    int size = s->chunk_size;
    /* ivf tables place each chunk in its cluster's id range; others let SQLite number them */
    sqlite3_int64 new_id = 0;
    if (s->ivf_column >= 0) {
        rc = vec0_prepare_cached(v, &st,
                                 "SELECT max(chunk_id) FROM \"%w\".\"%w_chunks\" WHERE chunk_id "
                                 "BETWEEN ?1 AND ?2",
                                 v->schema, v->name);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, lo);
            sqlite3_bind_int64(st, 2, hi);
            new_id = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                         ? sqlite3_column_int64(st, 0) + 1
                         : lo;
            rc = vec0_done(v, st);
        }
        if (rc == SQLITE_OK && new_id > hi)
            rc = vec0_error(v, "too many chunks in cluster %d", cluster);
    }
    if (rc == SQLITE_OK)
        rc = vec0_prepare_cached(v, &st,
                                 "INSERT INTO \"%w\".\"%w_chunks\"(chunk_id, size, count, "
                                 "%svalidity) VALUES (?%d, %d, 0, %szeroblob(%d))",
                                 v->schema, v->name, cols, np + 1, size, vals, size / 8);
    sqlite3_free(cols);
    sqlite3_free(vals);
    if (rc != SQLITE_OK)
        return rc;
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_bind_value(st, i + 1, part[i]);
    if (new_id > 0)
        sqlite3_bind_int64(st, np + 1, new_id);
    sqlite3_step(st);
    rc = vec0_done(v, st);
    if (rc != SQLITE_OK)
        return rc;
    *chunk_id = sqlite3_last_insert_rowid(v->db);
    *offset = 0;
    v->insert_hint = *chunk_id;
    rc = vec0_exec(
        v, "INSERT INTO \"%w\".\"%w_chunkrowids\"(rowid, rowids) VALUES (%lld, zeroblob(%d))",
        v->schema, v->name, (long long)*chunk_id, size * 8);
    if (rc != SQLITE_OK)
        return rc;
    info->size = size;
    info->count = 0;
    memset(info->bits, 0, (size_t)size / 8);
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (c->kind != VEC0_VECTOR)
            continue;
        int b = vec0_block_slots(v, c);
        for (int first = 0; rc == SQLITE_OK && first < size; first += b) {
            int slots = size - first < b ? size - first : b;
            rc = vec0_exec(v,
                           "INSERT INTO \"%w\".\"%w_vectorchunks%02d\"(rowid, vectors) "
                           "VALUES (%lld, zeroblob(%lld))",
                           v->schema, v->name, c->slot,
                           (long long)vec0_block_row(*chunk_id, first / b),
                           (long long)(vec0_vector_bytes(c) * (size_t)slots));
        }
        b = vec0_has_codes(c) ? vec0_code_block_slots(v, c) : size;
        for (int first = 0; rc == SQLITE_OK && vec0_has_codes(c) && first < size; first += b) {
            int slots = size - first < b ? size - first : b;
            rc = vec0_exec(v,
                           "INSERT INTO \"%w\".\"%w_codechunks%02d\"(rowid, codes) "
                           "VALUES (%lld, zeroblob(%lld))",
                           v->schema, v->name, c->slot,
                           (long long)vec0_block_row(*chunk_id, first / b),
                           (long long)(vec0_code_bytes(c) * (size_t)slots));
        }
    }
    return rc;
}

int vec0_move_row(vec0_vtab *v, sqlite3_int64 rowid, int cluster) {
    const vec0_schema *s = &v->s;
    int found, offset;
    sqlite3_int64 chunk_id, lo, hi;
    int rc = vec0_locate(v, rowid, &found, &chunk_id, &offset);
    if (rc != SQLITE_OK || !found)
        return rc;
    vec0_cluster_range(v, cluster, &lo, &hi);
    if (chunk_id >= lo && chunk_id <= hi)
        return SQLITE_OK; /* already there */
    /* the row's partition values, from its chunk */
    sqlite3_stmt *st = NULL;
    sqlite3_value *part[VEC0_MAX_PARTITIONS] = {0};
    char *cols = sqlite3_mprintf("%s", "NULL");
    for (int i = 0; cols && i < s->npartitions; i++) {
        char *next = sqlite3_mprintf("%s, partition%02d", cols, i);
        sqlite3_free(cols);
        cols = next;
    }
    rc = cols
             ? vec0_prepare_cached(v, &st, "SELECT %s FROM \"%w\".\"%w_chunks\" WHERE chunk_id = ?",
                                   cols, v->schema, v->name)
             : SQLITE_NOMEM;
    sqlite3_free(cols);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, chunk_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            for (int i = 0; i < s->npartitions; i++) {
                part[i] = sqlite3_value_dup(sqlite3_column_value(st, 1 + i));
                if (part[i] == NULL)
                    rc = SQLITE_NOMEM;
            }
        else
            rc = vec0_error(v, "missing chunk %lld", (long long)chunk_id);
        int drc = vec0_done(v, st);
        rc = rc == SQLITE_OK ? drc : rc;
    }
    void *bufs[VEC0_MAX_VECTORS] = {0};
    sqlite3_blob *blob = NULL;
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++) {
        bufs[i] = sqlite3_malloc64(vec0_vector_bytes(vec0_vector_column(v, i)));
        rc = bufs[i] ? vec0_read_vector(v, &blob, i, chunk_id, offset, bufs[i]) : SQLITE_NOMEM;
        sqlite3_blob_close(blob);
        blob = NULL;
    }
    sqlite3_int64 dst = 0;
    int doff = 0;
    vec0_chunk_info info;
    if (rc == SQLITE_OK)
        rc = vec0_find_slot(v, part, cluster, &dst, &doff, &info);
    if (rc == SQLITE_OK)
        rc = vec0_slot_claim(v, dst, doff, rowid, (const void *const *)bufs, &info);
    if (rc == SQLITE_OK) {
        rc = vec0_prepare_cached(v, &st,
                                 "UPDATE \"%w\".\"%w_rowids\" SET chunk_id = ?1, chunk_offset = ?2 "
                                 "WHERE rowid = ?3",
                                 v->schema, v->name);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, dst);
            sqlite3_bind_int(st, 2, doff);
            sqlite3_bind_int64(st, 3, rowid);
            sqlite3_step(st);
            rc = vec0_done(v, st);
        }
    }
    if (rc == SQLITE_OK)
        rc = vec0_slot_release(v, chunk_id, offset);
    for (int i = 0; i < VEC0_MAX_VECTORS; i++)
        sqlite3_free(bufs[i]);
    for (int i = 0; i < VEC0_MAX_PARTITIONS; i++)
        sqlite3_value_free(part[i]);
    return rc;
}

int vec0_check_blocks(vec0_vtab *v, sqlite3_int64 id, int size, const vec0_column *c, int codes) {
    int b = codes ? vec0_code_block_slots(v, c) : vec0_block_slots(v, c);
    size_t bytes = codes ? vec0_code_bytes(c) : vec0_vector_bytes(c);
    int rc = SQLITE_OK;
    for (int first = 0; rc == SQLITE_OK && first < size; first += b) {
        sqlite3_stmt *st;
        rc = vec0_prepare(v, &st, "SELECT length(%s) FROM \"%w\".\"%w_%s%02d\" WHERE rowid = %lld",
                          codes ? "codes" : "vectors", v->schema, v->name,
                          codes ? "codechunks" : "vectorchunks", c->slot,
                          (long long)vec0_block_row(id, first / b));
        if (rc != SQLITE_OK)
            break;
        sqlite3_int64 got = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        int slots = size - first < b ? size - first : b;
        if (got != (sqlite3_int64)(bytes * (size_t)slots))
            rc = vec0_error(v,
                            "integrity_check: %sblock %d of vector column %02d in chunk %lld is %s",
                            codes ? "code " : "", first / b, c->slot, (long long)id,
                            got < 0 ? "missing" : "the wrong size");
    }
    return rc;
}
