/*
** ext/embed (remote): one keep-alive HTTP connection (reused libcurl easy and multi handles)
** that POSTs JSON and collects the response, its status and its Retry-After header, and that a
** cancel callback can stop at any moment. No retries here: remote_client.c decides those.
*/
#ifndef STRATA_EMBED_REMOTE_HTTP_H
#define STRATA_EMBED_REMOTE_HTTP_H

#include <stddef.h>

#include "common/strbuf.h"

/* Responses larger than this are refused (2048 inputs of 3072 floats as JSON fit easily). */
#define REMBED_HTTP_MAX_RESPONSE ((size_t)512 << 20)
/* Longest pause between two looks at the cancel callback while a request is under way. */
#define REMBED_HTTP_POLL_MS 25

typedef struct rembed_http {
    void *multi;          /* CURLM *: drives transfers and keeps the connection between them */
    void *curl;           /* CURL *, created on first use */
    strbuf response;      /* body of the last response */
    double retry_after_s; /* Retry-After of the last response in seconds, -1 when absent */
    long status;          /* HTTP status of the last response, 0 when none arrived */
} rembed_http;

/* Header lines beyond Content-Type, each "Name: value". */
typedef struct rembed_headers {
    const char *const *lines;
    int count;
} rembed_headers;

/* Asked every REMBED_HTTP_POLL_MS while a request runs and while a retry waits: nonzero stops
** the call. The SQL binding answers sqlite3_interrupt() through it. */
typedef struct rembed_cancel {
    int (*stop)(void *arg);
    void *arg;
} rembed_cancel;

/* Why a request got no response. The messages are coarse on purpose: a client may point at any
** address, and fine transport detail ("connection refused" versus "no HTTP reply", protocol
** banners) would turn rembed() into a port scanner. */
typedef enum rembed_failure {
    REMBED_OK = 0,         /* a response arrived (any status) */
    REMBED_FAIL_CONNECT,   /* no HTTP response: resolving, connecting or the reply failed */
    REMBED_FAIL_DROPPED,   /* the connection broke after the request went out: worth a retry */
    REMBED_FAIL_TIMEOUT,   /* connect_timeout_ms or timeout_ms passed */
    REMBED_FAIL_TLS,       /* the server's certificate could not be verified */
    REMBED_FAIL_CANCELLED, /* the cancel callback asked to stop */
    REMBED_FAIL_OTHER      /* out of memory, response too large, libcurl refused the request */
} rembed_failure;

void rembed_http_init(rembed_http *h);
void rembed_http_free(rembed_http *h);

/* True when url starts with http:// or https:// (case-insensitive) and has a host. */
int rembed_http_url_ok(const char *url);
/* True when the URL carries credentials (user[:password]@host): those would be shown by SELECT
** and sent in the clear to proxies' logs, so clients refuse them. */
int rembed_http_url_has_userinfo(const char *url);

/* POSTs body to url. Returns REMBED_OK when a response arrived (see h->status, h->response,
** h->retry_after_s), else why not, with err filled (never with the server's words). cancel may
** be NULL. */
rembed_failure rembed_http_post(rembed_http *h, const char *url, const rembed_headers *headers,
                                const char *body, size_t body_len, long connect_timeout_ms,
                                long timeout_ms, const rembed_cancel *cancel, char *err,
                                size_t errlen);

/* libcurl's version line, for rembed_debug(). */
const char *rembed_http_describe(void);

#endif
