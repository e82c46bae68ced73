/*
** ext/embed (remote): a client's settings (see remote_config.h).
*/
#include "embed/remote_config.h"
#include "embed/remote_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTION_TEXT 8192
#define MAX_HEADERS 64

void rembed_config_init(rembed_config *c) {
    memset(c, 0, sizeof *c);
    c->timeout_ms = 30000;
    c->connect_timeout_ms = 10000;
    c->deadline_ms = REMBED_DEFAULT_DEADLINE_MS;
    c->max_retries = 3;
    c->retry_base_ms = 500;
}

static void wipe_free(char *s) {
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Header values may hold secrets (api-key headers) too. */
static void wipe_json(cJSON *obj) {
    if (obj == NULL)
        return;
    for (cJSON *m = obj->child; m != NULL; m = m->next)
        if (cJSON_IsString(m) && m->valuestring)
            explicit_bzero(m->valuestring, strlen(m->valuestring));
    cJSON_Delete(obj);
}

void rembed_config_free(rembed_config *c) {
    free(c->model);
    free(c->url);
    wipe_free(c->key);
    free(c->input_type);
    wipe_json(c->headers);
    cJSON_Delete(c->extra);
    rembed_config_init(c);
}

static int set_string(char **slot, const char *name, const char *value, char *err, size_t errlen) {
    size_t n = strlen(value);
    if (n == 0 || n > MAX_OPTION_TEXT) {
        snprintf(err, errlen, "option '%s' must be 1 to %d bytes", name, MAX_OPTION_TEXT);
        return -1;
    }
    char *copy = strdup(value);
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (strcmp(name, "key") == 0)
        wipe_free(*slot);
    else
        free(*slot);
    *slot = copy;
    return 0;
}

static int set_long(long *slot, const char *name, const char *value, long lo, long hi, char *err,
                    size_t errlen) {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < lo || v > hi) {
        snprintf(err, errlen, "option '%s' must be an integer from %ld to %ld, not '%.40s'", name,
                 lo, hi, value);
        return -1;
    }
    *slot = v;
    return 0;
}

static int set_int(int *slot, const char *name, const char *value, long lo, long hi, char *err,
                   size_t errlen) {
    long v;
    if (set_long(&v, name, value, lo, hi, err, errlen) != 0)
        return -1;
    *slot = (int)v;
    return 0;
}

static int set_object(cJSON **slot, const char *name, const char *value, char *err, size_t errlen) {
    cJSON *obj = cJSON_Parse(value);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        snprintf(err, errlen, "option '%s' must be a JSON object", name);
        return -1;
    }
    if (strcmp(name, "headers") == 0)
        wipe_json(*slot);
    else
        cJSON_Delete(*slot);
    *slot = obj;
    return 0;
}

int rembed_config_set(rembed_config *c, const char *name, const char *value, char *err,
                      size_t errlen) {
    if (name == NULL || value == NULL) {
        snprintf(err, errlen, "option names and values must not be NULL");
        return -1;
    }
    if (strcmp(name, "format") == 0) {
        const rembed_format *f = rembed_format_find(value);
        if (f == NULL) {
            snprintf(err, errlen, "unknown format '%.60s' (expected one of %s)", value,
                     rembed_format_names());
            return -1;
        }
        c->format = f;
        return 0;
    }
    if (strcmp(name, "model") == 0)
        return set_string(&c->model, name, value, err, errlen);
    if (strcmp(name, "url") == 0) {
        if (!rembed_http_url_ok(value)) {
            snprintf(err, errlen, "option 'url' must be an http:// or https:// URL");
            return -1;
        }
        if (rembed_http_url_has_userinfo(value)) {
            snprintf(err, errlen,
                     "option 'url' must not carry credentials (user:password@); give the key "
                     "as option 'key' or a header in option 'headers'");
            return -1;
        }
        return set_string(&c->url, name, value, err, errlen);
    }
    if (strcmp(name, "key") == 0) {
        if (strpbrk(value, "\r\n") != NULL) {
            snprintf(err, errlen, "option 'key' must not contain line breaks");
            return -1;
        }
        c->key_from_env = false;
        return set_string(&c->key, name, value, err, errlen);
    }
    if (strcmp(name, "input_type") == 0 || strcmp(name, "task") == 0)
        return set_string(&c->input_type, "input_type", value, err, errlen);
    if (strcmp(name, "dimensions") == 0)
        return set_int(&c->dimensions, name, value, 1, REMBED_MAX_DIM, err, errlen);
    if (strcmp(name, "encoding") == 0) {
        if (strcmp(value, "float") != 0 && strcmp(value, "base64") != 0) {
            snprintf(err, errlen, "option 'encoding' must be 'float' or 'base64'");
            return -1;
        }
        c->base64 = strcmp(value, "base64") == 0;
        return 0;
    }
    if (strcmp(name, "timeout_ms") == 0)
        return set_long(&c->timeout_ms, name, value, 1, REMBED_MAX_TIMEOUT_MS, err, errlen);
    if (strcmp(name, "connect_timeout_ms") == 0)
        return set_long(&c->connect_timeout_ms, name, value, 1, REMBED_MAX_CONNECT_TIMEOUT_MS, err,
                        errlen);
    if (strcmp(name, "deadline_ms") == 0)
        return set_long(&c->deadline_ms, name, value, 1, REMBED_MAX_DEADLINE_MS, err, errlen);
    if (strcmp(name, "max_retries") == 0)
        return set_int(&c->max_retries, name, value, 0, REMBED_MAX_RETRIES, err, errlen);
    if (strcmp(name, "retry_base_ms") == 0)
        return set_long(&c->retry_base_ms, name, value, 0, 60000, err, errlen);
    if (strcmp(name, "batch_size") == 0)
        return set_int(&c->batch_size, name, value, 1, REMBED_MAX_BATCH, err, errlen);
    if (strcmp(name, "headers") == 0 || strcmp(name, "extra") == 0)
        return set_object(strcmp(name, "headers") == 0 ? &c->headers : &c->extra, name, value, err,
                          errlen);
    snprintf(err, errlen,
             "unknown option '%.60s' (expected format, model, url, key, input_type, dimensions, "
             "encoding, timeout_ms, connect_timeout_ms, deadline_ms, max_retries, retry_base_ms, "
             "batch_size, headers, extra)",
             name);
    return -1;
}

/* Replaces header values given as REMBED_REDACTED by old's values. */
static int restore_headers(rembed_config *c, const rembed_config *old, char *err, size_t errlen) {
    if (c->headers == NULL)
        return 0;
    for (cJSON *m = c->headers->child; m != NULL; m = m->next) {
        if (!cJSON_IsString(m) || strcmp(m->valuestring, REMBED_REDACTED) != 0)
            continue;
        const cJSON *prev =
            old && old->headers ? cJSON_GetObjectItemCaseSensitive(old->headers, m->string) : NULL;
        if (!cJSON_IsString(prev)) {
            snprintf(err, errlen, "header '%.60s' is " REMBED_REDACTED " but has no old value",
                     m->string);
            return -1;
        }
        if (cJSON_SetValuestring(m, prev->valuestring) == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int rembed_config_set_json(rembed_config *c, const char *json, const rembed_config *old, char *err,
                           size_t errlen) {
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(err, errlen, "options must be a format name or a JSON object");
        return -1;
    }
    int rc = 0;
    for (const cJSON *m = root->child; m != NULL && rc == 0; m = m->next) {
        /* key_from is what SELECT shows for a key read from the environment: informational. */
        if (cJSON_IsNull(m) || strcmp(m->string, "key_from") == 0)
            continue;
        if (strcmp(m->string, "key") == 0 && cJSON_IsString(m) &&
            strcmp(m->valuestring, REMBED_REDACTED) == 0) {
            if (old == NULL || old->key == NULL || old->key_from_env) {
                snprintf(err, errlen, "key is " REMBED_REDACTED " but there is no old key");
                rc = -1;
            } else {
                rc = rembed_config_set(c, "key", old->key, err, errlen);
            }
            continue;
        }
        char *text = cJSON_IsString(m) ? m->valuestring : cJSON_PrintUnformatted(m);
        if (text == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        rc = rembed_config_set(c, m->string, text, err, errlen);
        if (text != m->valuestring)
            free(text);
    }
    cJSON_Delete(root);
    if (rc == 0)
        rc = restore_headers(c, old, err, errlen);
    return rc;
}

static bool header_name_ok(const char *s) {
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!(*s > 0x20 && *s < 0x7f && *s != ':'))
            return false;
    return true;
}

static int check_headers(const cJSON *headers, char *err, size_t errlen) {
    int n = 0;
    for (const cJSON *m = headers ? headers->child : NULL; m != NULL; m = m->next, n++) {
        if (!header_name_ok(m->string)) {
            snprintf(err, errlen, "header name '%.60s' is not a valid HTTP header name", m->string);
            return -1;
        }
        if (!cJSON_IsString(m) || strpbrk(m->valuestring, "\r\n") != NULL) {
            snprintf(err, errlen, "header '%.60s' must have a one-line string value", m->string);
            return -1;
        }
    }
    if (n > MAX_HEADERS) {
        snprintf(err, errlen, "at most %d headers", MAX_HEADERS);
        return -1;
    }
    return 0;
}

int rembed_config_finish(rembed_config *c, char *err, size_t errlen) {
    if (c->format == NULL) {
        snprintf(err, errlen, "option 'format' is required (one of %s)", rembed_format_names());
        return -1;
    }
    c->format = rembed_format_for_url(c->format, c->url);
    const rembed_format *f = c->format;
    if (rembed_format_is_legacy(f) && (c->dimensions > 0 || c->batch_size > 1)) {
        snprintf(err, errlen,
                 "format ollama at /api/embeddings (the legacy endpoint) embeds one text per "
                 "request and has no '%s' option; use /api/embed",
                 c->dimensions > 0 ? "dimensions" : "batch_size");
        return -1;
    }
    if (f->needs_model && c->model == NULL) {
        snprintf(err, errlen, "format %s needs option 'model'", f->name);
        return -1;
    }
    if (c->dimensions > 0 && f->dims_field == NULL) {
        snprintf(err, errlen, "format %s has no 'dimensions' option", f->name);
        return -1;
    }
    if (c->input_type != NULL && f->task_field == NULL) {
        snprintf(err, errlen, "format %s has no 'input_type' option", f->name);
        return -1;
    }
    if (c->base64 && f->encoding_field == NULL) {
        snprintf(err, errlen, "format %s does not send base64 embeddings", f->name);
        return -1;
    }
    if (f->layout == REMBED_LAYOUT_SINGLE && c->batch_size > 1) {
        snprintf(err, errlen, "format %s embeds one text per request (batch_size 1)", f->name);
        return -1;
    }
    if (check_headers(c->headers, err, errlen) != 0)
        return -1;
    bool default_url = c->url == NULL || strcmp(c->url, f->url) == 0;
    if (c->key_from_env || (c->key == NULL && f->key_env != NULL && default_url)) {
        wipe_free(c->key);
        c->key = NULL;
        c->key_from_env = false;
        const char *env = f->key_env && default_url ? getenv(f->key_env) : NULL;
        if (f->key_env != NULL && default_url && (env == NULL || env[0] == '\0')) {
            snprintf(err, errlen,
                     "format %s needs an API key: set the environment variable %s or pass "
                     "option 'key'",
                     f->name, f->key_env);
            return -1;
        }
        if (env != NULL) {
            if (strpbrk(env, "\r\n") != NULL) {
                snprintf(err, errlen, "environment variable %s holds a line break", f->key_env);
                return -1;
            }
            c->key = strdup(env);
            if (c->key == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            c->key_from_env = true;
        }
    }
    return 0;
}

int rembed_config_batch_size(const rembed_config *c) {
    if (c->format == NULL)
        return 1;
    return c->batch_size > 0 ? c->batch_size : c->format->max_batch;
}

char *rembed_config_json(const rembed_config *c) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok = true;
    const rembed_format *f = c->format;
#define ADD(expr) ok = ok && (expr) != NULL
    if (f != NULL)
        ADD(cJSON_AddStringToObject(o, "format", f->name));
    if (c->model)
        ADD(cJSON_AddStringToObject(o, "model", c->model));
    if (c->url || f)
        ADD(cJSON_AddStringToObject(o, "url", c->url ? c->url : f->url));
    if (c->key && !c->key_from_env)
        ADD(cJSON_AddStringToObject(o, "key", REMBED_REDACTED));
    if (c->key && c->key_from_env && f)
        ADD(cJSON_AddStringToObject(o, "key_from", f->key_env));
    if (c->input_type)
        ADD(cJSON_AddStringToObject(o, "input_type", c->input_type));
    if (c->dimensions > 0)
        ADD(cJSON_AddNumberToObject(o, "dimensions", c->dimensions));
    ADD(cJSON_AddStringToObject(o, "encoding", c->base64 ? "base64" : "float"));
    ADD(cJSON_AddNumberToObject(o, "timeout_ms", (double)c->timeout_ms));
    ADD(cJSON_AddNumberToObject(o, "connect_timeout_ms", (double)c->connect_timeout_ms));
    ADD(cJSON_AddNumberToObject(o, "deadline_ms", (double)c->deadline_ms));
    ADD(cJSON_AddNumberToObject(o, "max_retries", c->max_retries));
    ADD(cJSON_AddNumberToObject(o, "retry_base_ms", (double)c->retry_base_ms));
    ADD(cJSON_AddNumberToObject(o, "batch_size", rembed_config_batch_size(c)));
    if (c->headers) {
        cJSON *h = cJSON_AddObjectToObject(o, "headers");
        ok = ok && h != NULL;
        for (const cJSON *m = c->headers->child; ok && m != NULL; m = m->next)
            ADD(cJSON_AddStringToObject(h, m->string, REMBED_REDACTED));
    }
    if (c->extra) {
        cJSON *x = cJSON_Duplicate(c->extra, 1);
        if (x != NULL && !cJSON_AddItemToObject(o, "extra", x)) {
            cJSON_Delete(x);
            x = NULL;
        }
        ok = ok && x != NULL;
    }
#undef ADD
    char *out = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return out;
}
