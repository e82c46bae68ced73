/*
** ext/embed (remote): one keep-alive HTTP connection (a reused libcurl easy handle) that POSTs
** JSON and collects the response, its status and its Retry-After header. No retries here:
** remote_client.c decides those.
*/
#ifndef STRATA_EMBED_REMOTE_HTTP_H
#define STRATA_EMBED_REMOTE_HTTP_H

#include <stddef.h>

#include "common/strbuf.h"

/* Responses larger than this are refused (2048 inputs of 3072 floats as JSON fit easily). */
#define REMOTE_HTTP_MAX_RESPONSE ((size_t)512 << 20)

typedef struct remote_http {
    void *curl;           /* CURL *, created on first use */
    strbuf response;      /* body of the last response */
    double retry_after_s; /* Retry-After of the last response in seconds, -1 when absent */
    long status;          /* HTTP status of the last response, 0 when none arrived */
} remote_http;

/* Header lines beyond Content-Type, each "Name: value". */
typedef struct remote_headers {
    const char *const *lines;
    int count;
} remote_headers;

void remote_http_init(remote_http *h);
void remote_http_free(remote_http *h);

/* True when url starts with http:// or https:// (case-insensitive) and has a host. */
int remote_http_url_ok(const char *url);
/* True when the URL carries credentials (user[:password]@host): those would be shown by SELECT
** and sent in the clear to proxies' logs, so clients refuse them. */
int remote_http_url_has_userinfo(const char *url);

/* POSTs body to url. Returns 0 when a response arrived (any status; see h->status, h->response,
** h->retry_after_s), -1 on a transport failure (err names it; *dropped set when the connection
** broke after it was made, which is worth another attempt; refused connections and timeouts
** are not). */
int remote_http_post(remote_http *h, const char *url, const remote_headers *headers,
                     const char *body, size_t body_len, long connect_timeout_ms, long timeout_ms,
                     int *dropped, char *err, size_t errlen);

/* libcurl's version line, for rembed_debug(). */
const char *remote_http_describe(void);

#endif
