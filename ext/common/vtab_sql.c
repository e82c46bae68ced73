/*
** Virtual table helpers (see vtab_sql.h).
*/
#include "common/vtab_sql.h"
#include "common/error_sql.h"

#include <stdarg.h>
#include <string.h>

int strata_vtab_connect(sqlite3 *db, const char *schema, size_t size, int config,
                        sqlite3_vtab **out) {
    int rc = sqlite3_declare_vtab(db, schema);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab *vt = sqlite3_malloc64(size);
    if (vt == NULL)
        return SQLITE_NOMEM;
    memset(vt, 0, size);
    if (config)
        sqlite3_vtab_config(db, config);
    *out = vt;
    return SQLITE_OK;
}

int strata_vtab_disconnect(sqlite3_vtab *vt) {
    sqlite3_free(vt);
    return SQLITE_OK;
}

int strata_vtab_cursor_open(size_t size, sqlite3_vtab_cursor **out) {
    sqlite3_vtab_cursor *cur = sqlite3_malloc64(size);
    if (cur == NULL)
        return SQLITE_NOMEM;
    memset(cur, 0, size);
    *out = cur;
    return SQLITE_OK;
}

int strata_vtab_cursor_close(sqlite3_vtab_cursor *cur) {
    sqlite3_free(cur);
    return SQLITE_OK;
}

int strata_row_cursor_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(strata_row_cursor), out);
}

int strata_row_cursor_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                             sqlite3_value **argv) {
    ((strata_row_cursor *)cur)->row = 0;
    return SQLITE_OK;
}

int strata_row_cursor_next(sqlite3_vtab_cursor *cur) {
    ((strata_row_cursor *)cur)->row++;
    return SQLITE_OK;
}

int strata_vtab_error(sqlite3_vtab *vt, const char *fn, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = strata_vmprintf_error(fn, fmt, ap);
    va_end(ap);
    return vt->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

int strata_vtab_arguments(sqlite3_index_info *info, int first, int n, int *given) {
    int slot[16];
    int count = n < 16 ? n : 16;
    for (int k = 0; k < 16; k++)
        slot[k] = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn < first || c->iColumn >= first + count ||
            c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (!c->usable)
            return SQLITE_CONSTRAINT;
        slot[c->iColumn - first] = i;
    }
    int argv_index = 0;
    *given = 0;
    for (int k = 0; k < count; k++) {
        if (slot[k] < 0)
            continue;
        info->aConstraintUsage[slot[k]].argvIndex = ++argv_index;
        info->aConstraintUsage[slot[k]].omit = 1;
        *given |= 1 << k;
    }
    return SQLITE_OK;
}
