/*
** ext/vec: the vec0 KNN scan.
**
** 0. The plan xBestIndex wrote (vec0_plan_encode) and xFilter's arguments become a knn_query.
** 1. Metadata and key filters become one query on T_rowids that yields the (chunk, offset)
**    positions allowed; partition filters select which chunks are read at all.
** 2. Chunks stream through one reusable buffer (incremental blob I/O): only slots that are
**    valid (and allowed) are scored, by the SIMD kernel of the column's metric, into a bounded
**    top-k heap. Memory is O(chunk + k) whatever the table size; when a filter leaves few rows
**    in a chunk, only those vectors are read.
*/
#include "vec/vec0_sql.h"

#include "vec/distance.h"
#include "vec/graph.h"
#include "vec/kmeans.h"
#include "vec/scan.h"

#include <math.h>

#ifndef CODES_PER_LIST_ENTRY
#define CODES_PER_LIST_ENTRY 96
#endif
#ifndef FILTER_WIDEN_FROM
#define FILTER_WIDEN_FROM 2
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Threads of a large exact or quantized scan (scan.h), unless the connection's threads=N
** command says otherwise; a scan_range call starts its workers once it has read
** VEC0_THREAD_MIN_BYTES, so small tables and ivf clusters never start one. One by default:
** on the 2-vCPU VM measured (docs/vec.md), handing windows to a second core cost more than
** scoring them where they were read. */
#ifndef VEC0_SCAN_THREADS
#define VEC0_SCAN_THREADS 1
#endif
#ifndef VEC0_THREAD_MIN_BYTES
#define VEC0_THREAD_MIN_BYTES (4 << 20)
#endif

typedef struct position {
    sqlite3_int64 chunk_id;
    int offset;
    int at;              /* the row's index in the connection's image, -1 when looked up by SQL */
    sqlite3_int64 rowid; /* the row's */
} position;

static int cmp_position(const void *a, const void *b) {
    const position *x = a, *y = b;
    if (x->chunk_id != y->chunk_id)
        return x->chunk_id < y->chunk_id ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* ---- the plan ------------------------------------------------------------------------------ */

/* A token is the argument's kind, 'A' + its declared column, and the comparison: the letters
** below, so EXPLAIN QUERY PLAN shows e.g. "MC=KA=DD<" for MATCH, k and one metadata bound. */
static const char kind_chars[VEC0_NARG_KINDS] = {'M', 'K', 'L', 'O', 'P', 'Q',
                                                 'D', 'N', 'R', 'I', 'X'};
static const char op_chars[VEC0_NOPS] = {'=', '!', '<', '{', '>', '}'};
static const char *const op_sql[VEC0_NOPS] = {"=", "!=", "<", "<=", ">", ">="};

void vec0_plan_encode(const vec0_plan_arg *a, char *out) {
    out[0] = kind_chars[a->kind];
    out[1] = (char)('A' + a->column);
    out[2] = op_chars[a->op];
}

int vec0_plan_decode(const char *token, vec0_plan_arg *a) {
    const char *kind = memchr(kind_chars, token[0], sizeof kind_chars);
    const char *op = memchr(op_chars, token[2], sizeof op_chars);
    if (token[0] == '\0' || kind == NULL || op == NULL || token[1] < 'A')
        return 0;
    a->kind = (vec0_arg_kind)(kind - kind_chars);
    a->column = token[1] - 'A';
    a->op = (vec0_op)(op - op_chars);
    return 1;
}

/* A growing WHERE clause with its bound values. */
typedef struct where {
    char *sql;
    sqlite3_value **values;
    int n, cap;
    int max;      /* the connection's limit on bound parameters */
    int too_many; /* 1: past max, 2: out of memory */
} where;

static int where_add(where *w, const char *expr) {
    char *next = sqlite3_mprintf("%s%s%s", w->sql ? w->sql : "", w->sql ? " AND " : "", expr);
    sqlite3_free(w->sql);
    w->sql = next;
    return next ? SQLITE_OK : SQLITE_NOMEM;
}

/* Values are copied: those of an IN list do not outlive the iteration over it. */
static void where_bind_value(where *w, sqlite3_value *val) {
    if (w->too_many)
        return;
    if (w->n == w->cap && w->n < w->max) {
        int ncap = w->cap ? w->cap * 2 : 16;
        sqlite3_value **nv = sqlite3_realloc64(w->values, (size_t)ncap * sizeof *nv);
        if (nv == NULL) {
            w->too_many = 2;
            return;
        }
        w->values = nv;
        w->cap = ncap;
    }
    if (w->n < w->max && w->n < w->cap) {
        w->values[w->n] = sqlite3_value_dup(val);
        if (w->values[w->n] == NULL)
            w->too_many = 2;
        else
            w->n++;
    } else {
        w->too_many = 1;
    }
}

static void where_free(where *w) {
    for (int i = 0; i < w->n; i++)
        sqlite3_value_free(w->values[i]);
    sqlite3_free(w->values);
    sqlite3_free(w->sql);
}

/* "col IN (?,?,..)" from an IN list handed over with sqlite3_vtab_in. */
static int where_in(where *w, const char *col, sqlite3_value *list) {
    sqlite3_value *val = NULL;
    sqlite3_str *expr = sqlite3_str_new(NULL);
    sqlite3_str_appendf(expr, "%s IN (", col);
    int count = 0;
    int rc = sqlite3_vtab_in_first(list, &val);
    while (rc == SQLITE_OK && val) {
        sqlite3_str_appendall(expr, count ? ",?" : "?");
        where_bind_value(w, val);
        count++;
        rc = sqlite3_vtab_in_next(list, &val);
    }
    sqlite3_str_appendall(expr, ")");
    char *done = sqlite3_str_finish(expr);
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        sqlite3_free(done);
        return rc;
    }
    if (done == NULL)
        return SQLITE_NOMEM;
    rc = where_add(w, count ? done : "0");
    sqlite3_free(done);
    return rc;
}

/* Binds w's values from parameter first + 1 on. */
static int bind_all(sqlite3_stmt *st, const where *w, int first) {
    for (int i = 0; i < w->n; i++) {
        int rc = sqlite3_bind_value(st, first + i + 1, w->values[i]);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* Groups positions by ascending chunk (offsets within a chunk may stay in any order): a
** counting sort when the chunk ids are dense, as they are, else qsort. */
static int group_by_chunk(position **pp, size_t n, sqlite3_int64 lo, sqlite3_int64 hi) {
    position *p = *pp;
    sqlite3_uint64 range = (sqlite3_uint64)(hi - lo) + 1;
    if (range > 4 * (sqlite3_uint64)n + 1024) {
        qsort(p, n, sizeof *p, cmp_position);
        return SQLITE_OK;
    }
    size_t *start = sqlite3_malloc64((range + 1) * sizeof *start);
    position *out = sqlite3_malloc64(n * sizeof *out);
    if (start == NULL || out == NULL) {
        sqlite3_free(start);
        sqlite3_free(out);
        return SQLITE_NOMEM;
    }
    memset(start, 0, (range + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++)
        start[p[i].chunk_id - lo + 1]++;
    for (sqlite3_uint64 b = 0; b < range; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++)
        out[start[p[i].chunk_id - lo]++] = p[i];
    sqlite3_free(start);
    sqlite3_free(p);
    *pp = out;
    return SQLITE_OK;
}

/* The metadata conditions of a query, for the image (vec0_filter_sql.c). */
typedef struct filter_conds {
    vec0_filter_cond *c;
    int n, cap;
    int sql_only; /* a key filter (rowid, primary key): the SQL lookup answers */
} filter_conds;

/* The chunk ids matching the partition filters, ascending. */
static int partition_chunks(vec0_vtab *v, const where *parts, sqlite3_int64 **ids, size_t *n) {
    sqlite3_stmt *st;
    *ids = NULL;
    *n = 0;
    int rc =
        vec0_prepare(v, &st, "SELECT chunk_id FROM \"%w\".\"%w_chunks\" WHERE %s ORDER BY chunk_id",
                     v->schema, v->name, parts->sql);
    if (rc == SQLITE_OK)
        rc = bind_all(st, parts, 0);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return vec0_collect_ids(st, ids, n);
}

/* Clears the bits of sel (a bit per image row) whose chunk is not among ids (ascending). */
static int keep_chunks(const vec0_image *im, const sqlite3_int64 *ids, size_t nids,
                       unsigned char *sel) {
    /* the image's chunks among ids (both ascending), then a bit test per row */
    unsigned char *in = sqlite3_malloc64(im->nchunks + 1);
    if (in == NULL)
        return SQLITE_NOMEM;
    for (size_t c = 0, j = 0; c < im->nchunks; c++) {
        while (j < nids && ids[j] < im->chunks[c])
            j++;
        in[c] = j < nids && ids[j] == im->chunks[c];
    }
    for (size_t r = 0; r < im->n; r++)
        if (!in[im->chunk_ord[r]])
            sel[r / 8] &= (unsigned char)~(1u << (r % 8));
    sqlite3_free(in);
    return SQLITE_OK;
}

/* The image rows the filters allow (a bit per row in *sel, their number in *count), or
** *sel = NULL when the image cannot answer (none yet, or a condition it cannot decide). */
static int image_allowed(vec0_vtab *v, const filter_conds *fc, const where *w, const where *parts,
                         vec0_image **imp, unsigned char **sel, size_t *count) {
    vec0_image *im;
    *sel = NULL;
    *count = 0;
    if (fc->sql_only)
        return SQLITE_OK;
    int rc = vec0_image_get(v, &im), ok = 0;
    if (rc != SQLITE_OK || im == NULL)
        return rc;
    unsigned char *bits = sqlite3_malloc64(im->n / 8 + 1);
    if (bits == NULL)
        return SQLITE_NOMEM;
    rc = vec0_image_select(v, fc->c, fc->n, w->values, bits, &ok);
    if (rc == SQLITE_OK && ok && parts->sql) {
        sqlite3_int64 *ids;
        size_t nids;
        rc = partition_chunks(v, parts, &ids, &nids);
        if (rc == SQLITE_OK)
            rc = keep_chunks(im, ids, nids, bits);
        sqlite3_free(ids);
    }
    if (rc != SQLITE_OK || !ok) {
        sqlite3_free(bits);
        return rc;
    }
    size_t n = 0;
    for (size_t r = 0; r < im->n; r++)
        n += bits[r / 8] >> (r % 8) & 1;
    *imp = im;
    *sel = bits;
    *count = n;
    return SQLITE_OK;
}

/* Collects the allowed positions, grouped by ascending chunk id: from the connection's image
** of T_rowids when it can answer, else by SQL. With partition filters (parts->sql), only the
** positions inside the partition's chunks: the covering index (metadataNN, chunk_id,
** chunk_offset) then seeks per chunk instead of collecting every matching row of the table. */
static int allowed_positions(vec0_vtab *v, const filter_conds *fc, const where *w,
                             const where *parts, position **out, size_t *count) {
    sqlite3_stmt *st;
    *out = NULL;
    *count = 0;
    vec0_image *im = NULL;
    unsigned char *sel;
    size_t nsel;
    int rc = image_allowed(v, fc, w, parts, &im, &sel, &nsel);
    if (rc != SQLITE_OK)
        return rc;
    if (sel) {
        position *p = sqlite3_malloc64(nsel * sizeof *p + 1);
        size_t n = 0;
        sqlite3_int64 lo = 0, hi = 0;
        for (size_t r = 0; p && r < im->n; r++) {
            if (!(sel[r / 8] >> (r % 8) & 1))
                continue;
            p[n].chunk_id = im->chunk_id[r];
            p[n].offset = im->offset[r];
            p[n].rowid = im->rowid[r];
            p[n].at = (int)r;
            if (n == 0 || p[n].chunk_id < lo)
                lo = p[n].chunk_id;
            if (n == 0 || p[n].chunk_id > hi)
                hi = p[n].chunk_id;
            n++;
        }
        sqlite3_free(sel);
        rc = p == NULL ? SQLITE_NOMEM : n > 1 ? group_by_chunk(&p, n, lo, hi) : SQLITE_OK;
        if (rc != SQLITE_OK) {
            sqlite3_free(p);
            return rc;
        }
        *out = p;
        *count = n;
        return SQLITE_OK;
    }
    /* beyond the parameter limit, the chunk scan still applies the partition filter */
    int in_partition = parts->sql != NULL && w->n + parts->n <= w->max;
    /* cached: the statement runs to completion inside this call, so it is never active twice */
    if (in_partition)
        rc = vec0_prepare_cached(
            v, &st,
            "SELECT chunk_id, chunk_offset, rowid FROM \"%w\".\"%w_rowids\" WHERE %s AND "
            "chunk_id IN (SELECT chunk_id FROM \"%w\".\"%w_chunks\" WHERE %s)",
            v->schema, v->name, w->sql, v->schema, v->name, parts->sql);
    else
        rc = vec0_prepare_cached(
            v, &st, "SELECT chunk_id, chunk_offset, rowid FROM \"%w\".\"%w_rowids\" WHERE %s",
            v->schema, v->name, w->sql);
    if (rc != SQLITE_OK)
        return rc;
    rc = bind_all(st, w, 0);
    if (rc == SQLITE_OK && in_partition)
        rc = bind_all(st, parts, w->n);
    size_t cap = 0, n = 0;
    position *p = NULL;
    int sorted = 1;
    sqlite3_int64 lo = 0, hi = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            position *np = sqlite3_realloc64(p, ncap * sizeof *p);
            if (np == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            p = np;
            cap = ncap;
        }
        p[n].chunk_id = sqlite3_column_int64(st, 0);
        p[n].offset = sqlite3_column_int(st, 1);
        p[n].rowid = sqlite3_column_int64(st, 2);
        p[n].at = -1;
        if (n == 0 || p[n].chunk_id < lo)
            lo = p[n].chunk_id;
        if (n == 0 || p[n].chunk_id > hi)
            hi = p[n].chunk_id;
        if (n > 0 && p[n].chunk_id < p[n - 1].chunk_id)
            sorted = 0;
        n++;
        rc = SQLITE_OK;
    }
    vec0_done(v, st);
    if (!fc->sql_only)
        vec0_image_count_lookup(v, (sqlite3_int64)n);
    if (rc != SQLITE_DONE) {
        sqlite3_free(p);
        return rc == SQLITE_OK ? SQLITE_ERROR : rc;
    }
    rc = n > 1 && !sorted ? group_by_chunk(&p, n, lo, hi) : SQLITE_OK;
    if (rc != SQLITE_OK) {
        sqlite3_free(p);
        return rc;
    }
    *out = p;
    *count = n;
    return SQLITE_OK;
}

/* ---- the scan ------------------------------------------------------------------------------ */

/* One KNN scan over some chunks: exact (the stored vectors, the column's kernel) or coarse (the
** quantized codes, for candidates rescored afterwards). */
typedef struct scan {
    vec0_vtab *v;
    const vec0_column *col;
    const void *query; /* the query in the column's type */
    const vec0_op *bound_op;
    const double *bound;
    int nbounds;
    const where *parts;
    const where *rows;       /* metadata and key filters */
    const position *allowed; /* sorted by chunk; NULL when every row is allowed */
    size_t nallowed;
    /* set by scan_prepare */
    int coarse;              /* scoring codes, not vectors */
    vec_distance_fn kern;    /* exact */
    vec_quant_scorer scorer; /* coarse */
    unsigned char *qcode;    /* coarse: the query's code */
    size_t rec;              /* bytes per slot of the table scanned */
    int window;              /* slots per block */
    char table[VEC0_NAME_MAX * 2 + 32];
    unsigned char *buf, *mask;
    sqlite3_blob *blob;
    sqlite3_stmt *chunks; /* chunk_id BETWEEN ?1 AND ?2 [AND partition filters] */
    vec_topk *heap;
    sqlite3_int64 scored; /* slots scored so far */
    /* scoring (scan.c): on this thread, or shared with workers once a scan_range call has read
    ** VEC0_THREAD_MIN_BYTES */
    vec_scan_scorer score;
    vec_scan_job job;    /* the one-thread job: buf, offsets, rowids */
    vec_scan_pool *pool; /* workers of the current scan_range call, or NULL */
    int threads;         /* threads this scan may use (1: none started) */
    sqlite3_int64 read;  /* bytes read by the current scan_range call */
} scan;

static void scan_free(scan *sc) {
    sqlite3_blob_close(sc->blob);
    if (sc->chunks)
        vec0_done(sc->v, sc->chunks);
    sqlite3_free(sc->buf);
    sqlite3_free(sc->mask);
    sqlite3_free(sc->qcode);
    sqlite3_free(sc->job.offsets);
    sqlite3_free(sc->job.rowids);
    memset(sc, 0, sizeof *sc);
}

/* Scan threads of connection v: its threads=N command, else VEC0_SCAN_THREADS. */
static int scan_threads(const vec0_vtab *v) {
    return v->scan_threads > 0 ? v->scan_threads : VEC0_SCAN_THREADS;
}

/* The scoring half of scan_prepare (scan.c's scorer and the one-thread job). */
static int scan_scorer_init(scan *sc) {
    static const vec_scan_op ops[VEC0_NOPS] = {
        [VEC0_EQ] = VEC_SCAN_GE, [VEC0_NE] = VEC_SCAN_GE, [VEC0_LT] = VEC_SCAN_LT,
        [VEC0_LE] = VEC_SCAN_LE, [VEC0_GT] = VEC_SCAN_GT, [VEC0_GE] = VEC_SCAN_GE};
    vec_scan_scorer *s = &sc->score;
    memset(s, 0, sizeof *s);
    s->kern = sc->coarse ? NULL : sc->kern;
    s->coarse = sc->coarse ? &sc->scorer : NULL;
    s->query = sc->query;
    s->dims = (size_t)sc->col->dims;
    s->rec = sc->rec;
    /* bounds apply to exact distances only (knn_search scans exactly when there are any) */
    for (int i = 0; !sc->coarse && i < sc->nbounds && i < VEC_SCAN_MAX_BOUNDS; i++) {
        s->ops[i] = ops[sc->bound_op[i]];
        s->bounds[i] = sc->bound[i];
        s->nbounds++;
    }
    sqlite3_free(sc->job.offsets);
    sqlite3_free(sc->job.rowids);
    sc->job.buf = sc->buf;
    sc->job.offsets = sqlite3_malloc64((size_t)sc->window * sizeof *sc->job.offsets);
    sc->job.rowids = sqlite3_malloc64((size_t)sc->window * sizeof *sc->job.rowids);
    sc->threads = scan_threads(sc->v);
    return sc->job.offsets && sc->job.rowids ? SQLITE_OK : SQLITE_NOMEM;
}

/* Sets the scan up for exact or coarse scoring. */
static int scan_prepare(scan *sc, int coarse) {
    vec0_vtab *v = sc->v;
    const vec0_column *col = sc->col;
    int rc = SQLITE_OK;
    sqlite3_blob_close(sc->blob);
    sc->blob = NULL;
    sc->coarse = coarse;
    if (coarse) {
        vec_quantizer qz = col->index.quantizer;
        size_t cb = vec0_code_bytes(col);
        float *f = sqlite3_malloc64(4 * (size_t)col->dims + 4);
        if (sc->qcode == NULL)
            sc->qcode = sqlite3_malloc64(cb);
        if (f == NULL || sc->qcode == NULL) {
            sqlite3_free(f);
            return SQLITE_NOMEM;
        }
        vec_to_f32(col->vtype, sc->query, (size_t)col->dims, f);
        vec_quantize(qz, f, (size_t)col->dims, sc->qcode);
        sqlite3_free(f);
        vec_quant_scorer_init(&sc->scorer, qz, col->metric, (size_t)col->dims, sc->qcode);
        sc->rec = cb;
        snprintf(sc->table, sizeof sc->table, "%s_codechunks%02d", v->name, col->slot);
    } else {
        sc->kern = vec_distance_kernel(col->vtype, col->metric);
        if (sc->kern == NULL)
            return SQLITE_INTERNAL;
        sc->rec = vec0_vector_bytes(col);
        snprintf(sc->table, sizeof sc->table, vec0_vector_table_format(v), v->name, col->slot);
    }
    /* a window is one block of strata's layout; sqlite-vec's one-BLOB chunks are read in
    ** windows of the same size */
    sc->window = coarse ? vec0_code_block_slots(v, col) : vec0_block_slots(v, col);
    if (v->foreign) {
        size_t vb = vec0_vector_bytes(col);
        sc->window = vb ? (int)(VEC0_BLOCK_BYTES / vb) : 1;
        sc->window = sc->window < 1                 ? 1
                     : sc->window > v->s.chunk_size ? v->s.chunk_size
                                                    : sc->window;
    }
    sqlite3_free(sc->buf);
    sc->buf = sqlite3_malloc64(sc->rec * (size_t)sc->window + 1);
    if (sc->mask == NULL)
        sc->mask = sqlite3_malloc(VEC0_MAX_CHUNK / 8);
    rc = scan_scorer_init(sc);
    if (sc->buf == NULL || sc->mask == NULL || rc != SQLITE_OK)
        return SQLITE_NOMEM;
    if (sc->chunks == NULL) {
        const char *pw = sc->parts->sql;
        if (v->foreign) /* sqlite-vec keeps the rowid arrays in its chunks */
            rc = vec0_prepare_cached(
                v, &sc->chunks,
                "SELECT chunk_id, size, validity, rowids FROM \"%w\".\"%w_chunks\" "
                "WHERE chunk_id BETWEEN ?1 AND ?2%s%s ORDER BY chunk_id",
                v->schema, v->name, pw ? " AND " : "", pw ? pw : "");
        else
            rc = vec0_prepare_cached(
                v, &sc->chunks,
                "SELECT chunk_id, size, validity, r.rowids FROM \"%w\".\"%w_chunks\" "
                "JOIN \"%w\".\"%w_chunkrowids\" r ON r.rowid = chunk_id "
                "WHERE chunk_id BETWEEN ?1 AND ?2%s%s ORDER BY chunk_id",
                v->schema, v->name, v->schema, v->name, pw ? " AND " : "", pw ? pw : "");
        if (rc == SQLITE_OK)
            rc = bind_all(sc->chunks, sc->parts, 2);
    }
    return rc;
}

/* The first allowed position in chunk_id or later (binary search). */
static size_t first_allowed(const scan *sc, sqlite3_int64 chunk_id) {
    size_t lo = 0, hi = sc->nallowed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->allowed[mid].chunk_id < chunk_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The job the next window is read into: the one-thread job, or a free one of the pool (which
** may score a waiting one on this thread first). */
static vec_scan_job *scan_job(scan *sc) {
    if (sc->pool == NULL)
        return &sc->job;
    int64_t scored = 0;
    vec_scan_job *j = vec_scan_pool_acquire(sc->pool, sc->heap, &scored);
    sc->scored += scored;
    return j;
}

/* Scores a window read into job j, or hands it to the workers; starts them once this
** scan_range call has read VEC0_THREAD_MIN_BYTES (a smaller scan does not repay a thread). */
static void scan_submit(scan *sc, vec_scan_job *j, size_t bytes) {
    if (sc->pool) {
        vec_scan_pool_submit(sc->pool, j);
        return;
    }
    sc->scored += (sqlite3_int64)vec_scan_score(&sc->score, j, sc->heap);
    sc->read += (sqlite3_int64)bytes;
    if (sc->threads > 1 && sc->read >= VEC0_THREAD_MIN_BYTES) {
        sc->pool = vec_scan_pool_start(&sc->score, sc->heap->k, sc->threads, sc->window);
        if (sc->pool == NULL)
            sc->threads = 1; /* no thread to be had: score alone, without asking again */
    }
}

/* Scores every live (and allowed) slot of the chunks with ids in [lo, hi] into sc->heap. */
static int scan_chunks(scan *sc, sqlite3_int64 lo, sqlite3_int64 hi) {
    vec0_vtab *v = sc->v;
    size_t rec = sc->rec;
    int window = sc->window, rc;
    sqlite3_reset(sc->chunks);
    sqlite3_bind_int64(sc->chunks, 1, lo);
    sqlite3_bind_int64(sc->chunks, 2, hi);
    while ((rc = sqlite3_step(sc->chunks)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        sqlite3_int64 chunk_id = sqlite3_column_int64(sc->chunks, 0);
        int size = sqlite3_column_int(sc->chunks, 1);
        const unsigned char *validity = sqlite3_column_blob(sc->chunks, 2);
        int vbytes = sqlite3_column_bytes(sc->chunks, 2);
        const unsigned char *rowids = sqlite3_column_blob(sc->chunks, 3);
        int rbytes = sqlite3_column_bytes(sc->chunks, 3);
        if (size <= 0 || size > v->s.chunk_size || vbytes != size / 8 || rbytes != size * 8 ||
            validity == NULL || rowids == NULL)
            return vec0_error(v, "corrupt chunk %lld (run integrity_check)", (long long)chunk_id);
        const unsigned char *live = validity;
        if (sc->allowed) {
            int nlive = 0;
            memset(sc->mask, 0, (size_t)vbytes);
            for (size_t ai = first_allowed(sc, chunk_id);
                 ai < sc->nallowed && sc->allowed[ai].chunk_id == chunk_id; ai++) {
                int o = sc->allowed[ai].offset;
                if (o >= 0 && o < size && (validity[o / 8] >> (o % 8) & 1)) {
                    sc->mask[o / 8] |= (unsigned char)(1u << (o % 8));
                    nlive++;
                }
            }
            if (nlive == 0)
                continue;
            live = sc->mask;
        }
        int last = -1;
        for (int o = size - 1; o >= 0; o--)
            if (live[o / 8] >> (o % 8) & 1) {
                last = o;
                break;
            }
        if (last < 0)
            continue;
        if (v->foreign) {
            rc = sc->blob ? sqlite3_blob_reopen(sc->blob, chunk_id)
                          : sqlite3_blob_open(v->db, v->schema, sc->table, "vectors", chunk_id, 0,
                                              &sc->blob);
            if (rc != SQLITE_OK)
                return rc;
            if (sqlite3_blob_bytes(sc->blob) != (int)(rec * (size_t)size))
                return vec0_error(v, "corrupt vector chunk %lld (run integrity_check)",
                                  (long long)chunk_id);
        }
        /* The chunk is read window by window (so the vectors being scored stay in cache); a
        ** window with few allowed rows reads just those vectors. */
        for (int w0 = 0; w0 <= last; w0 += window) {
            int w1 = w0 + window - 1 < last ? w0 + window - 1 : last;
            vec_scan_job *j = scan_job(sc);
            j->first = w0;
            j->chunk_id = chunk_id;
            j->n = 0;
            for (int o = w0; o <= w1; o++)
                if (live[o / 8] >> (o % 8) & 1) {
                    j->offsets[j->n] = o;
                    memcpy(&j->rowids[j->n++], rowids + 8 * (size_t)o, 8);
                }
            if (j->n == 0)
                continue;
            int sparse = j->n * 4 < (size_t)(w1 - w0 + 1);
            /* base: byte offset of slot w0 in the open BLOB */
            int base = v->foreign ? (int)(rec * (size_t)w0) : 0;
            if (!v->foreign) {
                sqlite3_int64 row = vec0_block_row(chunk_id, w0 / window);
                rc = sc->blob
                         ? sqlite3_blob_reopen(sc->blob, row)
                         : sqlite3_blob_open(v->db, v->schema, sc->table,
                                             sc->coarse ? "codes" : "vectors", row, 0, &sc->blob);
                if (rc == SQLITE_OK &&
                    sqlite3_blob_bytes(sc->blob) < (int)(rec * (size_t)(w1 - w0 + 1)))
                    rc = vec0_error(v, "corrupt vector block in chunk %lld (run integrity_check)",
                                    (long long)chunk_id);
                if (rc != SQLITE_OK)
                    return rc;
            }
            size_t bytes = sparse ? rec * j->n : rec * (size_t)(w1 - w0 + 1);
            if (!sparse)
                rc = sqlite3_blob_read(sc->blob, j->buf, (int)bytes, base);
            for (size_t i = 0; rc == SQLITE_OK && sparse && i < j->n; i++) {
                int at = (int)(rec * (size_t)(j->offsets[i] - w0));
                rc = sqlite3_blob_read(sc->blob, j->buf + at, (int)rec, base + at);
            }
            if (rc != SQLITE_OK)
                return rc;
            scan_submit(sc, j, bytes);
        }
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* scan_chunks, then the workers' heaps (if it started any) merged into sc->heap. */
static int scan_range(scan *sc, sqlite3_int64 lo, sqlite3_int64 hi) {
    sc->read = 0;
    int rc = scan_chunks(sc, lo, hi);
    if (sc->pool) {
        int64_t scored = 0;
        vec_scan_pool_finish(sc->pool, sc->heap, &scored);
        sc->scored += scored;
        sc->pool = NULL;
    }
    return rc;
}

static int cmp_candidate(const void *a, const void *b) {
    const vec_topk_item *x = a, *y = b;
    if (x->chunk_id != y->chunk_id)
        return x->chunk_id < y->chunk_id ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Exact distances for the coarse candidates, in storage order, into out. */
static int rescore(scan *sc, vec_topk *cand, vec_topk *out) {
    vec0_vtab *v = sc->v;
    const vec0_column *col = sc->col;
    int rc = scan_prepare(sc, 0);
    if (rc != SQLITE_OK)
        return rc;
    qsort(cand->items, cand->n, sizeof *cand->items, cmp_candidate);
    size_t vb = sc->rec;
    sqlite3_int64 open_row = -1;
    for (size_t i = 0; rc == SQLITE_OK && i < cand->n; i++) {
        const vec_topk_item *it = &cand->items[i];
        sqlite3_int64 row;
        int byte;
        vec0_vector_pos(v, col, it->chunk_id, it->offset, &row, &byte);
        if (row != open_row) {
            rc = sc->blob
                     ? sqlite3_blob_reopen(sc->blob, row)
                     : sqlite3_blob_open(v->db, v->schema, sc->table, "vectors", row, 0, &sc->blob);
            open_row = row;
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_blob_read(sc->blob, sc->buf, (int)vb, byte);
        if (rc == SQLITE_OK) {
            float d = sc->kern(sc->query, sc->buf, (size_t)col->dims);
            if (d <= vec_topk_threshold(out))
                vec_topk_push(out, d, it->rowid, it->chunk_id, it->offset);
        }
    }
    return rc;
}

typedef struct probe {
    float distance;
    int cluster;
} probe;

static int cmp_probe(const void *a, const void *b) {
    const probe *x = a, *y = b;
    return (x->distance > y->distance) - (x->distance < y->distance);
}

/* Rows of the chunks in [lo, hi] matching the partition filters. */
static int count_rows(scan *sc, sqlite3_int64 lo, sqlite3_int64 hi, sqlite3_int64 *n) {
    vec0_vtab *v = sc->v;
    sqlite3_stmt *st;
    const char *pw = sc->parts->sql;
    int rc = vec0_prepare_cached(v, &st,
                                 "SELECT total(count) FROM \"%w\".\"%w_chunks\" WHERE chunk_id "
                                 "BETWEEN ?1 AND ?2%s%s",
                                 v->schema, v->name, pw ? " AND " : "", pw ? pw : "");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    rc = bind_all(st, sc->parts, 2);
    *n = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int drc = vec0_done(v, st);
    return rc == SQLITE_OK ? drc : rc;
}

/* Whether a filter allowing `allowed` of `total` rows is better answered by scoring every
** allowed row exactly: when they are few, or (for ivf and diskann) under an eighth of the
** table, where the index would scan or walk as much as the exact scan reads, for a worse
** answer. A rescore scan of the allowed rows' codes stays cheaper than the exact one. */
static int selective(sqlite3_int64 allowed, sqlite3_int64 total, size_t want, int rescore) {
    return allowed <= (sqlite3_int64)want + 1024 || (!rescore && allowed * 8 <= total);
}

/* Candidates wanted from the coarse scan for k results. */
static size_t candidates(const vec0_vtab *v, const vec0_column *col, size_t k) {
    size_t n = k * (size_t)vec0_oversample(v, col);
    return n > 65536 ? 65536 : n;
}

/* The graph node of rowid, through the image's hint for its row `at` (checked: node numbers
** change when the graph is reloaded or consolidated). */
/* Forgets the image's graph nodes when the graph renumbered its nodes or is another one (see
** vec_graph's stamp). Checking each node against g->rowid instead costs a random read per
** allowed row: at 1,000,000 rows, half the time of a 25 % partition filter. */
static void image_follow_graph(vec0_image *im, const vec_graph *g) {
    if (im == NULL || im->node_stamp == g->stamp)
        return;
    for (size_t i = 0; i < im->n; i++)
        im->node[i] = -1;
    im->node_stamp = g->stamp;
}

/* The node of an allowed row: the image's (image_follow_graph has run) or the graph's. */
static int32_t node_of(const vec_graph *g, vec0_image *im, int at, sqlite3_int64 rowid) {
    if (im && at >= 0 && (size_t)at < im->n) {
        int32_t hint = im->node[at];
        if (hint >= 0 && (size_t)hint < g->n)
            return hint;
        return im->node[at] = vec_graph_find(g, rowid);
    }
    return vec_graph_find(g, rowid);
}

static void allow_node(const vec_graph *g, int32_t node, unsigned char *bits, size_t *count) {
    if (node >= 0 && !g->deleted[node] && !(bits[node / 8] >> (node % 8) & 1)) {
        bits[node / 8] |= (unsigned char)(1u << (node % 8));
        (*count)++;
    }
}

/* A bit per graph node (node / 8, node % 8) for the live rows the filters allow, from the
** allowed positions (their rowids), or for a partition filter alone from the image, else the
** rowid arrays of the partition's chunks; *count is their number. */
static int allowed_nodes(scan *sc, const vec_graph *g, unsigned char **out, size_t *count) {
    vec0_vtab *v = sc->v;
    *count = 0;
    *out = sqlite3_malloc64(g->n / 8 + 1);
    if (*out == NULL)
        return SQLITE_NOMEM;
    unsigned char *bits = *out;
    memset(bits, 0, g->n / 8 + 1);
    vec0_image *im = NULL;
    int rc = vec0_image_get(v, &im);
    if (rc != SQLITE_OK)
        return rc;
    image_follow_graph(im, g);
    if (sc->allowed) {
        /* positions looked up by SQL past the parameter limit may lie outside the partition */
        sqlite3_int64 *ids = NULL;
        size_t nids = 0;
        if (sc->parts->sql)
            rc = partition_chunks(v, sc->parts, &ids, &nids);
        for (size_t i = 0, j = 0; rc == SQLITE_OK && i < sc->nallowed; i++) {
            const position *p = &sc->allowed[i];
            while (ids && j < nids && ids[j] < p->chunk_id) /* both ascending by chunk */
                j++;
            if (ids == NULL || (j < nids && ids[j] == p->chunk_id))
                allow_node(g, node_of(g, im, p->at, p->rowid), bits, count);
        }
        sqlite3_free(ids);
        return rc;
    }
    if (im && sc->parts->sql) {
        sqlite3_int64 *ids;
        size_t nids;
        unsigned char *sel = sqlite3_malloc64(im->n / 8 + 1);
        rc = sel ? partition_chunks(v, sc->parts, &ids, &nids) : SQLITE_NOMEM;
        if (rc == SQLITE_OK) {
            memset(sel, 0xff, im->n / 8 + 1);
            rc = keep_chunks(im, ids, nids, sel);
            for (size_t r = 0; rc == SQLITE_OK && r < im->n; r++)
                if (sel[r / 8] >> (r % 8) & 1)
                    allow_node(g, node_of(g, im, (int)r, im->rowid[r]), bits, count);
            sqlite3_free(ids);
        }
        sqlite3_free(sel);
        return rc;
    }
    rc = scan_prepare(sc, 0);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *st = sc->chunks;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, 1);
    sqlite3_bind_int64(st, 2, VEC0_CHUNK_ID_END - 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        sqlite3_int64 chunk_id = sqlite3_column_int64(st, 0);
        int size = sqlite3_column_int(st, 1);
        const unsigned char *validity = sqlite3_column_blob(st, 2);
        const unsigned char *rowids = sqlite3_column_blob(st, 3);
        if (size <= 0 || size > v->s.chunk_size || sqlite3_column_bytes(st, 2) != size / 8 ||
            sqlite3_column_bytes(st, 3) != size * 8 || validity == NULL || rowids == NULL) {
            rc = vec0_error(v, "corrupt chunk %lld (run integrity_check)", (long long)chunk_id);
            break;
        }
        for (int o = 0; o < size; o++) {
            if (!(validity[o / 8] >> (o % 8) & 1))
                continue;
            sqlite3_int64 rowid;
            memcpy(&rowid, rowids + 8 * (size_t)o, 8);
            allow_node(g, vec_graph_find(g, rowid), bits, count);
        }
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) /* repeated partition filters earn the image as metadata ones do */
        vec0_image_count_lookup(v, (sqlite3_int64)*count);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Whether a filter is better answered by the exact scan on a diskann table: when it allows
** few rows or under a sixteenth of the table. Above that, the best allowed nodes among those
** a search scores are as good as the exact answer (recall 0.95-0.98 measured at 10-25 %), and
** found faster than the allowed rows' vectors are read. */
static int graph_selective(sqlite3_int64 allowed, sqlite3_int64 total, size_t want) {
    return allowed <= (sqlite3_int64)want + 1024 || allowed * 16 <= total;
}

/* strata's search list where neither the table nor the connection sets one: recall at a given
** list falls as the graph grows (0.98 at 100,000 rows, 0.94 at 1,000,000 with 128 measured), so
** 128 up to 250,000 live nodes, then 32 more per doubling (192 at 1,000,000). */
static int default_list(sqlite3_int64 live) {
    int L = VEC0_DEFAULT_LIST_SEARCH;
    for (sqlite3_int64 n = 250000; n < live && L < 512; n *= 2)
        L += 32;
    return L;
}

/* The search list of a walk under a filter allowing `allowed` of `total` nodes: a fraction f
** under a half gets a list up to 4 times longer (1 / 2f), so that the walk scores as many
** allowed nodes near the query. From 1 / 4f: a 25 % partition of 1,000,000 rows kept recall
** 0.917 with the unwidened list, 0.972 with a list twice as long. */
static int filtered_list(int L, sqlite3_int64 allowed, sqlite3_int64 total) {
    if (allowed <= 0 || allowed * FILTER_WIDEN_FROM >= total)
        return L;
    sqlite3_int64 wider = (sqlite3_int64)L * total / (FILTER_WIDEN_FROM * allowed);
    wider = wider > 4 * (sqlite3_int64)L ? 4 * (sqlite3_int64)L : wider;
    return wider > VEC0_MAX_LIST ? VEC0_MAX_LIST : (int)wider;
}

/* Whether scoring the int8 codes of all `allowed` nodes (in memory, in storage order) beats a
** walk with list L. A walk scores about 24 nodes per list entry (L = 128 on 100,000 rows:
** ~3,000), each at a random address with a heap update; measured on 100,000 x 384 and
** 200,000 x 100, a code scored by the scan costs a quarter of one scored by the walk, and the
** scan's candidates rank better (recall 1.0 against 0.97-0.99). */
static int codes_scan_pays(sqlite3_int64 allowed, int L) {
    return allowed <= (sqlite3_int64)L * CODES_PER_LIST_ENTRY;
}

/* Candidates rescored after a scan of the allowed nodes' codes: int8 estimates rank well, but
** the search's own oversample (2 by default) assumes a walk; rescore at least 8 per result. */
static size_t codes_scan_candidates(size_t want, size_t k) {
    return want > k * 8 ? want : k * 8;
}

/* Scores the int8 code of every node set in allow into cand, with the node's position when
** the allowed positions or the image give it (chunk_id 0 otherwise: looked up later). */
static int score_allowed_codes(scan *sc, vec_graph *g, const unsigned char *allow,
                               const unsigned char *qcode, vec_topk *cand) {
    vec_quant_scorer scorer;
    vec_quant_scorer_init(&scorer, g->q, g->m, g->dims, qcode);
    vec0_image *im = NULL;
    int rc = vec0_image_get(sc->v, &im);
    if (rc != SQLITE_OK)
        return rc;
    image_follow_graph(im, g);
#define SCORE(node, chunk, off)                                                                    \
    do {                                                                                           \
        float d_ = vec_quant_estimate(&scorer, g->code + (size_t)(node)*g->code_bytes);            \
        if (d_ <= vec_topk_threshold(cand))                                                        \
            vec_topk_push(cand, d_, g->rowid[node], chunk, off);                                   \
    } while (0)
    if (sc->allowed) {
        for (size_t i = 0; i < sc->nallowed; i++) {
            const position *p = &sc->allowed[i];
            int32_t node = node_of(g, im, p->at, p->rowid);
            if (node >= 0 && (allow[node / 8] >> (node % 8) & 1))
                SCORE(node, p->chunk_id, p->offset);
        }
    } else if (im) {
        for (size_t r = 0; r < im->n; r++) {
            int32_t node = node_of(g, im, (int)r, im->rowid[r]);
            if (node >= 0 && (allow[node / 8] >> (node % 8) & 1))
                SCORE(node, im->chunk_id[r], im->offset[r]);
        }
    } else {
        for (size_t node = 0; node < g->n; node++)
            if (allow[node / 8] >> (node % 8) & 1)
                SCORE(node, 0, 0);
    }
#undef SCORE
    return SQLITE_OK;
}

/* diskann: a beam search of the graph's codes, then exact distances for the best candidates.
** *done = 0 when the caller must answer exactly instead (a filter leaves few rows, or the
** graph cannot find k of them). */
static int graph_search(scan *sc, vec0_cursor *c, size_t k, int *done) {
    vec0_vtab *v = sc->v;
    const vec0_column *col = sc->col;
    *done = 0;
    int rc = vec0_graph_load(v);
    if (rc != SQLITE_OK || v->graph == NULL || v->graph->live == 0)
        return rc;
    vec_graph *g = v->graph;
    unsigned char *allow = NULL;
    size_t nallow = 0, want = candidates(v, col, k);
    int filtered = sc->rows->sql != NULL || sc->parts->sql != NULL;
    int L = v->list_search_set > 0       ? v->list_search_set
            : col->index.list_search > 0 ? col->index.list_search
                                         : default_list(g->live);
    if (L < (int)k)
        L = (int)k;
    int scan_codes = 0; /* score every allowed node's code instead of walking the graph */
    if (filtered) {
        /* int8 codes: the allowed nodes are collected, then scored in memory when that beats
        ** the walk. Binary codes: a selective filter goes to the exact scan first, before its
        ** rows are collected a second time here (the count the caller has for metadata, a
        ** cheap one for partitions). */
        int int8 = g->q == VEC_QUANT_INT8;
        sqlite3_int64 upper = (sqlite3_int64)sc->nallowed;
        if (sc->allowed == NULL && !int8)
            rc = count_rows(sc, 1, VEC0_CHUNK_ID_END - 1, &upper);
        if (rc != SQLITE_OK || (!int8 && graph_selective(upper, g->live, want)))
            return rc;
        rc = allowed_nodes(sc, g, &allow, &nallow);
        L = filtered_list(L, (sqlite3_int64)nallow, g->live);
        scan_codes = int8 && codes_scan_pays((sqlite3_int64)nallow, L);
        if (rc != SQLITE_OK ||
            (!scan_codes && graph_selective((sqlite3_int64)nallow, g->live, want))) {
            sqlite3_free(allow);
            return rc;
        }
        if (scan_codes)
            want = codes_scan_candidates(want, k);
    }
    unsigned char *qcode = sqlite3_malloc64(g->code_bytes + 1);
    float *f = sqlite3_malloc64(4 * (size_t)col->dims);
    vec_graph_hit *hits = NULL;
    vec_topk cand = {0};
    if (qcode == NULL || f == NULL || vec_topk_init(&cand, want) != 0)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        vec_to_f32(col->vtype, sc->query, (size_t)col->dims, f);
        vec_quantize(col->index.quantizer, f, (size_t)col->dims, qcode);
    }
    /* With a filter, the beam still walks every node, and the best allowed nodes among all
    ** those it scores are the candidates (smaller allowed sets were scored whole above, or
    ** sent to the exact scan by graph_selective(), so a beam of L scores many allowed ones).
    ** Too few allowed nodes found: search wider, up to VEC0_MAX_LIST. */
    if (rc == SQLITE_OK && scan_codes) {
        rc = score_allowed_codes(sc, g, allow, qcode, &cand);
        *done = 1;
    }
    for (; rc == SQLITE_OK && !scan_codes; L = L > VEC0_MAX_LIST / 2 ? VEC0_MAX_LIST : L * 2) {
        sqlite3_free(hits);
        hits = sqlite3_malloc64(((size_t)L > want ? (size_t)L : want) * sizeof *hits);
        if (hits == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        size_t n = allow ? vec_graph_search_filtered(g, qcode, L, allow, hits, want)
                         : vec_graph_search(g, qcode, L, hits),
               found = 0;
        cand.n = 0;
        for (size_t i = 0; i < n && cand.n < cand.k; i++) {
            int32_t node = hits[i].node;
            if (g->deleted[node])
                continue;
            vec_topk_push(&cand, hits[i].distance, g->rowid[node], 0, 0);
            found++;
        }
        if (found >= k || found == (size_t)g->live || L >= VEC0_MAX_LIST || (size_t)L >= g->n) {
            /* fewer than k though more rows exist (a selective filter, or a graph whose
            ** duplicate vectors left parts of it unreachable): the exact scan answers */
            *done = found >= k || found == (size_t)g->live;
            break;
        }
    }
    /* where the candidates live, for reading their vectors */
    for (size_t i = 0; rc == SQLITE_OK && *done && i < cand.n; i++) {
        int found, offset;
        if (cand.items[i].chunk_id > 0) /* known from the allowed positions */
            continue;
        sqlite3_int64 chunk_id;
        rc = vec0_locate(v, cand.items[i].rowid, &found, &chunk_id, &offset);
        if (rc == SQLITE_OK && !found)
            rc = vec0_error(v, "graph node %lld has no row (run integrity_check)",
                            (long long)cand.items[i].rowid);
        cand.items[i].chunk_id = chunk_id;
        cand.items[i].offset = offset;
    }
    if (rc == SQLITE_OK && *done) {
        sc->heap = &c->heap;
        rc = rescore(sc, &cand, &c->heap);
    }
    vec_topk_free(&cand);
    sqlite3_free(hits);
    sqlite3_free(qcode);
    sqlite3_free(f);
    sqlite3_free(allow);
    return rc;
}

/* diskann with buffer_threshold: rows waiting in T_graphbufferNN are not in the graph, so
** their exact distances, from the buffer's copies of their vectors, join the graph's answer in
** c->heap. Filters apply through T_rowids (metadata, keys) and T_chunks (partitions); rows
** that are live graph nodes (a stranger's buffer could list them) are skipped. The buffer is
** read every time: its row count is cached for writers only. *done = 0 when the filters'
** values are too many for one statement: the caller answers exactly instead. */
static int graph_buffer_scan(scan *sc, vec0_cursor *c, int *done) {
    vec0_vtab *v = sc->v;
    const vec0_column *gc = vec0_graph_column(v);
    int threshold;
    int rc = vec0_graph_buffer_threshold(v, &threshold);
    if (rc != SQLITE_OK || gc == NULL || v->buffer_state != VEC0_BUFFER_PRESENT || gc != sc->col)
        return rc;
    const where *rows = sc->rows, *parts = sc->parts;
    if (rows->n + parts->n > rows->max) {
        *done = 0;
        return SQLITE_OK;
    }
    char *filter = NULL;
    if (rows->sql || parts->sql) {
        char *in_parts =
            parts->sql ? sqlite3_mprintf("%schunk_id IN (SELECT chunk_id FROM \"%w\".\"%w_chunks\" "
                                         "WHERE %s)",
                                         rows->sql ? " AND " : "", v->schema, v->name, parts->sql)
                       : sqlite3_mprintf("%s", "");
        filter = in_parts
                     ? sqlite3_mprintf(" WHERE EXISTS (SELECT 1 FROM \"%w\".\"%w_rowids\" "
                                       "WHERE rowid = b.rowid AND %s%s)",
                                       v->schema, v->name, rows->sql ? rows->sql : "", in_parts)
                     : NULL;
        sqlite3_free(in_parts);
        if (filter == NULL)
            return SQLITE_NOMEM;
    }
    sqlite3_stmt *st;
    rc = vec0_prepare_cached(v, &st, "SELECT rowid, vector FROM \"%w\".\"%w_graphbuffer%02d\" b%s",
                             v->schema, v->name, gc->slot, filter ? filter : "");
    sqlite3_free(filter);
    if (rc != SQLITE_OK)
        return rc == SQLITE_NOMEM ? rc
                                  : vec0_error(v, "the diskann buffer \"%s_graphbuffer%02d\": %s",
                                               v->name, gc->slot, sqlite3_errmsg(v->db));
    rc = bind_all(st, rows, 0);
    if (rc == SQLITE_OK)
        rc = bind_all(st, parts, rows->n);
    vec_distance_fn kern = vec_distance_kernel(gc->vtype, gc->metric);
    size_t vb = vec0_vector_bytes(gc);
    const vec_graph *g = v->graph;
    if (kern == NULL)
        rc = SQLITE_INTERNAL;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
        const void *vec = sqlite3_column_blob(st, 1);
        if (vec == NULL || (size_t)sqlite3_column_bytes(st, 1) != vb) {
            rc = vec0_error(v,
                            "the diskann buffer \"%s_graphbuffer%02d\" holds a vector of the "
                            "wrong size for rowid %lld (run integrity_check)",
                            v->name, gc->slot, (long long)rowid);
            break;
        }
        int32_t node = g ? vec_graph_find(g, rowid) : -1;
        if (node >= 0 && !g->deleted[node])
            continue;
        float d = kern(sc->query, vec, (size_t)gc->dims);
        if (d <= vec_topk_threshold(&c->heap))
            vec_topk_push(&c->heap, d, rowid, 0, 0);
    }
    vec0_done(v, st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The KNN search of cursor c: exact, rescore, ivf or diskann, as the column's index and the
** query's filters decide. */
static int knn_search(scan *sc, vec0_cursor *c, size_t k) {
    vec0_vtab *v = sc->v;
    const vec0_column *col = sc->col;
    const vec0_index *ix = &col->index;
    const sqlite3_int64 all_lo = 1, all_hi = VEC0_CHUNK_ID_END - 1; /* every chunk */
    /* exact: no index, distance bounds (a coarse scan would rank rows the bounds drop),
    ** tables written by sqlite-vec */
    int exact = ix->kind == VEC0_INDEX_FLAT || sc->nbounds > 0 || v->foreign;
    int rc = SQLITE_OK;
    int ivf = 0;
    if (!exact && ix->kind == VEC0_INDEX_IVF) {
        rc = vec0_ivf_load(v);
        ivf = rc == SQLITE_OK && v->ncentroids > 0;
    }
    int coarse = !exact && vec0_has_codes(col);
    if (rc != SQLITE_OK)
        return rc;
    if (!exact && ix->kind == VEC0_INDEX_DISKANN) {
        int done;
        rc = graph_search(sc, c, k, &done);
        if (rc == SQLITE_OK && done)
            rc = graph_buffer_scan(sc, c, &done);
        if (rc != SQLITE_OK || done)
            return rc;
        c->heap.n = 0; /* the exact scan below starts over */
        exact = 1;     /* a selective filter, or too few allowed rows in the graph's reach */
    }
    /* a selective filter leaves few rows: scoring them exactly is both cheaper and exact */
    if (!exact && (sc->allowed || sc->parts->sql)) {
        sqlite3_int64 total = 0, allowed = (sqlite3_int64)sc->nallowed;
        where none = {0};
        scan all = *sc;
        all.parts = &none;
        rc = count_rows(&all, all_lo, all_hi, &total);
        if (rc == SQLITE_OK && !sc->allowed)
            rc = count_rows(sc, all_lo, all_hi, &allowed);
        if (rc != SQLITE_OK)
            return rc;
        if (selective(allowed, total, candidates(v, col, k), ix->kind == VEC0_INDEX_RESCORE)) {
            /* every allowed row: an ivf table's codes still make that scan cheaper (its
            ** small chunks and vector blocks make the exact one dearer than a flat table's) */
            ivf = 0;
            if (!coarse || allowed <= (sqlite3_int64)candidates(v, col, k) + 1024)
                exact = 1, coarse = 0;
        }
    }
    if (exact || (!coarse && !ivf)) {
        sc->heap = &c->heap;
        rc = scan_prepare(sc, 0);
        return rc == SQLITE_OK ? scan_range(sc, all_lo, all_hi) : rc;
    }
    vec_topk cand;
    size_t ncand = coarse ? candidates(v, col, k) : k;
    if (vec_topk_init(&cand, ncand) != 0)
        return SQLITE_NOMEM;
    sc->heap = coarse ? &cand : &c->heap;
    rc = scan_prepare(sc, coarse);
    if (rc == SQLITE_OK && !ivf) {
        rc = scan_range(sc, all_lo, all_hi);
    } else if (rc == SQLITE_OK) {
        /* clusters by distance of their centroid to the query */
        int nc = v->ncentroids, nprobe = vec0_nprobe(v, col);
        size_t dims = (size_t)col->dims;
        probe *pr = sqlite3_malloc64((size_t)nc * sizeof *pr + 1);
        float *qf = sqlite3_malloc64(dims * sizeof *qf);
        if (pr == NULL || qf == NULL)
            rc = SQLITE_NOMEM;
        int np = 0;
        if (rc == SQLITE_OK) {
            vec_to_f32(col->vtype, sc->query, dims, qf);
            if (col->metric == VEC_COSINE) {
                double s2 = 0;
                for (size_t i = 0; i < dims; i++)
                    s2 += (double)qf[i] * qf[i];
                for (size_t i = 0; s2 > 0 && i < dims; i++)
                    qf[i] = (float)(qf[i] / sqrt(s2));
            }
            for (int i = 0; i < nc; i++) {
                const float *cen = v->centroids + (size_t)i * dims;
                if (isnan(cen[0]))
                    continue;
                pr[np].cluster = i;
                pr[np++].distance = vec_l2_squared(cen, qf, dims);
            }
            qsort(pr, (size_t)np, sizeof *pr, cmp_probe);
        }
        /* filtered queries probe on until they have scored as many allowed rows as an
        ** unfiltered query scores (or every cluster) */
        sqlite3_int64 total = 0, target = 0;
        if (rc == SQLITE_OK && (sc->allowed || sc->parts->sql)) {
            scan all = *sc;
            where none = {0};
            all.parts = &none;
            rc = count_rows(&all, all_lo, all_hi, &total);
            target = np ? total * nprobe / np : 0;
        }
        sqlite3_int64 lo, hi;
        vec0_cluster_range(v, -1, &lo, &hi); /* rows not assigned yet are always scanned */
        if (rc == SQLITE_OK)
            rc = scan_range(sc, lo, hi);
        for (int i = 0; rc == SQLITE_OK && i < np; i++) {
            if (i >= nprobe && sc->scored >= target)
                break;
            vec0_cluster_range(v, pr[i].cluster, &lo, &hi);
            rc = scan_range(sc, lo, hi);
        }
        sqlite3_free(pr);
        sqlite3_free(qf);
    }
    if (rc == SQLITE_OK && coarse)
        rc = rescore(sc, &cand, &c->heap);
    vec_topk_free(&cand);
    return rc;
}

/* A KNN query, as its plan and arguments state it. */
typedef struct knn_query {
    const vec0_column *col;
    vec_value q;
    sqlite3_int64 k;    /* LIMIT + OFFSET */
    where rows;         /* metadata and key filters, on T_rowids */
    filter_conds conds; /* the metadata filters of rows, for the image */
    where parts;        /* partition filters, on T_chunks */
    vec0_op bound_op[4];
    double bound[4];
    int nbounds;
} knn_query;

static void knn_query_free(knn_query *kq) {
    where_free(&kq->rows);
    where_free(&kq->parts);
    sqlite3_free(kq->conds.c);
    vec_value_clear(&kq->q);
}

/* `metadata<slot> op ?` or `metadata<slot> IN (...)`: SQL text and values in kq->rows, and
** the same condition in kq->conds for the image. */
static int add_metadata_filter(knn_query *kq, int slot, const vec0_plan_arg *pa,
                               sqlite3_value *arg) {
    filter_conds *fc = &kq->conds;
    if (fc->n == fc->cap) {
        int ncap = fc->cap ? fc->cap * 2 : 8;
        vec0_filter_cond *nc = sqlite3_realloc64(fc->c, (size_t)ncap * sizeof *nc);
        if (nc == NULL)
            return SQLITE_NOMEM;
        fc->c = nc;
        fc->cap = ncap;
    }
    vec0_filter_cond *c = &fc->c[fc->n++];
    char expr[64];
    int rc;
    c->slot = slot;
    c->op = pa->op;
    c->in = pa->kind == VEC0_ARG_METADATA_IN;
    c->first = kq->rows.n;
    if (c->in) {
        snprintf(expr, sizeof expr, "metadata%02d", slot);
        rc = where_in(&kq->rows, expr, arg);
    } else {
        snprintf(expr, sizeof expr, "metadata%02d %s ?", slot, op_sql[pa->op]);
        rc = where_add(&kq->rows, expr);
        where_bind_value(&kq->rows, arg);
    }
    c->n = kq->rows.n - c->first;
    return rc;
}

/* Reads one argument of the plan into kq. */
static int knn_parse_arg(vec0_vtab *v, const vec0_plan_arg *pa, sqlite3_value *arg, knn_query *kq,
                         sqlite3_int64 *k_offset) {
    int decl = pa->column;
    const vec0_column *sc = decl > 0 && decl < v->ndecl && v->decl_col[decl] >= 0
                                ? &v->s.cols[v->decl_col[decl]]
                                : NULL;
    char expr[64];
    int rc = SQLITE_OK;
    switch (pa->kind) {
        case VEC0_ARG_MATCH: {
            char *err = NULL;
            const vec0_column *col = kq->col = sc;
            if (col == NULL)
                return SQLITE_INTERNAL;
            if (sqlite3_value_type(arg) == SQLITE_NULL)
                return vec0_error(v, "the query vector for column \"%s\" is NULL", col->name);
            if (vec_value_read_column(arg, col->vtype, (size_t)col->dims, &kq->q, &err) != 0) {
                rc = vec0_error(v, "query vector for column \"%s\": %s", col->name,
                                err ? err : "out of memory");
                sqlite3_free(err);
                return rc;
            }
            if (kq->q.dims != (size_t)col->dims)
                return vec0_error(v,
                                  "dimension mismatch for query vector for the \"%s\" column: "
                                  "expected %d dimensions but received %lld",
                                  col->name, col->dims, (long long)kq->q.dims);
            return SQLITE_OK;
        }
        case VEC0_ARG_K:
        case VEC0_ARG_LIMIT:
            if (sqlite3_value_type(arg) != SQLITE_INTEGER)
                return vec0_error(v, "k must be an integer");
            kq->k = sqlite3_value_int64(arg);
            if (kq->k < 0)
                return vec0_error(v, "k must not be negative, got %lld", (long long)kq->k);
            if (kq->k > VEC0_MAX_K)
                return vec0_error(v,
                                  "k value in knn query too large, provided %lld and the limit "
                                  "is %d",
                                  (long long)kq->k, VEC0_MAX_K);
            return SQLITE_OK;
        case VEC0_ARG_OFFSET:
            if (sqlite3_value_type(arg) != SQLITE_INTEGER || sqlite3_value_int64(arg) < 0)
                return vec0_error(v, "OFFSET must be a non-negative integer");
            *k_offset = sqlite3_value_int64(arg);
            return SQLITE_OK;
        case VEC0_ARG_DISTANCE:
            if (sqlite3_value_numeric_type(arg) != SQLITE_INTEGER &&
                sqlite3_value_numeric_type(arg) != SQLITE_FLOAT)
                return vec0_error(v, "a distance bound must be a number");
            if (kq->nbounds >= 4)
                return vec0_error(v, "too many distance bounds");
            kq->bound_op[kq->nbounds] = pa->op;
            kq->bound[kq->nbounds++] = sqlite3_value_double(arg);
            return SQLITE_OK;
        case VEC0_ARG_PARTITION_IN:
            snprintf(expr, sizeof expr, "partition%02d", sc ? sc->slot : 0);
            return where_in(&kq->parts, expr, arg);
        case VEC0_ARG_PARTITION:
            snprintf(expr, sizeof expr, "partition%02d %s ?", sc ? sc->slot : 0, op_sql[pa->op]);
            rc = where_add(&kq->parts, expr);
            where_bind_value(&kq->parts, arg);
            return rc;
        case VEC0_ARG_METADATA:
        case VEC0_ARG_METADATA_IN:
            if (v->foreign)
                return vec0_foreign_error(v, "filter it on metadata");
            return add_metadata_filter(kq, sc ? sc->slot : 0, pa, arg);
        case VEC0_ARG_KEY:
        case VEC0_ARG_KEY_IN: {
            int text_key = v->s.pk >= 0 && v->s.cols[v->s.pk].value_type == VEC0_TEXT && decl == 0;
            kq->conds.sql_only = 1;
            if (pa->kind == VEC0_ARG_KEY_IN)
                return where_in(&kq->rows, text_key ? "id" : "rowid", arg);
            rc = where_add(&kq->rows, text_key ? "id = ?" : "rowid = ?");
            where_bind_value(&kq->rows, arg);
            return rc;
        }
        default:
            return SQLITE_INTERNAL;
    }
}

/* Reads the plan idxStr and its arguments into kq (knn_query_free it, whatever the result). */
static int knn_parse(vec0_vtab *v, const char *idxStr, int argc, sqlite3_value **argv,
                     knn_query *kq) {
    memset(kq, 0, sizeof *kq);
    kq->k = -1;
    kq->rows.max = kq->parts.max = sqlite3_limit(v->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    sqlite3_int64 k_offset = 0;
    int rc = SQLITE_OK;
    size_t ntok = idxStr ? strlen(idxStr) / VEC0_PLAN_TOKEN : 0;
    for (size_t t = 0; rc == SQLITE_OK && t < ntok && (int)t < argc; t++) {
        vec0_plan_arg pa;
        if (!vec0_plan_decode(idxStr + VEC0_PLAN_TOKEN * t, &pa))
            return SQLITE_INTERNAL;
        rc = knn_parse_arg(v, &pa, argv[t], kq, &k_offset);
    }
    if (rc == SQLITE_OK && k_offset > 0) {
        if (kq->k + k_offset > VEC0_MAX_K)
            rc = vec0_error(v, "LIMIT + OFFSET in a knn query too large, the limit is %d",
                            VEC0_MAX_K);
        else
            kq->k += k_offset;
    }
    if (rc == SQLITE_OK && (kq->rows.too_many == 2 || kq->parts.too_many == 2))
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_OK && (kq->rows.too_many || kq->parts.too_many))
        rc = vec0_error(v, "too many filter values in one KNN query (at most %d)", kq->rows.max);
    if (rc == SQLITE_OK && (kq->col == NULL || kq->k < 0))
        rc = SQLITE_INTERNAL;
    return rc;
}

int vec0_knn(vec0_cursor *c, const char *idxStr, int argc, sqlite3_value **argv) {
    vec0_vtab *v = (vec0_vtab *)c->base.pVtab;
    knn_query kq;
    int rc = knn_parse(v, idxStr, argc, argv, &kq);
    position *allowed = NULL;
    size_t nallowed = 0;
    int filtered = kq.rows.sql != NULL;
    if (rc == SQLITE_OK && filtered)
        rc = allowed_positions(v, &kq.conds, &kq.rows, &kq.parts, &allowed, &nallowed);
    if (rc == SQLITE_OK)
        rc = vec_topk_init(&c->heap, (size_t)kq.k) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK && kq.k > 0 && (!filtered || nallowed > 0)) {
        scan sc;
        memset(&sc, 0, sizeof sc);
        sc.v = v;
        sc.col = kq.col;
        sc.query = kq.q.data;
        sc.bound_op = kq.bound_op;
        sc.bound = kq.bound;
        sc.nbounds = kq.nbounds;
        sc.parts = &kq.parts;
        sc.rows = &kq.rows;
        if (filtered) {
            sc.allowed = allowed;
            sc.nallowed = nallowed;
        }
        rc = knn_search(&sc, c, (size_t)kq.k);
        scan_free(&sc);
    }
    if (rc == SQLITE_OK)
        vec_topk_sort(&c->heap);
    sqlite3_free(allowed);
    knn_query_free(&kq);
    return rc;
}
