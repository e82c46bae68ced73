/*
** ext/vec: vec_each(vector), a table-valued function with one row per element:
**   select rowid, value from vec_each(vec_f32('[1,2]'))   -- (0, 1.0), (1, 2.0)
** Bit vectors yield 0/1 in the same order as vec_to_json (least significant bit first).
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "vec/scalar_sql.h"
#include "vec/value_sql.h"

#include <string.h>

typedef struct each_cursor {
    sqlite3_vtab_cursor base;
    vec_value v;
    void *copy; /* the vector's bytes: the argument value does not outlive xFilter */
    sqlite3_int64 i;
} each_cursor;

static int each_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
    return strata_vtab_connect(db, "CREATE TABLE x(value, vector HIDDEN)", sizeof(sqlite3_vtab),
                               SQLITE_VTAB_INNOCUOUS, out);
}

static int each_open(sqlite3_vtab *t, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(each_cursor), out);
}

static void each_reset(each_cursor *c) {
    vec_value_clear(&c->v);
    sqlite3_free(c->copy);
    c->copy = NULL;
    c->i = 0;
}

static int each_close(sqlite3_vtab_cursor *cur) {
    each_reset((each_cursor *)cur);
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int each_best_index(sqlite3_vtab *t, sqlite3_index_info *info) {
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == 1 && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!c->usable)
                return SQLITE_CONSTRAINT;
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->idxNum = 1;
            info->estimatedCost = 10;
            return SQLITE_OK;
        }
    }
    t->zErrMsg = sqlite3_mprintf("vec_each: a vector argument is required");
    return SQLITE_ERROR;
}

static int each_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
    each_cursor *c = (each_cursor *)cur;
    each_reset(c);
    if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return SQLITE_OK; /* no rows */
    char *err = NULL;
    if (vec_value_read(argv[0], -1, &c->v, &err) != 0) {
        sqlite3_free(cur->pVtab->zErrMsg);
        cur->pVtab->zErrMsg = strata_mprintf_error("vec_each", "%s", err ? err : "out of memory");
        sqlite3_free(err);
        return SQLITE_ERROR;
    }
    size_t nb = vec_type_bytes(c->v.type, c->v.dims);
    c->copy = sqlite3_malloc64(nb);
    if (c->copy == NULL)
        return SQLITE_NOMEM;
    memcpy(c->copy, c->v.data, nb);
    c->v.data = c->copy;
    return SQLITE_OK;
}

static int each_next(sqlite3_vtab_cursor *cur) {
    ((each_cursor *)cur)->i++;
    return SQLITE_OK;
}

static int each_eof(sqlite3_vtab_cursor *cur) {
    each_cursor *c = (each_cursor *)cur;
    return c->v.data == NULL || c->i >= (sqlite3_int64)c->v.dims;
}

static int each_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    each_cursor *c = (each_cursor *)cur;
    if (col == 0) {
        double d = vec_element(c->v.type, c->v.data, (size_t)c->i);
        if (c->v.type == VEC_INT8 || c->v.type == VEC_BIT)
            sqlite3_result_int64(ctx, (sqlite3_int64)d);
        else
            sqlite3_result_double(ctx, d);
    }
    return SQLITE_OK;
}

static int each_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = ((each_cursor *)cur)->i;
    return SQLITE_OK;
}

const sqlite3_module vec_each_module = {
    .iVersion = 0,
    .xConnect = each_connect,
    .xBestIndex = each_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xOpen = each_open,
    .xClose = each_close,
    .xFilter = each_filter,
    .xNext = each_next,
    .xEof = each_eof,
    .xColumn = each_column,
    .xRowid = each_rowid,
};
