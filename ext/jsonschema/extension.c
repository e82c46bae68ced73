/*
** ext/jsonschema: SQL binding of the jsonschema extension: JSON Schema validation as SQL
** functions (issue #4).
**
**   jsonschema_matches(schema, doc [, options])      1 / 0 (NULL doc or schema: NULL)
**   jsonschema_validate(schema, doc [, options])     NULL when valid, else a JSON array of errors
**   jsonschema_valid_schema(schema)                   1 / 0 against the schema's meta-schema
**   jsonschema_register(uri, schema)                  adds a schema for $ref resolution
**   jsonschema_version()
** Table-valued jsonschema_errors and jsonschema_registry live in tables_sql.c. The engine lives
** in the other files of this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "common/guard_sql.h"
#include "common/register_sql.h"
#include "common/strbuf.h"
#include "common/version.h"
#include "jsonschema/conn.h"
#include "jsonschema/extension.h"
#include "jsonschema/jv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What auxdata keeps on argument 0: the cache entry compiled for that exact text. SQLite drops
** it when the argument changes; the generation drops it when the cache freed any entry. */
typedef struct aux_ref {
    js_cache_entry *entry;
    uint64_t generation;
} aux_ref;

/* Raises "fn: err" (out of memory when err is NULL) and frees err. */
static void raise_error(sqlite3_context *ctx, const char *fn, char *err) {
    if (err)
        strata_result_error(ctx, fn, "%s", err);
    else
        sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
}

/* Compiles argv[0] with the options in argv[2] (if any). NULL after raising an error. */
static js_schema *schema_arg(sqlite3_context *ctx, const char *fn, int argc, sqlite3_value **argv) {
    js_conn *c = sqlite3_user_data(ctx);
    if (argc == 2) {
        const aux_ref *a = sqlite3_get_auxdata(ctx, 0);
        if (a && a->generation == c->generation)
            return a->entry->schema;
    }
    js_options opts;
    char *err = NULL;
    int rc = js_read_options(argc > 2 ? argv[2] : NULL, &opts, &err);
    if (rc != SQLITE_OK) {
        raise_error(ctx, fn, err);
        return NULL;
    }
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (text == NULL) {
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    js_cache_entry *entry = NULL;
    js_schema *s =
        js_conn_schema_entry(c, text, (size_t)sqlite3_value_bytes(argv[0]), &opts, &err, &entry);
    if (s == NULL) {
        raise_error(ctx, fn, err);
        return NULL;
    }
    if (argc == 2 && entry) {
        aux_ref *a = sqlite3_malloc(sizeof *a);
        if (a) {
            a->entry = entry;
            a->generation = c->generation;
            sqlite3_set_auxdata(ctx, 0, a, sqlite3_free);
        }
    }
    return s;
}

static bool any_null(int argc, sqlite3_value **argv) {
    for (int i = 0; i < argc && i < 2; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return true;
    return false;
}

/* Validates argv[1] against argv[0] (options in argv[2]). Returns false when the result is
** already set: NULL for a NULL argument, or an error. */
static bool check_args(sqlite3_context *ctx, const char *fn, int argc, sqlite3_value **argv,
                       js_errors *errs, js_result *out, const char **problem) {
    if (any_null(argc, argv))
        return false;
    js_schema *s = schema_arg(ctx, fn, argc, argv);
    if (s == NULL)
        return false;
    const char *doc = (const char *)sqlite3_value_text(argv[1]);
    if (doc == NULL) {
        sqlite3_result_error_nomem(ctx);
        return false;
    }
    *out = js_check(s, doc, (size_t)sqlite3_value_bytes(argv[1]), errs, problem);
    if (*out == JS_FAILED) {
        strata_result_error(ctx, fn, "%s", *problem);
        return false;
    }
    return true;
}

static void matches_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    js_result r;
    const char *problem = NULL;
    if (check_args(ctx, "jsonschema_matches", argc, argv, NULL, &r, &problem))
        sqlite3_result_int(ctx, r == JS_VALID);
}

/* Appends the errors as a JSON array in the "basic" output shape. */
static void errors_json(strbuf *sb, const js_errors *e) {
    strbuf_append_char(sb, '[');
    for (size_t i = 0; i < e->n; i++) {
        const js_error *er = &e->items[i];
        if (i)
            strbuf_append_char(sb, ',');
        strbuf_append_str(sb, "{\"instanceLocation\":");
        strbuf_append_json_string(sb, er->instance_location, strlen(er->instance_location));
        strbuf_append_str(sb, ",\"keywordLocation\":");
        strbuf_append_json_string(sb, er->keyword_location, strlen(er->keyword_location));
        strbuf_append_str(sb, ",\"absoluteKeywordLocation\":");
        strbuf_append_json_string(sb, er->absolute_keyword_location,
                                  strlen(er->absolute_keyword_location));
        strbuf_append_str(sb, ",\"error\":");
        strbuf_append_json_string(sb, er->message, strlen(er->message));
        strbuf_append_char(sb, '}');
    }
    strbuf_append_char(sb, ']');
}

static void validate_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    js_errors errs;
    js_errors_init(&errs);
    js_result r;
    const char *problem = NULL;
    if (check_args(ctx, "jsonschema_validate", argc, argv, &errs, &r, &problem) && r != JS_VALID) {
        if (r == JS_BAD_DOCUMENT && !js_errors_add_document_error(&errs, problem)) {
            sqlite3_result_error_nomem(ctx);
        } else {
            strbuf sb;
            strbuf_init(&sb);
            errors_json(&sb, &errs);
            size_t n;
            char *out = strbuf_take(&sb, &n);
            if (out == NULL)
                sqlite3_result_error_nomem(ctx);
            else
                sqlite3_result_text64(ctx, out, n, free, SQLITE_UTF8);
        }
    }
    js_errors_free(&errs);
}

/* The meta-schema URI a schema declares, or the default draft's. */
static char *meta_uri(const char *text, size_t len, const js_options *opts) {
    arena a;
    arena_init(&a);
    jv *root = jv_parse(&a, text, len, NULL);
    const jv *sch = root ? jv_get(root, "$schema") : NULL;
    char *uri;
    if (sch && sch->type == JV_STRING) {
        uri = sqlite3_mprintf("%.*s", (int)sch->n, sch->u.str);
    } else {
        uri = sqlite3_mprintf("%s", js_draft_uri(opts->draft ? opts->draft : JS_DRAFT2020));
    }
    arena_free(&a);
    return uri;
}

static void valid_schema_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    js_conn *c = sqlite3_user_data(ctx);
    js_options opts;
    char *err = NULL;
    if (js_read_options(argc > 1 ? argv[1] : NULL, &opts, &err) != SQLITE_OK) {
        raise_error(ctx, "jsonschema_valid_schema", err);
        return;
    }
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (text == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    /* First: does it compile (refs resolve, patterns compile, keyword types)? */
    js_schema *s = js_conn_schema(c, text, len, &opts, &err);
    if (s == NULL) {
        sqlite3_free(err);
        sqlite3_result_int(ctx, 0);
        return;
    }
    /* Then: does it validate against its meta-schema? */
    char *uri = meta_uri(text, len, &opts);
    if (uri == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    strbuf ref;
    strbuf_init(&ref);
    strbuf_append_str(&ref, "{\"$ref\":");
    strbuf_append_json_string(&ref, uri, strlen(uri));
    strbuf_append_char(&ref, '}');
    js_options mopts = {js_draft_parse(uri, strlen(uri)), JS_FORMAT_ANNOTATE};
    sqlite3_free(uri);
    if (ref.failed) {
        strbuf_free(&ref);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (mopts.draft == JS_DRAFT_DEFAULT)
        mopts.draft = JS_DRAFT2020;
    js_schema *meta = js_conn_schema(c, ref.data, ref.len, &mopts, &err);
    strbuf_free(&ref);
    if (meta == NULL) {
        raise_error(ctx, "jsonschema_valid_schema", err);
        return;
    }
    const char *problem = NULL;
    js_result r = js_check(meta, text, len, NULL, &problem);
    if (r == JS_FAILED)
        strata_result_error(ctx, "jsonschema_valid_schema", "%s", problem);
    else
        sqlite3_result_int(ctx, r == JS_VALID);
}

static void register_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        strata_result_error(ctx, "jsonschema_register", "uri and schema must not be NULL");
        return;
    }
    const char *refusal = strata_guard_refusal(sqlite3_context_db_handle(ctx));
    if (refusal != NULL) {
        strata_result_error(ctx, "jsonschema_register",
                            "registries are locked on this connection: %s", refusal);
        return;
    }
    js_conn *c = sqlite3_user_data(ctx);
    const char *uri = (const char *)sqlite3_value_text(argv[0]);
    const char *text = (const char *)sqlite3_value_text(argv[1]);
    if (uri == NULL || text == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    char *err = NULL;
    int rc = js_conn_register(c, uri, text, (size_t)sqlite3_value_bytes(argv[1]), &err);
    if (rc == SQLITE_OK)
        sqlite3_result_int(ctx, 1);
    else if (err)
        strata_result_error(ctx, "jsonschema_register", "%s", err);
    else
        sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
}

/* sqlite-jsonschema's jsonschema_debug(), kept so its users can switch by loading this file. */
static void debug_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_result_text(ctx, "Version: " STRATA_VERSION "\nSource: strata ext/jsonschema\n", -1,
                        SQLITE_STATIC);
}

int strata_jsonschema_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg) {
    static const strata_function functions[] = {
        {"jsonschema_matches", 2, STRATA_PURE, matches_func, NULL},
        {"jsonschema_matches", 3, STRATA_PURE, matches_func, NULL},
        {"jsonschema_validate", 2, STRATA_PURE, validate_func, NULL},
        {"jsonschema_validate", 3, STRATA_PURE, validate_func, NULL},
        {"jsonschema_valid_schema", 1, STRATA_PURE, valid_schema_func, NULL},
        {"jsonschema_valid_schema", 2, STRATA_PURE, valid_schema_func, NULL},
        {"jsonschema_debug", 0, STRATA_PURE, debug_func, NULL},
        /* Changes connection state: not for views, triggers or CHECK constraints. */
        {"jsonschema_register", 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, register_func, NULL},
        {"jsonschema_version", 0, STRATA_PURE, strata_version_func, NULL},
    };
    js_conn *c = js_conn_new();
    if (c == NULL)
        return SQLITE_NOMEM;
    const strata_group groups[] = {
        {functions, STRATA_COUNT(functions), js_table_modules, js_table_nmodules, c, js_conn_ref,
         js_conn_unref},
    };
    const strata_part part = {"jsonschema", "jsonschema_version() = '" STRATA_VERSION "'", groups,
                              STRATA_COUNT(groups)};
    int rc = strata_register(db, ld, &part, pzErrMsg);
    js_conn_unref(c);
    return rc;
}

STRATA_EXPORT int sqlite3_jsonschema_init(sqlite3 *db, char **pzErrMsg,
                                          const sqlite3_api_routines *pApi) {
    SQLITE_EXTENSION_INIT2(pApi);
    static const strata_register_fn parts[] = {strata_guard_register, strata_jsonschema_register};
    return strata_load(db, parts, STRATA_COUNT(parts), pzErrMsg);
}
