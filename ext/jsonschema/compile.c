/*
** compile: turns schema text into a tree of js_node with every reference resolved (see
** validator.h and node.h).
**
** Two passes over each JSON document involved (the schema, registered schemas it refers to,
** built-in meta-schemas):
**   index    walks the subschema positions the draft defines, giving every subschema its
**            resource (base URI) and JSON Pointer, and collecting $id, $anchor, $dynamicAnchor;
**   compile  builds one js_node per subschema, memoised by its JSON value, so cyclic and shared
**            references point to the same node. References resolve here, once.
** Dynamic anchors of every resource are compiled too, because $dynamicRef and $recursiveRef
** pick their target from the resources entered at validation time.
*/
#include "common/strbuf.h"
#include "jsonschema/node.h"
#include "jsonschema/uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMPILE_DEPTH 2000
#define MAX_DOCUMENTS 256

/* ---- pointer map ---------------------------------------------------------------------------- */

typedef struct pmap {
    const void **keys;
    void **vals;
    size_t n, cap;
} pmap;

static size_t phash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static void *pmap_get(const pmap *m, const void *k) {
    if (m->cap == 0)
        return NULL;
    for (size_t i = phash(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == k)
            return m->vals[i];
        if (m->keys[i] == NULL)
            return NULL;
    }
}

static bool pmap_put(pmap *m, const void *k, void *v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        const void **keys = calloc(cap, sizeof *keys);
        void **vals = calloc(cap, sizeof *vals);
        if (keys == NULL || vals == NULL) {
            free(keys);
            free(vals);
            return false;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            size_t j = phash(m->keys[i], cap);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t i = phash(k, m->cap);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == NULL)
        m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
    return true;
}

static void pmap_free(pmap *m) {
    free(m->keys);
    free(m->vals);
}

/* ---- compile context ------------------------------------------------------------------------ */

typedef struct js_loc {
    js_resource *res;
    const char *ptr;
} js_loc;

typedef struct anchor {
    char *key; /* resource uri + "#" + name */
    const jv *v;
    struct anchor *next;
} anchor;

typedef struct cctx {
    js_schema *s;
    pmap locs;  /* jv -> js_loc */
    pmap nodes; /* jv -> js_node */
    anchor *anchors;
    js_lookup_fn lookup;
    void *lookup_ctx;
    char *err; /* the caller's buffer (err, errlen) */
    size_t errlen;
    bool failed;
    bool err_located;
    int depth;
    int ndocs;
} cctx;

/* The problem takes at most this much of the caller's buffer; where it is comes after it. */
#define PROBLEM_MAX 512

static void cfail(cctx *cc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cfail(cctx *cc, const char *fmt, ...) {
    if (cc->failed)
        return;
    cc->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cc->err, cc->errlen < PROBLEM_MAX ? cc->errlen : PROBLEM_MAX, fmt, ap);
    va_end(ap);
}

static void *calloc_arena(cctx *cc, size_t n) {
    void *p = arena_alloc(&cc->s->mem, n);
    if (p == NULL) {
        cfail(cc, "out of memory");
        return NULL;
    }
    memset(p, 0, n);
    return p;
}

static char *adup(cctx *cc, const char *s, size_t n) {
    char *p = arena_strndup(&cc->s->mem, s, n);
    if (p == NULL)
        cfail(cc, "out of memory");
    return p;
}

uint64_t js_hash(const char *s, size_t n) {
    return jv_bytes_hash(s, n);
}

/* ---- drafts --------------------------------------------------------------------------------- */

static const struct {
    js_draft d;
    const char *uri;
} DRAFT_URIS[] = {
    {JS_DRAFT4, "http://json-schema.org/draft-04/schema"},
    {JS_DRAFT6, "http://json-schema.org/draft-06/schema"},
    {JS_DRAFT7, "http://json-schema.org/draft-07/schema"},
    {JS_DRAFT2019, "https://json-schema.org/draft/2019-09/schema"},
    {JS_DRAFT2020, "https://json-schema.org/draft/2020-12/schema"},
};

const char *js_draft_uri(js_draft d) {
    for (size_t i = 0; i < sizeof DRAFT_URIS / sizeof DRAFT_URIS[0]; i++)
        if (DRAFT_URIS[i].d == d)
            return DRAFT_URIS[i].uri;
    return DRAFT_URIS[4].uri;
}

static bool eq(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

js_draft js_draft_parse(const char *s, size_t n) {
    size_t bn = n;
    if (bn > 0 && s[bn - 1] == '#')
        bn--;
    for (size_t i = 0; i < sizeof DRAFT_URIS / sizeof DRAFT_URIS[0]; i++)
        if (eq(s, bn, DRAFT_URIS[i].uri))
            return DRAFT_URIS[i].d;
    /* http and https, with or without the trailing "#", name the same meta-schema. */
    const char *org = bn > 16 ? memmem(s, bn, "json-schema.org/", 16) : NULL;
    if (org && (org == s + 7 || org == s + 8)) {
        size_t tl = bn - (size_t)(org - s);
        for (size_t i = 0; i < sizeof DRAFT_URIS / sizeof DRAFT_URIS[0]; i++) {
            const char *tail = strstr(DRAFT_URIS[i].uri, "json-schema.org/");
            if (strlen(tail) == tl && memcmp(org, tail, tl) == 0)
                return DRAFT_URIS[i].d;
        }
    }
    /* "The latest draft", as older tools write it. */
    if (eq(s, bn, "http://json-schema.org/schema") || eq(s, bn, "https://json-schema.org/schema"))
        return JS_DRAFT2020;
    if (eq(s, n, "4") || eq(s, n, "draft4") || eq(s, n, "draft-04"))
        return JS_DRAFT4;
    if (eq(s, n, "6") || eq(s, n, "draft6") || eq(s, n, "draft-06"))
        return JS_DRAFT6;
    if (eq(s, n, "7") || eq(s, n, "draft7") || eq(s, n, "draft-07"))
        return JS_DRAFT7;
    if (eq(s, n, "2019-09") || eq(s, n, "draft2019-09"))
        return JS_DRAFT2019;
    if (eq(s, n, "2020-12") || eq(s, n, "draft2020-12"))
        return JS_DRAFT2020;
    return JS_DRAFT_DEFAULT;
}

/* ---- documents and resources ---------------------------------------------------------------- */

static js_resource *find_resource(cctx *cc, const char *uri, size_t n) {
    for (js_resource *r = cc->s->resources; r; r = r->next)
        if (strlen(r->uri) == n && memcmp(r->uri, uri, n) == 0)
            return r;
    return NULL;
}

static js_resource *new_resource(cctx *cc, const char *uri, size_t n, const jv *root,
                                 js_draft draft) {
    js_resource *r = calloc_arena(cc, sizeof *r);
    if (r == NULL)
        return NULL;
    r->uri = adup(cc, uri, n);
    r->root = root;
    r->draft = draft;
    r->next = cc->s->resources;
    cc->s->resources = r;
    return r;
}

static void index_schema(cctx *cc, const jv *v, js_resource *res, const char *ptr, js_draft draft,
                         int depth);
static js_resource *load_document(cctx *cc, const char *uri, js_draft fallback, int depth);

/* The draft a $schema value selects: a known meta-schema, or a registered one (whose own
** $schema decides). */
typedef struct vocab {
    bool no_validation, format_assertion;
} vocab;

static js_draft draft_of(cctx *cc, const jv *schema_kw, js_draft fallback, vocab *voc, int depth) {
    if (schema_kw == NULL || schema_kw->type != JV_STRING)
        return fallback;
    js_draft d = js_draft_parse(schema_kw->u.str, schema_kw->n);
    if (d != JS_DRAFT_DEFAULT && memmem(schema_kw->u.str, schema_kw->n, "json-schema.org/", 16))
        return d;
    char *uri = adup(cc, schema_kw->u.str, schema_kw->n);
    if (uri == NULL)
        return fallback;
    size_t bl = uri_base_len(uri);
    js_resource *meta = find_resource(cc, uri, bl);
    if (meta == NULL) {
        uri[bl] = '\0';
        meta = load_document(cc, uri, fallback, depth + 1);
    }
    if (meta == NULL) {
        if (!cc->failed)
            cfail(cc, "unknown $schema '%s'", uri);
        return fallback;
    }
    const jv *vv = jv_get(meta->root, "$vocabulary");
    if (voc && vv && vv->type == JV_OBJECT) {
        bool has = false;
        for (uint32_t i = 0; i < vv->n; i++) {
            const jv_member *m = &vv->u.members[i];
            if (m->klen > 11 && memcmp(m->key + m->klen - 11, "/validation", 11) == 0)
                has = true;
            if (m->klen > 17 && memcmp(m->key + m->klen - 17, "/format-assertion", 17) == 0)
                voc->format_assertion = true;
            /* 2019-09: the format vocabulary required (true) means assertion. */
            if (m->klen > 21 && memcmp(m->key + m->klen - 21, "/2019-09/vocab/format", 21) == 0 &&
                m->val->type == JV_TRUE)
                voc->format_assertion = true;
        }
        voc->no_validation = !has;
    }
    return meta->draft;
}

static js_resource *load_document(cctx *cc, const char *uri, js_draft fallback, int depth) {
    if (depth > 16 || cc->ndocs >= MAX_DOCUMENTS) {
        cfail(cc, "too many nested schema documents at '%s'", uri);
        return NULL;
    }
    size_t len = 0;
    const char *text = cc->lookup ? cc->lookup(cc->lookup_ctx, uri, &len) : NULL;
    if (text == NULL)
        text = js_builtin_schema(uri, &len);
    if (text == NULL)
        return NULL;
    char *copy = adup(cc, text, len);
    if (copy == NULL)
        return NULL;
    jv_error perr;
    jv *root = jv_parse(&cc->s->mem, copy, len, &perr);
    if (root == NULL) {
        cfail(cc, "schema registered as '%s' is not valid JSON: %s at offset %zu", uri, perr.msg,
              perr.offset);
        return NULL;
    }
    cc->ndocs++;
    js_draft d = fallback;
    vocab voc = {false, false};
    if (root->type == JV_OBJECT)
        d = draft_of(cc, jv_get(root, "$schema"), fallback, &voc, depth);
    /* A root $id names the document (relative references resolve against it); the URI it was
    ** registered under stays an alias for lookups. */
    const char *base = uri;
    char *idfull = NULL;
    if (root->type == JV_OBJECT) {
        const jv *id = jv_get(root, d == JS_DRAFT4 ? "id" : "$id");
        if (id && id->type == JV_STRING && !(d <= JS_DRAFT7 && jv_get(root, "$ref"))) {
            char *ids = adup(cc, id->u.str, id->n);
            idfull = ids ? uri_resolve(uri, ids) : NULL;
            if (idfull) {
                idfull[uri_base_len(idfull)] = '\0';
                if (idfull[0] && strcmp(idfull, uri) != 0 &&
                    !find_resource(cc, idfull, strlen(idfull)))
                    base = idfull;
            }
        }
    }
    js_resource *res = new_resource(cc, base, strlen(base), root, d);
    if (res && base != uri) {
        js_resource *alias = new_resource(cc, uri, strlen(uri), root, d);
        if (alias)
            alias->alias_of = res;
    }
    free(idfull);
    if (res == NULL)
        return NULL;
    res->no_validation = voc.no_validation;
    res->format_assertion = voc.format_assertion;
    index_schema(cc, root, res, "", d, 0);
    return cc->failed ? NULL : res;
}

/* ---- index pass ----------------------------------------------------------------------------- */

static char *ptr_join(cctx *cc, const char *ptr, const char *key, size_t klen) {
    size_t pl = strlen(ptr), extra = 0;
    for (size_t i = 0; i < klen; i++)
        extra += key[i] == '~' || key[i] == '/';
    char *out = arena_alloc(&cc->s->mem, pl + 1 + klen + extra + 1);
    if (out == NULL) {
        cfail(cc, "out of memory");
        return NULL;
    }
    memcpy(out, ptr, pl);
    size_t o = pl;
    out[o++] = '/';
    for (size_t i = 0; i < klen; i++) {
        if (key[i] == '~') {
            out[o++] = '~';
            out[o++] = '0';
        } else if (key[i] == '/') {
            out[o++] = '~';
            out[o++] = '1';
        } else {
            out[o++] = key[i];
        }
    }
    out[o] = '\0';
    return out;
}

static char *ptr_index(cctx *cc, const char *ptr, uint32_t i) {
    char num[16];
    int n = snprintf(num, sizeof num, "%u", i);
    return ptr_join(cc, ptr, num, (size_t)n);
}

static void add_anchor(cctx *cc, js_resource *res, const char *name, size_t n, const jv *v) {
    anchor *a = calloc_arena(cc, sizeof *a);
    if (a == NULL)
        return;
    size_t ul = strlen(res->uri);
    a->key = arena_alloc(&cc->s->mem, ul + n + 2);
    if (a->key == NULL) {
        cfail(cc, "out of memory");
        return;
    }
    memcpy(a->key, res->uri, ul);
    a->key[ul] = '#';
    memcpy(a->key + ul + 1, name, n);
    a->key[ul + 1 + n] = '\0';
    a->v = v;
    a->next = cc->anchors;
    cc->anchors = a;
}

static bool is_sub_kw(const char *k, size_t n, js_draft d) {
    static const char *const all[] = {"additionalItems",
                                      "additionalProperties",
                                      "not",
                                      "items",
                                      "contains",
                                      "propertyNames",
                                      "if",
                                      "then",
                                      "else",
                                      "unevaluatedItems",
                                      "unevaluatedProperties",
                                      "contentSchema"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (eq(k, n, all[i]))
            return true;
    (void)d;
    return false;
}

static bool is_list_kw(const char *k, size_t n) {
    return eq(k, n, "allOf") || eq(k, n, "anyOf") || eq(k, n, "oneOf") || eq(k, n, "items") ||
           eq(k, n, "prefixItems");
}

static bool is_map_kw(const char *k, size_t n) {
    return eq(k, n, "properties") || eq(k, n, "patternProperties") || eq(k, n, "definitions") ||
           eq(k, n, "$defs") || eq(k, n, "dependentSchemas") || eq(k, n, "dependencies");
}

static void index_schema(cctx *cc, const jv *v, js_resource *res, const char *ptr, js_draft draft,
                         int depth) {
    if (cc->failed)
        return;
    if (depth > MAX_COMPILE_DEPTH) {
        cfail(cc, "schema nested too deeply");
        return;
    }
    if (v->type != JV_OBJECT && v->type != JV_TRUE && v->type != JV_FALSE)
        return;
    if (pmap_get(&cc->locs, v))
        return;
    if (v->type == JV_OBJECT) {
        const jv *id = jv_get(v, draft == JS_DRAFT4 ? "id" : "$id");
        if (draft <= JS_DRAFT7 && jv_get(v, "$ref"))
            id = NULL; /* $ref overrides its siblings, $id included */
        if (id && id->type == JV_STRING) {
            char *idstr = adup(cc, id->u.str, id->n);
            char *full = idstr ? uri_resolve(res->uri, idstr) : NULL;
            if (idstr && full == NULL) {
                cfail(cc, "out of memory");
                return;
            }
            if (full) {
                size_t bl = uri_base_len(full);
                if (id->n > 0 && idstr[0] != '#' && v != res->root) {
                    vocab voc = {res->no_validation, res->format_assertion};
                    js_draft d = draft_of(cc, jv_get(v, "$schema"), draft, &voc, 0);
                    js_resource *existing = find_resource(cc, full, bl);
                    if (existing == NULL) {
                        res = new_resource(cc, full, bl, v, d);
                        if (res == NULL) {
                            free(full);
                            return;
                        }
                        res->no_validation = voc.no_validation;
                        res->format_assertion = voc.format_assertion;
                    } else {
                        res = existing;
                    }
                    draft = d;
                    ptr = "";
                }
                if (full[bl] == '#' && full[bl + 1] != '\0')
                    add_anchor(cc, res, full + bl + 1, strlen(full + bl + 1), v);
                free(full);
            }
        }
        if (draft >= JS_DRAFT2019) {
            const jv *a = jv_get(v, "$anchor");
            if (a && a->type == JV_STRING)
                add_anchor(cc, res, a->u.str, a->n, v);
        }
        if (draft >= JS_DRAFT2020) {
            const jv *a = jv_get(v, "$dynamicAnchor");
            if (a && a->type == JV_STRING) {
                add_anchor(cc, res, a->u.str, a->n, v);
                if (res->ndanchors == res->capdanchors) {
                    uint32_t cap = res->capdanchors ? res->capdanchors * 2 : 4;
                    js_danchor *arr = calloc_arena(cc, cap * sizeof *arr);
                    if (arr == NULL)
                        return;
                    if (res->ndanchors)
                        memcpy(arr, res->danchors, res->ndanchors * sizeof *arr);
                    res->danchors = arr;
                    res->capdanchors = cap;
                }
                js_danchor *da = &res->danchors[res->ndanchors++];
                da->name = adup(cc, a->u.str, a->n);
                da->src = v;
                da->node = NULL;
            }
        }
        if (draft == JS_DRAFT2019 && v == res->root) {
            const jv *ra = jv_get(v, "$recursiveAnchor");
            if (ra && ra->type == JV_TRUE)
                res->recursive_anchor = true;
        }
    }
    js_loc *loc = calloc_arena(cc, sizeof *loc);
    if (loc == NULL)
        return;
    loc->res = res;
    loc->ptr = ptr;
    if (!pmap_put(&cc->locs, v, loc)) {
        cfail(cc, "out of memory");
        return;
    }
    if (v->type != JV_OBJECT)
        return;
    for (uint32_t i = 0; i < v->n; i++) {
        const jv_member *m = &v->u.members[i];
        const jv *c = m->val;
        if (is_sub_kw(m->key, m->klen, draft) && c->type != JV_ARRAY) {
            index_schema(cc, c, res, ptr_join(cc, ptr, m->key, m->klen), draft, depth + 1);
        } else if (is_list_kw(m->key, m->klen) && c->type == JV_ARRAY) {
            const char *kp = ptr_join(cc, ptr, m->key, m->klen);
            for (uint32_t j = 0; j < c->n && kp; j++)
                index_schema(cc, c->u.items[j], res, ptr_index(cc, kp, j), draft, depth + 1);
        } else if (is_map_kw(m->key, m->klen) && c->type == JV_OBJECT) {
            const char *kp = ptr_join(cc, ptr, m->key, m->klen);
            for (uint32_t j = 0; j < c->n && kp; j++)
                index_schema(cc, c->u.members[j].val, res,
                             ptr_join(cc, kp, c->u.members[j].key, c->u.members[j].klen), draft,
                             depth + 1);
        }
        if (cc->failed)
            return;
    }
}

/* ---- reference resolution ------------------------------------------------------------------- */

static const char *draft_name(js_draft d) {
    return d == JS_DRAFT4 ? "draft-04" : d == JS_DRAFT6 ? "draft-06" : "draft-07";
}

/* Fails a $ref that did not resolve (why: "" when no document has its URI). Drafts 4-7 ignore
** every keyword beside $ref, $id included, so a published schema with both at its root, passed as
** text, has no base URI: a common trap that the message explains. */
static void ref_failed(cctx *cc, const js_resource *res, const char *full, const char *why) {
    if (res->ignored_id && uri_base_len(full) > 0) /* not a fragment of this document */
        cfail(cc,
              "cannot resolve $ref '%.200s'%s%s%s: the $id '%.200s' beside $ref is ignored in %s, "
              "so references do not resolve against it; register the schema under its URI with "
              "jsonschema_register and validate through {\"$ref\": \"%.200s\"}",
              full, why[0] ? " (" : "", why, why[0] ? ")" : "", res->ignored_id,
              draft_name(res->draft), res->ignored_id);
    else if (why[0])
        cfail(cc, "cannot resolve $ref '%s': %s", full, why);
    else
        cfail(cc, "cannot resolve $ref '%s' (register the schema with jsonschema_register)", full);
}

/* Resolves ref against res; returns the target value and its location (for targets the index
** did not reach, such as values under unknown keywords). */
static const jv *resolve(cctx *cc, js_resource *res, const jv *ref, js_loc *hint) {
    char *rs = adup(cc, ref->u.str, ref->n);
    if (rs == NULL)
        return NULL;
    char *full = uri_resolve(res->uri, rs);
    if (full == NULL) {
        cfail(cc, "out of memory");
        return NULL;
    }
    size_t bl = uri_base_len(full);
    js_resource *target = find_resource(cc, full, bl);
    if (target == NULL) {
        char *base = adup(cc, full, bl);
        if (base)
            target = load_document(cc, base, res->draft, 0);
        if (target == NULL) {
            ref_failed(cc, res, full, "");
            free(full);
            return NULL;
        }
    }
    if (target->alias_of)
        target = target->alias_of;
    const char *frag = full[bl] == '#' ? full + bl + 1 : "";
    const jv *v = target->root;
    hint->res = target;
    hint->ptr = "";
    if (frag[0] == '/') {
        size_t fl = strlen(frag);
        char *dec = arena_alloc(&cc->s->mem, fl + 1);
        if (dec == NULL) {
            free(full);
            cfail(cc, "out of memory");
            return NULL;
        }
        uri_percent_decode(frag, fl, dec);
        hint->ptr = adup(cc, dec, strlen(dec));
        /* Walk the pointer token by token. */
        const char *t = dec + 1;
        for (;;) {
            const char *end = strchr(t, '/');
            size_t tl = end ? (size_t)(end - t) : strlen(t);
            char *tok = arena_alloc(&cc->s->mem, tl + 1);
            if (tok == NULL) {
                free(full);
                cfail(cc, "out of memory");
                return NULL;
            }
            size_t k = 0;
            for (size_t i = 0; i < tl; i++) {
                if (t[i] == '~' && i + 1 < tl && (t[i + 1] == '0' || t[i + 1] == '1')) {
                    tok[k++] = t[i + 1] == '0' ? '~' : '/';
                    i++;
                } else {
                    tok[k++] = t[i];
                }
            }
            tok[k] = '\0';
            const jv *next = NULL;
            if (v->type == JV_OBJECT) {
                next = jv_getn(v, tok, k);
            } else if (v->type == JV_ARRAY && k > 0 && k < 10) {
                char *e;
                unsigned long idx = strtoul(tok, &e, 10);
                if (*e == '\0' && idx < v->n && (tok[0] != '0' || k == 1))
                    next = v->u.items[idx];
            }
            if (next == NULL) {
                ref_failed(cc, res, full, "no such location");
                free(full);
                return NULL;
            }
            v = next;
            js_loc *l = pmap_get(&cc->locs, v);
            if (l && l->res != hint->res) {
                /* Entered an embedded resource: later tokens are relative to it. */
                hint->res = l->res;
            }
            if (end == NULL)
                break;
            t = end + 1;
        }
    } else if (frag[0] != '\0') {
        char *key = full;
        const jv *found = NULL;
        for (anchor *a = cc->anchors; a; a = a->next) {
            if (strncmp(a->key, target->uri, strlen(target->uri)) == 0 &&
                a->key[strlen(target->uri)] == '#' &&
                strcmp(a->key + strlen(target->uri) + 1, frag) == 0) {
                found = a->v;
                break;
            }
        }
        if (found == NULL) {
            ref_failed(cc, res, key, "no such anchor");
            free(full);
            return NULL;
        }
        v = found;
    }
    free(full);
    return v;
}

/* ---- compile pass --------------------------------------------------------------------------- */

static js_node *compile_node(cctx *cc, const jv *v, const js_loc *hint, js_draft draft);

static bool get_count(cctx *cc, const jv *obj, const char *kw, int64_t *out) {
    const jv *v = jv_get(obj, kw);
    *out = -1;
    if (v == NULL)
        return true;
    if (v->type != JV_NUMBER || (*out = jv_num_to_count(&v->u.num)) < 0) {
        cfail(cc, "invalid schema: '%s' must be a non-negative integer", kw);
        return false;
    }
    return true;
}

static const jv_num *get_number(cctx *cc, const jv *obj, const char *kw) {
    const jv *v = jv_get(obj, kw);
    if (v == NULL)
        return NULL;
    if (v->type != JV_NUMBER) {
        cfail(cc, "invalid schema: '%s' must be a number", kw);
        return NULL;
    }
    return &v->u.num;
}

static js_node *sub(cctx *cc, js_node *parent, const jv *v, const char *kw) {
    if (v->type != JV_OBJECT && v->type != JV_TRUE && v->type != JV_FALSE) {
        cfail(cc, "invalid schema: '%s' must be a schema (an object or a boolean)", kw);
        return NULL;
    }
    js_loc hint = {parent->res, ptr_join(cc, parent->ptr, kw, strlen(kw))};
    return compile_node(cc, v, &hint, parent->draft);
}

static bool sub_list(cctx *cc, js_node *parent, const jv *v, const char *kw, js_list *out,
                     bool nonempty) {
    if (v->type != JV_ARRAY || (nonempty && v->n == 0)) {
        cfail(cc, "invalid schema: '%s' must be a %sarray of schemas", kw,
              nonempty ? "non-empty " : "");
        return false;
    }
    out->n = v->n;
    out->items = calloc_arena(cc, (v->n + 1) * sizeof(js_node *));
    if (out->items == NULL)
        return false;
    const char *kp = ptr_join(cc, parent->ptr, kw, strlen(kw));
    for (uint32_t i = 0; i < v->n; i++) {
        const jv *c = v->u.items[i];
        if (c->type != JV_OBJECT && c->type != JV_TRUE && c->type != JV_FALSE) {
            cfail(cc, "invalid schema: '%s' must be an array of schemas", kw);
            return false;
        }
        js_loc hint = {parent->res, ptr_index(cc, kp, i)};
        out->items[i] = compile_node(cc, c, &hint, parent->draft);
        if (out->items[i] == NULL)
            return false;
    }
    return true;
}

static uint32_t type_bit(const jv *t) {
    static const struct {
        const char *name;
        uint32_t bit;
    } T[] = {{"null", JT_NULL},      {"boolean", JT_BOOLEAN}, {"object", JT_OBJECT},
             {"array", JT_ARRAY},    {"number", JT_NUMBER},   {"string", JT_STRING},
             {"integer", JT_INTEGER}};
    if (t->type != JV_STRING)
        return 0;
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if (jv_str_is(t, T[i].name))
            return T[i].bit;
    return 0;
}

static js_regex *regex(cctx *cc, const char *src, size_t n, const char *kw) {
    char err[128];
    js_regex *re = js_regex_compile(src, n, err, sizeof err);
    if (re == NULL) {
        cfail(cc, "invalid schema: '%s' is not a valid regular expression: %.*s: %s", kw,
              (int)(n > 200 ? 200 : n), src, err);
        return NULL;
    }
    js_schema *s = cc->s;
    if (s->nregex == s->capregex) {
        size_t cap = s->capregex ? s->capregex * 2 : 8;
        js_regex **arr = realloc(s->regexes, cap * sizeof *arr);
        if (arr == NULL) {
            js_regex_free(re);
            cfail(cc, "out of memory");
            return NULL;
        }
        s->regexes = arr;
        s->capregex = cap;
    }
    s->regexes[s->nregex++] = re;
    return re;
}

const js_prop *js_node_prop(const js_node *node, const char *key, uint32_t klen) {
    if (node->prop_slots) {
        for (uint32_t i = (uint32_t)js_hash(key, klen) & node->prop_mask;;
             i = (i + 1) & node->prop_mask) {
            uint32_t s = node->prop_slots[i];
            if (s == 0)
                return NULL;
            const js_prop *p = &node->props[s - 1];
            if (p->klen == klen && memcmp(p->key, key, klen) == 0)
                return p;
        }
    }
    for (uint32_t i = 0; i < node->nprops; i++) {
        const js_prop *p = &node->props[i];
        if (p->klen == klen &&
            (klen == 0 || (p->key[0] == key[0] && memcmp(p->key, key, klen) == 0)))
            return p;
    }
    return NULL;
}

static bool compile_props(cctx *cc, js_node *n, const jv *props) {
    if (props->type != JV_OBJECT) {
        cfail(cc, "invalid schema: 'properties' must be an object");
        return false;
    }
    n->nprops = props->n;
    n->props = calloc_arena(cc, (props->n + 1) * sizeof(js_prop));
    if (n->props == NULL)
        return false;
    const char *kp = ptr_join(cc, n->ptr, "properties", 10);
    for (uint32_t i = 0; i < props->n; i++) {
        const jv_member *m = &props->u.members[i];
        n->props[i].key = m->key;
        n->props[i].klen = m->klen;
        if (m->val->type != JV_OBJECT && m->val->type != JV_TRUE && m->val->type != JV_FALSE) {
            cfail(cc, "invalid schema: 'properties' values must be schemas");
            return false;
        }
        js_loc hint = {n->res, ptr_join(cc, kp, m->key, m->klen)};
        n->props[i].node = compile_node(cc, m->val, &hint, n->draft);
        if (n->props[i].node == NULL)
            return false;
    }
    if (props->n > 8) {
        uint32_t cap = 16;
        while (cap < props->n * 2)
            cap *= 2;
        n->prop_slots = calloc_arena(cc, cap * sizeof(uint32_t));
        if (n->prop_slots == NULL)
            return false;
        n->prop_mask = cap - 1;
        for (uint32_t i = 0; i < props->n; i++) {
            uint32_t at = (uint32_t)js_hash(n->props[i].key, n->props[i].klen) & n->prop_mask;
            while (n->prop_slots[at])
                at = (at + 1) & n->prop_mask;
            n->prop_slots[at] = i + 1;
        }
    }
    return true;
}

static bool string_array(const jv *v) {
    if (v->type != JV_ARRAY)
        return false;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->u.items[i]->type != JV_STRING)
            return false;
    return true;
}

static bool compile_deps(cctx *cc, js_node *n, const jv *deps, const char *kw, bool req_ok,
                         bool sch_ok) {
    if (deps->type != JV_OBJECT) {
        cfail(cc, "invalid schema: '%s' must be an object", kw);
        return false;
    }
    const char *kp = ptr_join(cc, n->ptr, kw, strlen(kw));
    for (uint32_t i = 0; i < deps->n; i++) {
        const jv_member *m = &deps->u.members[i];
        const jv *d = m->val;
        if (req_ok && string_array(d)) {
            js_dep *arr = calloc_arena(cc, (n->ndep_req + 1) * sizeof *arr);
            if (arr == NULL)
                return false;
            if (n->ndep_req)
                memcpy(arr, n->dep_req, n->ndep_req * sizeof *arr);
            arr[n->ndep_req] = (js_dep){m->key, m->klen, d, NULL};
            n->dep_req = arr;
            n->ndep_req++;
            n->dep_req_kw = kw;
        } else if (sch_ok && (d->type == JV_OBJECT || d->type == JV_TRUE || d->type == JV_FALSE)) {
            js_loc hint = {n->res, ptr_join(cc, kp, m->key, m->klen)};
            js_node *c = compile_node(cc, d, &hint, n->draft);
            if (c == NULL)
                return false;
            js_dep *arr = calloc_arena(cc, (n->ndep_sch + 1) * sizeof *arr);
            if (arr == NULL)
                return false;
            if (n->ndep_sch)
                memcpy(arr, n->dep_sch, n->ndep_sch * sizeof *arr);
            arr[n->ndep_sch] = (js_dep){m->key, m->klen, NULL, c};
            n->dep_sch = arr;
            n->ndep_sch++;
            n->dep_sch_kw = kw;
        } else {
            cfail(cc, "invalid schema: '%s' values must be %s", kw,
                  req_ok && sch_ok ? "arrays of strings or schemas"
                  : req_ok         ? "arrays of strings"
                                   : "schemas");
            return false;
        }
    }
    return true;
}

static bool compile_ref(cctx *cc, js_node *n, const jv *ref, js_node **out, const jv **target_v) {
    if (ref->type != JV_STRING) {
        cfail(cc, "invalid schema: '$ref' must be a string");
        return false;
    }
    js_loc hint;
    const jv *t = resolve(cc, n->res, ref, &hint);
    if (t == NULL)
        return false;
    if (t->type != JV_OBJECT && t->type != JV_TRUE && t->type != JV_FALSE) {
        cfail(cc, "invalid schema: $ref '%.*s' does not point to a schema", (int)ref->n,
              ref->u.str);
        return false;
    }
    *out = compile_node(cc, t, &hint, hint.res->draft);
    if (target_v)
        *target_v = t;
    return *out != NULL;
}

static bool compile_keywords(cctx *cc, js_node *n, const jv *v) {
    js_draft d = n->draft;
    const jv *k;
    if ((k = jv_get(v, "$ref"))) {
        if (!compile_ref(cc, n, k, &n->ref, NULL))
            return false;
        if (d <= JS_DRAFT7) {
            n->ref_overrides = true;
            return true;
        }
    }
    if (d >= JS_DRAFT2020 && (k = jv_get(v, "$dynamicRef"))) {
        const jv *tv = NULL;
        if (!compile_ref(cc, n, k, &n->dynref, &tv))
            return false;
        const char *h = memchr(k->u.str, '#', k->n);
        if (h) {
            size_t nl = k->n - (size_t)(h + 1 - k->u.str);
            const jv *da = jv_get(tv, "$dynamicAnchor");
            if (nl > 0 && h[1] != '/' && da && da->type == JV_STRING && da->n == nl &&
                memcmp(da->u.str, h + 1, nl) == 0)
                n->dyn_name = adup(cc, h + 1, nl);
        }
    }
    if (d == JS_DRAFT2019 && (k = jv_get(v, "$recursiveRef"))) {
        const jv *tv = NULL;
        if (!compile_ref(cc, n, k, &n->recref, &tv))
            return false;
        const jv *ra = jv_get(tv, "$recursiveAnchor");
        n->rec_dynamic = ra && ra->type == JV_TRUE;
    }
    bool validation = !n->res->no_validation;
    if (validation && (k = jv_get(v, "type"))) {
        if (k->type == JV_STRING) {
            n->types = type_bit(k);
        } else if (k->type == JV_ARRAY) {
            for (uint32_t i = 0; i < k->n; i++) {
                uint32_t bit = type_bit(k->u.items[i]);
                if (bit == 0) {
                    cfail(cc, "invalid schema: 'type' must name JSON types");
                    return false;
                }
                n->types |= bit;
            }
            if (k->n == 0)
                n->types = 0;
        }
        if (n->types == 0 && !(k->type == JV_ARRAY && k->n == 0)) {
            cfail(cc, "invalid schema: 'type' must name JSON types");
            return false;
        }
        if (k->type == JV_ARRAY && k->n == 0)
            n->types = 1u << 31; /* nothing matches */
    }
    if (validation && (k = jv_get(v, "enum"))) {
        if (k->type != JV_ARRAY) {
            cfail(cc, "invalid schema: 'enum' must be an array");
            return false;
        }
        n->enum_ = k;
    }
    if (validation && d >= JS_DRAFT6 && (k = jv_get(v, "const"))) {
        n->const_ = k;
        n->has_const = true;
    }
    if (validation) {
        n->multiple_of = get_number(cc, v, "multipleOf");
        if (n->multiple_of && (n->multiple_of->neg || n->multiple_of->ndig == 0)) {
            cfail(cc, "invalid schema: 'multipleOf' must be greater than 0");
            return false;
        }
        n->maximum = get_number(cc, v, "maximum");
        n->minimum = get_number(cc, v, "minimum");
        n->max_kw = "exclusiveMaximum";
        n->min_kw = "exclusiveMinimum";
        if (d == JS_DRAFT4) {
            const jv *em = jv_get(v, "exclusiveMaximum"), *en = jv_get(v, "exclusiveMinimum");
            if (em && em->type == JV_TRUE) {
                n->ex_maximum = n->maximum;
                n->maximum = NULL;
                n->max_kw = "maximum";
            }
            if (en && en->type == JV_TRUE) {
                n->ex_minimum = n->minimum;
                n->minimum = NULL;
                n->min_kw = "minimum";
            }
        } else {
            n->ex_maximum = get_number(cc, v, "exclusiveMaximum");
            n->ex_minimum = get_number(cc, v, "exclusiveMinimum");
        }
        if (!get_count(cc, v, "maxLength", &n->max_length) ||
            !get_count(cc, v, "minLength", &n->min_length) ||
            !get_count(cc, v, "maxItems", &n->max_items) ||
            !get_count(cc, v, "minItems", &n->min_items) ||
            !get_count(cc, v, "maxProperties", &n->max_props) ||
            !get_count(cc, v, "minProperties", &n->min_props))
            return false;
        if (d >= JS_DRAFT2019 && (!get_count(cc, v, "maxContains", &n->max_contains) ||
                                  !get_count(cc, v, "minContains", &n->min_contains)))
            return false;
        if ((k = jv_get(v, "pattern"))) {
            if (k->type != JV_STRING) {
                cfail(cc, "invalid schema: 'pattern' must be a string");
                return false;
            }
            if ((n->pattern = regex(cc, k->u.str, k->n, "pattern")) == NULL)
                return false;
        }
        if ((k = jv_get(v, "uniqueItems")))
            n->unique = k->type == JV_TRUE;
        if ((k = jv_get(v, "required"))) {
            if (!string_array(k)) {
                if (!(d == JS_DRAFT4 && k->type == JV_ARRAY)) {
                    cfail(cc, "invalid schema: 'required' must be an array of strings");
                    return false;
                }
            }
            n->required = k;
        }
        if (d >= JS_DRAFT2019 && (k = jv_get(v, "dependentRequired")) &&
            !compile_deps(cc, n, k, "dependentRequired", true, false))
            return false;
    }
    if ((k = jv_get(v, "format")) && k->type == JV_STRING) {
        n->format = js_format_id(k->u.str, k->n, d);
        js_format_mode fm = cc->s->opts.format;
        n->format_assert = fm == JS_FORMAT_ASSERT || n->res->format_assertion ||
                           (fm == JS_FORMAT_DEFAULT && d <= JS_DRAFT7);
    }
    if (cc->s->opts.content == JS_CONTENT_ASSERT && d >= JS_DRAFT7) {
        /* Asked for: the encoding and media type the specifications name, and from 2019-09 the
        ** decoded document against contentSchema (which only means anything beside a media
        ** type). Other encodings and media types stay annotations. */
        n->content_base64 = jv_str_is(jv_get(v, "contentEncoding"), "base64");
        n->content_json = jv_str_is(jv_get(v, "contentMediaType"), "application/json");
        if (n->content_json && d >= JS_DRAFT2019 && (k = jv_get(v, "contentSchema")) &&
            (n->content_schema = sub(cc, n, k, "contentSchema")) == NULL)
            return false;
    }
    /* Applicators. */
    if (d >= JS_DRAFT2020) {
        if ((k = jv_get(v, "prefixItems"))) {
            if (!sub_list(cc, n, k, "prefixItems", &n->prefix, false))
                return false;
            n->prefix_kw = "prefixItems";
        }
        if ((k = jv_get(v, "items"))) {
            if ((n->items = sub(cc, n, k, "items")) == NULL)
                return false;
            n->items_kw = "items";
        }
    } else if ((k = jv_get(v, "items"))) {
        if (k->type == JV_ARRAY) {
            if (!sub_list(cc, n, k, "items", &n->prefix, false))
                return false;
            n->prefix_kw = "items";
            const jv *ai = jv_get(v, "additionalItems");
            if (ai) {
                if ((n->items = sub(cc, n, ai, "additionalItems")) == NULL)
                    return false;
                n->items_kw = "additionalItems";
            }
        } else {
            if ((n->items = sub(cc, n, k, "items")) == NULL)
                return false;
            n->items_kw = "items";
        }
    }
    if (d >= JS_DRAFT6 && (k = jv_get(v, "contains")) &&
        (n->contains = sub(cc, n, k, "contains")) == NULL)
        return false;
    if ((k = jv_get(v, "properties")) && !compile_props(cc, n, k))
        return false;
    if ((k = jv_get(v, "patternProperties"))) {
        if (k->type != JV_OBJECT) {
            cfail(cc, "invalid schema: 'patternProperties' must be an object");
            return false;
        }
        n->npatprops = k->n;
        n->patprops = calloc_arena(cc, (k->n + 1) * sizeof(js_patprop));
        if (n->patprops == NULL)
            return false;
        const char *kp = ptr_join(cc, n->ptr, "patternProperties", 17);
        for (uint32_t i = 0; i < k->n; i++) {
            const jv_member *m = &k->u.members[i];
            js_patprop *pp = &n->patprops[i];
            pp->src = m->key;
            pp->srclen = m->klen;
            if ((pp->re = regex(cc, m->key, m->klen, "patternProperties")) == NULL)
                return false;
            if (m->val->type != JV_OBJECT && m->val->type != JV_TRUE && m->val->type != JV_FALSE) {
                cfail(cc, "invalid schema: 'patternProperties' values must be schemas");
                return false;
            }
            js_loc hint = {n->res, ptr_join(cc, kp, m->key, m->klen)};
            if ((pp->node = compile_node(cc, m->val, &hint, d)) == NULL)
                return false;
        }
    }
    if ((k = jv_get(v, "additionalProperties")) &&
        (n->additional = sub(cc, n, k, "additionalProperties")) == NULL)
        return false;
    /* "dependencies" split into dependentRequired/dependentSchemas in 2019-09; still honoured
    ** there, as most validators do, since real schemas keep using it. */
    if ((k = jv_get(v, "dependencies")) && !compile_deps(cc, n, k, "dependencies", true, true))
        return false;
    if (d >= JS_DRAFT2019 && (k = jv_get(v, "dependentSchemas")) &&
        !compile_deps(cc, n, k, "dependentSchemas", false, true))
        return false;
    if (d >= JS_DRAFT6 && (k = jv_get(v, "propertyNames")) &&
        (n->property_names = sub(cc, n, k, "propertyNames")) == NULL)
        return false;
    if (d >= JS_DRAFT7 && (k = jv_get(v, "if"))) {
        if ((n->if_ = sub(cc, n, k, "if")) == NULL)
            return false;
        if ((k = jv_get(v, "then")) && (n->then_ = sub(cc, n, k, "then")) == NULL)
            return false;
        if ((k = jv_get(v, "else")) && (n->else_ = sub(cc, n, k, "else")) == NULL)
            return false;
    }
    if ((k = jv_get(v, "not")) && (n->not_ = sub(cc, n, k, "not")) == NULL)
        return false;
    if ((k = jv_get(v, "allOf")) && !sub_list(cc, n, k, "allOf", &n->all_of, true))
        return false;
    if ((k = jv_get(v, "anyOf")) && !sub_list(cc, n, k, "anyOf", &n->any_of, true))
        return false;
    if ((k = jv_get(v, "oneOf")) && !sub_list(cc, n, k, "oneOf", &n->one_of, true))
        return false;
    if (d >= JS_DRAFT2019) {
        if ((k = jv_get(v, "unevaluatedProperties")) &&
            (n->uneval_props = sub(cc, n, k, "unevaluatedProperties")) == NULL)
            return false;
        if ((k = jv_get(v, "unevaluatedItems")) &&
            (n->uneval_items = sub(cc, n, k, "unevaluatedItems")) == NULL)
            return false;
    }
    return true;
}

static js_node *compile_node(cctx *cc, const jv *v, const js_loc *hint, js_draft draft) {
    if (cc->failed)
        return NULL;
    js_node *n = pmap_get(&cc->nodes, v);
    if (n)
        return n;
    if (++cc->depth > MAX_COMPILE_DEPTH) {
        cfail(cc, "schema nested too deeply (or a reference chain too long)");
        return NULL;
    }
    js_loc *loc = pmap_get(&cc->locs, v);
    if (loc == NULL) {
        index_schema(cc, v, hint->res, hint->ptr, draft, 0);
        loc = pmap_get(&cc->locs, v);
        if (loc == NULL) {
            cfail(cc, "invalid schema: a schema must be an object or a boolean");
            cc->depth--;
            return NULL;
        }
    }
    n = calloc_arena(cc, sizeof *n);
    if (n == NULL || !pmap_put(&cc->nodes, v, n)) {
        cfail(cc, "out of memory");
        cc->depth--;
        return NULL;
    }
    n->src = v;
    n->res = loc->res;
    n->ptr = loc->ptr;
    n->draft = loc->res->root == v ? loc->res->draft : draft;
    if (loc->res->root == v || (v->type == JV_OBJECT && loc->ptr[0] == '\0'))
        n->draft = loc->res->draft;
    n->max_length = n->min_length = n->max_items = n->min_items = -1;
    n->max_props = n->min_props = n->max_contains = n->min_contains = -1;
    if (v->type == JV_TRUE) {
        n->kind = JS_KIND_TRUE;
    } else if (v->type == JV_FALSE) {
        n->kind = JS_KIND_FALSE;
    } else {
        n->kind = JS_KIND_OBJECT;
        if (!compile_keywords(cc, n, v) && cc->failed && !cc->err_located) {
            /* Say where, once, at the innermost schema that failed. */
            cc->err_located = true;
            size_t used = cc->errlen ? strlen(cc->err) : 0;
            if (used + 1 < cc->errlen)
                snprintf(cc->err + used, cc->errlen - used, " (at %s#%s)", n->res->uri, n->ptr);
        }
    }
    if (loc->res->root == v)
        loc->res->root_node = n;
    cc->depth--;
    return cc->failed ? NULL : n;
}

/* Compiles what dynamic references may jump to: every $dynamicAnchor and every resource root
** with $recursiveAnchor. Compiling may load more documents, so repeat until nothing changes. */
static void compile_dynamic_targets(cctx *cc) {
    bool changed = true;
    while (changed && !cc->failed) {
        changed = false;
        for (js_resource *r = cc->s->resources; r && !cc->failed; r = r->next) {
            for (uint32_t i = 0; i < r->ndanchors; i++) {
                if (r->danchors[i].node)
                    continue;
                js_loc *loc = pmap_get(&cc->locs, r->danchors[i].src);
                js_loc hint = {r, loc ? loc->ptr : ""};
                r->danchors[i].node = compile_node(cc, r->danchors[i].src, &hint, r->draft);
                changed = true;
            }
            if (r->recursive_anchor && r->root_node == NULL) {
                js_loc hint = {r, ""};
                r->root_node = compile_node(cc, r->root, &hint, r->draft);
                changed = true;
            }
        }
    }
}

js_schema *js_compile(const char *text, size_t len, const js_options *opts, js_lookup_fn lookup,
                      void *lookup_ctx, char *err, size_t errlen) {
    js_schema *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    arena_init(&s->mem);
    arena_init(&s->scratch);
    if (opts)
        s->opts = *opts;
    cctx cc = {.s = s, .lookup = lookup, .lookup_ctx = lookup_ctx, .err = err, .errlen = errlen};
    char *copy = arena_strndup(&s->mem, text, len);
    jv_error perr;
    jv *root = copy ? jv_parse(&s->mem, copy, len, &perr) : NULL;
    if (root == NULL) {
        if (copy)
            cfail(&cc, "schema is not valid JSON: %s at offset %zu", perr.msg, perr.offset);
        else
            cfail(&cc, "out of memory");
    } else if (root->type != JV_OBJECT && root->type != JV_TRUE && root->type != JV_FALSE) {
        cfail(&cc, "invalid schema: a schema must be an object or a boolean");
    } else {
        js_draft fallback = s->opts.draft ? s->opts.draft : JS_DRAFT2020;
        js_draft d = fallback;
        vocab voc = {false, false};
        if (root->type == JV_OBJECT)
            d = draft_of(&cc, jv_get(root, "$schema"), fallback, &voc, 0);
        /* The root's own $id names the root resource. */
        const char *rid = "";
        size_t rlen = 0;
        char *full = NULL;
        const char *ignored_id = NULL;
        if (root->type == JV_OBJECT && !cc.failed) {
            const jv *id = jv_get(root, d == JS_DRAFT4 ? "id" : "$id");
            if (id && id->type == JV_STRING && d <= JS_DRAFT7 && jv_get(root, "$ref")) {
                ignored_id = adup(&cc, id->u.str, id->n);
            } else if (id && id->type == JV_STRING) {
                char *ids = adup(&cc, id->u.str, id->n);
                full = ids ? uri_resolve("", ids) : NULL;
                if (full) {
                    rid = full;
                    rlen = uri_base_len(full);
                }
            }
        }
        js_resource *res = cc.failed ? NULL : new_resource(&cc, rid, rlen, root, d);
        if (res) {
            res->ignored_id = ignored_id;
            res->no_validation = voc.no_validation;
            res->format_assertion = voc.format_assertion;
            index_schema(&cc, root, res, "", d, 0);
            js_loc hint = {res, ""};
            s->root = compile_node(&cc, root, &hint, d);
            compile_dynamic_targets(&cc);
        }
        free(full);
    }
    pmap_free(&cc.locs);
    pmap_free(&cc.nodes);
    if (cc.failed || s->root == NULL) {
        if (!cc.failed)
            snprintf(err, errlen, "out of memory");
        js_schema_free(s);
        return NULL;
    }
    return s;
}

void js_schema_free(js_schema *s) {
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nregex; i++)
        js_regex_free(s->regexes[i]);
    free(s->regexes);
    arena_free(&s->mem);
    arena_free(&s->scratch);
    free(s);
}

js_draft js_schema_draft(const js_schema *s) {
    return s->root->draft;
}

size_t js_schema_memory(const js_schema *s) {
    return s->mem.total;
}
