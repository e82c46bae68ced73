/*
** ext/embed: temp.lembed_models, the eponymous virtual table that registers local models and
** lists them.
**
**   INSERT INTO temp.lembed_models(name, model [, options])
**       VALUES ('mini', lembed_model_from_file('all-MiniLM-L6-v2.q8_0.gguf'));
**   SELECT name, model, architecture, dimensions, type, size FROM temp.lembed_models;
**   DELETE FROM temp.lembed_models WHERE name = 'mini';
**
** `model` takes the pointer of lembed_model_from_file() or a plain path. Loading reads files, so
** the table is SQLITE_VTAB_DIRECTONLY: triggers and views cannot write to it.
*/
#include "common/error_sql.h"
#include "common/guard_sql.h"
#include "common/vtab_sql.h"
#include "embed/local_registry.h"

#include <stdlib.h>
#include <string.h>

enum {
    COL_NAME,
    COL_MODEL,
    COL_ARCH,
    COL_DIMS,
    COL_TYPE,
    COL_SIZE,
    COL_OPTIONS,
    COL_MODEL_OPTIONS,   /* sqlite-lembed's lembed_model_options() pointer */
    COL_CONTEXT_OPTIONS, /* sqlite-lembed's lembed_context_options() pointer */
};

typedef struct models_vtab {
    sqlite3_vtab base;
    lembed_registry *reg;
    sqlite3 *db;
} models_vtab;

static int models_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err) {
    int rc = strata_vtab_connect(db,
                                 "CREATE TABLE x(name TEXT, model, architecture TEXT, "
                                 "dimensions INTEGER, type TEXT, size INTEGER, options HIDDEN, "
                                 "model_options HIDDEN, context_options HIDDEN)",
                                 sizeof(models_vtab), SQLITE_VTAB_DIRECTONLY, out);
    if (rc != SQLITE_OK)
        return rc;
    models_vtab *v = (models_vtab *)*out;
    v->reg = aux;
    v->db = db;
    return SQLITE_OK;
}

static int models_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    info->estimatedCost = 10;
    info->estimatedRows = 16;
    return SQLITE_OK;
}

static int models_eof(sqlite3_vtab_cursor *cur) {
    models_vtab *v = (models_vtab *)cur->pVtab;
    return strata_row(cur) >= v->reg->count;
}

static int models_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    models_vtab *v = (models_vtab *)cur->pVtab;
    lembed_entry *e = &v->reg->entries[strata_row(cur)];
    lembed_model *m = e->ref->model;
    switch (col) {
        case COL_NAME:
            sqlite3_result_text(ctx, e->name, -1, SQLITE_TRANSIENT);
            break;
        case COL_MODEL:
            sqlite3_result_text(ctx, m->path, -1, SQLITE_TRANSIENT);
            break;
        case COL_ARCH:
            sqlite3_result_text(ctx, m->arch, -1, SQLITE_TRANSIENT);
            break;
        case COL_DIMS:
            sqlite3_result_int(ctx, m->dims);
            break;
        case COL_TYPE:
            sqlite3_result_text(ctx, m->type, -1, SQLITE_TRANSIENT);
            break;
        case COL_SIZE:
            sqlite3_result_int64(ctx, m->size_bytes);
            break;
        case COL_OPTIONS:
            if (e->options)
                sqlite3_result_text(ctx, e->options, -1, SQLITE_TRANSIENT);
            break;
    }
    return SQLITE_OK;
}

static int models_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
    models_vtab *v = (models_vtab *)cur->pVtab;
    *rowid = v->reg->entries[strata_row(cur)].id;
    return SQLITE_OK;
}

static int vt_error(sqlite3_vtab *vt, const char *fmt, const char *a) {
    return strata_vtab_error(vt, "lembed_models", fmt, a);
}
static int models_insert(models_vtab *v, sqlite3_value **argv) {
    sqlite3_vtab *vt = &v->base;
    sqlite3_value *vname = argv[2 + COL_NAME], *vmodel = argv[2 + COL_MODEL];
    sqlite3_value *vopts = argv[2 + COL_OPTIONS];
    const char *name = sqlite3_value_type(vname) == SQLITE_NULL
                           ? "default"
                           : (const char *)sqlite3_value_text(vname);
    const char *path = sqlite3_value_pointer(vmodel, LEMBED_PATH_POINTER);
    if (!path && sqlite3_value_type(vmodel) == SQLITE_TEXT)
        path = (const char *)sqlite3_value_text(vmodel);
    const char *opts =
        sqlite3_value_type(vopts) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(vopts);
    /* sqlite-lembed's pointers: context options carry our JSON options; model options (GPU
    ** layers) have nothing to configure here. */
    const char *ctx_opts =
        sqlite3_value_pointer(argv[2 + COL_CONTEXT_OPTIONS], LEMBED_CONTEXT_OPTIONS_POINTER);
    if (ctx_opts && opts)
        return vt_error(vt, "give options or context_options, not both (model '%s')",
                        name ? name : "");
    if (ctx_opts)
        opts = ctx_opts;
    if (!name || !*name)
        return vt_error(vt, "the model name must be a non-empty text%s", "");
    if (!path)
        return vt_error(vt, "model must be lembed_model_from_file('path') or a path (model '%s')",
                        name);
    if (lembed_registry_find(v->reg, name))
        return vt_error(
            vt, "a model named '%s' is already registered (DELETE it first to replace it)", name);
    if (v->reg->count >= LEMBED_MAX_MODELS)
        return vt_error(vt, "too many models (at most 64); DELETE one first%s", "");
    char err[LEMBED_ERR_SIZE];
    lembed_model *m = lembed_model_open(path, opts, err, sizeof(err));
    if (!m)
        return vt_error(vt, "%s", err);
    lembed_ref *ref = sqlite3_malloc64(sizeof(*ref));
    char *nm = sqlite3_mprintf("%s", name), *op = opts ? sqlite3_mprintf("%s", opts) : NULL;
    if (!ref || !nm || (opts && !op)) {
        sqlite3_free(ref);
        sqlite3_free(nm);
        sqlite3_free(op);
        lembed_model_close(m);
        return SQLITE_NOMEM;
    }
    ref->model = m;
    ref->refs = 1;
    lembed_entry *e = &v->reg->entries[v->reg->count++];
    e->id = ++v->reg->next_id;
    e->name = nm;
    e->options = op;
    e->ref = ref;
    return SQLITE_OK;
}

static int models_update(sqlite3_vtab *vt, int argc, sqlite3_value **argv, sqlite_int64 *rowid) {
    models_vtab *v = (models_vtab *)vt;
    const char *refusal = strata_guard_refusal(v->db);
    if (refusal != NULL)
        return vt_error(vt, "registries are locked on this connection: %s", refusal);
    if (argc == 1) { /* DELETE */
        sqlite3_int64 id = sqlite3_value_int64(argv[0]);
        for (int i = 0; i < v->reg->count; i++) {
            lembed_entry *e = &v->reg->entries[i];
            if (e->id != id)
                continue;
            sqlite3_free(e->name);
            sqlite3_free(e->options);
            lembed_ref_release(e->ref);
            memmove(e, e + 1, (size_t)(v->reg->count - i - 1) * sizeof(*e));
            v->reg->count--;
            break;
        }
        return SQLITE_OK;
    }
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
        return vt_error(vt, "UPDATE is not supported; DELETE the model and INSERT it again%s", "");
    int rc = models_insert(v, argv);
    if (rc == SQLITE_OK)
        *rowid = v->reg->next_id;
    return rc;
}

const sqlite3_module lembed_models_module = {
    .iVersion = 2,
    /* Eponymous (main.lembed_models, also reached as temp.lembed_models); on a read-only
    ** connection an operator creates a temp table of the module, sharing the registry. */
    .xCreate = models_connect,
    .xConnect = models_connect,
    .xBestIndex = models_best_index,
    .xDisconnect = strata_vtab_disconnect,
    .xDestroy = strata_vtab_disconnect,
    .xOpen = strata_row_cursor_open,
    .xClose = strata_vtab_cursor_close,
    .xFilter = strata_row_cursor_filter,
    .xNext = strata_row_cursor_next,
    .xEof = models_eof,
    .xColumn = models_column,
    .xRowid = models_rowid,
    .xUpdate = models_update,
};
