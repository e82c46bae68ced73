/*
** ext/vec: the diskann(...) index of a vec0 column: a Vamana graph (graph.c) kept in the shadow
** table T_graphNN and cached per connection (see vec0_sql.h).
**
** Every write changes T_graphNN in the row's statement and sets T_info's 'graph_version' to a
** new random value, which this connection's cache takes too; a cache whose version differs
** from the table's (another connection wrote, or a ROLLBACK undid this one's writes) is
** reloaded before use. Deleted rows stay in the graph as tombstones, so paths through them
** survive; searches skip them.
*/
#include "vec/graph.h"
#include "vec/vec0_sql.h"

#include <stdlib.h>
#include <string.h>

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

int vec0_graph_load(vec0_vtab *v) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    sqlite3_int64 version, entry;
    int found, has_entry;
    int rc = info_int(v, "graph_version", &version, &found);
    if (rc == SQLITE_OK)
        rc = info_int(v, "graph_entry", &entry, &has_entry);
    if (rc != SQLITE_OK || (v->graph && version == v->graph_version))
        return rc;
    vec0_graph_free(v);
    vec_graph *g = sqlite3_malloc(sizeof *g);
    if (g == NULL)
        return SQLITE_NOMEM;
    vec_graph_init(g, c->index.degree, c->index.quantizer, c->metric, (size_t)c->dims);
    v->graph = g;
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
    rc = rc == SQLITE_OK ? frc : rc;
    if (rc == SQLITE_OK)
        rc = vec0_prepare(v, &st, "SELECT rowid, neighbors FROM \"%w\".\"%w_graph%02d\"", v->schema,
                          v->name, c->slot);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        int32_t node = vec_graph_find(g, sqlite3_column_int64(st, 0));
        const unsigned char *p = sqlite3_column_blob(st, 1);
        int n = sqlite3_column_bytes(st, 1) / 8;
        int32_t *list = g->nbr + (size_t)node * (size_t)g->Rcap;
        for (int i = 0, out = 0; node >= 0 && p && i < n && out < g->Rcap; i++) {
            sqlite3_int64 r;
            memcpy(&r, p + 8 * (size_t)i, 8);
            int32_t to = vec_graph_find(g, r);
            if (to >= 0)
                list[out++] = to;
        }
    }
    frc = sqlite3_finalize(st);
    rc = rc == SQLITE_OK ? frc : rc;
    if (rc == SQLITE_OK && has_entry && vec_graph_find(g, entry) >= 0)
        g->entry = vec_graph_find(g, entry);
    if (rc != SQLITE_OK) {
        vec0_graph_free(v);
        return rc;
    }
    v->graph_version = version;
    return SQLITE_OK;
}

/* A new random version: no other connection's cache, nor a rolled-back one, can hold it. */
static int bump(vec0_vtab *v) {
    sqlite3_int64 version;
    sqlite3_randomness(sizeof version, &version);
    int rc = info_set(v, "graph_version", version);
    if (rc == SQLITE_OK)
        v->graph_version = version;
    return rc;
}

/* Writes node `node` of the cache to T_graphNN. */
static int store_node(vec0_vtab *v, const vec0_column *c, int32_t node) {
    vec_graph *g = v->graph;
    sqlite3_int64 *rowids = sqlite3_malloc64((size_t)g->Rcap * 8 + 8);
    if (rowids == NULL)
        return SQLITE_NOMEM;
    int n = 0;
    const int32_t *list = g->nbr + (size_t)node * (size_t)g->Rcap;
    while (n < g->Rcap && list[n] >= 0) {
        rowids[n] = g->rowid[list[n]];
        n++;
    }
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(v, &st,
                                 "INSERT OR REPLACE INTO \"%w\".\"%w_graph%02d\"(rowid, neighbors, "
                                 "code, deleted) VALUES (?, ?, ?, ?)",
                                 v->schema, v->name, c->slot);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, g->rowid[node]);
        sqlite3_bind_blob(st, 2, rowids, n * 8, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 3, g->code + (size_t)node * g->code_bytes, g->code_bytes,
                            SQLITE_STATIC);
        sqlite3_bind_int(st, 4, g->deleted[node]);
        sqlite3_step(st);
        rc = vec0_done(v, st);
    }
    sqlite3_free(rowids);
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
    size_t cb = g->code_bytes;
    unsigned char *code = sqlite3_malloc64(cb + 1);
    float *f = sqlite3_malloc64(4 * (size_t)c->dims);
    int32_t *changed = sqlite3_malloc64(((size_t)g->Rcap + 1) * sizeof *changed);
    if (code == NULL || f == NULL || changed == NULL)
        rc = SQLITE_NOMEM;
    size_t nchanged = 0;
    int was_empty = g->n == 0;
    if (rc == SQLITE_OK) {
        vec_to_f32(c->vtype, data, (size_t)c->dims, f);
        vec_quantize(c->index.quantizer, f, (size_t)c->dims, code);
        if (vec_graph_insert(g, rowid, code, c->index.list_insert, changed, &nchanged) < 0)
            rc = SQLITE_NOMEM;
    }
    for (size_t i = 0; rc == SQLITE_OK && i < nchanged; i++)
        rc = store_node(v, c, changed[i]);
    if (rc == SQLITE_OK && (was_empty || g->rowid[g->entry] != rowid))
        rc = info_set(v, "graph_entry", g->rowid[g->entry]);
    if (rc == SQLITE_OK)
        rc = bump(v);
    if (rc != SQLITE_OK)
        vec0_graph_free(v); /* the table is the truth: reload it next time */
    sqlite3_free(code);
    sqlite3_free(f);
    sqlite3_free(changed);
    return rc;
}

int vec0_graph_delete(vec0_vtab *v, sqlite3_int64 rowid) {
    const vec0_column *c = vec0_graph_column(v);
    if (c == NULL)
        return SQLITE_OK;
    int rc = vec0_graph_load(v);
    if (rc != SQLITE_OK)
        return rc;
    int32_t node = vec_graph_delete(v->graph, rowid);
    if (node >= 0)
        rc = store_node(v, c, node);
    if (rc == SQLITE_OK)
        rc = bump(v);
    if (rc != SQLITE_OK)
        vec0_graph_free(v);
    return rc;
}

int vec0_graph_count(vec0_vtab *v, sqlite3_int64 *live) {
    int rc = vec0_graph_load(v);
    *live = rc == SQLITE_OK && v->graph ? v->graph->live : 0;
    return rc;
}
