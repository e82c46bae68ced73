/*
** ext/vec: the diskann(...) index of a vec0 column: a Vamana graph (graph.c) kept in the shadow
** table T_graphNN and cached per connection (see vec0_sql.h).
**
** Writes change the cached graph only, which records the nodes they changed; those nodes are
** written to T_graphNN once, when the transaction commits (xSync) or a savepoint begins, so an
** insert that adds edges to 48 neighbours costs one row write per node per transaction rather
** than 49 per insert. A ROLLBACK, or a ROLLBACK TO a savepoint, drops a cache holding unwritten
** changes: the table, rolled back with the rows, is the truth, and the next use loads it again.
** A cache without any is kept; the version check below reloads it if the rollback undid a flush.
**
** Each flush sets T_info's 'graph_version' to a new random value, which this connection's cache
** takes too; a cache whose version differs from the table's (another connection wrote) is
** reloaded before use. Deleted rows stay in the graph as tombstones, so paths through them
** survive; searches skip them, and 'optimize' reconnects their neighbours and drops them.
**
** A node's row holds its neighbours' rowids sorted, as varints: the first one zigzag-encoded,
** then the gaps to the next (T_info 'graph_format' = 2; tables without it, written by an earlier
** strata, hold an int64 per neighbour).
*/
#include "vec/graph.h"
#include "vec/vec0_sql.h"

#include <stdlib.h>
#include <string.h>

#define GRAPH_FORMAT 2

const vec0_column *vec0_graph_column(const vec0_vtab *v) {
    for (int i = 0; i < v->s.ncols; i++)
        if (v->s.cols[i].kind == VEC0_VECTOR && v->s.cols[i].index.kind == VEC0_INDEX_DISKANN)
            return &v->s.cols[i];
    return NULL;
}

void vec0_graph_free(vec0_vtab *v) {
    if (v->graph) {
        vec_graph_free(v->graph);
        sqlite3_free(v->graph);
        v->graph = NULL;
    }
}

static int info_int(vec0_vtab *v, const char *key, sqlite3_int64 *out, int *found) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(v, &st, "SELECT value FROM \"%w\".\"%w_info\" WHERE key = ?",
                                 v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    *found = sqlite3_step(st) == SQLITE_ROW;
    *out = *found ? sqlite3_column_int64(st, 0) : 0;
    return vec0_done(v, st);
}

static int info_set(vec0_vtab *v, const char *key, sqlite3_int64 value) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(
        v, &st, "INSERT OR REPLACE INTO \"%w\".\"%w_info\"(key, value) VALUES (?, ?)", v->schema,
        v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, value);
    sqlite3_step(st);
    return vec0_done(v, st);
}

int vec0_graph_create(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    return vec0_exec(v,
                     "CREATE TABLE \"%w\".\"%w_graph%02d\"(rowid INTEGER PRIMARY KEY, "
                     "neighbors BLOB NOT NULL, code BLOB NOT NULL, deleted INTEGER NOT NULL);"
                     "INSERT INTO \"%w\".\"%w_info\" VALUES ('graph_version', 0), "
                     "('graph_format', %d)",
                     v->schema, v->name, c->slot, v->schema, v->name, GRAPH_FORMAT);
}

/* ---- neighbour lists ------------------------------------------------------------------------ */

static size_t put_varint(unsigned char *p, sqlite3_uint64 x) {
    size_t n = 0;
    while (x >= 0x80) {
        p[n++] = (unsigned char)(x | 0x80);
        x >>= 7;
    }
    p[n++] = (unsigned char)x;
    return n;
}

/* Reads a varint at *pos (advanced); 0 when the blob ends inside it or it is too long. */
static int get_varint(const unsigned char *p, size_t n, size_t *pos, sqlite3_uint64 *out) {
    sqlite3_uint64 x = 0;
    for (int shift = 0; shift < 64 && *pos < n; shift += 7) {
        unsigned char b = p[(*pos)++];
        x |= (sqlite3_uint64)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = x;
            return 1;
        }
    }
    return 0;
}

static int cmp_int64(const void *a, const void *b) {
    sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
    return (x > y) - (x < y);
}

/* Encodes n rowids (sorted in place) into out (at least 10 * n bytes); returns the length. */
static size_t encode_list(sqlite3_int64 *rowids, int n, unsigned char *out) {
    qsort(rowids, (size_t)n, sizeof *rowids, cmp_int64);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        sqlite3_uint64 x;
        if (i == 0)
            x = ((sqlite3_uint64)rowids[0] << 1) ^ (sqlite3_uint64)(rowids[0] >> 63); /* zigzag */
        else
            x = (sqlite3_uint64)rowids[i] - (sqlite3_uint64)rowids[i - 1];
        len += put_varint(out + len, x);
    }
    return len;
}

/* Decodes a stored list into nodes of g (rowids not in the graph are dropped); returns how
** many, or -1 when the blob is malformed. */
static int decode_list(const vec_graph *g, int format, const unsigned char *p, size_t n,
                       int32_t *nodes, int cap) {
    int out = 0;
    if (format < 2) {
        if (n % 8 != 0 || n / 8 > (size_t)cap)
            return -1;
        for (size_t i = 0; i < n / 8; i++) {
            sqlite3_int64 r;
            memcpy(&r, p + 8 * i, 8);
            int32_t node = vec_graph_find(g, r);
            if (node >= 0)
                nodes[out++] = node;
        }
        return out;
    }
    size_t pos = 0;
    sqlite3_uint64 prev = 0;
    for (int i = 0; pos < n; i++) {
        sqlite3_uint64 x;
        if (!get_varint(p, n, &pos, &x) || out >= cap)
            return -1;
        prev = i == 0 ? (x >> 1) ^ (~(x & 1) + 1) : prev + x;
        int32_t node = vec_graph_find(g, (sqlite3_int64)prev);
        if (node >= 0)
            nodes[out++] = node;
    }
    return out;
}

/* ---- the cache ------------------------------------------------------------------------------ */

int vec0_graph_load(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    sqlite3_int64 version, entry, format;
    int found, has_entry, has_format;
    int rc = info_int(v, "graph_version", &version, &found);
    if (rc == SQLITE_OK && v->graph && version == v->graph_version)
        return SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = info_int(v, "graph_entry", &entry, &has_entry);
    if (rc == SQLITE_OK)
        rc = info_int(v, "graph_format", &format, &has_format);
    if (rc != SQLITE_OK)
        return rc;
    vec0_graph_free(v);
    vec_graph *g = sqlite3_malloc(sizeof *g);
    if (g == NULL)
        return SQLITE_NOMEM;
    vec_graph_init(g, c->index.degree, c->index.quantizer, c->metric, (size_t)c->dims);
    v->graph = g;
    v->graph_format = has_format ? (int)format : 1;
    sqlite3_stmt *st;
    rc = vec0_prepare(v, &st,
                      "SELECT rowid, code, deleted FROM \"%w\".\"%w_graph%02d\" ORDER BY rowid",
                      v->schema, v->name, c->slot);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        if ((size_t)sqlite3_column_bytes(st, 1) != g->code_bytes) {
            rc = vec0_error(v, "corrupt graph node %lld of column \"%s\"",
                            (long long)sqlite3_column_int64(st, 0), c->name);
            break;
        }
        if (vec_graph_put(g, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                          sqlite3_column_int(st, 2)) < 0)
            rc = SQLITE_NOMEM;
    }
    int frc = sqlite3_finalize(st);
    st = NULL;
    rc = rc == SQLITE_OK ? frc : rc;
    int32_t *nodes = sqlite3_malloc64(((size_t)g->Rcap + 1) * sizeof *nodes);
    if (rc == SQLITE_OK && nodes == NULL)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = vec0_prepare(v, &st, "SELECT rowid, neighbors FROM \"%w\".\"%w_graph%02d\"", v->schema,
                          v->name, c->slot);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        int32_t node = vec_graph_find(g, sqlite3_column_int64(st, 0));
        const unsigned char *p = sqlite3_column_blob(st, 1);
        int n =
            decode_list(g, v->graph_format, p, (size_t)sqlite3_column_bytes(st, 1), nodes, g->Rcap);
        if (node < 0 || n < 0) {
            rc = vec0_error(v, "corrupt graph node %lld of column \"%s\"",
                            (long long)sqlite3_column_int64(st, 0), c->name);
            break;
        }
        vec_graph_set_list(g, node, nodes, n);
    }
    frc = sqlite3_finalize(st);
    rc = rc == SQLITE_OK ? frc : rc;
    sqlite3_free(nodes);
    if (rc == SQLITE_OK && has_entry && vec_graph_find(g, entry) >= 0)
        g->entry = vec_graph_find(g, entry);
    /* node numbers in walking order, for searches that read nearby memory (out of memory, the
    ** graph stays as loaded: still valid, only slower) */
    if (rc == SQLITE_OK)
        vec_graph_relayout(g);
    if (rc != SQLITE_OK) {
        vec0_graph_free(v);
        return rc;
    }
    v->graph_version = version;
    v->graph_entry_rowid = g->entry >= 0 ? g->rowid[g->entry] : 0;
    g->entry_at = g->n;
    return SQLITE_OK;
}

/* Writes node `node` of the cache to T_graphNN. */
static int store_node(vec0_vtab *v, const vec0_column *c, int32_t node, sqlite3_int64 *rowids,
                      unsigned char *buf) {
    vec_graph *g = v->graph;
    int n = 0;
    const int32_t *list = g->nbr + (size_t)node * (size_t)g->Rcap;
    while (n < g->Rcap && list[n] >= 0) {
        rowids[n] = g->rowid[list[n]];
        n++;
    }
    size_t len;
    if (v->graph_format >= 2) {
        len = encode_list(rowids, n, buf);
    } else {
        len = 8 * (size_t)n;
        memcpy(buf, rowids, len);
    }
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(v, &st,
                                 "INSERT OR REPLACE INTO \"%w\".\"%w_graph%02d\"(rowid, neighbors, "
                                 "code, deleted) VALUES (?, ?, ?, ?)",
                                 v->schema, v->name, c->slot);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, g->rowid[node]);
        sqlite3_bind_blob(st, 2, buf, (int)len, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 3, g->code + (size_t)node * g->code_bytes, g->code_bytes,
                            SQLITE_STATIC);
        sqlite3_bind_int(st, 4, g->deleted[node]);
        sqlite3_step(st);
        rc = vec0_done(v, st);
    }
    return rc;
}

int vec0_graph_flush(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    vec_graph *g = v->graph;
    if (c == NULL || g == NULL || g->ndirty == 0)
        return SQLITE_OK;
    sqlite3_int64 *rowids = sqlite3_malloc64(((size_t)g->Rcap + 1) * sizeof *rowids);
    unsigned char *buf = sqlite3_malloc64(((size_t)g->Rcap + 1) * 10);
    int rc = rowids && buf ? SQLITE_OK : SQLITE_NOMEM;
    for (size_t i = 0; rc == SQLITE_OK && i < g->ndirty; i++)
        rc = store_node(v, c, g->dirty_list[i], rowids, buf);
    sqlite3_free(rowids);
    sqlite3_free(buf);
    sqlite3_int64 entry = g->entry >= 0 ? g->rowid[g->entry] : 0;
    if (rc == SQLITE_OK && entry != v->graph_entry_rowid) {
        rc = info_set(v, "graph_entry", entry);
        if (rc == SQLITE_OK)
            v->graph_entry_rowid = entry;
    }
    /* a new random version: no other connection's cache, nor a rolled-back one, can hold it */
    sqlite3_int64 version;
    sqlite3_randomness(sizeof version, &version);
    if (rc == SQLITE_OK)
        rc = info_set(v, "graph_version", version);
    if (rc == SQLITE_OK) {
        v->graph_version = version;
        vec_graph_clean(g);
    }
    return rc;
}

int vec0_graph_insert(vec0_vtab *v, sqlite3_int64 rowid, const void *data) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL || data == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_load(v);
    if (rc != SQLITE_OK)
        return rc;
    vec_graph *g = v->graph;
    unsigned char *code = sqlite3_malloc64(g->code_bytes + 1);
    float *f = sqlite3_malloc64(4 * (size_t)c->dims);
    if (code == NULL || f == NULL)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        vec_to_f32(c->vtype, data, (size_t)c->dims, f);
        vec_quantize(c->index.quantizer, f, (size_t)c->dims, code);
        /* out of memory part way leaves a valid graph, with this node's edges incomplete */
        int list = v->list_insert_set > 0 ? v->list_insert_set : c->index.list_insert;
        if (vec_graph_insert(g, rowid, code, list) < 0)
            rc = SQLITE_NOMEM;
    }
    sqlite3_free(code);
    sqlite3_free(f);
    return rc;
}

int vec0_graph_delete(vec0_vtab *v, sqlite3_int64 rowid) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_load(v);
    if (rc == SQLITE_OK)
        vec_graph_delete(v->graph, rowid);
    return rc;
}

int vec0_graph_optimize(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_load(v);
    if (rc == SQLITE_OK)
        rc = vec0_graph_flush(v);
    if (rc != SQLITE_OK || v->graph->live == (sqlite3_int64)v->graph->n)
        return rc;
    /* the tombstones' rows go; their nodes leave the cache below */
    rc = vec0_exec(v, "DELETE FROM \"%w\".\"%w_graph%02d\" WHERE deleted", v->schema, v->name,
                   c->slot);
    if (rc == SQLITE_OK && vec_graph_consolidate(v->graph) < 0) {
        vec0_graph_free(v); /* the table (without the tombstones) is a valid graph */
        rc = SQLITE_NOMEM;
    }
    /* the table changed: the flush must give it a new version even when no list did */
    if (rc == SQLITE_OK && v->graph->entry >= 0)
        vec_graph_touch(v->graph, v->graph->entry);
    if (rc == SQLITE_OK)
        rc = vec0_graph_flush(v);
    return rc;
}

int vec0_graph_count(vec0_vtab *v, sqlite3_int64 *live) {
    int rc = vec0_graph_load(v);
    *live = rc == SQLITE_OK && v->graph ? v->graph->live : 0;
    return rc;
}

/* ---- transactions --------------------------------------------------------------------------- */

int vec0_graph_sync(vec0_vtab *v) {
    return vec0_graph_flush(v);
}

void vec0_graph_rollback(vec0_vtab *v) {
    /* A cache without unwritten changes stays: if the rollback undid one of its flushes,
    ** T_info's 'graph_version' went back with it, and vec0_graph_load, which compares the two
    ** before each use, reloads. Dropping it always cost a whole reload (8 s at a million rows)
    ** after any failed statement on the table. */
    if (v->graph != NULL && v->graph->ndirty == 0)
        return;
    vec0_graph_free(v);
}
