/*
** uri: RFC 3986 section 5 reference resolution (see uri.h).
*/
#include "jsonschema/uri.h"
#include "jsonschema/jv.h"

#include <stdlib.h>
#include <string.h>

typedef struct uri_parts {
    const char *scheme, *auth, *path, *query, *frag;
    size_t scheme_n, auth_n, path_n, query_n, frag_n;
    bool has_scheme, has_auth, has_query, has_frag;
} uri_parts;

static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool uri_has_scheme(const char *s) {
    if (!is_alpha(s[0]))
        return false;
    for (size_t i = 1; s[i]; i++) {
        char c = s[i];
        if (c == ':')
            return true;
        if (!(is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return false;
    }
    return false;
}

static void split(const char *s, uri_parts *u) {
    memset(u, 0, sizeof *u);
    size_t n = strlen(s), i = 0;
    if (uri_has_scheme(s)) {
        const char *c = strchr(s, ':');
        u->has_scheme = true;
        u->scheme = s;
        u->scheme_n = (size_t)(c - s);
        i = u->scheme_n + 1;
    }
    if (i + 1 < n + 1 && s[i] == '/' && s[i + 1] == '/') {
        u->has_auth = true;
        i += 2;
        u->auth = s + i;
        while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
            i++;
        u->auth_n = (size_t)(s + i - u->auth);
    }
    u->path = s + i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    u->path_n = (size_t)(s + i - u->path);
    if (i < n && s[i] == '?') {
        u->has_query = true;
        u->query = s + ++i;
        while (i < n && s[i] != '#')
            i++;
        u->query_n = (size_t)(s + i - u->query);
    }
    if (i < n && s[i] == '#') {
        u->has_frag = true;
        u->frag = s + i + 1;
        u->frag_n = n - i - 1;
    }
}

/* RFC 3986 5.2.4 on in[0..n), written to out; returns the length. */
static size_t remove_dots(const char *in, size_t n, char *out) {
    size_t o = 0, i = 0;
    while (i < n) {
        if (n - i >= 3 && memcmp(in + i, "../", 3) == 0) {
            i += 3;
        } else if (n - i >= 2 && memcmp(in + i, "./", 2) == 0) {
            i += 2;
        } else if (n - i >= 3 && memcmp(in + i, "/./", 3) == 0) {
            i += 2;
        } else if (n - i == 2 && memcmp(in + i, "/.", 2) == 0) {
            i += 1;
            out[o++] = '/';
            i += 1;
        } else if (n - i >= 4 && memcmp(in + i, "/../", 4) == 0) {
            i += 3;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (n - i == 3 && memcmp(in + i, "/..", 3) == 0) {
            i += 3;
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            out[o++] = '/';
        } else if ((n - i == 1 && in[i] == '.') || (n - i == 2 && memcmp(in + i, "..", 2) == 0)) {
            i = n;
        } else {
            if (in[i] == '/')
                out[o++] = in[i++];
            while (i < n && in[i] != '/')
                out[o++] = in[i++];
        }
    }
    return o;
}

static void put(char *out, size_t *o, const char *s, size_t n) {
    memcpy(out + *o, s, n);
    *o += n;
}

char *uri_resolve(const char *base, const char *ref) {
    uri_parts b, r;
    split(base ? base : "", &b);
    split(ref, &r);
    size_t cap = strlen(base ? base : "") + strlen(ref) + 8;
    char *out = malloc(cap);
    char *tmp = malloc(cap);
    if (out == NULL || tmp == NULL) {
        free(out);
        free(tmp);
        return NULL;
    }
    size_t o = 0;
    const uri_parts *auth_from, *query_from;
    const char *path;
    size_t path_n;
    bool dots = true;
    if (r.has_scheme) {
        auth_from = &r;
        query_from = &r;
        path = r.path;
        path_n = r.path_n;
        put(out, &o, r.scheme, r.scheme_n);
        out[o++] = ':';
    } else {
        if (b.has_scheme) {
            put(out, &o, b.scheme, b.scheme_n);
            out[o++] = ':';
        }
        if (r.has_auth) {
            auth_from = &r;
            query_from = &r;
            path = r.path;
            path_n = r.path_n;
        } else {
            auth_from = &b;
            if (r.path_n == 0) {
                path = b.path;
                path_n = b.path_n;
                query_from = r.has_query ? &r : &b;
                dots = false;
            } else {
                query_from = &r;
                if (r.path[0] == '/') {
                    path = r.path;
                    path_n = r.path_n;
                } else if (b.has_scheme && !b.has_auth && (b.path_n == 0 || b.path[0] != '/')) {
                    /* Non-hierarchical base (urn:...): merging is undefined; use the ref. */
                    path = r.path;
                    path_n = r.path_n;
                } else {
                    /* Merge: base path up to its last '/', then the reference path. */
                    size_t keep = b.path_n;
                    while (keep > 0 && b.path[keep - 1] != '/')
                        keep--;
                    size_t t = 0;
                    if (b.has_auth && b.path_n == 0)
                        tmp[t++] = '/';
                    memcpy(tmp + t, b.path, keep);
                    t += keep;
                    memcpy(tmp + t, r.path, r.path_n);
                    t += r.path_n;
                    path = tmp;
                    path_n = t;
                }
            }
        }
    }
    if (auth_from->has_auth) {
        out[o++] = '/';
        out[o++] = '/';
        put(out, &o, auth_from->auth, auth_from->auth_n);
    }
    if (dots) {
        char *clean = malloc(path_n + 2);
        if (clean == NULL) {
            free(out);
            free(tmp);
            return NULL;
        }
        size_t cn = remove_dots(path, path_n, clean);
        put(out, &o, clean, cn);
        free(clean);
    } else {
        put(out, &o, path, path_n);
    }
    if (query_from->has_query) {
        out[o++] = '?';
        put(out, &o, query_from->query, query_from->query_n);
    }
    if (r.has_frag && r.frag_n > 0) {
        out[o++] = '#';
        put(out, &o, r.frag, r.frag_n);
    }
    out[o] = '\0';
    free(tmp);
    return out;
}

size_t uri_base_len(const char *uri) {
    const char *h = strchr(uri, '#');
    return h ? (size_t)(h - uri) : strlen(uri);
}

size_t uri_percent_decode(const char *s, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && jv_hexval(s[i + 1]) >= 0 && jv_hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(jv_hexval(s[i + 1]) * 16 + jv_hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return o;
}
