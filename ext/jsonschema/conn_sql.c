/*
** conn_sql: per-connection registry and compiled-schema cache (see conn_sql.h).
**
** SQLite's auxdata lives for one statement execution, so single-row INSERTs through a CHECK
** constraint would recompile the schema on every row. This cache is keyed by the schema text
** and options, bounded (LRU) and emptied whenever the registry changes, because a registered
** schema may change what a $ref means.
*/
#include "common/hash.h"
#include "jsonschema/conn_sql.h"
#include "jsonschema/jsonb.h"
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
        } else if ((m->klen == 6 && memcmp(m->key, "format", 6) == 0) ||
                   (m->klen == 7 && memcmp(m->key, "content", 7) == 0)) {
            /* Both take the same values: 2 assert, 1 annotate (js_format_mode, js_content_mode). */
            int mode = jv_str_is(v, "assert") || v->type == JV_TRUE      ? 2
                       : jv_str_is(v, "annotate") || v->type == JV_FALSE ? 1
                                                                         : 0;
            if (mode == 0) {
                *err = sqlite3_mprintf("option \"%.*s\" must be \"assert\" or \"annotate\"",
                                       (int)m->klen, m->key);
                rc = SQLITE_ERROR;
            } else if (m->klen == 6) {
                out->format = (js_format_mode)mode;
            } else {
                out->content = (js_content_mode)mode;
            }
        } else if (m->klen == 6 && memcmp(m->key, "output", 6) == 0) {
            static const char *const FORMATS[] = {"flag", "basic", "detailed", "verbose"};
            out->output = JS_OUTPUT_LIST;
            for (int f = 0; f < 4; f++)
                if (jv_str_is(v, FORMATS[f]))
                    out->output = (js_output_format)(JS_OUTPUT_FLAG + f);
            if (out->output == JS_OUTPUT_LIST) {
                *err = dup_msg("option \"output\" must be \"flag\", \"basic\", \"detailed\" or "
                               "\"verbose\"");
                rc = SQLITE_ERROR;
            }
        } else {
            *err = sqlite3_mprintf("unknown option \"%.*s\" (known: draft, format, content, "
                                   "output)",
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

int js_value_json(sqlite3_value *v, strbuf *buf, const char **text, size_t *len, const char **why) {
    *why = NULL;
    if (sqlite3_value_type(v) == SQLITE_BLOB) {
        const unsigned char *b = sqlite3_value_blob(v);
        size_t n = (size_t)sqlite3_value_bytes(v);
        jsonb_kind kind = b ? jsonb_detect(b, n) : JSONB_NOT;
        if (kind != JSONB_NOT) {
            strbuf_reset(buf);
            bool ok = jsonb_to_json(b, n, buf, why);
            if (buf->failed)
                return SQLITE_NOMEM;
            if (ok && kind == JSONB_IF_VALID) {
                /* A few bytes that start like JSON text: JSONB only if its JSON is valid. */
                arena a;
                arena_init(&a);
                ok = jv_parse(&a, buf->data, buf->len, NULL) != NULL;
                arena_free(&a);
            }
            if (ok) {
                *text = buf->data;
                *len = buf->len;
                return SQLITE_OK;
            }
            if (kind == JSONB_YES)
                return SQLITE_MISMATCH;
            *why = NULL;
        }
    }
    *text = (const char *)sqlite3_value_text(v);
    *len = (size_t)sqlite3_value_bytes(v);
    if (*text == NULL && *len == 0)
        *text = "";
    return *text ? SQLITE_OK : SQLITE_NOMEM;
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

/* The cache key's hash: the length and at most 256 bytes sampled across the text, so computing
** it costs the same for a 200-byte schema and a 2 MB one (hashing the whole text cost 33 us for
** 218 KB). It only picks the candidates: memcmp against the cached copy decides, so two texts
** that differ only between the samples cost a comparison, never a wrong answer. */
static uint64_t sample_hash(const char *s, size_t n) {
    if (n <= 256)
        return strata_fnv1a(s, n) ^ n;
    uint64_t h = strata_fnv1a(s, 64) ^ strata_fnv1a(s + n - 64, 64) * 31;
    for (size_t i = 1; i <= 8; i++) {
        size_t at = (n - 16) / 9 * i;
        h = (h ^ strata_fnv1a(s + at, 16)) * 0x100000001B3ULL;
    }
    return h ^ n;
}

/* The options that change what a schema compiles to. */
static bool same_options(const js_options *a, const js_options *b) {
    return a->draft == b->draft && a->format == b->format && a->content == b->content;
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
    if (mru && mru->len == len && same_options(&mru->opts, opts) &&
        memcmp(mru->text, text, len) == 0) {
        *entry = mru;
        return mru->schema;
    }
    uint64_t h = sample_hash(text, len);
    for (js_cache_entry *e = c->head; e; e = e->next) {
        if (e->hash == h && e->len == len && same_options(&e->opts, opts) &&
            memcmp(e->text, text, len) == 0) {
            move_to_front(c, e);
            *entry = e;
            return e->schema;
        }
    }
    char msg[JS_ERR_SIZE];
    js_schema *s = js_compile(text, len, opts, lookup, c, msg, sizeof msg);
    if (s == NULL) {
        *err = dup_msg(msg);
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
