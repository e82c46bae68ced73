/*
** ext/embed: SQL binding of the local half: scalar functions over models registered
** in temp.lembed_models. Compatible with sqlite-lembed: lembed(), lembed_model_from_file(),
** lembed_tokenize_json(), lembed_token_to_piece(); beyond it: lembed_detokenize(), exact name
** matching, lembed_each() and lembed_chunks() (local_each_sql.c).
*/
#include "common/error_sql.h"
#include "common/strbuf.h"
#include "common/version.h"
#include "embed/local_bert.h"
#include "embed/local_registry.h"
#include "embed/local_matmul.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void model_from_file_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    const char *path = (const char *)sqlite3_value_text(argv[0]);
    if (!path) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    char *copy = sqlite3_mprintf("%s", path);
    if (!copy) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_pointer(ctx, copy, LEMBED_PATH_POINTER, sqlite3_free);
}

/* lembed_model_options(k, v, ...) and lembed_context_options(k, v, ...): sqlite-lembed's option
** pointers. Context options become our JSON options ("n_ctx" is "max_tokens"); "seed" and the
** RoPE settings do not apply to BERT encoders and are accepted for compatibility. Unknown keys
** are errors (sqlite-lembed aborted the process). */
static void options_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    bool context = sqlite3_user_data(ctx) != NULL;
    const char *fn = context ? "lembed_context_options" : "lembed_model_options";
    if (argc % 2) {
        strata_result_error(ctx, fn, "expected key/value pairs (an even number of arguments)");
        return;
    }
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '{');
    for (int i = 0; i < argc; i += 2) {
        const char *k = (const char *)sqlite3_value_text(argv[i]);
        if (!k)
            k = "";
        if (context && strcmp(k, "n_ctx") == 0) {
            if (sqlite3_value_numeric_type(argv[i + 1]) != SQLITE_INTEGER ||
                sqlite3_value_int64(argv[i + 1]) < 2 ||
                sqlite3_value_int64(argv[i + 1]) > 1000000000) {
                strbuf_free(&sb);
                strata_result_error(ctx, fn, "n_ctx must be an integer of at least 2");
                return;
            }
            strbuf_appendf(&sb, "%s\"max_tokens\":%lld", sb.len > 1 ? "," : "",
                           (long long)sqlite3_value_int64(argv[i + 1]));
        } else if (!(context && (strcmp(k, "seed") == 0 || strcmp(k, "rope_scaling_type") == 0 ||
                                 strcmp(k, "rope_freq_scale") == 0)) &&
                   !(!context && strcmp(k, "n_gpu_layers") == 0)) {
            strbuf_free(&sb);
            strata_result_error(ctx, fn, "unknown option '%s' (known: %s)", k,
                                context ? "seed, n_ctx, rope_scaling_type, rope_freq_scale"
                                        : "n_gpu_layers");
            return;
        }
    }
    strbuf_append_char(&sb, '}');
    size_t len;
    char *json = strbuf_take(&sb, &len);
    char *copy = json ? sqlite3_mprintf("%s", json) : NULL;
    free(json);
    if (!copy) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_pointer(ctx, copy,
                           context ? LEMBED_CONTEXT_OPTIONS_POINTER : LEMBED_MODEL_OPTIONS_POINTER,
                           sqlite3_free);
}

/* lembed_version() and lembed_debug(), as in sqlite-lembed. */
static void version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (sqlite3_user_data(ctx))
        sqlite3_result_text(ctx, "v" STRATA_VERSION, -1, SQLITE_STATIC);
    else {
        char *s = sqlite3_mprintf("Version: v%s\nEngine: strata (no llama.cpp)\nKernels: %s",
                                  STRATA_VERSION, lembed_kernels_name());
        if (!s)
            sqlite3_result_error_nomem(ctx);
        else
            sqlite3_result_text(ctx, s, -1, sqlite3_free);
    }
}

static void lembed_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_value *text = argv[argc - 1];
    if (sqlite3_value_type(text) == SQLITE_NULL)
        return;
    lembed_model *m;
    if (argc == 1) {
        lembed_registry *r = sqlite3_user_data(ctx);
        lembed_entry *e = lembed_registry_find(r, "default");
        if (!e) {
            strata_result_error(ctx, "lembed",
                                "no model named 'default' (register one with INSERT INTO "
                                "temp.lembed_models(name, model) VALUES ('default', "
                                "lembed_model_from_file('path')))");
            return;
        }
        m = e->ref->model;
    } else if (!(m = lembed_lookup(ctx, "lembed", argv[0])))
        return;
    const char *z = (const char *)sqlite3_value_text(text);
    if (!z) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t n = (size_t)sqlite3_value_bytes(text);
    float *out = sqlite3_malloc64((uint64_t)m->dims * sizeof(float));
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    char err[LEMBED_ERR_SIZE];
    if (lembed_model_embed(m, z, n, out, err, sizeof(err)) != 0)
        strata_result_error(ctx, "lembed", "%s", err);
    else
        lembed_result_vector(ctx, out, m->dims);
    sqlite3_free(out);
}

/* The model named by argv[0] of a function whose argv[1] is its input: NULL when that input is
** NULL (the result is NULL) or the model is unknown (the result is the error). */
static lembed_model *model_arg(sqlite3_context *ctx, const char *fn, sqlite3_value **argv) {
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return NULL;
    return lembed_lookup(ctx, fn, argv[0]);
}

static void tokenize_json_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    lembed_model *m = model_arg(ctx, "lembed_tokenize_json", argv);
    if (!m)
        return;
    const char *z = (const char *)sqlite3_value_text(argv[1]);
    if (!z) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    char err[LEMBED_ERR_SIZE];
    /* Not truncated: callers use this to see how long a text really is. */
    if (lembed_model_tokenize(m, z, (size_t)sqlite3_value_bytes(argv[1]), SIZE_MAX, &m->toks, err,
                              sizeof(err)) != 0) {
        strata_result_error(ctx, "lembed_tokenize_json", "%s", err);
        return;
    }
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append_char(&sb, '[');
    for (size_t i = 0; i < m->toks.count; i++)
        strbuf_appendf(&sb, i ? ",%d" : "%d", (int)m->toks.ids[i]);
    strbuf_append_char(&sb, ']');
    size_t len;
    char *json = strbuf_take(&sb, &len);
    if (!json) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, json, (int)len, free);
    sqlite3_result_subtype(ctx, 'J');
}

static void token_to_piece_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    lembed_model *m = model_arg(ctx, "lembed_token_to_piece", argv);
    if (!m)
        return;
    if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER) {
        strata_result_error(ctx, "lembed_token_to_piece", "the token id must be an integer");
        return;
    }
    sqlite3_int64 id = sqlite3_value_int64(argv[1]);
    size_t len;
    const char *p = lembed_model_piece(m, id, &len);
    if (!p) {
        strata_result_error(ctx, "lembed_token_to_piece", "token id %lld is out of range",
                            (long long)id);
        return;
    }
    sqlite3_result_text(ctx, p, (int)len, SQLITE_TRANSIENT);
}

/* lembed_token_score(model, id), as in sqlite-lembed: the vocabulary score of a token. */
static void token_score_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    lembed_model *m = model_arg(ctx, "lembed_token_score", argv);
    if (!m)
        return;
    if (m->kind != LEMBED_KIND_BERT) {
        strata_result_error(ctx, "lembed_token_score",
                            "static word-vector models have no token scores");
        return;
    }
    sqlite3_int64 id = sqlite3_value_int64(argv[1]);
    double score;
    if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER ||
        !lembed_bert_token_score(m->bert, id, &score)) {
        strata_result_error(ctx, "lembed_token_score", "bad or out-of-range token id");
        return;
    }
    sqlite3_result_double(ctx, score);
}

/* Joins pieces the way Hugging Face's WordPiece decoder does: "##" pieces glue to the previous
** one, others are separated by a space; control tokens ([CLS], [SEP], [PAD]) are skipped. */
static void detokenize_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    lembed_model *m = model_arg(ctx, "lembed_detokenize", argv);
    if (!m)
        return;
    const char *z = (const char *)sqlite3_value_text(argv[1]);
    cJSON *arr = z ? cJSON_Parse(z) : NULL;
    if (!arr || !cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        strata_result_error(ctx, "lembed_detokenize", "expected a JSON array of token ids");
        return;
    }
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "", 0);
    bool first = true;
    for (cJSON *it = arr->child; it; it = it->next) {
        double d = cJSON_IsNumber(it) ? it->valuedouble : -1.5;
        size_t len;
        const char *p = d == (double)(int64_t)d ? lembed_model_piece(m, (int64_t)d, &len) : NULL;
        if (!p) {
            cJSON_Delete(arr);
            strbuf_free(&sb);
            strata_result_error(ctx, "lembed_detokenize", "bad or out-of-range token id in %.60s",
                                z);
            return;
        }
        if (lembed_model_is_control(m, (int64_t)d))
            continue;
        bool cont = m->kind == LEMBED_KIND_BERT && len >= 2 && p[0] == '#' && p[1] == '#';
        if (cont)
            strbuf_append(&sb, p + 2, len - 2);
        else {
            if (!first)
                strbuf_append_char(&sb, ' ');
            strbuf_append(&sb, p, len);
        }
        first = false;
    }
    cJSON_Delete(arr);
    size_t len;
    char *out = strbuf_take(&sb, &len);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, out, (int)len, free);
}

/* Functions whose user data is the connection's model registry. */
const strata_function lembed_functions[] = {
    {"lembed_model_from_file", 1, STRATA_DIRECT, model_from_file_func, NULL},
    {"lembed", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_RESULT_SUBTYPE, lembed_func, NULL},
    {"lembed", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_RESULT_SUBTYPE, lembed_func, NULL},
    {"lembed_tokenize_json", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_RESULT_SUBTYPE,
     tokenize_json_func, NULL},
    {"lembed_token_to_piece", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, token_to_piece_func, NULL},
    {"lembed_detokenize", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, detokenize_func, NULL},
    {"lembed_token_score", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, token_score_func, NULL},
};
const size_t lembed_nfunctions = STRATA_COUNT(lembed_functions);

/* Functions without the registry: their user data tells the variants apart. */
static const int context_flag = 1;
const strata_function lembed_plain_functions[] = {
    {"lembed_model_options", -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, options_func, NULL},
    {"lembed_context_options", -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, options_func, &context_flag},
    {"lembed_version", 0, STRATA_PURE, version_func, &context_flag},
    {"lembed_debug", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, version_func, NULL},
};
const size_t lembed_plain_nfunctions = STRATA_COUNT(lembed_plain_functions);

const strata_module lembed_modules[] = {
    {"lembed_models", &lembed_models_module, NULL},
    {"lembed_each", &lembed_each_module, NULL},
    {"lembed_chunks", &lembed_chunks_module, NULL},
};
const size_t lembed_nmodules = STRATA_COUNT(lembed_modules);
