/*
** ext/embed: SQL binding of the remote half: embeddings from HTTP APIs.
**
**   rembed(client, text [, input_type])   float32 BLOB, subtype 223
**   rembed_client_options(k, v, ...)      options for temp.rembed_clients
**   rembed_usage(client)                  JSON counters of a client
**   rembed_version(), rembed_debug()
**
** temp.rembed_clients lives in remote_clients_sql.c, rembed_each in remote_each_sql.c. Every
** function that registers clients or calls the network is SQLITE_DIRECTONLY: a view or trigger
** in an untrusted database cannot spend the API budget.
*/
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "common/version.h"
#include "embed/remote_cancel_sql.h"
#include "embed/remote_sql.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static rembed_client *lookup(sqlite3_context *ctx, const char *fn, sqlite3_value *name) {
    rembed_registry *r = sqlite3_user_data(ctx);
    const char *z = (const char *)sqlite3_value_text(name);
    if (z == NULL) {
        strata_result_error(ctx, fn, "client name must not be NULL");
        return NULL;
    }
    int i = rembed_registry_find(r, z, 0);
    if (i < 0) {
        strata_result_error(ctx, fn, "unknown client '%.100s' (register it in temp.rembed_clients)",
                            z);
        return NULL;
    }
    return r->entries[i].client;
}

/* rembed(client, text [, input_type]) */
static void rembed_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    rembed_client *c = lookup(ctx, "rembed", argv[0]);
    if (c == NULL)
        return;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return; /* NULL text, NULL embedding */
    char err[REMBED_ERR_SIZE];
    /* Refused before SQLite copies a huge BLOB (zeroblob(50000000)) into text. */
    size_t bytes = (size_t)sqlite3_value_bytes(argv[1]);
    if (bytes > REMBED_MAX_REQUEST_BYTES) {
        rembed_client_text_too_large(c, bytes, err, sizeof err);
        strata_result_error(ctx, "rembed", "%s", err);
        return;
    }
    const char *text = (const char *)sqlite3_value_text(argv[1]);
    if (text == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t len = (size_t)sqlite3_value_bytes(argv[1]);
    const char *input_type = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
    rembed_vectors out;
    rembed_interrupt cancel;
    rembed_interrupt_init(&cancel, sqlite3_context_db_handle(ctx));
    int rc =
        rembed_client_embed(c, &text, &len, 1, input_type, &cancel.cancel, &out, err, sizeof err);
    if (rc != 0) {
        strata_result_error(ctx, "rembed", "%s", err);
        if (rc == REMBED_CANCELLED)
            sqlite3_result_error_code(ctx, SQLITE_INTERRUPT); /* keeps the message */
        return;
    }
    sqlite3_result_blob64(ctx, out.data, (sqlite3_uint64)out.dim * sizeof(float), SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, STRATA_SUBTYPE_F32);
    free(out.data);
}

static void free_text(void *p) {
    free(p);
}

/* rembed_client_options(k1, v1, ...): checks the options and returns them as a JSON object for
** temp.rembed_clients. (sqlite-rembed returns a pointer value; SQLite drops pointers on the way
** into an UPDATE of a virtual table, so text it is. The table never shows the key again.) */
static void client_options_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    const char *fn = "rembed_client_options";
    if (argc == 0 || argc % 2 != 0) {
        strata_result_error(ctx, fn, "expected key/value pairs, got %d arguments", argc);
        return;
    }
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    rembed_config check;
    rembed_config_init(&check);
    char err[REMBED_ERR_SIZE];
    for (int i = 0; i < argc; i += 2) {
        const char *k = (const char *)sqlite3_value_text(argv[i]);
        const char *v = (const char *)sqlite3_value_text(argv[i + 1]);
        if (k == NULL || v == NULL) {
            strata_result_error(ctx, fn, "option %s is NULL", k == NULL ? "name" : "value");
            goto done;
        }
        if (rembed_config_set(&check, k, v, err, sizeof err) != 0) {
            strata_result_error(ctx, fn, "%s", err);
            goto done;
        }
        bool is_object = strcmp(k, "headers") == 0 || strcmp(k, "extra") == 0;
        cJSON *item = is_object ? cJSON_Parse(v) : cJSON_CreateString(v);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
        if (item == NULL || !cJSON_AddItemToObject(obj, k, item)) {
            cJSON_Delete(item);
            sqlite3_result_error_nomem(ctx);
            goto done;
        }
    }
    char *json = cJSON_PrintUnformatted(obj);
    if (json == NULL)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, json, -1, free_text);
done:
    for (cJSON *m = obj->child; m != NULL; m = m->next)
        if (cJSON_IsString(m))
            memset(m->valuestring, 0, strlen(m->valuestring));
    cJSON_Delete(obj);
    rembed_config_free(&check);
}

/* rembed_usage(client): {"requests", "inputs", "tokens", "retries", "errors"} */
static void usage_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    rembed_client *c = lookup(ctx, "rembed_usage", argv[0]);
    if (c == NULL)
        return;
    const rembed_usage *u = &c->usage;
    char *json = sqlite3_mprintf(
        "{\"requests\":%lld,\"inputs\":%lld,\"tokens\":%lld,\"retries\":%lld,\"errors\":%lld}",
        u->requests, u->inputs, u->tokens, u->retries, u->errors);
    if (json == NULL)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_result_text(ctx, "v" STRATA_VERSION, -1, SQLITE_STATIC);
}

static void debug_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    char *s =
        sqlite3_mprintf("Version: v%s\nEngine: strata embed (C, libcurl, cJSON %d.%d.%d)\n"
                        "HTTP: %s\nInterrupts: %s",
                        STRATA_VERSION, CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR,
                        CJSON_VERSION_PATCH, rembed_http_describe(), rembed_interrupt_method());
    if (s == NULL)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, s, -1, sqlite3_free);
}

const strata_function rembed_functions[] = {
    {"rembed", 2, STRATA_DIRECT | SQLITE_RESULT_SUBTYPE, rembed_func, NULL},
    {"rembed", 3, STRATA_DIRECT | SQLITE_RESULT_SUBTYPE, rembed_func, NULL},
    {"rembed_client_options", -1, STRATA_DIRECT, client_options_func, NULL},
    {"rembed_usage", 1, STRATA_DIRECT, usage_func, NULL},
    {"rembed_version", 0, STRATA_PURE, version_func, NULL},
    {"rembed_debug", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, debug_func, NULL},
};
const size_t rembed_nfunctions = STRATA_COUNT(rembed_functions);

const strata_module rembed_modules[] = {
    {"rembed_clients", &rembed_clients_module, NULL},
    {"rembed_each", &rembed_each_module, NULL},
};
const size_t rembed_nmodules = STRATA_COUNT(rembed_modules);
