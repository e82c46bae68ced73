/*
** ext/embed (remote): the wire formats of embedding HTTP APIs (see remote_providers.h).
** Shapes: the project's reference notes on embedding providers (shared/notes/embed.md, section 2)
** and each provider's API reference.
*/
#include "embed/remote_providers.h"
#include "common/strbuf.h"
#include "embed/remote_base64.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rembed_format FORMATS[] = {
    {"openai", "https://api.openai.com/v1/embeddings", "OPENAI_API_KEY", 2048, true,
     REMBED_LAYOUT_LIST, REMBED_AUTH_BEARER, "input", NULL, NULL, "dimensions", "encoding_format",
     false},
    {"nomic", "https://api-atlas.nomic.ai/v1/embedding/text", "NOMIC_API_KEY", 256, true,
     REMBED_LAYOUT_LIST, REMBED_AUTH_BEARER, "texts", "task_type", NULL, "dimensionality", NULL,
     false},
    {"cohere", "https://api.cohere.com/v2/embed", "CO_API_KEY", 96, true, REMBED_LAYOUT_LIST,
     REMBED_AUTH_BEARER, "texts", "input_type", "search_document", "output_dimension",
     "embedding_types", true},
    {"jina", "https://api.jina.ai/v1/embeddings", "JINA_API_KEY", 2048, true, REMBED_LAYOUT_LIST,
     REMBED_AUTH_BEARER, "input", "task", NULL, "dimensions", "embedding_type", false},
    {"mixedbread", "https://api.mixedbread.com/v1/embeddings", "MIXEDBREAD_API_KEY", 256, true,
     REMBED_LAYOUT_LIST, REMBED_AUTH_BEARER, "input", NULL, NULL, "dimensions", "encoding_format",
     false},
    {"ollama", "http://localhost:11434/api/embed", NULL, 512, true, REMBED_LAYOUT_LIST,
     REMBED_AUTH_BEARER, "input", NULL, NULL, "dimensions", NULL, false},
    {"llamafile", "http://localhost:8080/embedding", NULL, 1, false, REMBED_LAYOUT_SINGLE,
     REMBED_AUTH_BEARER, "content", NULL, NULL, NULL, NULL, false},
    {"voyage", "https://api.voyageai.com/v1/embeddings", "VOYAGE_API_KEY", 128, true,
     REMBED_LAYOUT_LIST, REMBED_AUTH_BEARER, "input", "input_type", NULL, "output_dimension",
     "encoding_format", false},
    {"gemini", "https://generativelanguage.googleapis.com/v1beta/models/{model}:batchEmbedContents",
     "GEMINI_API_KEY", 100, true, REMBED_LAYOUT_GEMINI, REMBED_AUTH_GOOG, NULL, "taskType", NULL,
     "outputDimensionality", NULL, false},
    {"mistral", "https://api.mistral.ai/v1/embeddings", "MISTRAL_API_KEY", 512, true,
     REMBED_LAYOUT_LIST, REMBED_AUTH_BEARER, "input", NULL, NULL, "output_dimension",
     "encoding_format", false},
    {"llamacpp", "http://localhost:8080/v1/embeddings", NULL, 64, false, REMBED_LAYOUT_LIST,
     REMBED_AUTH_BEARER, "input", NULL, NULL, NULL, "encoding_format", false},
};

#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

/* Ollama's legacy endpoint /api/embeddings, which sqlite-rembed's ollama client calls: one
** {"model", "prompt"} per request, {"embedding": [...]} back, no dimensions. */
static const rembed_format OLLAMA_LEGACY = {"ollama",
                                            "http://localhost:11434/api/embeddings",
                                            NULL,
                                            1,
                                            true,
                                            REMBED_LAYOUT_SINGLE,
                                            REMBED_AUTH_BEARER,
                                            "prompt",
                                            NULL,
                                            NULL,
                                            NULL,
                                            NULL,
                                            false};

/* True when the path of url (before any query or fragment) ends with suffix. */
static bool path_ends_with(const char *url, const char *suffix) {
    size_t n = strcspn(url, "?#"), k = strlen(suffix);
    return n >= k && strncmp(url + n - k, suffix, k) == 0;
}

const rembed_format *rembed_format_for_url(const rembed_format *f, const char *url) {
    if (f == NULL || strcmp(f->name, "ollama") != 0)
        return f;
    bool legacy = url != NULL && path_ends_with(url, "/api/embeddings");
    return legacy ? &OLLAMA_LEGACY : rembed_format_find("ollama");
}

bool rembed_format_is_legacy(const rembed_format *f) {
    return f == &OLLAMA_LEGACY;
}

const rembed_format *rembed_format_find(const char *name) {
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < N_FORMATS; i++)
        if (strcmp(FORMATS[i].name, name) == 0)
            return &FORMATS[i];
    return NULL;
}

const char *rembed_format_names(void) {
    return "openai, nomic, cohere, jina, mixedbread, ollama, llamafile, voyage, gemini, mistral, "
           "llamacpp";
}

/* ---- request bodies ------------------------------------------------------------------------ */

/* A JSON string literal node for s[0..n), NUL bytes included (cJSON strings stop at NUL). */
static cJSON *raw_string(const char *s, size_t n) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append_json_string(&sb, s, n);
    char *lit = strbuf_take(&sb, NULL);
    if (lit == NULL)
        return NULL;
    cJSON *node = cJSON_CreateRaw(lit);
    free(lit);
    return node;
}

/* Adds item to obj under name, replacing a member of that name; frees item on failure. */
static bool set_member(cJSON *obj, const char *name, cJSON *item) {
    if (item == NULL)
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    if (!cJSON_AddItemToObject(obj, name, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool merge_extra(cJSON *obj, const cJSON *extra) {
    if (extra == NULL)
        return true;
    for (const cJSON *m = extra->child; m != NULL; m = m->next)
        if (!set_member(obj, m->string, cJSON_Duplicate(m, 1)))
            return false;
    return true;
}

/* The task, dimensions and model fields every layout shares. */
static bool add_common(const rembed_format *f, const rembed_request *req, cJSON *obj,
                       const char *model) {
    bool ok = true;
    if (model != NULL)
        ok = ok && set_member(obj, "model", cJSON_CreateString(model));
    const char *task = req->input_type ? req->input_type : f->default_task;
    if (task != NULL && f->task_field != NULL)
        ok = ok && set_member(obj, f->task_field, cJSON_CreateString(task));
    if (req->dimensions > 0 && f->dims_field != NULL)
        ok = ok && set_member(obj, f->dims_field, cJSON_CreateNumber(req->dimensions));
    return ok;
}

static bool add_encoding(const rembed_format *f, const rembed_request *req, cJSON *obj) {
    if (f->encoding_field == NULL)
        return true;
    const char *enc = req->base64 ? "base64" : "float";
    if (f->encoding_list) {
        cJSON *list = cJSON_CreateArray();
        if (list == NULL)
            return false;
        cJSON *s = cJSON_CreateString(enc);
        if (s == NULL || !cJSON_AddItemToArray(list, s)) {
            cJSON_Delete(s);
            cJSON_Delete(list);
            return false;
        }
        return set_member(obj, f->encoding_field, list);
    }
    /* Voyage's encoding_format knows only null and "base64": send it only when wanted. */
    if (!req->base64)
        return true;
    return set_member(obj, f->encoding_field, cJSON_CreateString(enc));
}

static bool add_texts(cJSON *list, const char *const *texts, const size_t *lens, int n) {
    for (int i = 0; i < n; i++) {
        cJSON *s = raw_string(texts[i], lens[i]);
        if (s == NULL || !cJSON_AddItemToArray(list, s)) {
            cJSON_Delete(s);
            return false;
        }
    }
    return true;
}

static bool gemini_requests(const rembed_format *f, const rembed_request *req, cJSON *root,
                            const char *const *texts, const size_t *lens, int n) {
    cJSON *list = cJSON_CreateArray();
    if (list == NULL || !set_member(root, "requests", list))
        return false;
    char model[512];
    const char *m = req->model ? req->model : "";
    snprintf(model, sizeof model, "%s%s", strncmp(m, "models/", 7) == 0 ? "" : "models/", m);
    for (int i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        if (r == NULL || !cJSON_AddItemToArray(list, r)) {
            cJSON_Delete(r);
            return false;
        }
        cJSON *content = cJSON_CreateObject(), *parts = cJSON_CreateArray(),
              *part = cJSON_CreateObject();
        bool ok = content && parts && part && add_common(f, req, r, model) &&
                  set_member(part, "text", raw_string(texts[i], lens[i]));
        if (ok && cJSON_AddItemToArray(parts, part)) {
            part = NULL;
            if (set_member(content, "parts", parts)) {
                parts = NULL;
                ok = set_member(r, "content", content);
                content = NULL;
            } else
                ok = false;
        } else
            ok = false;
        cJSON_Delete(part);
        cJSON_Delete(parts);
        cJSON_Delete(content);
        if (!ok || !merge_extra(r, req->extra))
            return false;
    }
    return true;
}

char *rembed_format_body(const rembed_format *f, const rembed_request *req,
                         const char *const *texts, const size_t *lens, int n, char *err,
                         size_t errlen) {
    if (n < 1 || n > f->max_batch || n > REMBED_MAX_BATCH) {
        snprintf(err, errlen, "%d inputs in one request (the %s limit is %d)", n, f->name,
                 f->max_batch);
        return NULL;
    }
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && f->layout == REMBED_LAYOUT_GEMINI) {
        ok = gemini_requests(f, req, root, texts, lens, n);
    } else if (ok && f->layout == REMBED_LAYOUT_SINGLE) {
        ok = add_common(f, req, root, req->model) &&
             set_member(root, f->inputs_field, raw_string(texts[0], lens[0])) &&
             merge_extra(root, req->extra);
    } else if (ok) {
        cJSON *list = cJSON_CreateArray();
        ok = add_common(f, req, root, req->model) && list != NULL &&
             set_member(root, f->inputs_field, list) && add_texts(list, texts, lens, n) &&
             add_encoding(f, req, root) && merge_extra(root, req->extra);
    }
    char *body = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (body == NULL)
        snprintf(err, errlen, "out of memory building the request");
    return body;
}

size_t rembed_text_json_bytes(const char *text, size_t n) {
    /* As strbuf_append_json_string escapes: two-character escapes for these, \u00XX for the
    ** other control characters, every other byte as it is. */
    size_t bytes = n + 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
            bytes += 1;
        else if (c < 0x20)
            bytes += 5;
    }
    return bytes;
}

char *rembed_format_url(const rembed_format *f, const char *url, const char *model) {
    if (url == NULL)
        url = f->url;
    const char *hole = strstr(url, "{model}");
    if (hole == NULL)
        return strdup(url);
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, url, (size_t)(hole - url));
    strbuf_append_str(&sb, model ? model : "");
    strbuf_append_str(&sb, hole + 7);
    return strbuf_take(&sb, NULL);
}

/* ---- responses ----------------------------------------------------------------------------- */

typedef struct parse_state {
    rembed_vectors *out;
    int n;
    char *err;
    size_t errlen;
} parse_state;

/* Stores one embedding (a number array or a base64 string) at row i. */
static int store_vector(parse_state *ps, int i, const cJSON *v) {
    rembed_vectors *out = ps->out;
    if (i < 0 || i >= ps->n) {
        snprintf(ps->err, ps->errlen, "embedding index %d out of range (%d inputs)", i, ps->n);
        return -1;
    }
    if (cJSON_IsArray(v) && cJSON_IsArray(v->child)) {
        /* llama.cpp /embedding: [[...]] is one pooled row; more rows are per-token vectors. */
        if (v->child->next != NULL) {
            snprintf(ps->err, ps->errlen,
                     "response holds per-token embeddings (pooling none); ask for pooled ones");
            return -1;
        }
        v = v->child;
    }
    float *row;
    int dim;
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        size_t len = strlen(s), cap = rembed_base64_max_floats(len);
        if (cap > REMBED_MAX_DIM)
            cap = REMBED_MAX_DIM + 1;
        float *tmp = malloc(cap * sizeof(float));
        if (tmp == NULL) {
            snprintf(ps->err, ps->errlen, "out of memory");
            return -1;
        }
        long got = rembed_base64_floats(s, len, tmp, cap);
        if (got < 0) {
            free(tmp);
            snprintf(ps->err, ps->errlen, "embedding %d is not valid base64 float32", i);
            return -1;
        }
        dim = (int)got;
        row = tmp;
    } else if (cJSON_IsArray(v)) {
        int cnt = cJSON_GetArraySize(v);
        row = malloc((cnt > 0 ? (size_t)cnt : 1) * sizeof(float));
        if (row == NULL) {
            snprintf(ps->err, ps->errlen, "out of memory");
            return -1;
        }
        int k = 0;
        for (const cJSON *x = v->child; x != NULL; x = x->next, k++) {
            if (!cJSON_IsNumber(x)) {
                free(row);
                snprintf(ps->err, ps->errlen, "embedding %d holds a non-numeric value", i);
                return -1;
            }
            row[k] = (float)x->valuedouble;
        }
        dim = cnt;
    } else {
        snprintf(ps->err, ps->errlen, "embedding %d is neither a number array nor base64", i);
        return -1;
    }
    /* A number past float range (1e39) became inf above; base64 may spell NaN or inf. */
    for (int k = 0; k < dim; k++) {
        if (!isfinite(row[k])) {
            free(row);
            snprintf(ps->err, ps->errlen, "embedding %d holds a value that is not a finite float32",
                     i);
            return -1;
        }
    }
    if (dim < 1 || dim > REMBED_MAX_DIM) {
        free(row);
        snprintf(ps->err, ps->errlen, "embedding %d has %d dimensions", i, dim);
        return -1;
    }
    if (out->data == NULL) {
        out->dim = dim;
        out->data = calloc((size_t)ps->n * (size_t)dim, sizeof(float));
        if (out->data == NULL) {
            free(row);
            snprintf(ps->err, ps->errlen, "out of memory");
            return -1;
        }
    } else if (dim != out->dim) {
        free(row);
        snprintf(ps->err, ps->errlen, "embedding %d has %d dimensions, embedding 0 had %d", i, dim,
                 out->dim);
        return -1;
    }
    memcpy(out->data + (size_t)i * (size_t)dim, row, (size_t)dim * sizeof(float));
    free(row);
    return 0;
}

/* Walks a list of embeddings; member picks the vector inside an item (NULL: the item itself);
** items carrying an integer "index" are placed there. */
static int store_list(parse_state *ps, const cJSON *list, const char *member, bool *seen) {
    int count = cJSON_GetArraySize(list);
    if (count != ps->n) {
        snprintf(ps->err, ps->errlen, "response holds %d embeddings for %d inputs", count, ps->n);
        return -1;
    }
    int i = 0;
    for (const cJSON *item = list->child; item != NULL; item = item->next, i++) {
        const cJSON *v = item;
        int at = i;
        if (member != NULL) {
            v = cJSON_GetObjectItemCaseSensitive(item, member);
            const cJSON *idx = cJSON_GetObjectItemCaseSensitive(item, "index");
            if (cJSON_IsNumber(idx))
                at = idx->valueint;
        }
        if (v == NULL) {
            snprintf(ps->err, ps->errlen, "item %d of the response has no \"%s\"", i,
                     member ? member : "embedding");
            return -1;
        }
        if (at >= 0 && at < ps->n && seen[at]) {
            snprintf(ps->err, ps->errlen, "embedding index %d appears twice", at);
            return -1;
        }
        if (store_vector(ps, at, v) != 0)
            return -1;
        seen[at] = true;
    }
    return 0;
}

/* Gemini: embeddings[i] = {"values": [...]}. */
static int store_values_list(parse_state *ps, const cJSON *list, bool *seen) {
    if (list->child != NULL && cJSON_IsObject(list->child))
        return store_list(ps, list, "values", seen);
    return store_list(ps, list, NULL, seen);
}

static long long usage_tokens(const cJSON *root) {
    static const char *const paths[][3] = {{"usage", "total_tokens", NULL},
                                           {"usage", "prompt_tokens", NULL},
                                           {"meta", "billed_units", "input_tokens"},
                                           {"prompt_eval_count", NULL, NULL}};
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        const cJSON *node = root;
        for (int k = 0; k < 3 && paths[p][k] != NULL && node != NULL; k++)
            node = cJSON_GetObjectItemCaseSensitive(node, paths[p][k]);
        if (!cJSON_IsNumber(node) || !(node->valuedouble >= 0))
            continue;
        /* A provider may claim any number (1e19, 1e999 parsed as infinity): converting one
        ** past the range of long long is undefined, so it saturates. */
        if (node->valuedouble >= 9223372036854775807.0)
            return LLONG_MAX;
        return (long long)node->valuedouble;
    }
    return 0;
}

static int parse_root(parse_state *ps, const cJSON *root, bool *seen) {
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *embs = cJSON_GetObjectItemCaseSensitive(root, "embeddings");
    const cJSON *emb = cJSON_GetObjectItemCaseSensitive(root, "embedding");
    if (cJSON_IsArray(root))
        return store_list(ps, root, "embedding", seen);
    if (cJSON_IsArray(data))
        return store_list(ps, data, "embedding", seen);
    if (cJSON_IsArray(embs))
        return store_values_list(ps, embs, seen);
    if (cJSON_IsObject(embs)) {
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(embs, "float");
        if (!cJSON_IsArray(fl))
            fl = cJSON_GetObjectItemCaseSensitive(embs, "base64");
        if (cJSON_IsArray(fl))
            return store_list(ps, fl, NULL, seen);
    }
    if (emb != NULL && ps->n == 1) {
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(emb, "values");
        return store_vector(ps, 0, values ? values : emb);
    }
    snprintf(ps->err, ps->errlen,
             "response has no embeddings (expected data, embeddings or "
             "embedding)");
    return -1;
}

int rembed_format_parse(const char *body, size_t len, int n, rembed_vectors *out, char *err,
                        size_t errlen) {
    memset(out, 0, sizeof *out);
    if (n < 1 || n > REMBED_MAX_BATCH) {
        snprintf(err, errlen, "bad input count %d", n);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        snprintf(err, errlen, "response is not valid JSON");
        return -1;
    }
    bool *seen = calloc((size_t)n, sizeof(bool));
    parse_state ps = {out, n, err, errlen};
    int rc = seen ? parse_root(&ps, root, seen) : -1;
    if (seen == NULL)
        snprintf(err, errlen, "out of memory");
    if (rc == 0)
        out->tokens = usage_tokens(root);
    if (rc == 0)
        out->count = n;
    free(seen);
    cJSON_Delete(root);
    if (rc != 0) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- error bodies -------------------------------------------------------------------------- */

static const char *error_message(const cJSON *root) {
    if (!cJSON_IsObject(root))
        return NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e))
        e = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(e))
        return e->valuestring;
    static const char *const names[] = {"message", "detail", "msg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, names[i]);
        if (cJSON_IsString(m))
            return m->valuestring;
    }
    return NULL;
}

void rembed_format_error_text(const char *body, size_t len, const char *secret, char *out,
                              size_t outlen, size_t max) {
    if (outlen == 0)
        return;
    out[0] = '\0';
    /* Only the message of an error JSON is quoted, never the body as such: a client may point
    ** at any host, and echoing its pages would let SQL read internal services. */
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const char *src = error_message(root);
    size_t srclen = src ? strlen(src) : 0;
    size_t slen = secret ? strlen(secret) : 0;
    size_t o = 0, i = 0;
    if (max > outlen - 1)
        max = outlen - 1;
    while (i < srclen && o < max) {
        if (slen > 0 && srclen - i >= slen && memcmp(src + i, secret, slen) == 0) {
            for (const char *r = "***"; *r && o < max; r++)
                out[o++] = *r;
            i += slen;
            continue;
        }
        unsigned char c = (unsigned char)src[i++];
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    /* Cutting may split a UTF-8 sequence: drop a dangling lead or continuation bytes. */
    if (i < srclen) {
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0)
            o--;
        if (o + 3 <= outlen - 1) {
            memcpy(out + o, "...", 3);
            o += 3;
        }
    }
    out[o] = '\0';
    cJSON_Delete(root);
}
