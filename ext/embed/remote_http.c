/*
** ext/embed (remote): one keep-alive HTTP connection over libcurl (see remote_http.h).
**
** The easy and multi handles are kept between requests, so libcurl reuses the TCP (and TLS)
** connection. Transfers run on the multi handle in short polls, so that a cancel request (an
** interrupted SQL statement) is seen within REMBED_HTTP_POLL_MS whatever the network does.
** TLS peer and host verification stay at libcurl's defaults (on); proxies come from the
** environment as libcurl reads them; redirects are not followed, so a request never leaves the
** configured host; only http and https are allowed.
*/
#include "embed/remote_http.h"
#include "common/version.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void) {
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void rembed_http_init(rembed_http *h) {
    memset(h, 0, sizeof *h);
    strbuf_init(&h->response);
    h->retry_after_s = -1;
}

void rembed_http_free(rembed_http *h) {
    if (h->curl != NULL && h->multi != NULL)
        curl_multi_remove_handle((CURLM *)h->multi, (CURL *)h->curl);
    if (h->curl != NULL)
        curl_easy_cleanup((CURL *)h->curl);
    if (h->multi != NULL)
        curl_multi_cleanup((CURLM *)h->multi);
    strbuf_free(&h->response);
    memset(h, 0, sizeof *h);
}

int rembed_http_url_ok(const char *url) {
    if (url == NULL)
        return 0;
    size_t skip;
    if (strncasecmp(url, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        skip = 8;
    else
        return 0;
    return url[skip] != '\0' && url[skip] != '/';
}

int rembed_http_url_has_userinfo(const char *url) {
    const char *p = strstr(url, "://");
    if (p == NULL)
        return 0;
    size_t authority = strcspn(p + 3, "/?#");
    return memchr(p + 3, '@', authority) != NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    rembed_http *h = user;
    size_t n = size * nmemb;
    if (h->response.len + n > REMBED_HTTP_MAX_RESPONSE)
        return 0; /* aborts the transfer */
    strbuf_append(&h->response, data, n);
    return h->response.failed ? 0 : n;
}

/* Retry-After is either delta-seconds or an HTTP date. */
static void parse_retry_after(rembed_http *h, const char *v, size_t n) {
    char buf[128];
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n == 0 || n >= sizeof buf)
        return;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    double secs = strtod(buf, &end);
    if (end != buf && *end == '\0' && secs >= 0) {
        h->retry_after_s = secs;
        return;
    }
    time_t when = curl_getdate(buf, NULL);
    if (when != -1) {
        double d = difftime(when, time(NULL));
        h->retry_after_s = d > 0 ? d : 0;
    }
}

static size_t on_header(char *data, size_t size, size_t nitems, void *user) {
    rembed_http *h = user;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
        parse_retry_after(h, data + sizeof name - 1, n - (sizeof name - 1));
    /* A new status line (after 100 Continue or between retries) starts a new header block. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        h->retry_after_s = -1;
    return n;
}

static CURL *handle(rembed_http *h, char *err, size_t errlen) {
    if (h->curl != NULL)
        return h->curl;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
        return NULL;
    }
    if (h->multi == NULL && (h->multi = curl_multi_init()) == NULL) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        return NULL;
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        return NULL;
    }
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "strata-embed/" STRATA_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    h->curl = c;
    return c;
}

/* Runs the transfer of c on the multi handle (which keeps the connection for the next request),
** looking at cancel every REMBED_HTTP_POLL_MS. Sets *cancelled when it stopped for cancel. */
static CURLcode perform(CURLM *m, CURL *c, const rembed_cancel *cancel, bool *cancelled) {
    *cancelled = false;
    if (curl_multi_add_handle(m, c) != CURLM_OK)
        return CURLE_FAILED_INIT;
    CURLcode rc = CURLE_FAILED_INIT;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        CURLMsg *msg;
        int left;
        bool done = false;
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) {
                rc = msg->data.result;
                done = true;
            }
        if (done)
            break;
        if (cancel != NULL && cancel->stop != NULL && cancel->stop(cancel->arg)) {
            *cancelled = true;
            rc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_poll(m, NULL, 0, REMBED_HTTP_POLL_MS, NULL) != CURLM_OK)
            break;
    }
    /* A transfer cut short closes its connection; a finished one stays cached for reuse. */
    curl_multi_remove_handle(m, c);
    return rc;
}

/* The coarse class and message of a transport failure. */
static rembed_failure classify(const rembed_http *h, CURLcode rc, char *err, size_t errlen) {
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            snprintf(err, errlen, "timed out");
            return REMBED_FAIL_TIMEOUT;
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
            snprintf(err, errlen, "the connection closed before a complete response");
            return REMBED_FAIL_DROPPED;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            snprintf(err, errlen, "the server's TLS certificate could not be verified");
            return REMBED_FAIL_TLS;
        case CURLE_WRITE_ERROR:
            if (h->response.len > 0 && !h->response.failed) {
                snprintf(err, errlen, "response larger than %zu MiB",
                         REMBED_HTTP_MAX_RESPONSE >> 20);
                return REMBED_FAIL_OTHER;
            }
            snprintf(err, errlen, "out of memory reading the response");
            return REMBED_FAIL_OTHER;
        case CURLE_OUT_OF_MEMORY:
            snprintf(err, errlen, "out of memory");
            return REMBED_FAIL_OTHER;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            /* libcurl also says "unsupported protocol" of an HTTP/0.9 reply: the URL was
            ** checked when the client was registered, so both are a failed connection. */
        default:
            /* Resolving, connecting, proxies, TLS handshakes, replies that are not HTTP: one
            ** message, so that an error never tells a closed port from a non-HTTP service. */
            snprintf(err, errlen, "no HTTP response (cannot connect, or the connection failed)");
            return REMBED_FAIL_CONNECT;
    }
}

rembed_failure rembed_http_post(rembed_http *h, const char *url, const rembed_headers *headers,
                                const char *body, size_t body_len, long connect_timeout_ms,
                                long timeout_ms, const rembed_cancel *cancel, char *err,
                                size_t errlen) {
    h->status = 0;
    h->retry_after_s = -1;
    strbuf_reset(&h->response);
    CURL *c = handle(h, err, errlen);
    if (c == NULL)
        return REMBED_FAIL_OTHER;
    struct curl_slist *list = NULL, *next;
    /* No "Expect: 100-continue" round trip before large bodies. */
    const char *fixed[] = {"Content-Type: application/json", "Accept: application/json", "Expect:"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if ((next = curl_slist_append(list, fixed[i])) == NULL)
            goto oom;
        list = next;
    }
    for (int i = 0; headers && i < headers->count; i++) {
        if ((next = curl_slist_append(list, headers->lines[i])) == NULL)
            goto oom;
        list = next;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    bool cancelled;
    CURLcode rc = perform((CURLM *)h->multi, c, cancel, &cancelled);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(list);
    if (cancelled) {
        snprintf(err, errlen, "interrupted");
        return REMBED_FAIL_CANCELLED;
    }
    if (rc != CURLE_OK)
        return classify(h, rc, err, errlen);
    if (h->response.failed) {
        snprintf(err, errlen, "out of memory reading the response");
        return REMBED_FAIL_OTHER;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
    return REMBED_OK;
oom:
    curl_slist_free_all(list);
    snprintf(err, errlen, "out of memory");
    return REMBED_FAIL_OTHER;
}

const char *rembed_http_describe(void) {
    return curl_version();
}
