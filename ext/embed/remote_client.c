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

static int build_headers(rembed_client *c) {
    const cJSON *user = c->cfg.headers;
    int n = cJSON_GetArraySize(user) + 1;
    c->header_lines = calloc((size_t)n, sizeof(char *));
    if (c->header_lines == NULL)
        return -1;
    if (c->cfg.key != NULL) {
        bool goog = c->cfg.format->auth == REMBED_AUTH_GOOG;
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

void rembed_client_free(rembed_client *c) {
    if (c == NULL)
        return;
    for (int i = 0; i < c->n_headers; i++) {
        explicit_bzero(c->header_lines[i], strlen(c->header_lines[i]));
        free(c->header_lines[i]);
    }
    free(c->header_lines);
    rembed_http_free(&c->http);
    rembed_config_free(&c->cfg);
    free(c->url);
    free(c->name);
    free(c);
}

rembed_client *rembed_client_new(const char *name, rembed_config *cfg, char *err, size_t errlen) {
    rembed_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        rembed_config_free(cfg);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    rembed_config_init(cfg);
    rembed_http_init(&c->http);
    c->name = strdup(name);
    c->url = rembed_format_url(c->cfg.format, c->cfg.url, c->cfg.model);
    c->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)c;
    if (c->name == NULL || c->url == NULL || build_headers(c) != 0) {
        rembed_client_free(c);
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

long rembed_backoff_ms(long base_ms, int attempt, double retry_after_s, unsigned *rng) {
    double wait;
    if (retry_after_s >= 0) {
        wait = retry_after_s * 1000.0;
    } else {
        wait = (double)base_ms;
        for (int i = 0; i < attempt && wait < REMBED_MAX_WAIT_MS; i++)
            wait *= 2;
        wait *= 0.5 + 0.5 * (double)(next_random(rng) % 1000u) / 999.0;
    }
    if (wait > REMBED_MAX_WAIT_MS)
        wait = REMBED_MAX_WAIT_MS;
    return (long)wait;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool retryable_status(long status) {
    return status == 429 || (status >= 500 && status <= 599);
}

/* One rembed/rembed_each call: when it must end, and who may stop it. */
typedef struct call_state {
    const rembed_cancel *cancel;
    long long deadline; /* now_ms() value */
    long deadline_ms;
} call_state;

static bool cancelled(const call_state *call) {
    return call->cancel != NULL && call->cancel->stop != NULL &&
           call->cancel->stop(call->cancel->arg) != 0;
}

/* Sleeps ms in short steps, looking at cancel; false when cancelled. */
static bool wait_ms(const call_state *call, long ms) {
    long long end = now_ms() + ms;
    for (;;) {
        if (cancelled(call))
            return false;
        long long left = end - now_ms();
        if (left <= 0)
            return true;
        sleep_ms(left < REMBED_HTTP_POLL_MS ? (long)left : REMBED_HTTP_POLL_MS);
    }
}

static int deadline_error(const rembed_client *c, const call_state *call, const char *after,
                          char *err, size_t errlen) {
    snprintf(err, errlen, "client '%s': the call took longer than deadline_ms (%ld ms)%s", c->name,
             call->deadline_ms, after);
    return -1;
}

static void after_text(char *after, size_t n, int attempt, bool out_of_time) {
    after[0] = '\0';
    if (attempt > 0 && out_of_time)
        snprintf(after, n, " (after %d %s; deadline_ms leaves no time for another)", attempt,
                 attempt == 1 ? "retry" : "retries");
    else if (attempt > 0)
        snprintf(after, n, " (after %d %s)", attempt, attempt == 1 ? "retry" : "retries");
    else if (out_of_time)
        snprintf(after, n, " (deadline_ms leaves no time for a retry)");
}

/* One request with retries: on success h->response holds a 2xx body. */
static int post_with_retries(rembed_client *c, const char *body, size_t len, const call_state *call,
                             char *err, size_t errlen) {
    const rembed_config *cfg = &c->cfg;
    rembed_headers headers = {(const char *const *)c->header_lines, c->n_headers};
    char after[96];
    for (int attempt = 0;; attempt++) {
        char detail[REMBED_ERR_SIZE / 2];
        long long left = call->deadline - now_ms();
        after_text(after, sizeof after, attempt, false);
        if (left <= 0)
            return deadline_error(c, call, after, err, errlen);
        /* The deadline shortens the last requests: their timeouts end with it. */
        long timeout = left < cfg->timeout_ms ? (long)left : cfg->timeout_ms;
        long connect = left < cfg->connect_timeout_ms ? (long)left : cfg->connect_timeout_ms;
        c->usage.requests++;
        rembed_failure f = rembed_http_post(&c->http, c->url, &headers, body, len, connect, timeout,
                                            call->cancel, detail, sizeof detail);
        long status = c->http.status;
        if (f == REMBED_OK && status >= 200 && status < 300)
            return 0;
        if (f == REMBED_FAIL_CANCELLED) {
            snprintf(err, errlen, "client '%s': interrupted", c->name);
            return REMBED_CANCELLED;
        }
        /* libcurl's timers may fire a little before our clock reaches the deadline. */
        if (f == REMBED_FAIL_TIMEOUT && call->deadline - now_ms() < REMBED_HTTP_POLL_MS)
            return deadline_error(c, call, after, err, errlen);
        bool retry = f == REMBED_OK ? retryable_status(status) : f == REMBED_FAIL_DROPPED;
        long wait = 0;
        bool out_of_time = false;
        if (retry && attempt < cfg->max_retries) {
            wait = rembed_backoff_ms(cfg->retry_base_ms, attempt,
                                     f == REMBED_OK ? c->http.retry_after_s : -1, &c->rng);
            out_of_time = now_ms() + wait >= call->deadline;
        }
        if (!retry || attempt >= cfg->max_retries || out_of_time) {
            after_text(after, sizeof after, attempt, out_of_time);
            if (f != REMBED_OK) {
                snprintf(err, errlen, "client '%s': request failed: %s%s", c->name, detail, after);
            } else {
                char msg[REMBED_ERROR_QUOTE + 8];
                rembed_format_error_text(c->http.response.data, c->http.response.len, cfg->key, msg,
                                         sizeof msg, REMBED_ERROR_QUOTE);
                snprintf(err, errlen, "client '%s': HTTP %ld%s%s%s", c->name, status,
                         msg[0] ? ": " : "", msg, after);
            }
            return -1;
        }
        c->usage.retries++;
        if (!wait_ms(call, wait)) {
            snprintf(err, errlen, "client '%s': interrupted", c->name);
            return REMBED_CANCELLED;
        }
    }
}

/* Embeds one request's worth of texts into out rows [first, first+n). */
static int embed_batch(rembed_client *c, const char *const *texts, const size_t *lens, int n,
                       const rembed_request *req, const call_state *call, rembed_vectors *out,
                       int first, int total, char *err, size_t errlen) {
    char detail[REMBED_ERR_SIZE / 2];
    char *body = rembed_format_body(c->cfg.format, req, texts, lens, n, detail, sizeof detail);
    if (body == NULL) {
        snprintf(err, errlen, "client '%s': %s", c->name, detail);
        return -1;
    }
    size_t body_len = strlen(body);
    if (body_len > REMBED_MAX_REQUEST_BYTES) { /* the texts fit: extra or the model is huge */
        free(body);
        snprintf(err, errlen,
                 "client '%s': a request of %zu bytes is larger than the limit of %zu MiB", c->name,
                 body_len, REMBED_MAX_REQUEST_BYTES >> 20);
        return -1;
    }
    int rc = post_with_retries(c, body, body_len, call, err, errlen);
    free(body);
    if (rc != 0)
        return rc;
    rembed_vectors got;
    if (rembed_format_parse(c->http.response.data, c->http.response.len, n, &got, detail,
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

int rembed_client_text_too_large(rembed_client *c, size_t bytes, char *err, size_t errlen) {
    snprintf(err, errlen,
             "client '%s': a text of %zu bytes does not fit in a request (at most %zu MiB as "
             "JSON; split it first)",
             c->name, bytes, REMBED_MAX_REQUEST_BYTES >> 20);
    c->usage.errors++;
    return -1;
}

/* Room in a request for the texts themselves; the rest is for the model, options and syntax
** around each text. */
#define TEXT_ROOM (REMBED_MAX_REQUEST_BYTES - ((size_t)1 << 20))
#define PER_TEXT_SYNTAX 64

/* How many texts from first on go in the next request: at most batch, and their JSON within
** TEXT_ROOM (always at least one). */
static int next_batch(const char *const *texts, const size_t *lens, int n, int first, int batch) {
    size_t bytes = 0;
    int k = 0;
    while (first + k < n && k < batch) {
        size_t t = rembed_text_json_bytes(texts[first + k], lens[first + k]) + PER_TEXT_SYNTAX;
        if (k > 0 && bytes + t > TEXT_ROOM)
            break;
        bytes += t;
        k++;
    }
    return k;
}

int rembed_client_embed(rembed_client *c, const char *const *texts, const size_t *lens, int n,
                        const char *input_type, const rembed_cancel *cancel, rembed_vectors *out,
                        char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const rembed_config *cfg = &c->cfg;
    if (input_type != NULL && cfg->format->task_field == NULL) {
        snprintf(err, errlen, "client '%s': format %s takes no input_type", c->name,
                 cfg->format->name);
        c->usage.errors++;
        return -1;
    }
    /* Refused before anything is sent: a call fails whole or not at all. */
    for (int i = 0; i < n; i++)
        if (lens[i] > TEXT_ROOM ||
            rembed_text_json_bytes(texts[i], lens[i]) + PER_TEXT_SYNTAX > TEXT_ROOM)
            return rembed_client_text_too_large(c, lens[i], err, errlen);
    call_state call = {cancel, now_ms() + cfg->deadline_ms, cfg->deadline_ms};
    rembed_request req = {cfg->model, input_type ? input_type : cfg->input_type, cfg->dimensions,
                          cfg->base64, cfg->extra};
    int batch = rembed_config_batch_size(cfg);
    for (int first = 0; first < n;) {
        int k = next_batch(texts, lens, n, first, batch);
        int rc =
            embed_batch(c, texts + first, lens + first, k, &req, &call, out, first, n, err, errlen);
        if (rc == -1 && first > 0) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (at text %d of %d)", first, n);
        }
        if (rc != 0) {
            free(out->data);
            memset(out, 0, sizeof *out);
            c->usage.errors++;
            return rc;
        }
        first += k;
    }
    out->count = n;
    c->usage.inputs += n;
    add_saturating(&c->usage.tokens, out->tokens);
    return 0;
}
