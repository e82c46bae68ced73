/*
** conn_sql: per-connection registry and compiled-schema cache (see conn.h).
**
** SQLite's auxdata lives for one statement execution, so single-row INSERTs through a CHECK
** constraint would recompile the schema on every row. This cache is keyed by the schema text
** and options, bounded (LRU) and emptied whenever the registry changes, because a registered
** schema may change what a $ref means.
*/
#include "jsonschema/conn.h"
#include "jsonschema/jv.h"
#include "jsonschema/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

js_conn *js_conn_new(void) {
    js_conn *c = sqlite3_malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->refs = 1;
    return c;
}

void js_conn_ref(void *p) {
    js_conn *c = p;
    c->refs++;
}

static void entry_free(js_conn *c, js_cache_entry *e) {
    c->generation++;
    js_schema_free(e->schema);
    sqlite3_free(e->text);
    sqlite3_free(e);
}

static void cache_clear(js_conn *c) {
    js_cache_entry *e = c->head;
    while (e) {
        js_cache_entry *next = e->next;
        entry_free(c, e);
        e = next;
    }
    c->head = c->tail = NULL;
    c->ncache = 0;
    c->cache_bytes = 0;
}

void js_conn_unref(void *p) {
    js_conn *c = p;
    if (c == NULL || --c->refs > 0)
        return;
    cache_clear(c);
    for (int i = 0; i < c->nreg; i++) {
        sqlite3_free(c->reg[i].uri);
        sqlite3_free(c->reg[i].text);
    }
    sqlite3_free(c->reg);
    sqlite3_free(c);
}

static char *dup_msg(const char *m) {
    return sqlite3_mprintf("%s", m);
}

int js_parse_options(const char *text, size_t len, js_options *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    arena a;
    arena_init(&a);
    jv_error perr;
    jv *o = jv_parse(&a, text, len, &perr);
    int rc = SQLITE_OK;
    if (o == NULL || o->type != JV_OBJECT) {
        *err = dup_msg("options must be a JSON object such as '{\"draft\":\"7\"}'");
        rc = SQLITE_ERROR;
    }
    for (uint32_t i = 0; rc == SQLITE_OK && i < o->n; i++) {
        const jv_member *m = &o->u.members[i];
        const jv *v = m->val;
        if (m->klen == 5 && memcmp(m->key, "draft", 5) == 0) {
            char num[32];
            const char *s = NULL;
            size_t n = 0;
            if (v->type == JV_STRING) {
                s = v->u.str;
                n = v->n;
            } else if (v->type == JV_NUMBER && jv_num_is_int(&v->u.num)) {
                n = (size_t)snprintf(num, sizeof num, "%.0f", v->u.num.d);
                s = num;
            }
            out->draft = s ? js_draft_parse(s, n) : JS_DRAFT_DEFAULT;
            if (out->draft == JS_DRAFT_DEFAULT) {
                *err = dup_msg("option \"draft\" must be one of 4, 6, 7, \"2019-09\", \"2020-12\"");
                rc = SQLITE_ERROR;
            }
        } else if (m->klen == 6 && memcmp(m->key, "format", 6) == 0) {
            if (jv_str_is(v, "assert") || v->type == JV_TRUE) {
                out->format = JS_FORMAT_ASSERT;
            } else if (jv_str_is(v, "annotate") || v->type == JV_FALSE) {
                out->format = JS_FORMAT_ANNOTATE;
            } else {
                *err = dup_msg("option \"format\" must be \"assert\" or \"annotate\"");
                rc = SQLITE_ERROR;
            }
        } else {
            *err = sqlite3_mprintf("unknown option \"%.*s\" (known: draft, format)",
                                   (int)(m->klen > 100 ? 100 : m->klen), m->key);
            rc = SQLITE_ERROR;
        }
    }
    arena_free(&a);
    if (rc != SQLITE_OK && *err == NULL)
        rc = SQLITE_NOMEM;
    return rc;
}

int js_read_options(sqlite3_value *v, js_options *opts, char **err) {
    memset(opts, 0, sizeof *opts);
    *err = NULL;
    if (v == NULL || sqlite3_value_type(v) == SQLITE_NULL)
        return SQLITE_OK;
    const char *t = (const char *)sqlite3_value_text(v);
    if (t == NULL)
        return SQLITE_NOMEM;
    return js_parse_options(t, (size_t)sqlite3_value_bytes(v), opts, err);
}

static const char *lookup(void *ctx, const char *uri, size_t *len) {
    js_conn *c = ctx;
    for (int i = 0; i < c->nreg; i++) {
        if (strcmp(c->reg[i].uri, uri) == 0) {
            *len = c->reg[i].len;
            return c->reg[i].text;
        }
    }
    return NULL;
}

/* 64-bit multiply-xor hash, 8 bytes per step: schema texts run to kilobytes. */
static uint64_t hash_text(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001B3ULL;
    return h ^ (h >> 29);
}

static void move_to_front(js_conn *c, js_cache_entry *e) {
    if (c->head == e)
        return;
    e->prev->next = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = NULL;
    e->next = c->head;
    c->head->prev = e;
    c->head = e;
}

js_schema *js_conn_schema(js_conn *c, const char *text, size_t len, const js_options *opts,
                          char **err) {
    js_cache_entry *e;
    return js_conn_schema_entry(c, text, len, opts, err, &e);
}

js_schema *js_conn_schema_entry(js_conn *c, const char *text, size_t len, const js_options *opts,
                                char **err, js_cache_entry **entry) {
    *err = NULL;
    *entry = NULL;
    /* The common case, one schema used row after row (a CHECK constraint), needs no hash. */
    js_cache_entry *mru = c->head;
    if (mru && mru->len == len && mru->opts.draft == opts->draft &&
        mru->opts.format == opts->format && memcmp(mru->text, text, len) == 0) {
        *entry = mru;
        return mru->schema;
    }
    uint64_t h = hash_text(text, len);
    for (js_cache_entry *e = c->head; e; e = e->next) {
        if (e->hash == h && e->len == len && e->opts.draft == opts->draft &&
            e->opts.format == opts->format && memcmp(e->text, text, len) == 0) {
            move_to_front(c, e);
            *entry = e;
            return e->schema;
        }
    }
    char *msg = NULL;
    js_schema *s = js_compile(text, len, opts, lookup, c, &msg);
    if (s == NULL) {
        *err = msg ? dup_msg(msg) : NULL;
        free(msg);
        return NULL;
    }
    js_cache_entry *e = sqlite3_malloc(sizeof *e);
    char *copy = sqlite3_malloc64(len + 1);
    if (e == NULL || copy == NULL) {
        sqlite3_free(e);
        sqlite3_free(copy);
        js_schema_free(s);
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    *e = (js_cache_entry){copy, len, h, *opts, s, NULL, c->head, len + js_schema_memory(s)};
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
    c->ncache++;
    c->cache_bytes += e->bytes;
    /* Evict least recently used entries past either bound, never the one just added. */
    while (c->tail != e && (c->ncache > JS_CACHE_SIZE || c->cache_bytes > JS_CACHE_MAX_BYTES)) {
        js_cache_entry *old = c->tail;
        c->tail = old->prev;
        c->tail->next = NULL;
        c->cache_bytes -= old->bytes;
        entry_free(c, old);
        c->ncache--;
    }
    *entry = e;
    return s;
}

int js_conn_register(js_conn *c, const char *uri, const char *text, size_t len, char **err) {
    *err = NULL;
    /* The key is the URI without its (empty) fragment: "$ref" resolution strips it too. */
    char *norm = uri_resolve("", uri);
    if (norm == NULL)
        return SQLITE_NOMEM;
    size_t bl = uri_base_len(norm);
    if (norm[bl] == '#' && norm[bl + 1] != '\0') {
        *err = sqlite3_mprintf("uri '%s' must not have a fragment", uri);
        free(norm);
        return SQLITE_ERROR;
    }
    norm[bl] = '\0';
    if (bl == 0) {
        free(norm);
        *err = dup_msg("uri must not be empty");
        return SQLITE_ERROR;
    }
    arena a;
    arena_init(&a);
    jv_error perr;
    jv *root = jv_parse(&a, text, len, &perr);
    bool is_schema =
        root && (root->type == JV_OBJECT || root->type == JV_TRUE || root->type == JV_FALSE);
    arena_free(&a);
    if (!is_schema) {
        *err = root ? dup_msg("schema must be a JSON object or boolean")
                    : sqlite3_mprintf("schema is not valid JSON: %s at offset %lld", perr.msg,
                                      (long long)perr.offset);
        free(norm);
        return SQLITE_ERROR;
    }
    int at = -1;
    for (int i = 0; i < c->nreg; i++)
        if (strcmp(c->reg[i].uri, norm) == 0)
            at = i;
    size_t old = at >= 0 ? c->reg[at].len : 0;
    if ((at < 0 && c->nreg >= JS_REGISTRY_MAX) ||
        c->reg_bytes - old + len > JS_REGISTRY_MAX_BYTES) {
        free(norm);
        *err = dup_msg("registry is full (10000 schemas or 64 MiB)");
        return SQLITE_ERROR;
    }
    char *copy = sqlite3_malloc64(len + 1);
    char *ucopy = sqlite3_mprintf("%s", norm);
    free(norm);
    if (copy == NULL || ucopy == NULL) {
        sqlite3_free(copy);
        sqlite3_free(ucopy);
        return SQLITE_NOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (at < 0) {
        if (c->nreg == c->capreg) {
            int cap = c->capreg ? c->capreg * 2 : 16;
            js_reg_entry *r = sqlite3_realloc64(c->reg, (sqlite3_uint64)cap * sizeof *r);
            if (r == NULL) {
                sqlite3_free(copy);
                sqlite3_free(ucopy);
                return SQLITE_NOMEM;
            }
            c->reg = r;
            c->capreg = cap;
        }
        at = c->nreg++;
    } else {
        sqlite3_free(c->reg[at].uri);
        sqlite3_free(c->reg[at].text);
    }
    c->reg[at] = (js_reg_entry){ucopy, copy, len};
    c->reg_bytes = c->reg_bytes - old + len;
    cache_clear(c);
    return SQLITE_OK;
}
