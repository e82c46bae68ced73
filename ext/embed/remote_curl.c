/*
** ext/embed (remote): libcurl opened on first use instead of at load time.
**
** Only the remote half needs libcurl, and libcurl brings some thirty libraries with it (TLS,
** Kerberos, LDAP, SSH, ...). Linking it made dist/strata.so fail to load on a system without
** libcurl4, and made every process that loads strata map all of them. These definitions stand
** in for the libcurl functions the remote half calls: the first call dlopen()s libcurl.so.4
** and later calls go straight to it. When it cannot be opened, curl_global_init fails and
** curl_easy_strerror says why, so rembed reports it and every other function keeps working.
**
** The definitions keep libcurl's names, so remote_http.c is written against libcurl as usual.
** They are hidden symbols of each .so (-fvisibility=hidden, CURL_EXTERN is empty on ELF) and
** local in libstrata.a, so they never stand in for libcurl in the host process.
*/
#define CURL_DISABLE_TYPECHECK /* the type-checking macros would rename the definitions */
#include <curl/curl.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LIBCURL_SONAME "libcurl.so.4"

typedef void (*any_fn)(void);

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    time_t (*getdate)(const char *, const time_t *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    char *(*version)(void);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wait)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMcode (*multi_wakeup)(CURLM *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    const char *(*multi_strerror)(CURLMcode);
} api;

static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static int api_ok;
static char api_error[512];

/* POSIX guarantees that dlsym's object pointer converts to the function's address; memcpy
** stores it into the typed slot without a cast between pointer kinds. */
static void bind_symbol(void *lib, const char *name, void *slot, int *missing) {
    void *p = dlsym(lib, name);
    memcpy(slot, &p, sizeof p);
    if (p == NULL && !*missing) {
        *missing = 1;
        snprintf(api_error, sizeof api_error, "%s lacks %s", LIBCURL_SONAME, name);
    }
}

#define BIND(field, name)                                                                          \
    do {                                                                                           \
        _Static_assert(sizeof api.field == sizeof(void *), "a function pointer is pointer-sized"); \
        bind_symbol(lib, name, &api.field, &missing);                                              \
    } while (0)

static void api_open(void) {
    void *lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(api_error, sizeof api_error,
                 "remote embeddings need libcurl, which cannot be loaded (Debian: apt-get install "
                 "libcurl4): %s",
                 why ? why : LIBCURL_SONAME);
        return;
    }
    int missing = 0;
    BIND(global_init, "curl_global_init");
    BIND(easy_init, "curl_easy_init");
    BIND(easy_cleanup, "curl_easy_cleanup");
    BIND(easy_setopt, "curl_easy_setopt");
    BIND(easy_perform, "curl_easy_perform");
    BIND(easy_getinfo, "curl_easy_getinfo");
    BIND(easy_strerror, "curl_easy_strerror");
    BIND(getdate, "curl_getdate");
    BIND(slist_append, "curl_slist_append");
    BIND(slist_free_all, "curl_slist_free_all");
    BIND(version, "curl_version");
    BIND(multi_init, "curl_multi_init");
    BIND(multi_cleanup, "curl_multi_cleanup");
    BIND(multi_add_handle, "curl_multi_add_handle");
    BIND(multi_remove_handle, "curl_multi_remove_handle");
    BIND(multi_perform, "curl_multi_perform");
    BIND(multi_poll, "curl_multi_poll");
    BIND(multi_wait, "curl_multi_wait");
    BIND(multi_wakeup, "curl_multi_wakeup");
    BIND(multi_info_read, "curl_multi_info_read");
    BIND(multi_strerror, "curl_multi_strerror");
    /* A libcurl too old for one of them is refused whole; the library stays mapped, as the
    ** .so files themselves do (-z nodelete). */
    api_ok = !missing;
}

static int ready(void) {
    pthread_once(&api_once, api_open);
    return api_ok;
}

CURLcode curl_global_init(long flags) {
    return ready() ? api.global_init(flags) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code) {
    return ready() ? api.easy_strerror(code) : api_error;
}

char *curl_version(void) {
    return ready() ? api.version() : api_error;
}

CURL *curl_easy_init(void) {
    return ready() ? api.easy_init() : NULL;
}

void curl_easy_cleanup(CURL *curl) {
    if (ready())
        api.easy_cleanup(curl);
}

/* The option number says the argument's type (curl.h: CURLOPTTYPE_*), so the one argument can
** be read with its own type and passed on. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...) {
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = api.easy_setopt(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = api.easy_setopt(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = api.easy_setopt(curl, option, va_arg(ap, any_fn));
    else if (option < CURLOPTTYPE_BLOB)
        rc = api.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    else
        rc = api.easy_setopt(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl) {
    return ready() ? api.easy_perform(curl) : CURLE_FAILED_INIT;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...) {
    if (!ready())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = api.easy_getinfo(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

time_t curl_getdate(const char *p, const time_t *unused) {
    return ready() ? api.getdate(p, unused) : (time_t)-1;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data) {
    return ready() ? api.slist_append(list, data) : NULL;
}

void curl_slist_free_all(struct curl_slist *list) {
    if (ready())
        api.slist_free_all(list);
}

CURLM *curl_multi_init(void) {
    return ready() ? api.multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *multi) {
    return ready() ? api.multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl) {
    return ready() ? api.multi_add_handle(multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl) {
    return ready() ? api.multi_remove_handle(multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_perform(CURLM *multi, int *running) {
    return ready() ? api.multi_perform(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int n, int timeout_ms,
                          int *numfds) {
    return ready() ? api.multi_poll(multi, extra, n, timeout_ms, numfds) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_wait(CURLM *multi, struct curl_waitfd *extra, unsigned int n, int timeout_ms,
                          int *numfds) {
    return ready() ? api.multi_wait(multi, extra, n, timeout_ms, numfds) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_wakeup(CURLM *multi) {
    return ready() ? api.multi_wakeup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *left) {
    return ready() ? api.multi_info_read(multi, left) : NULL;
}

const char *curl_multi_strerror(CURLMcode code) {
    return ready() ? api.multi_strerror(code) : api_error;
}
