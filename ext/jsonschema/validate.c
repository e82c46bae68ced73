/*
** validate: runs a compiled schema (node.h) over a parsed document.
**
** One recursive function, validate(), handles a node; keyword groups live in their own
** functions so the recursive frame stays small. Errors are only built when the caller asked
** for them (js_errors); a yes/no check stops at the first failure.
**
** Annotations for unevaluatedProperties/unevaluatedItems are one mark per object member or
** array item. A node with an unevaluated* keyword starts fresh marks, passes them to the
** in-place applicators ($ref, allOf, anyOf, oneOf, if/then/else, dependentSchemas...), then
** merges them into its caller's marks. Branches that fail drop their marks, which is why
** anyOf, oneOf and if give each branch its own and merge only successful ones.
*/
#include "common/strbuf.h"
#include "jsonschema/node.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path segment that an error keeps. The stacks below copy a segment here once, on the first
** error under it, and every later error under the same prefix shares it: reporting an error
** costs O(1) however deep it is, and location strings are built once, for the errors that
** survive (anyOf and oneOf drop their branches' errors when a branch passes). */
typedef struct pnode {
    const struct pnode *up;
    const char *s; /* NULL for an array index */
    uint32_t n;
    uint32_t idx;
    size_t bytes; /* about the length of the pointer up to here (escapes not counted) */
} pnode;

/* Reported errors stop at the caller's count (1,000 by default) or when their locations and
** messages reach this many bytes: a schema key of 100 KB under a 1,000-level recursion would
** otherwise make every location 100 MB long. */
#define JS_MAX_REPORT_BYTES ((size_t)8 << 20)

typedef struct seg {
    const char *s; /* NULL for an array index */
    uint32_t n;
    uint32_t idx;
    const pnode *pn; /* this segment's kept copy, once an error needed it */
} seg;

typedef struct segs {
    seg *v;
    uint32_t n, cap;
} segs;

/* An error before its strings are built (js_check builds them at the end). */
typedef struct verr {
    const pnode *kpath, *ipath;
    const js_node *node;
    const char *kw;
    char *message; /* malloc'd */
    size_t bytes;  /* counted against JS_MAX_REPORT_BYTES */
} verr;

typedef struct ann {
    uint8_t *m;
    uint32_t n;
} ann;

typedef struct vstate {
    js_schema *s;
    bool collect;
    const char *fatal;
    int depth;
    segs ipath, kpath;
    js_resource **scope;
    uint32_t nscope, capscope;
    verr *errv;
    size_t nerr, caperr, limit;
    size_t report_bytes;
} vstate;

#define NOINLINE __attribute__((noinline))

static void set_fatal(vstate *st, const char *msg) {
    if (st->fatal == NULL)
        st->fatal = msg;
}

/* ---- paths (kept only while collecting errors) ---------------------------------------------- */

static void spush(vstate *st, segs *p, const char *s, uint32_t n, uint32_t idx) {
    if (!st->collect)
        return;
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 32;
        seg *v = realloc(p->v, cap * sizeof *v);
        if (v == NULL) {
            set_fatal(st, "out of memory");
            return;
        }
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = (seg){s, n, idx, NULL};
}

static void spop(vstate *st, segs *p) {
    if (st->collect && p->n > 0)
        p->n--;
}

static void kpush(vstate *st, const char *kw) {
    if (st->collect)
        spush(st, &st->kpath, kw, (uint32_t)strlen(kw), 0);
}

static void kpush_key(vstate *st, const char *k, uint32_t n) {
    spush(st, &st->kpath, k, n, 0);
}

static void kpush_idx(vstate *st, uint32_t i) {
    spush(st, &st->kpath, NULL, 0, i);
}

static void kpop(vstate *st) {
    spop(st, &st->kpath);
}

static void ipush_key(vstate *st, const char *k, uint32_t n) {
    spush(st, &st->ipath, k, n, 0);
}

static void ipush_idx(vstate *st, uint32_t i) {
    spush(st, &st->ipath, NULL, 0, i);
}

static void ipop(vstate *st) {
    spop(st, &st->ipath);
}

/* The kept copy of the whole path p (NULL for the empty path). Segments kept earlier form a
** prefix of the stack (a pushed segment starts without one), so only the rest is copied. */
static const pnode *keep_path(vstate *st, segs *p, bool *ok) {
    uint32_t j = p->n;
    while (j > 0 && p->v[j - 1].pn == NULL)
        j--;
    const pnode *up = j ? p->v[j - 1].pn : NULL;
    for (; j < p->n; j++) {
        pnode *pn = arena_alloc(&st->s->scratch, sizeof *pn);
        if (pn == NULL) {
            set_fatal(st, "out of memory");
            *ok = false;
            return NULL;
        }
        size_t len = p->v[j].s ? p->v[j].n : 10;
        *pn = (pnode){up, p->v[j].s, p->v[j].n, p->v[j].idx, (up ? up->bytes : 0) + 1 + len};
        p->v[j].pn = pn;
        up = pn;
    }
    return up;
}

/* Appends "/" and s as a JSON Pointer token ('~' and '/' escaped), in runs. */
static void append_token(strbuf *sb, const char *s, size_t n) {
    strbuf_append_char(sb, '/');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '~' && s[i] != '/')
            continue;
        strbuf_append(sb, s + run, i - run);
        strbuf_append(sb, s[i] == '~' ? "~0" : "~1", 2);
        run = i + 1;
    }
    strbuf_append(sb, s + run, n - run);
}

/* Appends the JSON Pointer of a kept path. */
static void append_path(strbuf *sb, const pnode *p) {
    size_t depth = 0;
    for (const pnode *q = p; q; q = q->up)
        depth++;
    const pnode **v = depth ? malloc(depth * sizeof *v) : NULL;
    if (depth && v == NULL) {
        sb->failed = true;
        return;
    }
    size_t i = depth;
    for (const pnode *q = p; q; q = q->up)
        v[--i] = q;
    for (i = 0; i < depth; i++) {
        if (v[i]->s)
            append_token(sb, v[i]->s, v[i]->n);
        else
            strbuf_appendf(sb, "/%u", v[i]->idx);
    }
    free(v);
}

static char *path_string(const pnode *p, const char *last) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "", 0);
    append_path(&sb, p);
    if (last)
        append_token(&sb, last, strlen(last));
    return strbuf_take(&sb, NULL);
}

static void emit(vstate *st, const js_node *n, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void emit(vstate *st, const js_node *n, const char *kw, const char *fmt, ...) {
    /* After a fatal problem nothing is reported (the call fails), so unwinding a deep
    ** evaluation builds nothing. */
    if (!st->collect || st->fatal || st->nerr >= st->limit)
        return;
    if (st->nerr == st->caperr) {
        size_t cap = st->caperr ? st->caperr * 2 : 8;
        verr *v = realloc(st->errv, cap * sizeof *v);
        if (v == NULL) {
            set_fatal(st, "out of memory");
            return;
        }
        st->errv = v;
        st->caperr = cap;
    }
    bool ok = true;
    verr e = {keep_path(st, &st->kpath, &ok), keep_path(st, &st->ipath, &ok), n, kw, NULL, 0};
    if (!ok)
        return;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    e.bytes = (e.kpath ? e.kpath->bytes : 0) + (e.ipath ? e.ipath->bytes : 0) +
              strlen(n->res->uri) + strlen(n->ptr) + (len > 0 ? (size_t)len : 0) + 64;
    if (st->report_bytes + e.bytes > JS_MAX_REPORT_BYTES) {
        va_end(ap2);
        return;
    }
    e.message = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (e.message)
        vsnprintf(e.message, (size_t)len + 1, fmt, ap2);
    va_end(ap2);
    if (e.message == NULL) {
        set_fatal(st, "out of memory");
        return;
    }
    st->report_bytes += e.bytes;
    st->errv[st->nerr++] = e;
}

/* Builds the location strings of the kept errors into errs. False when out of memory. */
static bool finish_errors(vstate *st, js_errors *errs) {
    errs->items = st->nerr ? malloc(st->nerr * sizeof *errs->items) : NULL;
    if (st->nerr && errs->items == NULL)
        return false;
    errs->cap = st->nerr;
    for (size_t i = 0; i < st->nerr; i++) {
        verr *v = &st->errv[i];
        js_error *er = &errs->items[errs->n];
        er->instance_location = path_string(v->ipath, NULL);
        er->keyword_location = path_string(v->kpath, v->kw);
        strbuf sb;
        strbuf_init(&sb);
        strbuf_append_str(&sb, v->node->res->uri);
        strbuf_append_char(&sb, '#');
        strbuf_append_str(&sb, v->node->ptr);
        if (v->kw)
            append_token(&sb, v->kw, strlen(v->kw));
        er->absolute_keyword_location = strbuf_take(&sb, NULL);
        er->message = v->message;
        v->message = NULL;
        errs->n++;
        if (!er->instance_location || !er->keyword_location || !er->absolute_keyword_location)
            return false;
    }
    return true;
}

/* How much of a name to quote in a message: at most 200 bytes, never half a UTF-8 sequence. */
static int clip(const char *s, uint32_t n) {
    if (n <= 200)
        return (int)n;
    uint32_t k = 200;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}

static void truncate_errors(vstate *st, size_t n) {
    while (st->nerr > n) {
        verr *v = &st->errv[--st->nerr];
        st->report_bytes -= v->bytes;
        free(v->message);
    }
}

static size_t error_count(const vstate *st) {
    return st->nerr;
}

/* ---- annotations ---------------------------------------------------------------------------- */

static bool ann_new(vstate *st, ann *a, uint32_t n) {
    a->n = n;
    a->m = arena_alloc(&st->s->scratch, n ? n : 1);
    if (a->m == NULL) {
        set_fatal(st, "out of memory");
        return false;
    }
    memset(a->m, 0, n);
    return true;
}

static void ann_merge(ann *into, const ann *from) {
    if (into == NULL || from == NULL)
        return;
    for (uint32_t i = 0; i < into->n && i < from->n; i++)
        into->m[i] |= from->m[i];
}

/* ---- the validator -------------------------------------------------------------------------- */

static bool validate(vstate *st, const js_node *n, const jv *inst, ann *pa);

static const char *type_name(const jv *v) {
    switch (v->type) {
        case JV_NULL:
            return "null";
        case JV_TRUE:
        case JV_FALSE:
            return "boolean";
        case JV_NUMBER:
            return jv_num_is_int(&v->u.num) ? "integer" : "number";
        case JV_STRING:
            return "string";
        case JV_ARRAY:
            return "array";
        default:
            return "object";
    }
}

static uint32_t type_bits(const jv *v) {
    switch (v->type) {
        case JV_NULL:
            return JT_NULL;
        case JV_TRUE:
        case JV_FALSE:
            return JT_BOOLEAN;
        case JV_NUMBER:
            return jv_num_is_int(&v->u.num) ? (JT_NUMBER | JT_INTEGER) : JT_NUMBER;
        case JV_STRING:
            return JT_STRING;
        case JV_ARRAY:
            return JT_ARRAY;
        default:
            return JT_OBJECT;
    }
}

static bool in_place(vstate *st, const js_node *n, const char *kw, const js_node *target,
                     const jv *inst, ann *a) {
    kpush(st, kw);
    bool ok = validate(st, target, inst, a);
    kpop(st);
    return ok;
}

static NOINLINE bool check_generic(vstate *st, const js_node *n, const jv *inst) {
    bool ok = true;
    uint32_t bits = type_bits(inst);
    if (n->draft == JS_DRAFT4 && inst->type == JV_NUMBER && inst->u.num.spelled_float)
        bits &= ~(uint32_t)JT_INTEGER; /* draft 4: an integer has no fraction or exponent */
    if (n->types && !(n->types & bits)) {
        if (st->collect) {
            char want[160] = "";
            const jv *t = jv_get(n->src, "type");
            for (uint32_t i = 0; t && i < (t->type == JV_ARRAY ? t->n : 1); i++) {
                const jv *one = t->type == JV_ARRAY ? t->u.items[i] : t;
                if (one->type != JV_STRING)
                    continue;
                size_t used = strlen(want);
                snprintf(want + used, sizeof want - used, "%s%.*s", i ? ", " : "",
                         (int)(one->n > 16 ? 16 : one->n), one->u.str);
            }
            emit(st, n, "type", "%s is not of type %s", type_name(inst), want);
        }
        if (!st->collect)
            return false;
        ok = false;
    }
    if (n->enum_) {
        bool found = false;
        for (uint32_t i = 0; i < n->enum_->n && !found; i++)
            found = jv_equal(n->enum_->u.items[i], inst);
        if (!found) {
            if (st->collect) {
                strbuf sb;
                strbuf_init(&sb);
                jv_write(&sb, n->enum_, 120);
                emit(st, n, "enum", "value is not one of %s",
                     sb.data ? sb.data : "the enum values");
                strbuf_free(&sb);
            }
            ok = false;
        }
    }
    if (n->has_const && !jv_equal(n->const_, inst)) {
        if (st->collect) {
            strbuf sb;
            strbuf_init(&sb);
            jv_write(&sb, n->const_, 120);
            emit(st, n, "const", "value must be %s", sb.data ? sb.data : "the const value");
            strbuf_free(&sb);
        }
        ok = false;
    }
    return ok;
}

static NOINLINE bool check_number(vstate *st, const js_node *n, const jv *inst) {
    const jv_num *x = &inst->u.num;
    bool ok = true;
    if (n->multiple_of && !jv_num_multiple_of(x, n->multiple_of)) {
        emit(st, n, "multipleOf", "number is not a multiple of %.17g", n->multiple_of->d);
        ok = false;
    }
    if (n->maximum && jv_num_cmp(x, n->maximum) > 0) {
        emit(st, n, "maximum", "number is greater than the maximum %.17g", n->maximum->d);
        ok = false;
    }
    if (n->ex_maximum && jv_num_cmp(x, n->ex_maximum) >= 0) {
        emit(st, n, n->max_kw, "number is not less than %.17g", n->ex_maximum->d);
        ok = false;
    }
    if (n->minimum && jv_num_cmp(x, n->minimum) < 0) {
        emit(st, n, "minimum", "number is less than the minimum %.17g", n->minimum->d);
        ok = false;
    }
    if (n->ex_minimum && jv_num_cmp(x, n->ex_minimum) <= 0) {
        emit(st, n, n->min_kw, "number is not greater than %.17g", n->ex_minimum->d);
        ok = false;
    }
    return ok;
}

static bool check_content(vstate *st, const js_node *n, const jv *inst) {
    const char *text = inst->u.str;
    long len = (long)inst->n;
    if (n->content_base64) {
        char *buf = arena_alloc(&st->s->scratch, inst->n + 1);
        if (buf == NULL) {
            set_fatal(st, "out of memory");
            return false;
        }
        len = js_base64_decode(inst->u.str, inst->n, buf);
        if (len < 0) {
            emit(st, n, "contentEncoding", "string is not valid base64");
            return false;
        }
        text = buf;
    }
    if (n->content_json) {
        /* The decoded document lives in the scratch arena, beside the document, for as long as
        ** contentSchema's errors may point into it. */
        jv_error perr;
        jv *decoded = jv_parse(&st->s->scratch, text, (size_t)len, &perr);
        if (decoded == NULL && strcmp(perr.msg, "out of memory") == 0) {
            set_fatal(st, "out of memory");
            return false;
        }
        if (decoded == NULL) {
            emit(st, n, "contentMediaType", "string is not valid JSON");
            return false;
        }
        if (n->content_schema) {
            kpush(st, "contentSchema");
            bool ok = validate(st, n->content_schema, decoded, NULL);
            kpop(st);
            return ok;
        }
    }
    return true;
}

static NOINLINE bool check_string(vstate *st, const js_node *n, const jv *inst) {
    bool ok = true;
    if (n->max_length >= 0 || n->min_length >= 0) {
        int64_t len = (int64_t)jv_utf8_length(inst->u.str, inst->n);
        if (n->max_length >= 0 && len > n->max_length) {
            emit(st, n, "maxLength", "string is longer than %lld characters",
                 (long long)n->max_length);
            ok = false;
        }
        if (n->min_length >= 0 && len < n->min_length) {
            emit(st, n, "minLength", "string is shorter than %lld characters",
                 (long long)n->min_length);
            ok = false;
        }
    }
    if (n->pattern) {
        int r = js_regex_search(n->pattern, inst->u.str, inst->n);
        if (r < 0) {
            set_fatal(st, "pattern match exceeded its time limit");
            return false;
        }
        if (r == 0) {
            emit(st, n, "pattern", "string does not match the pattern");
            ok = false;
        }
    }
    if ((n->content_base64 || n->content_json) && !check_content(st, n, inst))
        ok = false;
    if (n->format && n->format_assert && !js_format_check(n->format, inst->u.str, inst->n)) {
        const jv *f = jv_get(n->src, "format");
        emit(st, n, "format", "string is not a valid \"%.*s\"", f ? (int)f->n : 0,
             f ? f->u.str : "");
        ok = false;
    }
    return ok;
}

typedef struct hashed_item {
    uint64_t h;
    uint32_t i;
} hashed_item;

static int by_hash(const void *a, const void *b) {
    const hashed_item *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* uniqueItems: pairwise for short arrays, else sorted by a structural hash so only items with
** equal hashes are compared (a long array stays O(n log n)). */
static bool unique_items(vstate *st, const js_node *n, const jv *inst) {
    uint32_t len = inst->n;
    if (len <= 16) {
        for (uint32_t i = 1; i < len; i++)
            for (uint32_t j = 0; j < i; j++)
                if (jv_equal(inst->u.items[i], inst->u.items[j])) {
                    emit(st, n, "uniqueItems", "items %u and %u are equal", j, i);
                    return false;
                }
        return true;
    }
    hashed_item *h = arena_alloc(&st->s->scratch, (size_t)len * sizeof *h);
    if (h == NULL) {
        set_fatal(st, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < len; i++)
        h[i] = (hashed_item){jv_hash(inst->u.items[i]), i};
    qsort(h, len, sizeof *h, by_hash);
    for (uint32_t a = 0; a < len; a++)
        for (uint32_t b = a + 1; b < len && h[b].h == h[a].h; b++)
            if (jv_equal(inst->u.items[h[a].i], inst->u.items[h[b].i])) {
                uint32_t i = h[a].i < h[b].i ? h[a].i : h[b].i;
                uint32_t j = h[a].i < h[b].i ? h[b].i : h[a].i;
                emit(st, n, "uniqueItems", "items %u and %u are equal", i, j);
                return false;
            }
    return true;
}

static NOINLINE bool check_array(vstate *st, const js_node *n, const jv *inst, ann *a) {
    bool ok = true;
    uint32_t len = inst->n;
    if (n->max_items >= 0 && len > n->max_items) {
        emit(st, n, "maxItems", "array has more than %lld items", (long long)n->max_items);
        ok = false;
    }
    if (n->min_items >= 0 && len < n->min_items) {
        emit(st, n, "minItems", "array has fewer than %lld items", (long long)n->min_items);
        ok = false;
    }
    if (!ok && !st->collect)
        return false;
    if (n->unique && !unique_items(st, n, inst)) {
        ok = false;
        if (!st->collect)
            return false;
    }
    uint32_t np = n->prefix.n < len ? n->prefix.n : len;
    if (np) {
        kpush(st, n->prefix_kw);
        for (uint32_t i = 0; i < np; i++) {
            ipush_idx(st, i);
            kpush_idx(st, i);
            bool r = validate(st, n->prefix.items[i], inst->u.items[i], NULL);
            kpop(st);
            ipop(st);
            if (a)
                a->m[i] = 1;
            if (!r) {
                ok = false;
                if (!st->collect)
                    break;
            }
        }
        kpop(st);
        if (!ok && !st->collect)
            return false;
    }
    if (n->items && len > np) {
        kpush(st, n->items_kw);
        for (uint32_t i = np; i < len; i++) {
            ipush_idx(st, i);
            bool r = validate(st, n->items, inst->u.items[i], NULL);
            ipop(st);
            if (a)
                a->m[i] = 1;
            if (!r) {
                ok = false;
                if (!st->collect)
                    break;
            }
        }
        kpop(st);
        if (!ok && !st->collect)
            return false;
    }
    if (n->contains) {
        bool saved = st->collect;
        int64_t found = 0;
        bool mark = a && n->draft >= JS_DRAFT2020;
        st->collect = false;
        for (uint32_t i = 0; i < len; i++) {
            if (validate(st, n->contains, inst->u.items[i], NULL)) {
                found++;
                if (mark)
                    a->m[i] = 1;
                else if (n->max_contains < 0 && n->min_contains < 0 && !a)
                    break;
            }
        }
        st->collect = saved;
        int64_t min = n->min_contains >= 0 ? n->min_contains : 1;
        if (found < min) {
            if (n->min_contains >= 0)
                emit(st, n, "minContains", "array contains fewer than %lld matching items",
                     (long long)min);
            else
                emit(st, n, "contains", "array does not contain a matching item");
            ok = false;
        }
        if (n->max_contains >= 0 && found > n->max_contains) {
            emit(st, n, "maxContains", "array contains more than %lld matching items",
                 (long long)n->max_contains);
            ok = false;
        }
    }
    return ok;
}

static bool has_key(const jv *obj, const jv *name) {
    return jv_getn(obj, name->u.str, name->n) != NULL;
}

static NOINLINE bool check_object(vstate *st, const js_node *n, const jv *inst, ann *a) {
    bool ok = true;
    uint32_t len = inst->n;
    if (n->max_props >= 0 && len > n->max_props) {
        emit(st, n, "maxProperties", "object has more than %lld properties",
             (long long)n->max_props);
        ok = false;
    }
    if (n->min_props >= 0 && len < n->min_props) {
        emit(st, n, "minProperties", "object has fewer than %lld properties",
             (long long)n->min_props);
        ok = false;
    }
    if (n->required) {
        for (uint32_t i = 0; i < n->required->n; i++) {
            const jv *name = n->required->u.items[i];
            if (name->type == JV_STRING && !has_key(inst, name)) {
                emit(st, n, "required", "required property '%.*s' is missing",
                     clip(name->u.str, name->n), name->u.str);
                ok = false;
                if (!st->collect)
                    return false;
            }
        }
    }
    for (uint32_t d = 0; d < n->ndep_req; d++) {
        const js_dep *dep = &n->dep_req[d];
        if (!jv_getn(inst, dep->key, dep->klen))
            continue;
        for (uint32_t i = 0; i < dep->names->n; i++) {
            const jv *name = dep->names->u.items[i];
            if (!has_key(inst, name)) {
                emit(st, n, n->dep_req_kw, "property '%.*s' is required by '%.*s'",
                     clip(name->u.str, name->n), name->u.str, clip(dep->key, dep->klen), dep->key);
                ok = false;
                if (!st->collect)
                    return false;
            }
        }
    }
    if (!ok && !st->collect)
        return false;
    if (n->nprops || n->npatprops || n->additional || n->property_names) {
        for (uint32_t i = 0; i < len; i++) {
            const jv_member *m = &inst->u.members[i];
            bool matched = false;
            ipush_key(st, m->key, m->klen);
            if (n->nprops) {
                const js_prop *p = js_node_prop(n, m->key, m->klen);
                if (p) {
                    matched = true;
                    kpush(st, "properties");
                    kpush_key(st, m->key, m->klen);
                    if (!validate(st, p->node, m->val, NULL))
                        ok = false;
                    kpop(st);
                    kpop(st);
                }
            }
            for (uint32_t j = 0; j < n->npatprops && (ok || st->collect); j++) {
                int r = js_regex_search(n->patprops[j].re, m->key, m->klen);
                if (r < 0) {
                    set_fatal(st, "pattern match exceeded its time limit");
                    ipop(st);
                    return false;
                }
                if (r) {
                    matched = true;
                    kpush(st, "patternProperties");
                    kpush_key(st, n->patprops[j].src, n->patprops[j].srclen);
                    if (!validate(st, n->patprops[j].node, m->val, NULL))
                        ok = false;
                    kpop(st);
                    kpop(st);
                }
            }
            if (!matched && n->additional && (ok || st->collect)) {
                matched = true;
                kpush(st, "additionalProperties");
                if (!validate(st, n->additional, m->val, NULL))
                    ok = false;
                kpop(st);
            }
            if (n->property_names && (ok || st->collect)) {
                jv name = {.type = JV_STRING, .n = m->klen};
                name.u.str = m->key;
                kpush(st, "propertyNames");
                if (!validate(st, n->property_names, &name, NULL))
                    ok = false;
                kpop(st);
            }
            ipop(st);
            if (matched && a)
                a->m[i] = 1;
            if (!ok && !st->collect)
                return false;
        }
    }
    for (uint32_t d = 0; d < n->ndep_sch; d++) {
        const js_dep *dep = &n->dep_sch[d];
        if (!jv_getn(inst, dep->key, dep->klen))
            continue;
        kpush(st, n->dep_sch_kw);
        kpush_key(st, dep->key, dep->klen);
        if (!validate(st, dep->node, inst, a))
            ok = false;
        kpop(st);
        kpop(st);
        if (!ok && !st->collect)
            return false;
    }
    return ok;
}

static const js_node *dynamic_target(vstate *st, const js_node *n) {
    if (n->dyn_name) {
        for (uint32_t i = 0; i < st->nscope; i++) {
            const js_resource *r = st->scope[i];
            for (uint32_t j = 0; j < r->ndanchors; j++)
                if (strcmp(r->danchors[j].name, n->dyn_name) == 0 && r->danchors[j].node)
                    return r->danchors[j].node;
        }
    }
    return n->dynref;
}

static const js_node *recursive_target(vstate *st, const js_node *n) {
    if (n->rec_dynamic) {
        for (uint32_t i = 0; i < st->nscope; i++)
            if (st->scope[i]->recursive_anchor && st->scope[i]->root_node)
                return st->scope[i]->root_node;
    }
    return n->recref;
}

static NOINLINE bool check_combinators(vstate *st, const js_node *n, const jv *inst, ann *a) {
    bool ok = true;
    if (n->dynref && !in_place(st, n, "$dynamicRef", dynamic_target(st, n), inst, a)) {
        ok = false;
        if (!st->collect)
            return false;
    }
    if (n->recref && !in_place(st, n, "$recursiveRef", recursive_target(st, n), inst, a)) {
        ok = false;
        if (!st->collect)
            return false;
    }
    if (n->all_of.n) {
        kpush(st, "allOf");
        for (uint32_t i = 0; i < n->all_of.n; i++) {
            kpush_idx(st, i);
            bool r = validate(st, n->all_of.items[i], inst, a);
            kpop(st);
            if (!r) {
                ok = false;
                if (!st->collect)
                    break;
            }
        }
        kpop(st);
        if (!ok && !st->collect)
            return false;
    }
    if (n->any_of.n) {
        size_t before = error_count(st);
        uint32_t valid = 0;
        kpush(st, "anyOf");
        for (uint32_t i = 0; i < n->any_of.n; i++) {
            ann t = {NULL, 0}, *tp = NULL;
            if (a) {
                if (!ann_new(st, &t, a->n))
                    break;
                tp = &t;
            }
            kpush_idx(st, i);
            bool r = validate(st, n->any_of.items[i], inst, tp);
            kpop(st);
            if (r) {
                valid++;
                ann_merge(a, tp);
                if (!a)
                    break;
            }
        }
        kpop(st);
        if (valid) {
            truncate_errors(st, before);
        } else {
            emit(st, n, "anyOf", "value does not match any schema of anyOf");
            ok = false;
            if (!st->collect)
                return false;
        }
    }
    if (n->one_of.n) {
        size_t before = error_count(st);
        uint32_t valid = 0;
        ann keep = {NULL, 0};
        kpush(st, "oneOf");
        for (uint32_t i = 0; i < n->one_of.n; i++) {
            ann t = {NULL, 0}, *tp = NULL;
            if (a) {
                if (!ann_new(st, &t, a->n))
                    break;
                tp = &t;
            }
            kpush_idx(st, i);
            bool r = validate(st, n->one_of.items[i], inst, tp);
            kpop(st);
            if (r) {
                valid++;
                if (tp)
                    keep = t;
                if (valid > 1 && !st->collect)
                    break;
            }
        }
        kpop(st);
        if (valid == 1) {
            truncate_errors(st, before);
            if (a)
                ann_merge(a, &keep);
        } else {
            if (valid > 1) {
                truncate_errors(st, before);
                emit(st, n, "oneOf", "value matches more than one schema of oneOf");
            } else {
                emit(st, n, "oneOf", "value does not match any schema of oneOf");
            }
            ok = false;
            if (!st->collect)
                return false;
        }
    }
    if (n->not_) {
        bool saved = st->collect;
        st->collect = false;
        bool r = validate(st, n->not_, inst, NULL);
        st->collect = saved;
        if (r) {
            emit(st, n, "not", "value must not match the schema of not");
            ok = false;
            if (!st->collect)
                return false;
        }
    }
    if (n->if_) {
        bool saved = st->collect;
        ann t = {NULL, 0}, *tp = NULL;
        if (a && ann_new(st, &t, a->n))
            tp = &t;
        st->collect = false;
        bool r = validate(st, n->if_, inst, tp);
        st->collect = saved;
        if (r) {
            ann_merge(a, tp);
            if (n->then_ && !in_place(st, n, "then", n->then_, inst, a))
                ok = false;
        } else if (n->else_ && !in_place(st, n, "else", n->else_, inst, a)) {
            ok = false;
        }
    }
    return ok;
}

static NOINLINE bool check_unevaluated(vstate *st, const js_node *n, const jv *inst, ann *a) {
    bool ok = true;
    if (inst->type == JV_OBJECT && n->uneval_props) {
        kpush(st, "unevaluatedProperties");
        for (uint32_t i = 0; i < inst->n; i++) {
            if (a->m[i])
                continue;
            const jv_member *m = &inst->u.members[i];
            ipush_key(st, m->key, m->klen);
            if (!validate(st, n->uneval_props, m->val, NULL))
                ok = false;
            ipop(st);
            a->m[i] = 1;
            if (!ok && !st->collect)
                break;
        }
        kpop(st);
    }
    if (inst->type == JV_ARRAY && n->uneval_items) {
        kpush(st, "unevaluatedItems");
        for (uint32_t i = 0; i < inst->n; i++) {
            if (a->m[i])
                continue;
            ipush_idx(st, i);
            if (!validate(st, n->uneval_items, inst->u.items[i], NULL))
                ok = false;
            ipop(st);
            a->m[i] = 1;
            if (!ok && !st->collect)
                break;
        }
        kpop(st);
    }
    return ok;
}

static bool validate_object_node(vstate *st, const js_node *n, const jv *inst, ann *pa) {
    ann local, *a = pa;
    bool need_local =
        (inst->type == JV_OBJECT && n->uneval_props) || (inst->type == JV_ARRAY && n->uneval_items);
    if (need_local) {
        if (!ann_new(st, &local, inst->n))
            return false;
        a = &local;
    }
    if (n->ref_overrides)
        return in_place(st, n, "$ref", n->ref, inst, a);
    bool ok = check_generic(st, n, inst);
    if (!ok && !st->collect)
        return false;
    switch (inst->type) {
        case JV_NUMBER:
            ok &= check_number(st, n, inst);
            break;
        case JV_STRING:
            ok &= check_string(st, n, inst);
            break;
        case JV_ARRAY:
            ok &= check_array(st, n, inst, a);
            break;
        case JV_OBJECT:
            ok &= check_object(st, n, inst, a);
            break;
        default:
            break;
    }
    if (!ok && !st->collect)
        return false;
    if (n->ref && !in_place(st, n, "$ref", n->ref, inst, a)) {
        ok = false;
        if (!st->collect)
            return false;
    }
    ok &= check_combinators(st, n, inst, a);
    if (!ok && !st->collect)
        return false;
    if (need_local) {
        ok &= check_unevaluated(st, n, inst, a);
        if (ok)
            ann_merge(pa, &local);
    }
    return ok;
}

static bool seg_is(const seg *g, const char *lit) {
    return g->s && g->n == strlen(lit) && memcmp(g->s, lit, g->n) == 0;
}

/* A false schema's error, named after the keyword that led to it where that helps. */
static void emit_false(vstate *st, const js_node *n) {
    const seg *kw = st->kpath.n ? &st->kpath.v[st->kpath.n - 1] : NULL;
    const seg *at = st->ipath.n ? &st->ipath.v[st->ipath.n - 1] : NULL;
    if (kw && at && at->s &&
        (seg_is(kw, "additionalProperties") || seg_is(kw, "unevaluatedProperties")))
        emit(st, n, NULL, "property '%.*s' is not allowed", clip(at->s, at->n), at->s);
    else if (kw && at && !at->s &&
             (seg_is(kw, "items") || seg_is(kw, "additionalItems") ||
              seg_is(kw, "unevaluatedItems")))
        emit(st, n, NULL, "item %u is not allowed", at->idx);
    else
        emit(st, n, NULL, "no value is allowed here (false schema)");
}

static bool validate(vstate *st, const js_node *n, const jv *inst, ann *pa) {
    if (n->kind == JS_KIND_TRUE)
        return true;
    if (n->kind == JS_KIND_FALSE) {
        if (st->collect)
            emit_false(st, n);
        return false;
    }
    if (st->fatal)
        return false;
    if (++st->depth > JS_MAX_EVAL_DEPTH) {
        set_fatal(st, "schema evaluation nested too deeply (a $ref cycle that never reaches "
                      "the document's leaves?)");
        st->depth--;
        return false;
    }
    bool pushed = false;
    if (st->nscope == 0 || st->scope[st->nscope - 1] != n->res) {
        if (st->nscope == st->capscope) {
            uint32_t cap = st->capscope ? st->capscope * 2 : 16;
            js_resource **sc = realloc(st->scope, cap * sizeof *sc);
            if (sc == NULL) {
                set_fatal(st, "out of memory");
                st->depth--;
                return false;
            }
            st->scope = sc;
            st->capscope = cap;
        }
        st->scope[st->nscope++] = n->res;
        pushed = true;
    }
    bool ok = validate_object_node(st, n, inst, pa);
    if (pushed)
        st->nscope--;
    st->depth--;
    return ok && !st->fatal;
}

void js_errors_init(js_errors *e) {
    memset(e, 0, sizeof *e);
}

void js_errors_free(js_errors *e) {
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].instance_location);
        free(e->items[i].keyword_location);
        free(e->items[i].absolute_keyword_location);
        free(e->items[i].message);
    }
    free(e->items);
    js_errors_init(e);
}

bool js_errors_add_document_error(js_errors *e, const char *problem) {
    js_errors_free(e);
    e->items = malloc(sizeof *e->items);
    if (e->items == NULL)
        return false;
    e->cap = 1;
    strbuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "document is not valid JSON: %s", problem);
    js_error *er = &e->items[0];
    er->instance_location = strdup("");
    er->keyword_location = strdup("");
    er->absolute_keyword_location = strdup("");
    er->message = strbuf_take(&sb, NULL);
    e->n = 1;
    return er->instance_location && er->keyword_location && er->absolute_keyword_location &&
           er->message;
}

/* Scratch memory above this is returned to the system after a call. */
#define SCRATCH_KEEP ((size_t)4 << 20)

js_result js_check(js_schema *s, const char *doc, size_t len, js_errors *errs,
                   const char **problem) {
    arena_reset(&s->scratch);
    if (errs) {
        size_t limit = errs->limit;
        js_errors_free(errs);
        errs->limit = limit;
    }
    jv_error perr;
    jv *inst = jv_parse(&s->scratch, doc, len, &perr);
    if (inst == NULL) {
        snprintf(s->problem, sizeof s->problem, "%s at offset %zu", perr.msg, perr.offset);
        if (problem)
            *problem = s->problem;
        return strcmp(perr.msg, "out of memory") == 0 ? JS_FAILED : JS_BAD_DOCUMENT;
    }
    vstate st = {.s = s, .collect = errs != NULL};
    st.limit = errs && errs->limit ? errs->limit : 1000;
    bool ok = validate(&st, s->root, inst, NULL);
    /* Location strings point into the document and the schema: built before the scratch arena
    ** goes. */
    if (!st.fatal && errs && !finish_errors(&st, errs))
        set_fatal(&st, "out of memory");
    truncate_errors(&st, 0);
    free(st.errv);
    free(st.ipath.v);
    free(st.kpath.v);
    free(st.scope);
    if (s->scratch.total > SCRATCH_KEEP)
        arena_free(&s->scratch);
    if (st.fatal) {
        snprintf(s->problem, sizeof s->problem, "%s", st.fatal);
        if (problem)
            *problem = s->problem;
        return JS_FAILED;
    }
    return ok ? JS_VALID : JS_INVALID;
}
