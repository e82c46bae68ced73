/*
** ext/vec: the buffer of the diskann index, diskann(..., buffer_threshold=N).
**
** An inserted row does not join the graph at once: it goes into T_graphbufferNN(rowid INTEGER
** PRIMARY KEY, vector BLOB), a copy of its vector beside the one in the chunks, so that a
** query reads the waiting rows in one pass over a small table instead of seeking each one
** in T_rowids and the vector blocks (measured: 1.5-5 us a row that way, about 0.3 us this
** way). When the buffer holds N rows they join the graph together (vec_graph_insert_batch: their
** searches run against the graph as it stood, on two threads, then the back edges), and the
** buffer is emptied. Being an ordinary table, the buffer commits, rolls back (with a
** transaction, a savepoint or a failed statement) and survives a crash exactly as the rows do.
** Queries add the buffered rows' exact distances to the graph's answer (vec0_knn_sql.c), so
** answers over them are exact; 'optimize' empties the buffer into the graph.
**
** N = 0 (and tables created before the buffer existed, which have no T_graphbufferNN) insert
** into the graph at once, as sqlite-vec does by default.
*/
#include "vec/graph.h"
#include "vec/vec0_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Vectors read from the buffer per batch: bounds the memory a flush holds (vectors and their
** codes), whatever the threshold and the dimensions. */
#define BUFFER_PIECE_BYTES ((size_t)64 << 20)
/* Threads for a batch's searches: the second core where there is one. */
#define BUFFER_THREADS 2

int vec0_graph_buffer_create(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    v->buffer_state = VEC0_BUFFER_PRESENT;
    return vec0_exec(v,
                     "CREATE TABLE \"%w\".\"%w_graphbuffer%02d\"(rowid INTEGER PRIMARY KEY, "
                     "vector BLOB NOT NULL)",
                     v->schema, v->name, c->slot);
}

void vec0_graph_buffer_forget(vec0_vtab *v) {
    v->buffer_counted = 0;
}

/* The error for a statement on the buffer table that failed, naming the table. */
static int buffer_error(vec0_vtab *v, const vec0_column *c, int rc) {
    if (rc == SQLITE_NOMEM)
        return rc;
    return vec0_error(v, "the diskann buffer \"%s_graphbuffer%02d\": %s", v->name, c->slot,
                      sqlite3_errmsg(v->db));
}

int vec0_graph_buffer_threshold(vec0_vtab *v, int *threshold) {
    const vec0_column *c = vec0_graph_column(v);
    *threshold = 0;
    if (c == NULL)
        return SQLITE_OK;
    /* looked up whatever the threshold: a table declared with 0 has a buffer to rename */
    if (v->buffer_state == VEC0_BUFFER_UNKNOWN) {
        sqlite3_stmt *st;
        char name[VEC0_NAME_MAX + 40];
        snprintf(name, sizeof name, "%s_graphbuffer%02d", v->name, c->slot);
        int rc =
            vec0_prepare(v, &st, "SELECT 1 FROM \"%w\".sqlite_master WHERE name = ?", v->schema);
        if (rc != SQLITE_OK)
            return rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        int present = sqlite3_step(st) == SQLITE_ROW;
        rc = sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return rc;
        v->buffer_state = present ? VEC0_BUFFER_PRESENT : VEC0_BUFFER_ABSENT;
    }
    if (v->buffer_state == VEC0_BUFFER_PRESENT)
        *threshold = c->index.buffer_threshold;
    return SQLITE_OK;
}

int vec0_graph_buffer_count(vec0_vtab *v, sqlite3_int64 *rows) {
    const vec0_column *c = vec0_graph_column(v);
    int threshold;
    *rows = 0;
    int rc = vec0_graph_buffer_threshold(v, &threshold);
    if (rc != SQLITE_OK || v->buffer_state != VEC0_BUFFER_PRESENT)
        return rc;
    if (v->buffer_counted) {
        *rows = v->buffer_rows;
        return SQLITE_OK;
    }
    sqlite3_stmt *st;
    rc = vec0_prepare_cached(v, &st, "SELECT count(*) FROM \"%w\".\"%w_graphbuffer%02d\"",
                             v->schema, v->name, c->slot);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    *rows = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    rc = vec0_done(v, st);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    v->buffer_rows = *rows;
    v->buffer_counted = 1;
    return SQLITE_OK;
}

/* Adds the n rows of rowids, with their vectors (the column's type, end to end), to the graph
** together. */
static int join_graph(vec0_vtab *v, const vec0_column *c, const sqlite3_int64 *rowids,
                      const unsigned char *vectors, size_t n) {
    vec_graph *g = v->graph;
    size_t vb = vec0_vector_bytes(c);
    unsigned char *codes = sqlite3_malloc64(n * g->code_bytes + 1);
    float *f = sqlite3_malloc64(4 * (size_t)c->dims + 1);
    int rc = codes && f ? SQLITE_OK : SQLITE_NOMEM;
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        vec_to_f32(c->vtype, vectors + i * vb, (size_t)c->dims, f);
        vec_quantize(c->index.quantizer, f, (size_t)c->dims, codes + i * g->code_bytes);
    }
    /* out of memory part way leaves a valid graph; the failed statement rolls back and drops
    ** the cache (vec0_graph_rollback) */
    if (rc == SQLITE_OK && vec_graph_insert_batch(g, (const int64_t *)rowids, codes, n,
                                                  c->index.list_insert, BUFFER_THREADS) != 0)
        rc = SQLITE_NOMEM;
    sqlite3_free(codes);
    sqlite3_free(f);
    return rc;
}

int vec0_graph_buffer_flush(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    sqlite3_int64 count;
    int rc = vec0_graph_buffer_count(v, &count);
    if (rc != SQLITE_OK || count == 0)
        return rc;
    rc = vec0_graph_load(v);
    if (rc != SQLITE_OK)
        return rc;
    size_t vb = vec0_vector_bytes(c);
    size_t most = BUFFER_PIECE_BYTES / vb > 0 ? BUFFER_PIECE_BYTES / vb : 1;
    size_t piece = (sqlite3_uint64)count < most ? (size_t)count : most;
    sqlite3_int64 *rowids = sqlite3_malloc64(piece * sizeof *rowids);
    unsigned char *vectors = sqlite3_malloc64(piece * vb);
    if (rowids == NULL || vectors == NULL)
        rc = SQLITE_NOMEM;
    /* a buffered rowid must be a row: a stranger's buffer could list others */
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) {
        rc = vec0_prepare(v, &st,
                          "SELECT b.rowid, b.vector, r.rowid IS NULL FROM "
                          "\"%w\".\"%w_graphbuffer%02d\" b LEFT JOIN \"%w\".\"%w_rowids\" r "
                          "ON r.rowid = b.rowid",
                          v->schema, v->name, c->slot, v->schema, v->name);
        if (rc != SQLITE_OK)
            rc = buffer_error(v, c, rc);
    }
    size_t n = 0;
    int step = SQLITE_ROW;
    while (rc == SQLITE_OK && step == SQLITE_ROW) {
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
            const void *vec = sqlite3_column_blob(st, 1);
            if (sqlite3_column_int(st, 2) || vec == NULL ||
                (size_t)sqlite3_column_bytes(st, 1) != vb) {
                rc = vec0_error(v,
                                "the diskann buffer \"%s_graphbuffer%02d\" holds rowid %lld, "
                                "%s (run integrity_check)",
                                v->name, c->slot, (long long)rowid,
                                sqlite3_column_int(st, 2) ? "which has no row"
                                                          : "with a vector of the wrong size");
                break;
            }
            rowids[n] = rowid;
            memcpy(vectors + n++ * vb, vec, vb);
        } else if (step != SQLITE_DONE) {
            rc = buffer_error(v, c, step);
            break;
        }
        if (n == piece || (step == SQLITE_DONE && n > 0)) {
            rc = join_graph(v, c, rowids, vectors, n);
            n = 0;
        }
    }
    sqlite3_finalize(st);
    sqlite3_free(rowids);
    sqlite3_free(vectors);
    if (rc == SQLITE_OK)
        rc = vec0_exec(v, "DELETE FROM \"%w\".\"%w_graphbuffer%02d\"", v->schema, v->name, c->slot);
    if (rc == SQLITE_OK) {
        v->buffer_rows = 0;
        v->buffer_counted = 1;
    }
    return rc;
}

int vec0_graph_add(vec0_vtab *v, sqlite3_int64 rowid, const void *data) {
    const vec0_column *c = vec0_graph_column(v);
    int threshold;
    if (c == NULL || data == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_buffer_threshold(v, &threshold);
    if (rc != SQLITE_OK || threshold == 0)
        return rc == SQLITE_OK ? vec0_graph_insert(v, rowid, data) : rc;
    sqlite3_int64 count;
    rc = vec0_graph_buffer_count(v, &count);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *st;
    rc = vec0_prepare_cached(v, &st,
                             "INSERT INTO \"%w\".\"%w_graphbuffer%02d\"(rowid, vector) "
                             "VALUES (?, ?)",
                             v->schema, v->name, c->slot);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_blob64(st, 2, data, vec0_vector_bytes(c), SQLITE_STATIC);
    sqlite3_step(st);
    rc = vec0_done(v, st);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    v->buffer_rows = count + 1;
    return v->buffer_rows >= threshold ? vec0_graph_buffer_flush(v) : SQLITE_OK;
}

/* Deletes rowid from the buffer (data NULL) or sets its vector there; *found = whether it
** was buffered. */
static int buffered(vec0_vtab *v, const vec0_column *c, sqlite3_int64 rowid, const void *data,
                    int *found) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(
        v, &st,
        data ? "UPDATE \"%w\".\"%w_graphbuffer%02d\" SET vector = ?2 WHERE rowid = ?1"
             : "DELETE FROM \"%w\".\"%w_graphbuffer%02d\" WHERE rowid = ?1",
        v->schema, v->name, c->slot);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    sqlite3_bind_int64(st, 1, rowid);
    if (data)
        sqlite3_bind_blob64(st, 2, data, vec0_vector_bytes(c), SQLITE_STATIC);
    sqlite3_step(st);
    rc = vec0_done(v, st);
    if (rc != SQLITE_OK)
        return buffer_error(v, c, rc);
    *found = sqlite3_changes(v->db) > 0;
    return SQLITE_OK;
}

int vec0_graph_remove(vec0_vtab *v, sqlite3_int64 rowid) {
    const vec0_column *c = vec0_graph_column(v);
    int threshold, found = 0;
    if (c == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_buffer_threshold(v, &threshold);
    if (rc == SQLITE_OK && v->buffer_state == VEC0_BUFFER_PRESENT)
        rc = buffered(v, c, rowid, NULL, &found);
    if (rc == SQLITE_OK && found && v->buffer_counted)
        v->buffer_rows--;
    /* a row re-inserted after a delete may have both a tombstone and a buffer entry */
    return rc == SQLITE_OK ? vec0_graph_delete(v, rowid) : rc;
}

int vec0_graph_replace(vec0_vtab *v, sqlite3_int64 rowid, const void *data) {
    const vec0_column *c = vec0_graph_column(v);
    int threshold, found = 0;
    if (c == NULL || data == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_buffer_threshold(v, &threshold);
    if (rc == SQLITE_OK && v->buffer_state == VEC0_BUFFER_PRESENT)
        rc = buffered(v, c, rowid, data, &found);
    /* a buffered row joins the graph with the vector it has then */
    return rc != SQLITE_OK || found ? rc : vec0_graph_insert(v, rowid, data);
}

int vec0_graph_buffer_check(vec0_vtab *v, sqlite3_int64 *rows) {
    const vec0_column *c = vec0_graph_column(v);
    *rows = 0;
    int threshold;
    int rc = c ? vec0_graph_buffer_threshold(v, &threshold) : SQLITE_OK;
    if (rc != SQLITE_OK || c == NULL || v->buffer_state != VEC0_BUFFER_PRESENT)
        return rc;
    rc = vec0_graph_load(v);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) {
        rc = vec0_prepare(v, &st,
                          "SELECT b.rowid, r.rowid IS NULL, length(b.vector) FROM "
                          "\"%w\".\"%w_graphbuffer%02d\" b LEFT JOIN \"%w\".\"%w_rowids\" r "
                          "ON r.rowid = b.rowid",
                          v->schema, v->name, c->slot, v->schema, v->name);
        if (rc != SQLITE_OK)
            rc = buffer_error(v, c, rc);
    }
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
        int32_t node = v->graph ? vec_graph_find(v->graph, rowid) : -1;
        if (sqlite3_column_int(st, 1))
            rc = vec0_error(v,
                            "integrity_check: the diskann buffer \"%s_graphbuffer%02d\" lists "
                            "rowid %lld, which has no row",
                            v->name, c->slot, (long long)rowid);
        else if (sqlite3_column_int64(st, 2) != (sqlite3_int64)vec0_vector_bytes(c))
            rc = vec0_error(v,
                            "integrity_check: the diskann buffer \"%s_graphbuffer%02d\" holds a "
                            "vector of the wrong size for rowid %lld",
                            v->name, c->slot, (long long)rowid);
        else if (node >= 0 && !v->graph->deleted[node])
            rc = vec0_error(v,
                            "integrity_check: rowid %lld is both in the graph and in the diskann "
                            "buffer \"%s_graphbuffer%02d\"",
                            (long long)rowid, v->name, c->slot);
        (*rows)++;
    }
    int frc = sqlite3_finalize(st);
    if (rc == SQLITE_OK && frc != SQLITE_OK)
        rc = buffer_error(v, c, frc);
    return rc;
}
