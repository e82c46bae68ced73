/*
** ext/jsonschema: SQL binding of the jsonschema extension: JSON Schema validation as SQL
** functions.
**
**   jsonschema_matches(schema, doc [, options])      1 / 0 (NULL doc or schema: NULL)
**   jsonschema_validate(schema, doc [, options])     NULL when valid, else a JSON array of errors;
**                                                     with {"output": ...} a standard output format
**   jsonschema_valid_schema(schema)                   1 / 0 against the schema's meta-schema
**   jsonschema_register(uri, schema)                  adds a schema for $ref resolution
**   jsonschema_version()
** Table-valued jsonschema_errors and jsonschema_registry live in tables_sql.c. The engine lives
** in the other files of this folder and does not depend on SQLite.
*/
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "common/guard_sql.h"
#include "common/register_sql.h"
#include "common/strbuf.h"
#include "common/version.h"
#include "jsonschema/conn_sql.h"
#include "jsonschema/extension.h"
#include "jsonschema/jv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What auxdata keeps on argument 0: the cache entry compiled for that exact text, with the
** options it was compiled with. SQLite drops it when the argument changes; the generation drops
** it when the cache freed any entry. With an options argument, argument 2 keeps its parsed
** options too: both present and equal means neither argument changed since they were set. */
typedef struct aux_ref {
    js_cache_entry *entry;
    uint64_t generation;
    js_options opts;
} aux_ref;

/* Raises "fn: err" (out of memory when err is NULL) and frees err. */
static void raise_error(sqlite3_context *ctx, const char *fn, char *err) {
    if (err)
        strata_result_error(ctx, fn, "%s", err);
    else
        sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
}

/* Compiles argv[0] with the options in argv[2] (if any), which *opts receives. NULL after raising
** an error. The output option is jsonschema_validate's only. */
static js_schema *schema_arg(sqlite3_context *ctx, const char *fn, int argc, sqlite3_value **argv,
                             js_options *opts) {
    js_conn *c = sqlite3_user_data(ctx);
    const aux_ref *a = sqlite3_get_auxdata(ctx, 0);
    if (a && a->generation == c->generation) {
        const js_options *o = argc > 2 ? sqlite3_get_auxdata(ctx, 2) : NULL;
        if (argc == 2 || (o && memcmp(o, &a->opts, sizeof *o) == 0)) {
            *opts = a->opts;
            return a->entry->schema;
        }
    }
    char *err = NULL;
    int rc = js_read_options(argc > 2 ? argv[2] : NULL, opts, &err);
    if (rc == SQLITE_OK && opts->output != JS_OUTPUT_LIST && strcmp(fn, "jsonschema_validate")) {
        strata_result_error(ctx, fn, "option \"output\" is for jsonschema_validate");
        return NULL;
    }
    if (rc != SQLITE_OK) {
        raise_error(ctx, fn, err);
        return NULL;
    }
    strbuf buf;
    strbuf_init(&buf);
    const char *text, *why;
    size_t len;
    rc = js_value_json(argv[0], &buf, &text, &len, &why);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_MISMATCH)
            strata_result_error(ctx, fn, "schema is not valid JSON: %s", why);
        else
            sqlite3_result_error_nomem(ctx);
        strbuf_free(&buf);
        return NULL;
    }
    js_cache_entry *entry = NULL;
    js_schema *s = js_conn_schema_entry(c, text, len, opts, &err, &entry);
    strbuf_free(&buf);
    if (s == NULL) {
        raise_error(ctx, fn, err);
        return NULL;
    }
    if (entry) {
        aux_ref *fresh = sqlite3_malloc(sizeof *fresh);
        if (fresh) {
            memset(fresh, 0, sizeof *fresh);
            fresh->entry = entry;
            fresh->generation = c->generation;
            fresh->opts = *opts;
            sqlite3_set_auxdata(ctx, 0, fresh, sqlite3_free);
        }
        js_options *kept = argc > 2 ? sqlite3_malloc(sizeof *kept) : NULL;
        if (kept) {
            *kept = *opts;
            sqlite3_set_auxdata(ctx, 2, kept, sqlite3_free);
        }
    }
    return s;
}

/* Validates argv[1] against argv[0] (options in argv[2]); with out, writes the result there in
** the output format the options ask for. Returns false when the function's result is already
** set: NULL for a NULL argument, or an error. */
static bool check_args(sqlite3_context *ctx, const char *fn, int argc, sqlite3_value **argv,
                       strbuf *out, js_result *r) {
    if (strata_any_null(2, argv)) /* a NULL options argument means the defaults */
        return false;
    js_options opts;
    js_schema *s = schema_arg(ctx, fn, argc, argv, &opts);
    if (s == NULL)
        return false;
    strbuf buf;
    strbuf_init(&buf);
    const char *doc, *why = NULL;
    char problem[JS_ERR_SIZE];
    size_t len;
    int rc = js_value_json(argv[1], &buf, &doc, &len, &why);
    if (rc == SQLITE_OK && out)
        *r = js_check_output(s, doc, len, opts.output, out, problem, sizeof problem);
    else if (rc == SQLITE_OK)
        *r = js_check(s, doc, len, NULL, problem, sizeof problem);
    else
        *r = JS_BAD_DOCUMENT; /* malformed JSONB; why says how */
    strbuf_free(&buf);
    if (rc == SQLITE_MISMATCH && out)
        js_write_document_error(opts.output, why, out);
    if (rc == SQLITE_NOMEM || (out && out->failed)) {
        sqlite3_result_error_nomem(ctx);
        return false;
    }
    if (*r == JS_FAILED) {
        strata_result_error(ctx, fn, "%s", problem);
        return false;
    }
    return true;
}

static void matches_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    js_result r;
    if (check_args(ctx, "jsonschema_matches", argc, argv, NULL, &r))
        sqlite3_result_int(ctx, r == JS_VALID);
}

static void validate_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    strbuf out;
    strbuf_init(&out);
    js_result r;
    /* An empty result is the error list of a valid document: NULL. */
    if (check_args(ctx, "jsonschema_validate", argc, argv, &out, &r) && out.len > 0) {
        size_t n;
        char *text = strbuf_take(&out, &n);
        if (text == NULL)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_text64(ctx, text, n, free, SQLITE_UTF8);
    }
    strbuf_free(&out);
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

/* Sets jsonschema_valid_schema's result for the schema text[0..len). */
static void valid_schema(sqlite3_context *ctx, js_conn *c, const char *text, size_t len,
                         const js_options *opts) {
    char *err = NULL;
    /* First: does it compile (refs resolve, patterns compile, keyword types)? */
    js_schema *s = js_conn_schema(c, text, len, opts, &err);
    if (s == NULL) {
        sqlite3_free(err);
        sqlite3_result_int(ctx, 0);
        return;
    }
    /* Then: does it validate against its meta-schema? */
    char *uri = meta_uri(text, len, opts);
    if (uri == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    strbuf ref;
    strbuf_init(&ref);
    strbuf_append_str(&ref, "{\"$ref\":");
    strbuf_append_json_string(&ref, uri, strlen(uri));
    strbuf_append_char(&ref, '}');
    js_options mopts = {js_draft_parse(uri, strlen(uri)), JS_FORMAT_ANNOTATE, JS_CONTENT_ANNOTATE,
                        JS_OUTPUT_LIST};
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
    char problem[JS_ERR_SIZE];
    js_result r = js_check(meta, text, len, NULL, problem, sizeof problem);
    if (r == JS_FAILED)
        strata_result_error(ctx, "jsonschema_valid_schema", "%s", problem);
    else
        sqlite3_result_int(ctx, r == JS_VALID);
}

static void valid_schema_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    js_options opts;
    char *err = NULL;
    if (js_read_options(argc > 1 ? argv[1] : NULL, &opts, &err) != SQLITE_OK) {
        raise_error(ctx, "jsonschema_valid_schema", err);
        return;
    }
    if (opts.output != JS_OUTPUT_LIST) {
        strata_result_error(ctx, "jsonschema_valid_schema",
                            "option \"output\" is for jsonschema_validate");
        return;
    }
    strbuf buf;
    strbuf_init(&buf);
    const char *text, *why;
    size_t len;
    int rc = js_value_json(argv[0], &buf, &text, &len, &why);
    if (rc == SQLITE_OK)
        valid_schema(ctx, sqlite3_user_data(ctx), text, len, &opts);
    else if (rc == SQLITE_MISMATCH)
        sqlite3_result_int(ctx, 0); /* malformed JSONB is no schema */
    else
        sqlite3_result_error_nomem(ctx);
    strbuf_free(&buf);
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
