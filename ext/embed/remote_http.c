/*
** ext/embed (remote): one keep-alive HTTP connection over libcurl (see remote_http.h).
**
** The easy handle is kept between requests, so libcurl reuses the TCP (and TLS) connection.
** TLS peer and host verification stay at libcurl's defaults (on); proxies come from the
** environment as libcurl reads them; redirects are not followed, so a request never leaves the
** configured host; only http and https are allowed.
*/
#include "embed/remote_http.h"
#include "common/version.h"

#include <curl/curl.h>
#include <pthread.h>
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

void remote_http_init(remote_http *h) {
    memset(h, 0, sizeof *h);
    strbuf_init(&h->response);
    h->retry_after_s = -1;
}

void remote_http_free(remote_http *h) {
    if (h->curl != NULL)
        curl_easy_cleanup((CURL *)h->curl);
    strbuf_free(&h->response);
    memset(h, 0, sizeof *h);
}

int remote_http_url_ok(const char *url) {
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

int remote_http_url_has_userinfo(const char *url) {
    const char *p = strstr(url, "://");
    if (p == NULL)
        return 0;
    size_t authority = strcspn(p + 3, "/?#");
    return memchr(p + 3, '@', authority) != NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    remote_http *h = user;
    size_t n = size * nmemb;
    if (h->response.len + n > REMOTE_HTTP_MAX_RESPONSE)
        return 0; /* aborts the transfer */
    strbuf_append(&h->response, data, n);
    return h->response.failed ? 0 : n;
}

/* Retry-After is either delta-seconds or an HTTP date. */
static void parse_retry_after(remote_http *h, const char *v, size_t n) {
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
    remote_http *h = user;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
        parse_retry_after(h, data + sizeof name - 1, n - (sizeof name - 1));
    /* A new status line (after 100 Continue or between retries) starts a new header block. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        h->retry_after_s = -1;
    return n;
}

static CURL *handle(remote_http *h, char *err, size_t errlen) {
    if (h->curl != NULL)
        return h->curl;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl: %s", curl_easy_strerror(global_rc));
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

int remote_http_post(remote_http *h, const char *url, const remote_headers *headers,
                     const char *body, size_t body_len, long connect_timeout_ms, long timeout_ms,
                     int *dropped, char *err, size_t errlen) {
    *dropped = 0;
    h->status = 0;
    h->retry_after_s = -1;
    strbuf_reset(&h->response);
    CURL *c = handle(h, err, errlen);
    if (c == NULL)
        return -1;
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
    char curl_err[CURL_ERROR_SIZE];
    curl_err[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        if (rc == CURLE_WRITE_ERROR && h->response.len > 0)
            snprintf(err, errlen, "response too large or out of memory");
        else
            snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
        *dropped = rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR;
        return -1;
    }
    if (h->response.failed) {
        snprintf(err, errlen, "out of memory reading the response");
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
    return 0;
oom:
    curl_slist_free_all(list);
    snprintf(err, errlen, "out of memory");
    return -1;
}

const char *remote_http_describe(void) {
    return curl_version();
}
