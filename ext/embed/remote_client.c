/*
** ext/embed (remote): a named client (see remote_client.h).
*/
#include "embed/remote_client.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char *header_line(const char *name, const char *value) {
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (line != NULL)
        snprintf(line, n, "%s: %s", name, value);
    return line;
}

static bool has_header(const cJSON *headers, const char *name) {
    for (const cJSON *m = headers ? headers->child : NULL; m != NULL; m = m->next)
        if (strcasecmp(m->string, name) == 0)
            return true;
    return false;
}

static int build_headers(remote_client *c) {
    const cJSON *user = c->cfg.headers;
    int n = cJSON_GetArraySize(user) + 1;
    c->header_lines = calloc((size_t)n, sizeof(char *));
    if (c->header_lines == NULL)
        return -1;
    if (c->cfg.key != NULL) {
        bool goog = c->cfg.format->auth == REMOTE_AUTH_GOOG;
        const char *name = goog ? "x-goog-api-key" : "Authorization";
        if (!has_header(user, name)) {
            size_t len = strlen(c->cfg.key) + 8;
            char *value = malloc(len);
            if (value == NULL)
                return -1;
            snprintf(value, len, "%s%s", goog ? "" : "Bearer ", c->cfg.key);
            char *line = header_line(name, value);
            explicit_bzero(value, strlen(value));
            free(value);
            if (line == NULL)
                return -1;
            c->header_lines[c->n_headers++] = line;
        }
    }
    for (const cJSON *m = user ? user->child : NULL; m != NULL; m = m->next) {
        char *line = header_line(m->string, m->valuestring);
        if (line == NULL)
            return -1;
        c->header_lines[c->n_headers++] = line;
    }
    return 0;
}

void remote_client_free(remote_client *c) {
    if (c == NULL)
        return;
    for (int i = 0; i < c->n_headers; i++) {
        explicit_bzero(c->header_lines[i], strlen(c->header_lines[i]));
        free(c->header_lines[i]);
    }
    free(c->header_lines);
    remote_http_free(&c->http);
    remote_config_free(&c->cfg);
    free(c->url);
    free(c->name);
    free(c);
}

remote_client *remote_client_new(const char *name, remote_config *cfg, char *err, size_t errlen) {
    remote_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        remote_config_free(cfg);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    remote_config_init(cfg);
    remote_http_init(&c->http);
    c->name = strdup(name);
    c->url = remote_format_url(c->cfg.format, c->cfg.url, c->cfg.model);
    c->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)c;
    if (c->name == NULL || c->url == NULL || build_headers(c) != 0) {
        remote_client_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return c;
}

/* Counters saturate rather than overflow (a provider may report any token count). */
static void add_saturating(long long *counter, long long n) {
    *counter = n > 0 && *counter > LLONG_MAX - n ? LLONG_MAX : *counter + n;
}

static unsigned next_random(unsigned *state) {
    unsigned x = *state ? *state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

long remote_backoff_ms(long base_ms, int attempt, double retry_after_s, unsigned *rng) {
    double wait;
    if (retry_after_s >= 0) {
        wait = retry_after_s * 1000.0;
    } else {
        wait = (double)base_ms;
        for (int i = 0; i < attempt && wait < REMOTE_MAX_WAIT_MS; i++)
            wait *= 2;
        wait *= 0.5 + 0.5 * (double)(next_random(rng) % 1000u) / 999.0;
    }
    if (wait > REMOTE_MAX_WAIT_MS)
        wait = REMOTE_MAX_WAIT_MS;
    return (long)wait;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool retryable_status(long status) {
    return status == 429 || (status >= 500 && status <= 599);
}

/* One request with retries: on success h->response holds a 2xx body. */
static int post_with_retries(remote_client *c, const char *body, size_t len, char *err,
                             size_t errlen) {
    const remote_config *cfg = &c->cfg;
    remote_headers headers = {(const char *const *)c->header_lines, c->n_headers};
    for (int attempt = 0;; attempt++) {
        char detail[REMOTE_ERR_SIZE / 2];
        int dropped;
        c->usage.requests++;
        int rc = remote_http_post(&c->http, c->url, &headers, body, len, cfg->connect_timeout_ms,
                                  cfg->timeout_ms, &dropped, detail, sizeof detail);
        long status = c->http.status;
        if (rc == 0 && status >= 200 && status < 300)
            return 0;
        bool retry = rc == 0 ? retryable_status(status) : dropped != 0;
        if (!retry || attempt >= cfg->max_retries) {
            char after[48] = "";
            if (attempt > 0)
                snprintf(after, sizeof after, " (after %d %s)", attempt,
                         attempt == 1 ? "retry" : "retries");
            if (rc != 0) {
                snprintf(err, errlen, "client '%s': request failed: %s%s", c->name, detail, after);
            } else {
                char msg[REMOTE_ERROR_QUOTE + 8];
                remote_format_error_text(c->http.response.data, c->http.response.len, cfg->key, msg,
                                         sizeof msg, REMOTE_ERROR_QUOTE);
                snprintf(err, errlen, "client '%s': HTTP %ld%s%s%s", c->name, status,
                         msg[0] ? ": " : "", msg, after);
            }
            return -1;
        }
        c->usage.retries++;
        sleep_ms(remote_backoff_ms(cfg->retry_base_ms, attempt,
                                   rc == 0 ? c->http.retry_after_s : -1, &c->rng));
    }
}

/* Embeds one request's worth of texts into out rows [first, first+n). */
static int embed_batch(remote_client *c, const char *const *texts, const size_t *lens, int n,
                       const remote_request *req, remote_vectors *out, int first, int total,
                       char *err, size_t errlen) {
    char detail[REMOTE_ERR_SIZE / 2];
    char *body = remote_format_body(c->cfg.format, req, texts, lens, n, detail, sizeof detail);
    if (body == NULL) {
        snprintf(err, errlen, "client '%s': %s", c->name, detail);
        return -1;
    }
    int rc = post_with_retries(c, body, strlen(body), err, errlen);
    free(body);
    if (rc != 0)
        return -1;
    remote_vectors got;
    if (remote_format_parse(c->http.response.data, c->http.response.len, n, &got, detail,
                            sizeof detail) != 0) {
        snprintf(err, errlen, "client '%s': %s", c->name, detail);
        return -1;
    }
    if (out->data == NULL) {
        out->dim = got.dim;
        out->data = malloc((size_t)total * (size_t)got.dim * sizeof(float));
        if (out->data == NULL) {
            free(got.data);
            snprintf(err, errlen, "client '%s': out of memory", c->name);
            return -1;
        }
    } else if (got.dim != out->dim) {
        free(got.data);
        snprintf(err, errlen, "client '%s': a batch returned %d dimensions, an earlier one %d",
                 c->name, got.dim, out->dim);
        return -1;
    }
    memcpy(out->data + (size_t)first * (size_t)got.dim, got.data,
           (size_t)n * (size_t)got.dim * sizeof(float));
    add_saturating(&out->tokens, got.tokens);
    free(got.data);
    return 0;
}

int remote_client_embed(remote_client *c, const char *const *texts, const size_t *lens, int n,
                        const char *input_type, remote_vectors *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const remote_config *cfg = &c->cfg;
    if (input_type != NULL && cfg->format->task_field == NULL) {
        snprintf(err, errlen, "client '%s': format %s takes no input_type", c->name,
                 cfg->format->name);
        c->usage.errors++;
        return -1;
    }
    remote_request req = {cfg->model, input_type ? input_type : cfg->input_type, cfg->dimensions,
                          cfg->base64, cfg->extra};
    int batch = remote_config_batch_size(cfg);
    for (int first = 0; first < n; first += batch) {
        int k = n - first < batch ? n - first : batch;
        if (embed_batch(c, texts + first, lens + first, k, &req, out, first, n, err, errlen) != 0) {
            free(out->data);
            memset(out, 0, sizeof *out);
            c->usage.errors++;
            return -1;
        }
    }
    out->count = n;
    c->usage.inputs += n;
    add_saturating(&c->usage.tokens, out->tokens);
    return 0;
}
