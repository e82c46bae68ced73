/*
** ext/lsm: planning and reading of lsm1 tables: xBestIndex, cursors and column values.
**
** Only constraints on the key are used: = (and each IN element) becomes a point lookup; >, >=,
** <, <= and BETWEEN become cursor bounds, both ends at once in any order, each open or closed;
** ORDER BY key ASC or DESC is produced by the scan itself.
**
** SQLite hands a virtual table the right-hand values without the comparison affinity, so
** xFilter applies SQLite's rules itself. A UINT key has INTEGER affinity: text operands go
** through numeric conversion (sqlite3_value_numeric_type, SQLite's own), non-integral reals
** round to the nearest key inside the range, and numbers sort before text and blobs. A BLOB key
** is compared without conversion, so a non-blob operand is simply below every key. Those two
** are exact and their constraints are omitted. A TEXT key's comparison depends on the
** affinity of the other side, which a virtual table cannot see (an INTEGER column compares
** '05' equal to 5): its constraints narrow the scan only with a text operand and SQLite
** checks every row again. In a UTF-16 database SQLite orders text by its UTF-16 bytes, not
** the keys' UTF-8 order, so TEXT keys are then neither bounded nor used for ORDER BY.
*/
#include "lsm/lsm_codec.h"
#include "lsm/lsm_vtab_args.h"
#include "lsm/lsm_vtab_sql.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    PLAN_EQ = 1,
    PLAN_LO = 2,
    PLAN_LO_OPEN = 4,
    PLAN_HI = 8,
    PLAN_HI_OPEN = 16,
    PLAN_DESC = 32,
};

typedef struct lsm_vcursor {
    sqlite3_vtab_cursor base;
    slsm_cursor *csr; /* opened at the first scan */
    int eof, point, desc;
    const uint8_t *key, *val; /* current row */
    size_t nkey, nval;
    uint8_t *row; /* a point lookup's row: key then value */
    size_t cap;
    int decoded, nfields; /* value fields of the current row, decoded on first use */
    lsmc_field *fields;
} lsm_vcursor;

/* ---- planning ------------------------------------------------------------------------------ */

static void use_constraint(sqlite3_index_info *info, int i, int argv_index, int omit) {
    info->aConstraintUsage[i].argvIndex = argv_index;
    info->aConstraintUsage[i].omit = (unsigned char)omit;
}

int lsm_vtab_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
    lsm_vtab *v = (lsm_vtab *)tab;
    int eq = -1, lo = -1, hi = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->iColumn != 0)
            continue;
        if (!v->text_order_ok)
            break;
        if (v->key_type == LSMV_KEY_TEXT) {
            const char *coll = sqlite3_vtab_collation(info, i);
            if (coll && sqlite3_stricmp(coll, "BINARY") != 0)
                continue;
        }
        switch (c->op) {
            case SQLITE_INDEX_CONSTRAINT_EQ:
                if (eq < 0)
                    eq = i;
                break;
            case SQLITE_INDEX_CONSTRAINT_GT:
            case SQLITE_INDEX_CONSTRAINT_GE:
                if (lo < 0)
                    lo = i;
                break;
            case SQLITE_INDEX_CONSTRAINT_LT:
            case SQLITE_INDEX_CONSTRAINT_LE:
                if (hi < 0)
                    hi = i;
                break;
            default:
                break;
        }
    }
    int omit = v->key_type != LSMV_KEY_TEXT, plan = 0, n = 0;
    double rows = 1e6;
    if (eq >= 0) {
        plan = PLAN_EQ;
        use_constraint(info, eq, ++n, omit);
        rows = 1;
        if (v->key_type != LSMV_KEY_TEXT)
            info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    } else {
        if (lo >= 0) {
            plan |= PLAN_LO;
            if (info->aConstraint[lo].op == SQLITE_INDEX_CONSTRAINT_GT)
                plan |= PLAN_LO_OPEN;
            use_constraint(info, lo, ++n, omit);
            rows /= 40;
        }
        if (hi >= 0) {
            plan |= PLAN_HI;
            if (info->aConstraint[hi].op == SQLITE_INDEX_CONSTRAINT_LT)
                plan |= PLAN_HI_OPEN;
            use_constraint(info, hi, ++n, omit);
            rows /= 40;
        }
        /* a scan yields keys in order; an equality plan may be an IN list, whose elements
        ** SQLite visits in its own order, so it leaves ORDER BY to SQLite (<= 1 row each) */
        if (info->nOrderBy >= 1 && info->aOrderBy[0].iColumn == 0 && v->text_order_ok) {
            info->orderByConsumed = 1;
            if (info->aOrderBy[0].desc)
                plan |= PLAN_DESC;
        }
    }
    info->idxNum = plan;
    info->estimatedRows = (sqlite3_int64)rows;
    info->estimatedCost = plan & PLAN_EQ ? 10.0 : 10.0 + rows;
    return SQLITE_OK;
}

/* ---- operands to key bounds ------------------------------------------------------------------ */

enum { BOUND_SET, BOUND_NONE, BOUND_EMPTY };
enum { OP_EQ, OP_LO, OP_LO_OPEN, OP_HI, OP_HI_OPEN };

typedef struct bound {
    const uint8_t *p;
    size_t n;
    int open;
    uint8_t buf[LSMC_VARINT_MAX];
} bound;

static int set_uint(bound *b, uint64_t x, int open) {
    b->n = (size_t)lsmc_varint_put(b->buf, x);
    b->p = b->buf;
    b->open = open;
    return BOUND_SET;
}

/* key OP i for integer i, keys being 0..2^63-1 */
static int uint_int_bound(int op, sqlite3_int64 i, bound *b) {
    switch (op) {
        case OP_EQ:
            return i < 0 ? BOUND_EMPTY : set_uint(b, (uint64_t)i, 0);
        case OP_LO_OPEN:
            return i < 0 ? BOUND_NONE : set_uint(b, (uint64_t)i, 1);
        case OP_LO:
            return i <= 0 ? BOUND_NONE : set_uint(b, (uint64_t)i, 0);
        case OP_HI_OPEN:
            return i <= 0 ? BOUND_EMPTY : set_uint(b, (uint64_t)i, 1);
        default:
            return i < 0 ? BOUND_EMPTY : set_uint(b, (uint64_t)i, 0);
    }
}

static int uint_real_bound(int op, double r, bound *b) {
    int upper = op == OP_HI || op == OP_HI_OPEN;
    if (isnan(r))
        return BOUND_EMPTY;
    if (r >= 9223372036854775808.0) /* above every key */
        return upper ? BOUND_NONE : BOUND_EMPTY;
    if (r < -9223372036854775808.0)
        return upper || op == OP_EQ ? BOUND_EMPTY : BOUND_NONE;
    if (floor(r) == r)
        return uint_int_bound(op, (sqlite3_int64)r, b);
    if (op == OP_EQ)
        return BOUND_EMPTY;
    /* between two integers: the nearest key inside the range, closed */
    return upper ? uint_int_bound(OP_HI, (sqlite3_int64)floor(r), b)
                 : uint_int_bound(OP_LO, (sqlite3_int64)ceil(r), b);
}

static int uint_bound(int op, sqlite3_value *rhs, bound *b) {
    sqlite3_value *dup = NULL;
    int t = sqlite3_value_type(rhs);
    if (t == SQLITE_TEXT) {
        /* INTEGER affinity applies numeric conversion to the other side ('7' = 7) */
        dup = sqlite3_value_dup(rhs);
        if (dup == NULL)
            return -1;
        t = sqlite3_value_numeric_type(dup);
        rhs = dup;
    }
    int r;
    if (t == SQLITE_NULL)
        r = BOUND_EMPTY;
    else if (t == SQLITE_INTEGER)
        r = uint_int_bound(op, sqlite3_value_int64(rhs), b);
    else if (t == SQLITE_FLOAT)
        r = uint_real_bound(op, sqlite3_value_double(rhs), b);
    else /* text and blobs sort after every number */
        r = op == OP_HI || op == OP_HI_OPEN ? BOUND_NONE : BOUND_EMPTY;
    sqlite3_value_free(dup);
    return r;
}

static int bytes_bound(int op, sqlite3_value *rhs, int want_type, bound *b) {
    int t = sqlite3_value_type(rhs);
    int upper = op == OP_HI || op == OP_HI_OPEN;
    if (t == SQLITE_NULL)
        return BOUND_EMPTY;
    if (t == want_type) {
        b->p = want_type == SQLITE_TEXT ? (const uint8_t *)sqlite3_value_text(rhs)
                                        : (const uint8_t *)sqlite3_value_blob(rhs);
        b->n = (size_t)sqlite3_value_bytes(rhs);
        if (b->p == NULL && b->n > 0)
            return -1;
        if (b->p == NULL)
            b->p = (const uint8_t *)"";
        b->open = op == OP_LO_OPEN || op == OP_HI_OPEN;
        return BOUND_SET;
    }
    if (t == SQLITE_BLOB) /* TEXT keys: a blob is above every text */
        return upper ? BOUND_NONE : BOUND_EMPTY;
    if (want_type == SQLITE_BLOB) /* BLOB keys: numbers and text are below every blob */
        return upper || op == OP_EQ ? BOUND_EMPTY : BOUND_NONE;
    /* TEXT key against a number: text or numeric comparison, depending on the other side's
    ** affinity; scan everything and let SQLite decide */
    return BOUND_NONE;
}

static int key_bound(lsm_vtab *v, int op, sqlite3_value *rhs, bound *b) {
    memset(b, 0, sizeof *b);
    if (v->key_type == LSMV_KEY_UINT)
        return uint_bound(op, rhs, b);
    return bytes_bound(op, rhs, v->key_type == LSMV_KEY_TEXT ? SQLITE_TEXT : SQLITE_BLOB, b);
}

/* ---- cursors ------------------------------------------------------------------------------- */

int lsm_vtab_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **out) {
    lsm_vtab *v = (lsm_vtab *)tab;
    lsm_vcursor *c = sqlite3_malloc(sizeof *c);
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->fields = sqlite3_malloc64(sizeof *c->fields * (sqlite3_uint64)v->nval);
    if (c->fields == NULL) {
        sqlite3_free(c);
        return SQLITE_NOMEM;
    }
    c->eof = 1;
    *out = &c->base;
    return SQLITE_OK;
}

int lsm_vtab_close(sqlite3_vtab_cursor *cur) {
    lsm_vcursor *c = (lsm_vcursor *)cur;
    slsm_cursor_close(c->csr);
    sqlite3_free(c->row);
    sqlite3_free(c->fields);
    sqlite3_free(c);
    return SQLITE_OK;
}

static void load_row(lsm_vcursor *c) {
    c->decoded = 0;
    c->eof = !slsm_cursor_valid(c->csr);
    if (!c->eof) {
        c->key = slsm_cursor_key(c->csr, &c->nkey);
        c->val = slsm_cursor_value(c->csr, &c->nval);
    }
}

static int point_lookup(lsm_vtab *v, lsm_vcursor *c, const bound *b) {
    const void *val;
    size_t nval;
    int rc = slsm_get(v->entry.kv, b->p, b->n, &val, &nval);
    if (rc == LSM_NOTFOUND)
        return SQLITE_OK;
    if (rc)
        return lsm_vtab_engine_error(v, rc, "read failed");
    size_t need = b->n + nval + 1;
    if (need > c->cap) {
        uint8_t *p = sqlite3_realloc64(c->row, need);
        if (p == NULL)
            return SQLITE_NOMEM;
        c->row = p;
        c->cap = need;
    }
    memcpy(c->row, b->p, b->n);
    if (nval)
        memcpy(c->row + b->n, val, nval);
    c->key = c->row;
    c->nkey = b->n;
    c->val = c->row + b->n;
    c->nval = nval;
    c->eof = 0;
    return SQLITE_OK;
}

int lsm_vtab_filter(sqlite3_vtab_cursor *cur, int plan, const char *idx_str, int argc,
                    sqlite3_value **argv) {
    (void)idx_str;
    lsm_vcursor *c = (lsm_vcursor *)cur;
    lsm_vtab *v = (lsm_vtab *)cur->pVtab;
    c->eof = 1;
    c->point = 0;
    c->decoded = 0;
    c->desc = (plan & PLAN_DESC) != 0;
    int rc = lsm_vtab_ready(v, 0);
    if (rc)
        return rc;
    bound lo, hi;
    int rlo = BOUND_NONE, rhi = BOUND_NONE, arg = 0;
    if (plan & PLAN_EQ) {
        if (argc < 1)
            return SQLITE_INTERNAL;
        int r = key_bound(v, OP_EQ, argv[0], &lo);
        if (r < 0)
            return SQLITE_NOMEM;
        if (r == BOUND_EMPTY)
            return SQLITE_OK;
        if (r == BOUND_SET) {
            c->point = 1;
            return point_lookup(v, c, &lo);
        }
    } else {
        if ((plan & PLAN_LO) && arg < argc)
            rlo = key_bound(v, plan & PLAN_LO_OPEN ? OP_LO_OPEN : OP_LO, argv[arg++], &lo);
        if ((plan & PLAN_HI) && arg < argc)
            rhi = key_bound(v, plan & PLAN_HI_OPEN ? OP_HI_OPEN : OP_HI, argv[arg++], &hi);
        if (rlo < 0 || rhi < 0)
            return SQLITE_NOMEM;
        if (rlo == BOUND_EMPTY || rhi == BOUND_EMPTY)
            return SQLITE_OK;
    }
    if (c->csr == NULL)
        rc = slsm_cursor_open(v->entry.kv, &c->csr);
    if (rc == LSM_OK)
        rc = slsm_cursor_bounds(c->csr, rlo == BOUND_SET ? lo.p : NULL, rlo == BOUND_SET ? lo.n : 0,
                                rlo == BOUND_SET && lo.open, rhi == BOUND_SET ? hi.p : NULL,
                                rhi == BOUND_SET ? hi.n : 0, rhi == BOUND_SET && hi.open);
    if (rc == LSM_OK)
        rc = c->desc ? slsm_cursor_last(c->csr) : slsm_cursor_first(c->csr);
    if (rc)
        return lsm_vtab_engine_error(v, rc, "read failed");
    load_row(c);
    return SQLITE_OK;
}

int lsm_vtab_next(sqlite3_vtab_cursor *cur) {
    lsm_vcursor *c = (lsm_vcursor *)cur;
    if (c->point || c->eof) {
        c->eof = 1;
        return SQLITE_OK;
    }
    int rc = c->desc ? slsm_cursor_prev(c->csr) : slsm_cursor_next(c->csr);
    if (rc)
        return lsm_vtab_engine_error((lsm_vtab *)cur->pVtab, rc, "read failed");
    load_row(c);
    return SQLITE_OK;
}

int lsm_vtab_eof(sqlite3_vtab_cursor *cur) {
    return ((lsm_vcursor *)cur)->eof;
}

int lsm_vtab_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    (void)cur;
    *rowid = 0;
    return SQLITE_OK;
}

/* ---- column values ------------------------------------------------------------------------- */

static int corrupt(lsm_vtab *v, sqlite3_context *ctx, const char *what) {
    int rc = lsm_vtab_error(v, SQLITE_CORRUPT, "malformed %s in table %s", what, v->entry.name);
    sqlite3_result_error(ctx, v->base.zErrMsg ? v->base.zErrMsg : "malformed row", -1);
    sqlite3_result_error_code(ctx, rc);
    return rc;
}

static int key_column(lsm_vtab *v, lsm_vcursor *c, sqlite3_context *ctx) {
    if (v->key_type == LSMV_KEY_TEXT) {
        sqlite3_result_text(ctx, (const char *)c->key, (int)c->nkey, SQLITE_TRANSIENT);
    } else if (v->key_type == LSMV_KEY_BLOB) {
        sqlite3_result_blob(ctx, c->key, (int)c->nkey, SQLITE_TRANSIENT);
    } else {
        uint64_t x;
        if (c->nkey == 0 || lsmc_varint_get(c->key, c->nkey, &x) != (int)c->nkey)
            return corrupt(v, ctx, "UINT key");
        if (x <= (uint64_t)INT64_MAX)
            sqlite3_result_int64(ctx, (sqlite3_int64)x);
        else /* written by another program: beyond SQLite's integers */
            sqlite3_result_double(ctx, (double)x);
    }
    return SQLITE_OK;
}

static int value_column(lsm_vtab *v, lsm_vcursor *c, sqlite3_context *ctx, int i) {
    if (!c->decoded) {
        size_t pos = 0;
        c->nfields = 0;
        while (c->nfields < v->nval) {
            int r = lsmc_field_next(c->val, c->nval, &pos, &c->fields[c->nfields]);
            if (r == LSMC_END)
                break;
            if (r == LSMC_MALFORMED)
                return corrupt(v, ctx, "value");
            c->nfields++;
        }
        c->decoded = 1;
    }
    if (i >= c->nfields) /* written with fewer columns */
        return SQLITE_OK;
    const lsmc_field *f = &c->fields[i];
    switch (f->type) {
        case LSMC_INTEGER:
            sqlite3_result_int64(ctx, f->i);
            break;
        case LSMC_FLOAT:
            sqlite3_result_double(ctx, f->d);
            break;
        case LSMC_TEXT:
            sqlite3_result_text64(ctx, (const char *)f->data, f->len, SQLITE_TRANSIENT,
                                  SQLITE_UTF8);
            break;
        case LSMC_BLOB:
            sqlite3_result_blob64(ctx, f->data, f->len, SQLITE_TRANSIENT);
            break;
        default:
            break;
    }
    return SQLITE_OK;
}

int lsm_vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    lsm_vcursor *c = (lsm_vcursor *)cur;
    lsm_vtab *v = (lsm_vtab *)cur->pVtab;
    if (c->eof)
        return SQLITE_OK;
    if (col == 0)
        return key_column(v, c, ctx);
    if (col <= v->nval)
        return value_column(v, c, ctx, col - 1);
    /* hidden columns: an UPDATE that leaves them alone need not read them */
    if (col == LSMV_COL_COMMAND(v) || sqlite3_vtab_nochange(ctx))
        return SQLITE_OK;
    if (col == LSMV_COL_KEY(v))
        sqlite3_result_blob64(ctx, c->key, c->nkey, SQLITE_TRANSIENT);
    else
        sqlite3_result_blob64(ctx, c->val, c->nval, SQLITE_TRANSIENT);
    return SQLITE_OK;
}
