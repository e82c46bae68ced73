/*
** ext/vec: the ANN indexes of vec0 columns (INDEXED BY rescore(...) / ivf(...)): their shadow
** tables, the quantized codes kept beside the vectors, ivf centroids and clusters, and the
** commands that tune and train them (see vec0_sql.h for the layout).
**
** Everything lives in ordinary tables of the database and changes in the statement that
** changes the rows, so indexes follow transactions, savepoints and crashes as the rows do.
*/
#include "vec/kmeans.h"
#include "vec/scan.h"
#include "vec/vec0_sql.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vec0_oversample(const vec0_vtab *v, const vec0_column *c) {
    int set = v->oversample_set[c->slot];
    return set > 0 ? set : c->index.oversample;
}

int vec0_nprobe(const vec0_vtab *v, const vec0_column *c) {
    if (v->nprobe_set > 0)
        return v->nprobe_set;
    if (c->index.nprobe > 0)
        return c->index.nprobe;
    /* strata's default: an eighth of the clusters, at least 8 */
    int n = v->ncentroids / 8;
    return n < 8 ? 8 : n;
}

/* ---- shadow tables -------------------------------------------------------------------------- */

int vec0_index_create(vec0_vtab *v) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        if (vec0_has_codes(c))
            rc = vec0_exec(v,
                           "CREATE TABLE \"%w\".\"%w_codechunks%02d\"(rowid INTEGER PRIMARY KEY, "
                           "codes BLOB NOT NULL)",
                           v->schema, v->name, c->slot);
        if (rc == SQLITE_OK && c->kind == VEC0_VECTOR && c->index.kind == VEC0_INDEX_IVF)
            rc = vec0_exec(v,
                           "CREATE TABLE \"%w\".\"%w_centroids%02d\"(rowid INTEGER PRIMARY KEY, "
                           "centroid BLOB NOT NULL);"
                           "INSERT INTO \"%w\".\"%w_info\" VALUES ('ivf_version', 0)",
                           v->schema, v->name, c->slot, v->schema, v->name);
    }
    if (rc == SQLITE_OK)
        rc = vec0_graph_create(v);
    return rc == SQLITE_OK ? vec0_graph_buffer_create(v) : rc;
}

int vec0_index_destroy(vec0_vtab *v) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.nvectors; i++)
        rc = vec0_exec(v,
                       "DROP TABLE IF EXISTS \"%w\".\"%w_codechunks%02d\";"
                       "DROP TABLE IF EXISTS \"%w\".\"%w_centroids%02d\";"
                       "DROP TABLE IF EXISTS \"%w\".\"%w_graph%02d\";"
                       "DROP TABLE IF EXISTS \"%w\".\"%w_graphbuffer%02d\"",
                       v->schema, v->name, i, v->schema, v->name, i, v->schema, v->name, i,
                       v->schema, v->name, i);
    return rc;
}

int vec0_index_rename(vec0_vtab *v, const char *newname) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++) {
        const vec0_column *c = &v->s.cols[i];
        if (vec0_has_codes(c))
            rc = vec0_exec(v,
                           "ALTER TABLE \"%w\".\"%w_codechunks%02d\" RENAME TO "
                           "\"%w_codechunks%02d\"",
                           v->schema, v->name, c->slot, newname, c->slot);
        if (rc == SQLITE_OK && c->kind == VEC0_VECTOR && c->index.kind == VEC0_INDEX_IVF)
            rc = vec0_exec(v,
                           "ALTER TABLE \"%w\".\"%w_centroids%02d\" RENAME TO \"%w_centroids%02d\"",
                           v->schema, v->name, c->slot, newname, c->slot);
        if (rc == SQLITE_OK && c->kind == VEC0_VECTOR && c->index.kind == VEC0_INDEX_DISKANN)
            rc = vec0_exec(v, "ALTER TABLE \"%w\".\"%w_graph%02d\" RENAME TO \"%w_graph%02d\"",
                           v->schema, v->name, c->slot, newname, c->slot);
        /* a table of an earlier strata may have no buffer */
        int threshold;
        if (rc == SQLITE_OK && c->kind == VEC0_VECTOR && c->index.kind == VEC0_INDEX_DISKANN)
            rc = vec0_graph_buffer_threshold(v, &threshold);
        if (rc == SQLITE_OK && c->kind == VEC0_VECTOR && c->index.kind == VEC0_INDEX_DISKANN &&
            v->buffer_state == 1)
            rc = vec0_exec(v,
                           "ALTER TABLE \"%w\".\"%w_graphbuffer%02d\" RENAME TO "
                           "\"%w_graphbuffer%02d\"",
                           v->schema, v->name, c->slot, newname, c->slot);
    }
    return rc;
}

int vec0_index_check_rows(vec0_vtab *v, sqlite3_int64 rows) {
    sqlite3_int64 live = 0, buffered = 0;
    int rc = vec0_graph_column(v) ? vec0_graph_count(v, &live) : SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = vec0_graph_buffer_check(v, &buffered);
    const vec0_column *gc = vec0_graph_column(v);
    if (rc == SQLITE_OK && gc && live + buffered != rows)
        rc = vec0_error(v,
                        "integrity_check: the graph has %lld live nodes and its buffer "
                        "(\"%s_graphbuffer%02d\") %lld rows for %lld rows",
                        (long long)live, v->name, gc->slot, (long long)buffered, (long long)rows);
    return rc;
}

int vec0_index_check_chunk(vec0_vtab *v, sqlite3_int64 id, int size) {
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < v->s.ncols; i++)
        if (vec0_has_codes(&v->s.cols[i]))
            rc = vec0_check_blocks(v, id, size, &v->s.cols[i], 1);
    if (rc == SQLITE_OK && v->s.ivf_column >= 0 && id >= ((sqlite3_int64)1 << VEC0_CLUSTER_SHIFT)) {
        rc = vec0_ivf_load(v);
        sqlite3_int64 cluster = (id >> VEC0_CLUSTER_SHIFT) - 1;
        if (rc == SQLITE_OK && cluster >= v->ncentroids)
            rc = vec0_error(v,
                            "integrity_check: chunk %lld belongs to cluster %lld, which has no "
                            "centroid",
                            (long long)id, (long long)cluster);
    }
    return rc;
}

/* ---- ivf centroids -------------------------------------------------------------------------- */

static const vec0_column *ivf_col(const vec0_vtab *v) {
    return v->s.ivf_column >= 0 ? &v->s.cols[v->s.ivf_column] : NULL;
}

static int ivf_version(vec0_vtab *v, sqlite3_int64 *version) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(v, &st,
                                 "SELECT value FROM \"%w\".\"%w_info\" WHERE key = 'ivf_version'",
                                 v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return vec0_done(v, st);
}

static int ivf_bump(vec0_vtab *v) {
    v->centroids_loaded = 0;
    return vec0_exec(v, "UPDATE \"%w\".\"%w_info\" SET value = value + 1 WHERE key = 'ivf_version'",
                     v->schema, v->name);
}

int vec0_ivf_load(vec0_vtab *v) {
    const vec0_column *c = ivf_col(v);
    if (c == NULL)
        return SQLITE_OK;
    sqlite3_int64 version;
    int rc = ivf_version(v, &version);
    if (rc != SQLITE_OK || (v->centroids_loaded && version == v->centroids_version))
        return rc;
    sqlite3_stmt *st;
    rc = vec0_prepare(v, &st,
                      "SELECT rowid, centroid FROM \"%w\".\"%w_centroids%02d\" ORDER BY rowid",
                      v->schema, v->name, c->slot);
    if (rc != SQLITE_OK)
        return rc;
    size_t dims = (size_t)c->dims;
    float *cent = NULL;
    int n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        if (id < 0 || id >= VEC0_MAX_NLIST ||
            sqlite3_column_bytes(st, 1) != (int)(dims * sizeof(float))) {
            rc = vec0_error(v, "corrupt centroid %lld of column \"%s\"", (long long)id, c->name);
            break;
        }
        if (id >= n) {
            float *nc = sqlite3_realloc64(cent, (size_t)(id + 1) * dims * sizeof *nc);
            if (nc == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            for (sqlite3_int64 j = n; j <= id; j++)
                nc[j * (sqlite3_int64)dims] = NAN; /* no centroid with that id */
            cent = nc;
            n = (int)id + 1;
        }
        memcpy(cent + id * (sqlite3_int64)dims, sqlite3_column_blob(st, 1), dims * sizeof(float));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sqlite3_free(cent);
        return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
    }
    sqlite3_free(v->centroids);
    v->centroids = cent;
    v->ncentroids = n;
    v->centroids_version = version;
    v->centroids_loaded = 1;
    return SQLITE_OK;
}

/* x as float32 (normalized for cosine), into out (dims floats). */
static void ivf_point(const vec0_column *c, const void *data, float *out) {
    vec_to_f32(c->vtype, data, (size_t)c->dims, out);
    if (c->metric == VEC_COSINE) {
        double s = 0;
        for (int i = 0; i < c->dims; i++)
            s += (double)out[i] * out[i];
        if (s > 0)
            for (int i = 0; i < c->dims; i++)
                out[i] = (float)(out[i] / sqrt(s));
    }
}

int vec0_ivf_assign(vec0_vtab *v, const void *data, int *cluster) {
    const vec0_column *c = ivf_col(v);
    *cluster = -1;
    if (c == NULL || data == NULL)
        return SQLITE_OK;
    int rc = vec0_ivf_load(v);
    if (rc != SQLITE_OK || v->ncentroids == 0)
        return rc;
    float *x = sqlite3_malloc64((size_t)c->dims * sizeof *x);
    if (x == NULL)
        return SQLITE_NOMEM;
    ivf_point(c, data, x);
    float best = INFINITY;
    for (int i = 0; i < v->ncentroids; i++) {
        const float *cen = v->centroids + (size_t)i * (size_t)c->dims;
        if (isnan(cen[0]))
            continue;
        float d = vec_l2_squared(cen, x, (size_t)c->dims);
        if (d < best) {
            best = d;
            *cluster = i;
        }
    }
    sqlite3_free(x);
    return SQLITE_OK;
}

/* ---- training ------------------------------------------------------------------------------- */

/* Calls fn for every stored vector of column c (chunk order), with its rowid. */
static int each_vector(vec0_vtab *v, const vec0_column *c,
                       int (*fn)(void *ctx, sqlite3_int64 rowid, const void *vec), void *ctx) {
    sqlite3_stmt *st;
    int rc =
        vec0_prepare(v, &st,
                     "SELECT chunk_id, size, validity, r.rowids FROM \"%w\".\"%w_chunks\" "
                     "JOIN \"%w\".\"%w_chunkrowids\" r ON r.rowid = chunk_id ORDER BY chunk_id",
                     v->schema, v->name, v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    size_t vb = vec0_vector_bytes(c);
    int b = vec0_block_slots(v, c);
    unsigned char *buf = sqlite3_malloc64(vb * (size_t)b);
    sqlite3_blob *blob = NULL;
    char table[VEC0_NAME_MAX + 40];
    snprintf(table, sizeof table, "%s_vectorchunks%02d", v->name, c->slot);
    if (buf == NULL)
        rc = SQLITE_NOMEM;
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        int size = sqlite3_column_int(st, 1);
        const unsigned char *bits = sqlite3_column_blob(st, 2);
        const unsigned char *rowids = sqlite3_column_blob(st, 3);
        if (size <= 0 || size > v->s.chunk_size || bits == NULL || rowids == NULL ||
            sqlite3_column_bytes(st, 2) != size / 8 || sqlite3_column_bytes(st, 3) != size * 8) {
            rc = vec0_error(v, "corrupt chunk %lld (run integrity_check)", (long long)id);
            break;
        }
        for (int first = 0; rc == SQLITE_OK && first < size; first += b) {
            int slots = size - first < b ? size - first : b;
            rc = blob ? sqlite3_blob_reopen(blob, vec0_block_row(id, first / b))
                      : sqlite3_blob_open(v->db, v->schema, table, "vectors",
                                          vec0_block_row(id, first / b), 0, &blob);
            if (rc == SQLITE_OK)
                rc = sqlite3_blob_bytes(blob) == (int)(vb * (size_t)slots)
                         ? sqlite3_blob_read(blob, buf, (int)(vb * (size_t)slots), 0)
                         : vec0_error(v, "corrupt vector block in chunk %lld", (long long)id);
            for (int o = first; rc == SQLITE_OK && o < first + slots; o++) {
                if (!(bits[o / 8] >> (o % 8) & 1))
                    continue;
                sqlite3_int64 rowid;
                memcpy(&rowid, rowids + 8 * (size_t)o, 8);
                rc = fn(ctx, rowid, buf + vb * (size_t)(o - first));
            }
        }
    }
    sqlite3_blob_close(blob);
    sqlite3_finalize(st);
    sqlite3_free(buf);
    return rc;
}

typedef struct sampler {
    const vec0_column *col;
    float *points;
    size_t cap, n, seen;
    uint64_t rng;
} sampler;

/* Reservoir sampling: every vector has the same chance to be among the cap kept. */
static int sample_one(void *ctx, sqlite3_int64 rowid, const void *vec) {
    sampler *s = ctx;
    size_t dims = (size_t)s->col->dims, at = s->n;
    s->seen++;
    if (s->n == s->cap) {
        at = (size_t)(vec_random_next(&s->rng) % s->seen);
        if (at >= s->cap)
            return SQLITE_OK;
    } else {
        s->n++;
    }
    ivf_point(s->col, vec, s->points + at * dims);
    return SQLITE_OK;
}

/* Moves every row to the chunks of its nearest centroid (only rows not assigned yet when
** `unassigned_only`), or every row out of the clusters when there are no centroids. */
static int assign_rows(vec0_vtab *v, int unassigned_only) {
    const vec0_column *c = ivf_col(v);
    int rc = vec0_ivf_load(v);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_int64 *rows = NULL;
    size_t n = 0;
    rc = vec0_select_ids(v, &rows, &n,
                         "SELECT rowid, chunk_id FROM \"%w\".\"%w_rowids\"%s ORDER BY rowid",
                         v->schema, v->name, unassigned_only ? " WHERE chunk_id < 4294967296" : "");
    if (rc != SQLITE_OK)
        return rc;
    void *buf = sqlite3_malloc64(vec0_vector_bytes(c));
    sqlite3_blob *blob = NULL;
    if (buf == NULL)
        rc = SQLITE_NOMEM;
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        int found = 0, offset = 0, cluster = -1;
        sqlite3_int64 chunk_id = 0;
        rc = vec0_locate(v, rows[i], &found, &chunk_id, &offset);
        if (rc == SQLITE_OK && found && v->ncentroids > 0) {
            rc = vec0_read_vector(v, &blob, c->slot, chunk_id, offset, buf);
            if (rc == SQLITE_OK)
                rc = vec0_ivf_assign(v, buf, &cluster);
        }
        if (rc == SQLITE_OK && found)
            rc = vec0_move_row(v, rows[i], cluster);
    }
    sqlite3_blob_close(blob);
    sqlite3_free(buf);
    sqlite3_free(rows);
    return rc;
}

static int store_centroids(vec0_vtab *v, const float *cent, int n) {
    const vec0_column *c = ivf_col(v);
    int rc = vec0_exec(v, "DELETE FROM \"%w\".\"%w_centroids%02d\"", v->schema, v->name, c->slot);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = vec0_prepare(v, &st,
                          "INSERT INTO \"%w\".\"%w_centroids%02d\"(rowid, centroid) VALUES (?, ?)",
                          v->schema, v->name, c->slot);
    for (int i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_blob(st, 2, cent + (size_t)i * (size_t)c->dims, c->dims * (int)sizeof(float),
                          SQLITE_STATIC);
        sqlite3_step(st);
        rc = sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? ivf_bump(v) : rc;
}

/* compute-centroids: k-means on a sample of the column's vectors, then every row moves to the
** chunks of its nearest centroid. */
static int compute_centroids(vec0_vtab *v, int nlist, int iterations, uint64_t seed) {
    const vec0_column *c = ivf_col(v);
    sqlite3_stmt *st;
    int rc = vec0_prepare(v, &st, "SELECT count(*) FROM \"%w\".\"%w_rowids\"", v->schema, v->name);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_int64 rows = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (nlist <= 0)
        nlist = c->index.nlist > 0 ? c->index.nlist : (int)lround(sqrt((double)rows));
    if (nlist < 1)
        nlist = 1;
    if (rows < nlist)
        return vec0_error(v, "compute-centroids: %lld rows cannot make %d clusters (nlist)",
                          (long long)rows, nlist);
    size_t dims = (size_t)c->dims;
    /* about 64 points per cluster (at least 20,000), at most 256 MiB of them */
    size_t cap = (size_t)nlist * 64 < 20000 ? 20000 : (size_t)nlist * 64;
    size_t mem_cap = ((size_t)256 << 20) / (dims * sizeof(float));
    cap = cap > mem_cap ? mem_cap : cap;
    cap = cap > (size_t)rows ? (size_t)rows : cap;
    if (cap < (size_t)nlist)
        return vec0_error(v, "compute-centroids: nlist %d is too large for %zu-dimension vectors",
                          nlist, dims);
    sampler smp = {c, sqlite3_malloc64(cap * dims * sizeof(float)), cap, 0, 0, seed ^ 0x5eed};
    float *cent = sqlite3_malloc64((size_t)nlist * dims * sizeof(float));
    if (smp.points == NULL || cent == NULL)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = each_vector(v, c, sample_one, &smp);
    if (rc == SQLITE_OK && smp.n < (size_t)nlist)
        rc = vec0_error(v, "compute-centroids: %zu vectors cannot make %d clusters", smp.n, nlist);
    if (rc == SQLITE_OK && vec_kmeans(smp.points, smp.n, dims, (size_t)nlist, iterations, seed,
                                      c->metric == VEC_COSINE, cent) != 0)
        rc = SQLITE_NOMEM;
    sqlite3_free(smp.points);
    if (rc == SQLITE_OK)
        rc = store_centroids(v, cent, nlist);
    sqlite3_free(cent);
    if (rc == SQLITE_OK)
        rc = assign_rows(v, 0);
    return rc;
}

/* An integer after `key` in a small JSON object, or def. */
static long json_int(const char *json, const char *key, long def) {
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (p == NULL)
        return def;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    char *end;
    long x = strtol(p, &end, 10);
    return end == p ? def : x;
}

/* ---- commands ------------------------------------------------------------------------------- */

static int positive(const char *text, long lo, long hi, int *out) {
    char *end;
    long x = strtol(text, &end, 10);
    if (end == text || *end != '\0' || x < lo || x > hi)
        return 0;
    *out = (int)x;
    return 1;
}

int vec0_index_command(vec0_vtab *v, const char *cmd, sqlite3_value **argv) {
    const vec0_column *ivf = ivf_col(v);
    int value;
    if (strncmp(cmd, "oversample=", 11) == 0) {
        int any = 0;
        if (!positive(cmd + 11, 1, VEC0_MAX_OVERSAMPLE, &value))
            return vec0_error(v, "oversample must be an integer from 1 to %d", VEC0_MAX_OVERSAMPLE);
        for (int i = 0; i < v->s.ncols; i++)
            if (vec0_has_codes(&v->s.cols[i]) || v->s.cols[i].index.kind == VEC0_INDEX_DISKANN) {
                v->oversample_set[v->s.cols[i].slot] = value;
                any = 1;
            }
        return any ? SQLITE_OK
                   : vec0_error(v,
                                "oversample: no column of %s has a rescore or quantized ivf "
                                "index",
                                v->name);
    }
    if (strncmp(cmd, "threads=", 8) == 0) { /* threads of a large scan (vec0_knn_sql.c) */
        if (!positive(cmd + 8, 1, VEC_SCAN_MAX_THREADS, &value))
            return vec0_error(v, "threads must be an integer from 1 to %d", VEC_SCAN_MAX_THREADS);
        v->scan_threads = value;
        return SQLITE_OK;
    }
    /* as in the declaration: search_list_size sets the list of queries and of inserts */
    int search = strncmp(cmd, "search_list_size_search=", 24) == 0;
    int insert = strncmp(cmd, "search_list_size_insert=", 24) == 0;
    if (search || insert || strncmp(cmd, "search_list_size=", 17) == 0) {
        if (vec0_graph_column(v) == NULL)
            return vec0_error(v, "%s: no column of %s has a diskann index", cmd, v->name);
        const char *eq = strchr(cmd, '=');
        if (!positive(eq + 1, 1, VEC0_MAX_LIST, &value))
            return vec0_error(v, "%.*s must be an integer from 1 to %d", (int)(eq - cmd), cmd,
                              VEC0_MAX_LIST);
        if (!insert)
            v->list_search_set = value;
        if (!search)
            v->list_insert_set = value;
        return SQLITE_OK;
    }
    int is_ivf = strncmp(cmd, "nprobe=", 7) == 0 || strncmp(cmd, "compute-centroids", 17) == 0 ||
                 strncmp(cmd, "set-centroid:", 13) == 0 || strcmp(cmd, "assign-vectors") == 0 ||
                 strcmp(cmd, "clear-centroids") == 0;
    if (!is_ivf)
        return SQLITE_NOTFOUND;
    if (ivf == NULL)
        return vec0_error(v, "%s: no column of %s has an ivf index", cmd, v->name);
    if (strncmp(cmd, "nprobe=", 7) == 0) {
        if (!positive(cmd + 7, 1, VEC0_MAX_NLIST, &value))
            return vec0_error(v, "nprobe must be an integer from 1 to %d", VEC0_MAX_NLIST);
        v->nprobe_set = value;
        return SQLITE_OK;
    }
    if (strcmp(cmd, "compute-centroids") == 0)
        return compute_centroids(v, 0, 25, 0);
    if (strncmp(cmd, "compute-centroids:", 18) == 0) {
        const char *json = cmd + 18;
        long nlist = json_int(json, "nlist", 0), iter = json_int(json, "max_iterations", 25);
        long seed = json_int(json, "seed", 0);
        if (nlist < 0 || nlist > VEC0_MAX_NLIST || iter < 1 || iter > 1000)
            return vec0_error(v,
                              "compute-centroids: nlist must be 0 to %d and max_iterations 1 "
                              "to 1000",
                              VEC0_MAX_NLIST);
        return compute_centroids(v, (int)nlist, (int)iter, (uint64_t)seed);
    }
    if (strncmp(cmd, "set-centroid:", 13) == 0) {
        if (!positive(cmd + 13, 0, VEC0_MAX_NLIST - 1, &value))
            return vec0_error(v, "set-centroid:N needs N from 0 to %d", VEC0_MAX_NLIST - 1);
        sqlite3_value *arg = NULL;
        for (int d = 0; d < v->ndecl; d++)
            if (v->decl_col[d] == v->s.ivf_column)
                arg = argv[2 + d];
        vec_value q = {0};
        char *err = NULL;
        if (arg == NULL || sqlite3_value_type(arg) == SQLITE_NULL)
            return vec0_error(v, "set-centroid:%d needs the centroid in column \"%s\"", value,
                              ivf->name);
        if (vec_value_read_column(arg, ivf->vtype, (size_t)ivf->dims, &q, &err) != 0) {
            int rc = vec0_error(v, "set-centroid: %s", err ? err : "out of memory");
            sqlite3_free(err);
            return rc;
        }
        int rc = SQLITE_OK;
        float *x = sqlite3_malloc64((size_t)ivf->dims * sizeof *x);
        if (q.dims != (size_t)ivf->dims)
            rc = vec0_error(v, "set-centroid: expected %d dimensions, got %lld", ivf->dims,
                            (long long)q.dims);
        else if (x == NULL)
            rc = SQLITE_NOMEM;
        sqlite3_stmt *st = NULL;
        if (rc == SQLITE_OK) {
            ivf_point(ivf, q.data, x);
            rc = vec0_prepare(v, &st,
                              "INSERT OR REPLACE INTO \"%w\".\"%w_centroids%02d\"(rowid, centroid) "
                              "VALUES (?, ?)",
                              v->schema, v->name, ivf->slot);
        }
        if (rc == SQLITE_OK) {
            sqlite3_bind_int(st, 1, value);
            sqlite3_bind_blob(st, 2, x, ivf->dims * (int)sizeof(float), SQLITE_STATIC);
            sqlite3_step(st);
            rc = sqlite3_finalize(st);
        }
        sqlite3_free(x);
        vec_value_clear(&q);
        return rc == SQLITE_OK ? ivf_bump(v) : rc;
    }
    if (strcmp(cmd, "assign-vectors") == 0)
        return assign_rows(v, 1);
    /* clear-centroids: rows leave their clusters, queries scan everything again */
    int rc = vec0_exec(v, "DELETE FROM \"%w\".\"%w_centroids%02d\"", v->schema, v->name, ivf->slot);
    if (rc == SQLITE_OK)
        rc = ivf_bump(v);
    if (rc == SQLITE_OK)
        rc = assign_rows(v, 0);
    return rc;
}
