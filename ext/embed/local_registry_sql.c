/*
** ext/embed (local): the connection's registry of models (see local_registry.h), below the files
** that use it: the functions (local_sql.c), temp.lembed_models, lembed_each and lembed_chunks.
*/
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "embed/local_registry.h"

#include <stdlib.h>
#include <string.h>

lembed_entry *lembed_registry_find(lembed_registry *r, const char *name) {
    for (int i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].name, name) == 0)
            return &r->entries[i];
    return NULL;
}

void lembed_ref_release(lembed_ref *ref) {
    if (ref && --ref->refs == 0) {
        lembed_model_close(ref->model);
        sqlite3_free(ref);
    }
}

lembed_registry *lembed_registry_new(void) {
    lembed_registry *r = sqlite3_malloc64(sizeof *r);
    if (r != NULL) {
        memset(r, 0, sizeof *r);
        r->refs = 1;
    }
    return r;
}

void lembed_registry_ref(void *p) {
    ((lembed_registry *)p)->refs++;
}

void lembed_registry_unref(void *p) {
    lembed_registry *r = p;
    if (r == NULL || --r->refs > 0)
        return;
    for (int i = 0; i < r->count; i++) {
        sqlite3_free(r->entries[i].name);
        sqlite3_free(r->entries[i].options);
        lembed_ref_release(r->entries[i].ref);
    }
    sqlite3_free(r);
}

lembed_model *lembed_lookup(sqlite3_context *ctx, const char *fn, sqlite3_value *name) {
    lembed_registry *r = sqlite3_user_data(ctx);
    const char *z = (const char *)sqlite3_value_text(name);
    if (!z) {
        if (sqlite3_value_type(name) != SQLITE_NULL)
            sqlite3_result_error_nomem(ctx);
        else
            strata_result_error(ctx, fn, "the model name is NULL");
        return NULL;
    }
    lembed_entry *e = lembed_registry_find(r, z);
    if (!e) {
        strata_result_error(ctx, fn,
                            "no model named '%s' (register one with INSERT INTO "
                            "temp.lembed_models(name, model) VALUES ('%s', "
                            "lembed_model_from_file('path')))",
                            z, z);
        return NULL;
    }
    return e->ref->model;
}

void lembed_result_vector(sqlite3_context *ctx, const float *v, int dims) {
    sqlite3_result_blob(ctx, v, dims * (int)sizeof(float), SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, STRATA_SUBTYPE_F32);
}
