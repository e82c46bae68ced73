/*
** local_registry: the models registered on one connection (temp.lembed_models), shared by the
** SQL binding files of the local half (local_sql.c, local_models_sql.c, local_each_sql.c).
**
** Names match exactly (sqlite-lembed matches prefixes). Models are reference counted so that a
** table-valued function iterating over a model keeps it alive if the model is deleted meanwhile.
*/
#ifndef STRATA_EMBED_LOCAL_REGISTRY_H
#define STRATA_EMBED_LOCAL_REGISTRY_H

#include "common/register_sql.h"
#include "common/sqlite_ext.h"
#include "embed/local_model.h"

#define LEMBED_MAX_MODELS 64
#define LEMBED_PATH_POINTER "lembed_model_path"
#define LEMBED_MODEL_OPTIONS_POINTER "lembed_model_options"
#define LEMBED_CONTEXT_OPTIONS_POINTER "lembed_context_options"

typedef struct lembed_ref {
    lembed_model *model;
    int refs;
} lembed_ref;

typedef struct lembed_entry {
    sqlite3_int64 id; /* rowid in lembed_models, stable across deletes */
    char *name;
    char *options;
    lembed_ref *ref;
} lembed_entry;

typedef struct lembed_registry {
    int refs; /* functions and modules registered with it */
    lembed_entry entries[LEMBED_MAX_MODELS];
    int count;
    sqlite3_int64 next_id;
} lembed_registry;

/* A registry holding one reference, its creator's; NULL when out of memory. The last unref
** releases its models. */
lembed_registry *lembed_registry_new(void);
void lembed_registry_ref(void *p);
void lembed_registry_unref(void *p);
/* The entry named name (exact match), or NULL. */
lembed_entry *lembed_registry_find(lembed_registry *r, const char *name);
void lembed_ref_release(lembed_ref *ref);

/* The model named by argv[0] (TEXT) or raises "<fn>: no model named 'x'" on ctx; NULL then. */
lembed_model *lembed_lookup(sqlite3_context *ctx, const char *fn, sqlite3_value *name);

/* Returns a float32 vector BLOB with subtype 223. */
void lembed_result_vector(sqlite3_context *ctx, const float *v, int dims);

/* What the local half registers: lembed_functions and lembed_modules take the registry as
** user data, lembed_plain_functions their own. */
extern const strata_function lembed_functions[];
extern const size_t lembed_nfunctions;
extern const strata_function lembed_plain_functions[];
extern const size_t lembed_plain_nfunctions;
extern const strata_module lembed_modules[];
extern const size_t lembed_nmodules;
extern const sqlite3_module lembed_models_module; /* local_models_sql.c */
extern const sqlite3_module lembed_each_module;   /* local_each_sql.c */
extern const sqlite3_module lembed_chunks_module;

#endif
