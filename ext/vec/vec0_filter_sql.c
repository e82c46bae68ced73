/*
** ext/vec: metadata filters evaluated in memory.
**
** A KNN filter on metadata is otherwise one SQL query on T_rowids' covering indexes, stepped
** row by row (about 0.1 us per allowed row, 1 ms for 10,000): more than a graph search costs.
** Each connection can instead keep an image of T_rowids (rowid, chunk, slot and every
** metadata value, in rowid order) and test a filter against it in tight loops over packed
** arrays.
**
** The image is exact or absent:
** - it is only used and built while this connection holds no write transaction on the
**   table's database, so neither pending writes nor ROLLBACK / ROLLBACK TO can leave it stale;
** - it is dropped when sqlite3_total_changes64() moves (any write of this connection, through
**   the table or plain SQL on its shadow tables) or the pager's data version does (a commit
**   by another connection);
** - a value the image cannot compare exactly as SQLite would (mixed types, text ranges, a
**   float beyond 2^53) sends the query back to the SQL lookup.
** It is built only once the SQL lookups since the data last changed have stepped as many rows
** as the table holds (so a table written between every query pays at most twice the lookup
** it would pay anyway), and never above VEC0_IMAGE_MAX_BYTES.
*/
#include "vec/vec0_sql.h"

#include <stdlib.h>
#include <string.h>

/* One metadata column of the image: every value of one SQLite type, or unusable. */
typedef struct image_column {
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT; 0: unusable (mixed or none) */
    sqlite3_int64 *i;
    double *f;
    unsigned *text_at, *text_len; /* into pool */
} image_column;

struct vec0_image_cache {
    /* the data version the state below belongs to */
    int have_token;
    sqlite3_int64 changes;
    unsigned data_version;
    /* before it is built: rows stepped by SQL lookups, the table's row count last seen */
    sqlite3_int64 stepped, rows_seen;
    int too_big;
    int built;
    vec0_image im;
    size_t cap;
    image_column cols[VEC0_MAX_METADATA];
    char *pool;
    size_t pool_len, pool_cap;
};

static void image_clear(vec0_image_cache *c) {
    sqlite3_free(c->im.rowid);
    sqlite3_free(c->im.chunk_id);
    sqlite3_free(c->im.offset);
    sqlite3_free(c->im.node);
    sqlite3_free(c->im.chunk_ord);
    sqlite3_free(c->im.chunks);
    for (int i = 0; i < VEC0_MAX_METADATA; i++) {
        sqlite3_free(c->cols[i].i);
        sqlite3_free(c->cols[i].f);
        sqlite3_free(c->cols[i].text_at);
        sqlite3_free(c->cols[i].text_len);
    }
    sqlite3_free(c->pool);
    int have = c->have_token;
    sqlite3_int64 changes = c->changes;
    unsigned dv = c->data_version;
    memset(c, 0, sizeof *c);
    c->have_token = have;
    c->changes = changes;
    c->data_version = dv;
}

void vec0_image_free(vec0_vtab *v) {
    if (v->image == NULL)
        return;
    image_clear(v->image);
    sqlite3_free(v->image);
    v->image = NULL;
}

static int grow(void **p, size_t n, size_t size) {
    void *np = sqlite3_realloc64(*p, n * size);
    if (np == NULL)
        return SQLITE_NOMEM;
    *p = np;
    return SQLITE_OK;
}

/* Room for `need` rows. */
static int image_reserve(vec0_image_cache *c, const vec0_vtab *v, size_t need) {
    if (need <= c->cap)
        return SQLITE_OK;
    size_t cap = c->cap ? c->cap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    int rc = grow((void **)&c->im.rowid, cap, 8);
    if (rc == SQLITE_OK)
        rc = grow((void **)&c->im.chunk_id, cap, 8);
    if (rc == SQLITE_OK)
        rc = grow((void **)&c->im.offset, cap, 4);
    for (int m = 0; rc == SQLITE_OK && m < v->s.nmetadata; m++) {
        image_column *col = &c->cols[m];
        if (col->type == SQLITE_INTEGER)
            rc = grow((void **)&col->i, cap, 8);
        else if (col->type == SQLITE_FLOAT)
            rc = grow((void **)&col->f, cap, 8);
        else if (col->type == SQLITE_TEXT) {
            rc = grow((void **)&col->text_at, cap, 4);
            if (rc == SQLITE_OK)
                rc = grow((void **)&col->text_len, cap, 4);
        }
    }
    if (rc == SQLITE_OK)
        c->cap = cap;
    return rc;
}

/* Bytes the image holds (the cap's measure). */
static size_t image_bytes(const vec0_image_cache *c, const vec0_vtab *v) {
    size_t per = 8 + 8 + 4 + 4 + 4 + 8; /* rowid, chunk, slot, node hint, chunk ordinal (+ id) */
    for (int m = 0; m < v->s.nmetadata; m++)
        per += c->cols[m].type == 0 ? 0 : 8;
    return per * c->cap + c->pool_cap;
}

/* Stores value x of metadata column m for row r (c->cols[m].type set from the first row). */
static int image_put(vec0_image_cache *c, int m, size_t r, sqlite3_value *x) {
    image_column *col = &c->cols[m];
    int t = sqlite3_value_type(x);
    if (col->type == 0)
        return SQLITE_OK;
    if (t != col->type) { /* mixed types: this column is answered by SQL */
        sqlite3_free(col->i);
        sqlite3_free(col->f);
        sqlite3_free(col->text_at);
        sqlite3_free(col->text_len);
        memset(col, 0, sizeof *col);
        return SQLITE_OK;
    }
    if (t == SQLITE_INTEGER) {
        col->i[r] = sqlite3_value_int64(x);
    } else if (t == SQLITE_FLOAT) {
        col->f[r] = sqlite3_value_double(x);
    } else {
        const unsigned char *s = sqlite3_value_text(x);
        size_t len = (size_t)sqlite3_value_bytes(x);
        if (s == NULL)
            return SQLITE_NOMEM;
        if (c->pool_len + len > c->pool_cap) {
            size_t ncap = c->pool_cap ? c->pool_cap * 2 : 4096;
            while (ncap < c->pool_len + len)
                ncap *= 2;
            if (ncap > VEC0_IMAGE_MAX_BYTES)
                return SQLITE_FULL;
            int rc = grow((void **)&c->pool, ncap, 1);
            if (rc != SQLITE_OK)
                return rc;
            c->pool_cap = ncap;
        }
        memcpy(c->pool + c->pool_len, s, len);
        col->text_at[r] = (unsigned)c->pool_len;
        col->text_len[r] = (unsigned)len;
        c->pool_len += len;
    }
    return SQLITE_OK;
}

static int cmp_i64(const void *a, const void *b) {
    sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
    return (x > y) - (x < y);
}

/* Reads T_rowids into the image. SQLITE_FULL past VEC0_IMAGE_MAX_BYTES. */
static int image_build(vec0_vtab *v, vec0_image_cache *c) {
    char *cols = vec0_numbered_list(", metadata%02d", 0, v->s.nmetadata);
    if (cols == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *st;
    int rc =
        vec0_prepare(v, &st, "SELECT rowid, chunk_id, chunk_offset%s FROM \"%w\".\"%w_rowids\"",
                     cols, v->schema, v->name);
    sqlite3_free(cols);
    if (rc != SQLITE_OK)
        return rc;
    size_t n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == 0)
            for (int m = 0; m < v->s.nmetadata; m++) {
                int t = sqlite3_column_type(st, 3 + m);
                c->cols[m].type =
                    t == SQLITE_INTEGER || t == SQLITE_FLOAT || t == SQLITE_TEXT ? t : 0;
            }
        rc = image_reserve(c, v, n + 1);
        if (rc == SQLITE_OK && image_bytes(c, v) > VEC0_IMAGE_MAX_BYTES)
            rc = SQLITE_FULL;
        if (rc != SQLITE_OK)
            break;
        c->im.rowid[n] = sqlite3_column_int64(st, 0);
        c->im.chunk_id[n] = sqlite3_column_int64(st, 1);
        c->im.offset[n] = sqlite3_column_int(st, 2);
        for (int m = 0; rc == SQLITE_OK && m < v->s.nmetadata; m++)
            rc = image_put(c, m, n, sqlite3_column_value(st, 3 + m));
        if (rc != SQLITE_OK)
            break;
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
    c->im.node = sqlite3_malloc64(n * sizeof *c->im.node + 1);
    c->im.chunk_ord = sqlite3_malloc64(n * sizeof *c->im.chunk_ord + 1);
    c->im.chunks = sqlite3_malloc64(n * sizeof *c->im.chunks + 1);
    if (c->im.node == NULL || c->im.chunk_ord == NULL || c->im.chunks == NULL)
        return SQLITE_NOMEM;
    for (size_t i = 0; i < n; i++)
        c->im.node[i] = -1;
    c->im.node_stamp = 0; /* no graph's: stamps start at 1 */
    /* the distinct chunk ids, ascending, and each row's index among them */
    memcpy(c->im.chunks, c->im.chunk_id, n * sizeof *c->im.chunks);
    qsort(c->im.chunks, n, sizeof *c->im.chunks, cmp_i64);
    size_t nchunks = 0;
    for (size_t i = 0; i < n; i++)
        if (nchunks == 0 || c->im.chunks[nchunks - 1] != c->im.chunks[i])
            c->im.chunks[nchunks++] = c->im.chunks[i];
    c->im.nchunks = nchunks;
    for (size_t i = 0; i < n; i++) {
        const sqlite3_int64 *at =
            bsearch(&c->im.chunk_id[i], c->im.chunks, nchunks, sizeof *c->im.chunks, cmp_i64);
        c->im.chunk_ord[i] = (int)(at - c->im.chunks);
    }
    c->im.n = n;
    c->built = 1;
    return SQLITE_OK;
}

/* Rows of the table (cheap: the chunk directory). */
static int table_rows(vec0_vtab *v, sqlite3_int64 *n) {
    sqlite3_stmt *st;
    int rc = vec0_prepare_cached(v, &st, "SELECT total(count) FROM \"%w\".\"%w_chunks\"", v->schema,
                                 v->name);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int drc = vec0_done(v, st);
    return rc == SQLITE_ROW ? drc : rc;
}

/* The cache entry, reset when the data may have changed; NULL when no image may be used now. */
static int image_state(vec0_vtab *v, vec0_image_cache **out) {
    *out = NULL;
    unsigned dv = 0;
    if (v->foreign || sqlite3_txn_state(v->db, v->schema) == SQLITE_TXN_WRITE ||
        sqlite3_file_control(v->db, v->schema, SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
        return SQLITE_OK;
    sqlite3_int64 changes = sqlite3_total_changes64(v->db);
    if (v->image == NULL) {
        v->image = sqlite3_malloc64(sizeof *v->image);
        if (v->image == NULL)
            return SQLITE_NOMEM;
        memset(v->image, 0, sizeof *v->image);
    }
    vec0_image_cache *c = v->image;
    if (!c->have_token || c->changes != changes || c->data_version != dv) {
        image_clear(c);
        c->have_token = 1;
        c->changes = changes;
        c->data_version = dv;
    }
    *out = c;
    return SQLITE_OK;
}

int vec0_image_get(vec0_vtab *v, vec0_image **out) {
    vec0_image_cache *c;
    *out = NULL;
    int rc = image_state(v, &c);
    if (rc != SQLITE_OK || c == NULL || c->too_big)
        return rc;
    if (!c->built) {
        if (c->stepped < c->rows_seen || (c->stepped == 0 && c->rows_seen > 0))
            return SQLITE_OK;
        sqlite3_int64 rows;
        rc = table_rows(v, &rows);
        if (rc != SQLITE_OK)
            return rc;
        c->rows_seen = rows > 0 ? rows : 1;
        if (c->stepped < c->rows_seen)
            return SQLITE_OK;
        rc = image_build(v, c);
        if (rc != SQLITE_OK) {
            image_clear(c);
            c->too_big = 1; /* not again until the data changes */
            return rc == SQLITE_FULL ? SQLITE_OK : rc;
        }
    }
    *out = &c->im;
    return SQLITE_OK;
}

void vec0_image_count_lookup(vec0_vtab *v, sqlite3_int64 stepped) {
    vec0_image_cache *c;
    if (image_state(v, &c) == SQLITE_OK && c != NULL && !c->built)
        c->stepped += stepped + 1; /* + 1: a lookup costs something even when it finds nothing */
}

/* ---- evaluating a filter ------------------------------------------------------------------- */

#define EXACT_FLOAT_INT 9007199254740992.0 /* 2^53: integers a double holds exactly */

/* The operand of a comparison on column col, converted to the column's type when that is
** exact; 0 when it cannot be compared in memory. */
typedef struct operand {
    sqlite3_int64 i;
    double f;
    const char *s;
    size_t len;
} operand;

static int operand_read(const image_column *col, sqlite3_value *x, operand *o) {
    int t = sqlite3_value_type(x);
    memset(o, 0, sizeof *o);
    if (col->type == SQLITE_INTEGER && t == SQLITE_INTEGER) {
        o->i = sqlite3_value_int64(x);
        return 1;
    }
    if (col->type == SQLITE_INTEGER && t == SQLITE_FLOAT) {
        double d = sqlite3_value_double(x);
        if (d != d || d < -EXACT_FLOAT_INT || d > EXACT_FLOAT_INT || (double)(sqlite3_int64)d != d)
            return 0;
        o->i = (sqlite3_int64)d;
        return 1;
    }
    if (col->type == SQLITE_FLOAT && (t == SQLITE_FLOAT || t == SQLITE_INTEGER)) {
        if (t == SQLITE_INTEGER) {
            sqlite3_int64 i = sqlite3_value_int64(x);
            if (i < -(sqlite3_int64)EXACT_FLOAT_INT || i > (sqlite3_int64)EXACT_FLOAT_INT)
                return 0;
            o->f = (double)i;
        } else {
            o->f = sqlite3_value_double(x);
        }
        return 1;
    }
    if (col->type == SQLITE_TEXT && t == SQLITE_TEXT) {
        o->s = (const char *)sqlite3_value_text(x);
        o->len = (size_t)sqlite3_value_bytes(x);
        return o->s != NULL;
    }
    return 0;
}

/* Clears the bits of sel whose rows fail `test` (an expression of row r). */
#define KEEP_IF(test)                                                                              \
    for (size_t base = 0; base < n; base += 8) {                                                   \
        unsigned bits = 0;                                                                         \
        size_t end = base + 8 < n ? base + 8 : n;                                                  \
        for (size_t r = base; r < end; r++)                                                        \
            bits |= (unsigned)(test) << (r - base);                                                \
        sel[base / 8] &= (unsigned char)bits;                                                      \
    }

static int cmp_f64(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int text_eq(const image_column *col, const char *pool, size_t r, const operand *o) {
    return col->text_len[r] == o->len && memcmp(pool + col->text_at[r], o->s, o->len) == 0;
}

/* sel &= (col IN list) */
static int keep_in(const vec0_image_cache *c, const image_column *col, sqlite3_value *const *vals,
                   int nvals, unsigned char *sel, int *ok) {
    size_t n = c->im.n;
    operand *ops = sqlite3_malloc64((size_t)nvals * sizeof *ops + 1);
    sqlite3_int64 *is = sqlite3_malloc64((size_t)nvals * 8 + 1);
    double *fs = sqlite3_malloc64((size_t)nvals * 8 + 1);
    int rc = ops && is && fs ? SQLITE_OK : SQLITE_NOMEM;
    for (int j = 0; rc == SQLITE_OK && j < nvals; j++) {
        if (!operand_read(col, vals[j], &ops[j])) {
            *ok = 0;
            break;
        }
        is[j] = ops[j].i;
        fs[j] = ops[j].f;
    }
    if (rc == SQLITE_OK && *ok) {
        if (col->type == SQLITE_INTEGER) {
            qsort(is, (size_t)nvals, 8, cmp_i64);
            KEEP_IF(bsearch(&col->i[r], is, (size_t)nvals, 8, cmp_i64) != NULL)
        } else if (col->type == SQLITE_FLOAT) {
            qsort(fs, (size_t)nvals, 8, cmp_f64);
            KEEP_IF(bsearch(&col->f[r], fs, (size_t)nvals, 8, cmp_f64) != NULL)
        } else {
            for (size_t base = 0; base < n; base += 8) {
                unsigned bits = 0;
                size_t end = base + 8 < n ? base + 8 : n;
                for (size_t r = base; r < end; r++)
                    for (int j = 0; j < nvals; j++)
                        if (text_eq(col, c->pool, r, &ops[j])) {
                            bits |= 1u << (r - base);
                            break;
                        }
                sel[base / 8] &= (unsigned char)bits;
            }
        }
    }
    sqlite3_free(ops);
    sqlite3_free(is);
    sqlite3_free(fs);
    return rc;
}

/* sel &= (a[r] op x), one loop per comparison so that each vectorizes */
#define KEEP_CMP(a, op, x)                                                                         \
    do {                                                                                           \
        if ((op) == VEC0_EQ) {                                                                     \
            KEEP_IF((a)[r] == (x))                                                                 \
        } else if ((op) == VEC0_NE) {                                                              \
            KEEP_IF((a)[r] != (x))                                                                 \
        } else if ((op) == VEC0_LT) {                                                              \
            KEEP_IF((a)[r] < (x))                                                                  \
        } else if ((op) == VEC0_LE) {                                                              \
            KEEP_IF((a)[r] <= (x))                                                                 \
        } else if ((op) == VEC0_GT) {                                                              \
            KEEP_IF((a)[r] > (x))                                                                  \
        } else {                                                                                   \
            KEEP_IF((a)[r] >= (x))                                                                 \
        }                                                                                          \
    } while (0)

/* sel &= (col op x) */
static void keep_cmp(const vec0_image_cache *c, const image_column *col, vec0_op op,
                     const operand *o, unsigned char *sel, int *ok) {
    size_t n = c->im.n;
    if (col->type == SQLITE_INTEGER) {
        KEEP_CMP(col->i, op, o->i);
    } else if (col->type == SQLITE_FLOAT) {
        KEEP_CMP(col->f, op, o->f);
    } else if (op == VEC0_EQ) {
        KEEP_IF(text_eq(col, c->pool, r, o))
    } else if (op == VEC0_NE) {
        KEEP_IF(!text_eq(col, c->pool, r, o))
    } else {
        *ok = 0; /* text order depends on the database's encoding: SQL decides */
    }
}

int vec0_image_select(vec0_vtab *v, const vec0_filter_cond *conds, int nconds,
                      sqlite3_value *const *values, unsigned char *sel, int *ok) {
    const vec0_image_cache *c = v->image;
    *ok = c != NULL && c->built;
    if (!*ok)
        return SQLITE_OK;
    memset(sel, 0xff, c->im.n / 8 + 1);
    int rc = SQLITE_OK;
    for (int k = 0; rc == SQLITE_OK && *ok && k < nconds; k++) {
        const vec0_filter_cond *fc = &conds[k];
        const image_column *col =
            fc->slot >= 0 && fc->slot < v->s.nmetadata ? &c->cols[fc->slot] : NULL;
        if (col == NULL || col->type == 0) {
            *ok = 0;
        } else if (fc->in) {
            rc = keep_in(c, col, values + fc->first, fc->n, sel, ok);
        } else {
            operand o;
            if (fc->n != 1 || !operand_read(col, values[fc->first], &o))
                *ok = 0;
            else
                keep_cmp(c, col, fc->op, &o, sel, ok);
        }
    }
    return rc;
}
