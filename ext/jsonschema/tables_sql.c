/*
** tables_sql: the table-valued functions of ext/jsonschema.
**
**   SELECT * FROM jsonschema_errors(schema, document [, options])
**       one row per error: instanceLocation, keywordLocation, absoluteKeywordLocation, error
**   SELECT * FROM jsonschema_registry
**       uri, schema: what jsonschema_register added on this connection
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "jsonschema/conn_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- jsonschema_errors ---------------------------------------------------------------------- */

enum {
    ERR_INSTANCE,
    ERR_KEYWORD,
    ERR_ABSOLUTE,
    ERR_MESSAGE,
    ERR_SCHEMA,
    ERR_DOCUMENT,
    ERR_OPTIONS
};

typedef struct errors_vtab {
    sqlite3_vtab base;
    js_conn *conn;
} errors_vtab;

typedef struct errors_cursor {
    sqlite3_vtab_cursor base;
    js_errors errs;
    size_t row;
} errors_cursor;

/* Both tables are safe for untrusted SQL; their table holds the connection's state. */
static int conn_vtab_connect(sqlite3 *db, const char *schema, js_conn *conn, sqlite3_vtab **out) {
    int rc = strata_vtab_connect(db, schema, sizeof(errors_vtab), SQLITE_VTAB_INNOCUOUS, out);
    if (rc == SQLITE_OK)
        ((errors_vtab *)*out)->conn = conn;
    return rc;
}

static int errors_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err) {
    return conn_vtab_connect(db,
                             "CREATE TABLE x(instanceLocation TEXT, keywordLocation TEXT, "
                             "absoluteKeywordLocation TEXT, error TEXT, schema HIDDEN, "
                             "document HIDDEN, options HIDDEN)",
                             aux, out);
}

static int errors_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
    int given;
    int rc = strata_vtab_arguments(info, ERR_SCHEMA, 3, &given);
    if (rc != SQLITE_OK)
        return rc;
    if ((given & 3) != 3)
        return strata_vtab_error(tab, "jsonschema_errors",
                                 "needs a schema and a document, as in "
                                 "jsonschema_errors(schema, document)");
    info->idxNum = given == 7 ? 3 : 2;
    info->estimatedCost = 10;
    return SQLITE_OK;
}

static int errors_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
    int rc = strata_vtab_cursor_open(sizeof(errors_cursor), out);
    if (rc == SQLITE_OK)
        js_errors_init(&((errors_cursor *)*out)->errs);
    return rc;
}

static int errors_close(sqlite3_vtab_cursor *cur) {
    errors_cursor *c = (errors_cursor *)cur;
    js_errors_free(&c->errs);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int vtab_error(sqlite3_vtab_cursor *cur, const char *msg) {
    return strata_vtab_error(cur->pVtab, "jsonschema_errors", "%s", msg);
}

static int errors_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv) {
    errors_cursor *c = (errors_cursor *)cur;
    errors_vtab *v = (errors_vtab *)cur->pVtab;
    js_errors_free(&c->errs);
    c->row = 0;
    if (argc < 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL ||
        sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return SQLITE_OK; /* NULL in: no rows */
    js_options opts;
    char *err = NULL;
    if (js_read_options(argc > 2 ? argv[2] : NULL, &opts, &err) != SQLITE_OK) {
        int rc = err ? vtab_error(cur, err) : SQLITE_NOMEM;
        sqlite3_free(err);
        return rc;
    }
    if (opts.output != JS_OUTPUT_LIST)
        return vtab_error(cur, "option \"output\" is for jsonschema_validate");
    strbuf buf;
    strbuf_init(&buf);
    const char *text, *why;
    size_t len;
    int rc = js_value_json(argv[0], &buf, &text, &len, &why);
    if (rc != SQLITE_OK) {
        strbuf_free(&buf);
        if (rc != SQLITE_MISMATCH)
            return rc;
        char msg[160];
        snprintf(msg, sizeof msg, "schema is not valid JSON: %s", why);
        return vtab_error(cur, msg);
    }
    js_schema *s = js_conn_schema(v->conn, text, len, &opts, &err);
    if (s == NULL) {
        strbuf_free(&buf);
        rc = err ? vtab_error(cur, err) : SQLITE_NOMEM;
        sqlite3_free(err);
        return rc;
    }
    char problem[JS_ERR_SIZE] = "";
    js_result r = JS_BAD_DOCUMENT; /* malformed JSONB unless it converts */
    rc = js_value_json(argv[1], &buf, &text, &len, &why);
    if (rc == SQLITE_OK)
        r = js_check(s, text, len, &c->errs, problem, sizeof problem);
    else if (rc == SQLITE_MISMATCH)
        snprintf(problem, sizeof problem, "%s", why);
    strbuf_free(&buf);
    if (rc == SQLITE_NOMEM)
        return rc;
    if (r == JS_FAILED)
        return vtab_error(cur, problem);
    if (r == JS_BAD_DOCUMENT && !js_errors_add_document_error(&c->errs, problem))
        return SQLITE_NOMEM;
    return SQLITE_OK;
}

static int errors_next(sqlite3_vtab_cursor *cur) {
    ((errors_cursor *)cur)->row++;
    return SQLITE_OK;
}

static int errors_eof(sqlite3_vtab_cursor *cur) {
    errors_cursor *c = (errors_cursor *)cur;
    return c->row >= c->errs.n;
}

static int errors_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    errors_cursor *c = (errors_cursor *)cur;
    const js_error *e = &c->errs.items[c->row];
    const char *s = NULL;
    switch (col) {
        case ERR_INSTANCE:
            s = e->instance_location;
            break;
        case ERR_KEYWORD:
            s = e->keyword_location;
            break;
        case ERR_ABSOLUTE:
            s = e->absolute_keyword_location;
            break;
        case ERR_MESSAGE:
            s = e->message;
            break;
        default:
            break;
    }
    if (s)
        sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
}

static int errors_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((errors_cursor *)cur)->row + 1;
    return SQLITE_OK;
}

static const sqlite3_module errors_module = {
    .xCreate = NULL,
    .xConnect = errors_connect,
    .xBestIndex = errors_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xDestroy = strata_vtab_disconnect,
    .xOpen = errors_open,
    .xClose = errors_close,
    .xFilter = errors_filter,
    .xNext = errors_next,
    .xEof = errors_eof,
    .xColumn = errors_column,
    .xRowid = errors_rowid,
};

/* ---- jsonschema_registry -------------------------------------------------------------------- */

static int registry_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                            sqlite3_vtab **out, char **err) {
    return conn_vtab_connect(db, "CREATE TABLE x(uri TEXT, schema TEXT)", aux, out);
}

static int registry_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
    info->estimatedCost = 100;
    return SQLITE_OK;
}

static int registry_eof(sqlite3_vtab_cursor *cur) {
    errors_vtab *v = (errors_vtab *)cur->pVtab;
    return strata_row(cur) >= v->conn->nreg;
}

static int registry_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    errors_vtab *v = (errors_vtab *)cur->pVtab;
    const js_reg_entry *e = &v->conn->reg[strata_row(cur)];
    if (col == 0)
        sqlite3_result_text(ctx, e->uri, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_text64(ctx, e->text, e->len, SQLITE_TRANSIENT, SQLITE_UTF8);
    return SQLITE_OK;
}

static int registry_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = strata_row(cur) + 1;
    return SQLITE_OK;
}

static const sqlite3_module registry_module = {
    .xCreate = NULL,
    .xConnect = registry_connect,
    .xBestIndex = registry_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xDestroy = strata_vtab_disconnect,
    .xOpen = strata_row_cursor_open,
    .xClose = strata_vtab_cursor_close,
    .xFilter = strata_row_cursor_filter,
    .xNext = strata_row_cursor_next,
    .xEof = registry_eof,
    .xColumn = registry_column,
    .xRowid = registry_rowid,
};

const strata_module js_table_modules[] = {
    {"jsonschema_errors", &errors_module, NULL},
    {"jsonschema_registry", &registry_module, NULL},
};
const size_t js_table_nmodules = STRATA_COUNT(js_table_modules);
