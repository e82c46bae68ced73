/*
** validate: runs a compiled schema (node.h) over a parsed document.
**
** One recursive function, validate(), handles a node; keyword groups live in their own
** functions so the recursive frame stays small. Errors are only built when the caller asked
** for them (js_errors); a yes/no check stops at the first failure. For the detailed and verbose
** output formats every evaluation becomes a unit of a tree (output.h) instead: a frame per
** subschema evaluated, a keyword unit per applicator, a leaf per assertion (passing ones too
** for verbose; detailed drops a frame as soon as it passes).
**
** Annotations for unevaluatedProperties/unevaluatedItems are one mark per object member or
** array item. A node with an unevaluated* keyword starts fresh marks, passes them to the
** in-place applicators ($ref, allOf, anyOf, oneOf, if/then/else, dependentSchemas...), then
** merges them into its caller's marks. Branches that fail drop their marks, which is why
** anyOf, oneOf and if give each branch its own and merge only successful ones.
*/
#include "common/strbuf.h"
#include "jsonschema/node.h"
#include "jsonschema/output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Locations are kept as shared path nodes (output.h): the stacks below copy a segment once, on
** the first result under it, and every later result under the same prefix shares it, so
** reporting costs O(1) however deep it is, and location strings are built only for the errors
** that survive (anyOf and oneOf drop their branches' errors when a branch passes). */

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
    uint32_t n;
    size_t cap;
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
    uint32_t nscope;
    size_t capscope;
    verr *errv;
    size_t nerr, caperr, limit;
    size_t report_bytes;
    /* The detailed and verbose formats: every result as a unit of a tree (output.h). */
    otree *tree;    /* NULL unless building one */
    bool verbose;   /* keep passing results too (detailed keeps failures only) */
    uint32_t cur;   /* the frame being evaluated */
    uint32_t lastk; /* the keyword unit found last (a cache for tree_keyword) */
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
    if (!js_reserve(&p->v, p->n, &p->cap, sizeof *p->v, 32)) {
        set_fatal(st, "out of memory");
        return;
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

static char *path_string(const pnode *p, const char *last) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "", 0);
    js_append_path(&sb, p);
    if (last)
        js_append_token(&sb, last, strlen(last));
    return strbuf_take(&sb, NULL);
}

/* ---- results for the detailed and verbose formats ------------------------------------------ */

/* Bounds on the tree: a verbose result holds a unit per keyword evaluated. */
#define JS_MAX_OUTPUT_UNITS 100000
#define JS_MAX_OUTPUT_BYTES ((size_t)64 << 20)

/* Appends a unit under parent (OU_NONE: the root). OU_NONE after a fatal problem. */
static uint32_t tree_add(vstate *st, uint32_t parent, uint8_t kind, const pnode *kp,
                         const pnode *ip, const js_node *n, const char *kw, uint32_t kwlen) {
    otree *t = st->tree;
    if (st->fatal)
        return OU_NONE;
    if (t->n >= JS_MAX_OUTPUT_UNITS || t->bytes > JS_MAX_OUTPUT_BYTES) {
        set_fatal(st, "the output would pass 100000 units or 64 MiB (the \"basic\" and "
                      "\"detailed\" formats are smaller)");
        return OU_NONE;
    }
    if (!js_reserve(&t->u, t->n, &t->cap, sizeof *t->u, 64)) {
        set_fatal(st, "out of memory");
        return OU_NONE;
    }
    uint32_t at = t->n++;
    ounit *u = &t->u[at];
    *u = (ounit){.kpath = kp,
                 .ipath = ip,
                 .node = n,
                 .kw = kw,
                 .kwlen = kwlen,
                 .kdepth = st->kpath.n,
                 .parent = parent,
                 .first = OU_NONE,
                 .last = OU_NONE,
                 .prev = OU_NONE,
                 .next = OU_NONE,
                 .kind = kind,
                 .valid = true};
    u->bytes = (kp ? kp->bytes : 0) + (ip ? ip->bytes : 0) + kwlen + strlen(n->res->uri) +
               strlen(n->ptr) + 100;
    t->bytes += u->bytes;
    if (parent != OU_NONE) {
        ounit *p = &t->u[parent];
        u->prev = p->last;
        if (p->last != OU_NONE)
            t->u[p->last].next = at;
        else
            p->first = at;
        p->last = at;
    }
    return at;
}

/* A unit at the current locations. */
static uint32_t tree_here(vstate *st, uint32_t parent, uint8_t kind, const js_node *n,
                          const char *kw) {
    bool ok = true;
    const pnode *kp = keep_path(st, &st->kpath, &ok);
    const pnode *ip = keep_path(st, &st->ipath, &ok);
    return ok ? tree_add(st, parent, kind, kp, ip, n, kw, kw ? (uint32_t)strlen(kw) : 0) : OU_NONE;
}

/* The current frame's unit for keyword kw, created when `create`; OU_NONE when absent. */
static uint32_t tree_keyword(vstate *st, const char *kw, uint32_t kwlen, bool create) {
    otree *t = st->tree;
    uint32_t f = st->cur;
    if (f == OU_NONE)
        return OU_NONE;
    uint32_t k = st->lastk;
    if (k != OU_NONE && k < t->n && t->u[k].parent == f && t->u[k].kind == OU_KEYWORD &&
        t->u[k].kwlen == kwlen && memcmp(t->u[k].kw, kw, kwlen) == 0)
        return k;
    for (k = t->u[f].first; k != OU_NONE; k = t->u[k].next)
        if (t->u[k].kind == OU_KEYWORD && t->u[k].kwlen == kwlen &&
            memcmp(t->u[k].kw, kw, kwlen) == 0)
            break;
    if (k == OU_NONE && create)
        k = tree_add(st, f, OU_KEYWORD, t->u[f].kpath, t->u[f].ipath, t->u[f].node, kw, kwlen);
    if (k != OU_NONE)
        st->lastk = k;
    return k;
}

/* Where a unit at the current keyword path goes: under the current frame, or under the frame's
** keyword unit when the path goes past the frame's keywords (the keyword's subschemas). */
static uint32_t tree_parent(vstate *st) {
    uint32_t f = st->cur;
    if (f == OU_NONE)
        return OU_NONE;
    uint32_t d = st->tree->u[f].kdepth;
    if (st->kpath.n > d && st->kpath.v[d].s)
        return tree_keyword(st, st->kpath.v[d].s, st->kpath.v[d].n, true);
    return f;
}

/* Sets the result of a keyword whose validity is its own (anyOf, oneOf, not, if, contains)
** rather than that of all its subschemas. */
static NOINLINE void record_fix(vstate *st, const char *kw, bool valid) {
    if (st->fatal)
        return;
    uint32_t k = tree_keyword(st, kw, (uint32_t)strlen(kw), true);
    if (k != OU_NONE) {
        st->tree->u[k].fixed = true;
        st->tree->u[k].valid = valid;
    }
}

static inline void tree_fix(vstate *st, const char *kw, bool valid) {
    if (__builtin_expect(st->tree != NULL, 0))
        record_fix(st, kw, valid);
}

/* Records a failure in the tree: the keyword's own unit takes the message when it has one. */
static void tree_error(vstate *st, const js_node *n, const char *kw, char *message) {
    otree *t = st->tree;
    uint32_t k = OU_NONE;
    if (kw && st->cur != OU_NONE && st->kpath.n == t->u[st->cur].kdepth)
        k = tree_keyword(st, kw, (uint32_t)strlen(kw), false);
    if (k == OU_NONE)
        k = tree_here(st, tree_parent(st), OU_LEAF, n, kw);
    if (k == OU_NONE || t->u[k].error) {
        free(message);
        return;
    }
    t->u[k].error = message;
    t->u[k].valid = false;
}

static NOINLINE void record_pass(vstate *st, const js_node *n, const char *kw) {
    if (!st->fatal)
        tree_here(st, st->cur, OU_LEAF, n, kw);
}

static NOINLINE void record_keyword(vstate *st, const char *kw) {
    if (!st->fatal && kw)
        tree_keyword(st, kw, (uint32_t)strlen(kw), true);
}

/* Records a keyword that passed (verbose only: one test on the validation's hot path). */
static inline void passed(vstate *st, const js_node *n, const char *kw) {
    if (__builtin_expect(st->verbose, 0))
        record_pass(st, n, kw);
}

/* Gives an applicator keyword its unit even when it applies no subschema (verbose only). */
static inline void touched(vstate *st, const char *kw) {
    if (__builtin_expect(st->verbose, 0))
        record_keyword(st, kw);
}

/* Drops a frame that passed, with everything under it (detailed keeps failures only); it is the
** last subtree built. A keyword unit made just for it goes too. */
static void tree_prune(vstate *st, uint32_t frame) {
    otree *t = st->tree;
    for (;;) {
        ounit *u = &t->u[frame];
        uint32_t parent = u->parent;
        if (parent != OU_NONE) {
            ounit *p = &t->u[parent];
            p->last = u->prev;
            if (u->prev != OU_NONE)
                t->u[u->prev].next = OU_NONE;
            else
                p->first = OU_NONE;
        }
        otree_truncate(t, frame);
        st->lastk = OU_NONE;
        if (parent == OU_NONE || parent != t->n - 1)
            return;
        const ounit *p = &t->u[parent];
        if (p->kind != OU_KEYWORD || p->first != OU_NONE || p->error || p->fixed)
            return;
        frame = parent;
    }
}

static void emit(vstate *st, const js_node *n, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void emit(vstate *st, const js_node *n, const char *kw, const char *fmt, ...) {
    /* After a fatal problem nothing is reported (the call fails), so unwinding a deep
    ** evaluation builds nothing. */
    if (!st->collect || st->fatal)
        return;
    if (st->tree) {
        va_list ap, ap2;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        int len = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        char *message = len >= 0 ? malloc((size_t)len + 1) : NULL;
        if (message)
            vsnprintf(message, (size_t)len + 1, fmt, ap2);
        va_end(ap2);
        if (message == NULL)
            set_fatal(st, "out of memory");
        else
            tree_error(st, n, kw, message);
        return;
    }
    if (st->nerr >= st->limit)
        return;
    if (!js_reserve(&st->errv, st->nerr, &st->caperr, sizeof *st->errv, 8)) {
        set_fatal(st, "out of memory");
        return;
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
        js_append_absolute(&sb, v->node, v->kw, v->kw ? strlen(v->kw) : 0);
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
    } else if (n->types) {
        passed(st, n, "type");
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
        } else {
            passed(st, n, "enum");
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
    } else if (n->has_const) {
        passed(st, n, "const");
    }
    return ok;
}

/* One bound keyword (maximum, multipleOf, ...): records the pass, or reports the failure with fmt
** and the bound. Inlined: on the hot path a kept bound costs one test, as written out. */
static inline bool number_bound(vstate *st, const js_node *n, bool kept, const char *kw,
                                const char *fmt, const jv_num *bound) {
    if (__builtin_expect(kept, 1)) {
        passed(st, n, kw);
        return true;
    }
    emit(st, n, kw, fmt, bound->d);
    return false;
}

/* The keywords that bound a count (of characters, items or properties) and their messages. */
typedef struct count_keywords {
    const char *max_kw, *max_fmt, *min_kw, *min_fmt;
} count_keywords;

static const count_keywords string_length = {"maxLength", "string is longer than %lld characters",
                                             "minLength", "string is shorter than %lld characters"};
static const count_keywords array_items = {"maxItems", "array has more than %lld items", "minItems",
                                           "array has fewer than %lld items"};
static const count_keywords object_properties = {
    "maxProperties", "object has more than %lld properties", "minProperties",
    "object has fewer than %lld properties"};

static NOINLINE bool count_failed(vstate *st, const js_node *n, const char *kw, const char *fmt,
                                  int64_t bound) {
    emit(st, n, kw, fmt, (long long)bound);
    return false;
}

/* Checks count against max and min (either below zero: absent), recording passes. */
static inline bool check_count(vstate *st, const js_node *n, int64_t count, int64_t max,
                               int64_t min, const count_keywords *k) {
    bool ok = true;
    if (max >= 0 && count > max)
        ok = count_failed(st, n, k->max_kw, k->max_fmt, max);
    else if (max >= 0)
        passed(st, n, k->max_kw);
    if (min >= 0 && count < min)
        ok = count_failed(st, n, k->min_kw, k->min_fmt, min);
    else if (min >= 0)
        passed(st, n, k->min_kw);
    return ok;
}

static NOINLINE bool check_number(vstate *st, const js_node *n, const jv *inst) {
    const jv_num *x = &inst->u.num;
    bool ok = true;
    if (n->multiple_of)
        ok &= number_bound(st, n, jv_num_multiple_of(x, n->multiple_of), "multipleOf",
                           "number is not a multiple of %.17g", n->multiple_of);
    if (n->maximum)
        ok &= number_bound(st, n, jv_num_cmp(x, n->maximum) <= 0, "maximum",
                           "number is greater than the maximum %.17g", n->maximum);
    if (n->ex_maximum)
        ok &= number_bound(st, n, jv_num_cmp(x, n->ex_maximum) < 0, n->max_kw,
                           "number is not less than %.17g", n->ex_maximum);
    if (n->minimum)
        ok &= number_bound(st, n, jv_num_cmp(x, n->minimum) >= 0, "minimum",
                           "number is less than the minimum %.17g", n->minimum);
    if (n->ex_minimum)
        ok &= number_bound(st, n, jv_num_cmp(x, n->ex_minimum) > 0, n->min_kw,
                           "number is not greater than %.17g", n->ex_minimum);
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
        passed(st, n, "contentEncoding");
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
        passed(st, n, "contentMediaType");
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
        ok &= check_count(st, n, len, n->max_length, n->min_length, &string_length);
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
        } else {
            passed(st, n, "pattern");
        }
    }
    if ((n->content_base64 || n->content_json) && !check_content(st, n, inst))
        ok = false;
    if (n->format && n->format_assert && !js_format_check(n->format, inst->u.str, inst->n)) {
        const jv *f = jv_get(n->src, "format");
        emit(st, n, "format", "string is not a valid \"%.*s\"", f ? (int)f->n : 0,
             f ? f->u.str : "");
        ok = false;
    } else if (n->format && n->format_assert) {
        passed(st, n, "format");
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

/* prefixItems, then items: items 0 .. np - 1 against the prefix's subschemas, the rest against
** n->items, each part under its keyword. Marks the items evaluated in a. */
static bool check_items(vstate *st, const js_node *n, const jv *inst, uint32_t np, ann *a) {
    bool ok = true;
    for (int part = 0; part < 2; part++) {
        bool prefix = part == 0;
        uint32_t from = prefix ? 0 : np, to = prefix || !n->items ? np : inst->n;
        if (from >= to)
            continue;
        kpush(st, prefix ? n->prefix_kw : n->items_kw);
        for (uint32_t i = from; i < to; i++) {
            ipush_idx(st, i);
            if (prefix)
                kpush_idx(st, i);
            bool r = validate(st, prefix ? n->prefix.items[i] : n->items, inst->u.items[i], NULL);
            if (prefix)
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
    return ok;
}

static NOINLINE bool check_array(vstate *st, const js_node *n, const jv *inst, ann *a) {
    bool ok = true;
    uint32_t len = inst->n;
    ok &= check_count(st, n, len, n->max_items, n->min_items, &array_items);
    if (!ok && !st->collect)
        return false;
    if (n->unique && !unique_items(st, n, inst)) {
        ok = false;
        if (!st->collect)
            return false;
    } else if (n->unique) {
        passed(st, n, "uniqueItems");
    }
    uint32_t np = n->prefix.n < len ? n->prefix.n : len;
    touched(st, n->prefix.n ? n->prefix_kw : NULL);
    touched(st, n->items ? n->items_kw : NULL);
    if (!check_items(st, n, inst, np, a)) {
        ok = false;
        if (!st->collect)
            return false;
    }
    if (n->contains) {
        /* Items that do not match are no errors, so nothing is collected, except in a tree,
        ** where they are the contains keyword's results. */
        bool saved = st->collect;
        int64_t found = 0;
        bool mark = a && n->draft >= JS_DRAFT2020;
        st->collect = st->tree != NULL;
        kpush(st, "contains");
        for (uint32_t i = 0; i < len; i++) {
            ipush_idx(st, i);
            bool r = validate(st, n->contains, inst->u.items[i], NULL);
            ipop(st);
            if (r) {
                found++;
                if (mark)
                    a->m[i] = 1;
                else if (n->max_contains < 0 && n->min_contains < 0 && !a && !st->verbose)
                    break;
            }
        }
        kpop(st);
        st->collect = saved;
        int64_t min = n->min_contains >= 0 ? n->min_contains : 1;
        bool contains_ok = found >= min && !(n->max_contains >= 0 && found > n->max_contains);
        tree_fix(st, "contains", contains_ok);
        if (found < min) {
            if (n->min_contains >= 0)
                emit(st, n, "minContains", "array contains fewer than %lld matching items",
                     (long long)min);
            else
                emit(st, n, "contains", "array does not contain a matching item");
            ok = false;
        } else if (n->min_contains >= 0) {
            passed(st, n, "minContains");
        }
        if (n->max_contains >= 0 && found > n->max_contains) {
            emit(st, n, "maxContains", "array contains more than %lld matching items",
                 (long long)n->max_contains);
            ok = false;
        } else if (n->max_contains >= 0) {
            passed(st, n, "maxContains");
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
    ok &= check_count(st, n, len, n->max_props, n->min_props, &object_properties);
    if (n->required) {
        bool all = true;
        for (uint32_t i = 0; i < n->required->n; i++) {
            const jv *name = n->required->u.items[i];
            if (name->type == JV_STRING && !has_key(inst, name)) {
                emit(st, n, "required", "required property '%.*s' is missing",
                     clip(name->u.str, name->n), name->u.str);
                ok = all = false;
                if (!st->collect)
                    return false;
            }
        }
        if (all)
            passed(st, n, "required");
    }
    bool deps_ok = true;
    for (uint32_t d = 0; d < n->ndep_req; d++) {
        const js_dep *dep = &n->dep_req[d];
        if (!jv_getn(inst, dep->key, dep->klen))
            continue;
        for (uint32_t i = 0; i < dep->names->n; i++) {
            const jv *name = dep->names->u.items[i];
            if (!has_key(inst, name)) {
                emit(st, n, n->dep_req_kw, "property '%.*s' is required by '%.*s'",
                     clip(name->u.str, name->n), name->u.str, clip(dep->key, dep->klen), dep->key);
                ok = deps_ok = false;
                if (!st->collect)
                    return false;
            }
        }
    }
    if (n->ndep_req && deps_ok)
        passed(st, n, n->dep_req_kw);
    if (!ok && !st->collect)
        return false;
    if (n->nprops || n->npatprops || n->additional || n->property_names) {
        touched(st, n->nprops ? "properties" : NULL);
        touched(st, n->npatprops ? "patternProperties" : NULL);
        touched(st, n->additional ? "additionalProperties" : NULL);
        touched(st, n->property_names ? "propertyNames" : NULL);
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
    touched(st, n->ndep_sch ? n->dep_sch_kw : NULL);
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

/* Validates inst against each subschema of list under kw (anyOf, oneOf) and returns how many are
** valid, stopping when `stop` are (0: never). When the caller keeps annotations (a), each valid
** subschema's own are merged into `into` (if not NULL) and the last one's are left in *last. */
static inline __attribute__((always_inline)) uint32_t
count_valid(vstate *st, const char *kw, const js_list *list, const jv *inst, const ann *a,
            uint32_t stop, ann *into, ann *last) {
    uint32_t valid = 0;
    kpush(st, kw);
    for (uint32_t i = 0; i < list->n; i++) {
        ann t = {NULL, 0};
        if (a && !ann_new(st, &t, a->n))
            break;
        kpush_idx(st, i);
        bool r = validate(st, list->items[i], inst, a ? &t : NULL);
        kpop(st);
        if (r) {
            ann_merge(into, &t);
            *last = t;
            if (++valid == stop)
                break;
        }
    }
    kpop(st);
    return valid;
}

/* Applies sub under kw reporting none of its failures (not, if), except in a tree, where those
** are the keyword's results. */
static bool validate_quietly(vstate *st, const char *kw, const js_node *sub, const jv *inst,
                             ann *a) {
    bool saved = st->collect;
    st->collect = st->tree != NULL;
    kpush(st, kw);
    bool r = validate(st, sub, inst, a);
    kpop(st);
    st->collect = saved;
    return r;
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
        ann last = {NULL, 0};
        uint32_t valid =
            count_valid(st, "anyOf", &n->any_of, inst, a, !a && !st->verbose ? 1 : 0, a, &last);
        tree_fix(st, "anyOf", valid > 0);
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
        ann keep = {NULL, 0};
        uint32_t valid =
            count_valid(st, "oneOf", &n->one_of, inst, a, st->collect ? 0 : 2, NULL, &keep);
        tree_fix(st, "oneOf", valid == 1);
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
        bool r = validate_quietly(st, "not", n->not_, inst, NULL);
        tree_fix(st, "not", !r);
        if (r) {
            emit(st, n, "not", "value must not match the schema of not");
            ok = false;
            if (!st->collect)
                return false;
        }
    }
    if (n->if_) {
        ann t = {NULL, 0}, *tp = NULL;
        if (a && ann_new(st, &t, a->n))
            tp = &t;
        bool r = validate_quietly(st, "if", n->if_, inst, tp);
        tree_fix(st, "if", true);
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
    bool object = inst->type == JV_OBJECT;
    const js_node *sub = object ? n->uneval_props : inst->type == JV_ARRAY ? n->uneval_items : NULL;
    if (sub == NULL)
        return true;
    const char *kw = object ? "unevaluatedProperties" : "unevaluatedItems";
    bool ok = true;
    touched(st, kw);
    kpush(st, kw);
    for (uint32_t i = 0; i < inst->n; i++) {
        if (a->m[i])
            continue;
        const jv *child;
        if (object) {
            const jv_member *m = &inst->u.members[i];
            ipush_key(st, m->key, m->klen);
            child = m->val;
        } else {
            ipush_idx(st, i);
            child = inst->u.items[i];
        }
        if (!validate(st, sub, child, NULL))
            ok = false;
        ipop(st);
        a->m[i] = 1;
        if (!ok && !st->collect)
            break;
    }
    kpop(st);
    return ok;
}

/* Inlined into validate() and validate_frame(): the hot path keeps one frame per evaluation. */
static inline __attribute__((always_inline)) bool validate_object_node(vstate *st, const js_node *n,
                                                                       const jv *inst, ann *pa) {
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

/* validate_object_node as a frame of the tree: its keywords' results go under it. */
static NOINLINE bool validate_frame(vstate *st, const js_node *n, const jv *inst, ann *pa) {
    uint32_t outer = st->cur;
    uint32_t frame = tree_here(st, tree_parent(st), OU_FRAME, n, NULL);
    if (frame == OU_NONE)
        return false;
    st->cur = frame;
    bool ok = validate_object_node(st, n, inst, pa) && !st->fatal;
    st->cur = outer;
    st->tree->u[frame].valid = ok;
    if (ok && !st->verbose && outer != OU_NONE)
        tree_prune(st, frame);
    return ok;
}

static bool validate(vstate *st, const js_node *n, const jv *inst, ann *pa) {
    if (n->kind == JS_KIND_TRUE) {
        if (__builtin_expect(st->verbose, 0) && !st->fatal)
            tree_here(st, tree_parent(st), OU_LEAF, n, NULL);
        return true;
    }
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
        if (!js_reserve(&st->scope, st->nscope, &st->capscope, sizeof *st->scope, 16)) {
            set_fatal(st, "out of memory");
            st->depth--;
            return false;
        }
        st->scope[st->nscope++] = n->res;
        pushed = true;
    }
    if (__builtin_expect(st->tree != NULL, 0)) {
        bool ok = validate_frame(st, n, inst, pa);
        if (pushed)
            st->nscope--;
        st->depth--;
        return ok;
    }
    bool ok = validate_object_node(st, n, inst, pa);
    if (pushed)
        st->nscope--;
    st->depth--;
    return ok && !st->fatal;
}

/* Scratch memory above this is returned to the system after a call. */
#define SCRATCH_KEEP ((size_t)4 << 20)

/* Validates doc, collecting errors into errs or results into tree (either may be NULL). */
static js_result run(js_schema *s, const char *doc, size_t len, js_errors *errs, otree *tree,
                     bool verbose, char *err, size_t errlen) {
    arena_reset(&s->scratch);
    if (errs) {
        size_t limit = errs->limit;
        js_errors_free(errs);
        errs->limit = limit;
    }
    jv_error perr;
    jv *inst = jv_parse(&s->scratch, doc, len, &perr);
    if (inst == NULL) {
        snprintf(err, errlen, "%s at offset %zu", perr.msg, perr.offset);
        return strcmp(perr.msg, "out of memory") == 0 ? JS_FAILED : JS_BAD_DOCUMENT;
    }
    vstate st = {.s = s, .collect = errs != NULL || tree != NULL, .tree = tree};
    st.verbose = tree && verbose;
    st.cur = st.lastk = OU_NONE;
    st.limit = errs && errs->limit ? errs->limit : 1000;
    bool ok = validate(&st, s->root, inst, NULL);
    if (tree && tree->n == 0 && !st.fatal) /* a root schema `true` left nothing */
        tree_here(&st, OU_NONE, OU_LEAF, s->root, NULL);
    /* Location strings point into the document and the schema: built before the scratch arena
    ** goes. */
    if (!st.fatal && errs && !finish_errors(&st, errs))
        set_fatal(&st, "out of memory");
    truncate_errors(&st, 0);
    free(st.errv);
    free(st.ipath.v);
    free(st.kpath.v);
    free(st.scope);
    if (st.fatal) {
        snprintf(err, errlen, "%s", st.fatal);
        return JS_FAILED;
    }
    return ok ? JS_VALID : JS_INVALID;
}

js_result js_check(js_schema *s, const char *doc, size_t len, js_errors *errs, char *err,
                   size_t errlen) {
    js_result r = run(s, doc, len, errs, NULL, false, err, errlen);
    if (s->scratch.total > SCRATCH_KEEP)
        arena_free(&s->scratch);
    return r;
}

js_result js_check_output(js_schema *s, const char *doc, size_t len, js_output_format format,
                          strbuf *out, char *err, size_t errlen) {
    /* The problem of a document that is not JSON goes into the output, so it is wanted here
    ** whether the caller asked for it or not. */
    char problem[JS_ERR_SIZE];
    js_result r;
    if (format == JS_OUTPUT_DETAILED || format == JS_OUTPUT_VERBOSE) {
        otree tree = {NULL, 0, 0, 0};
        r = run(s, doc, len, NULL, &tree, format == JS_OUTPUT_VERBOSE, problem, sizeof problem);
        /* The tree points into the document (scratch arena): written before it is reset. */
        if (r == JS_VALID || r == JS_INVALID)
            otree_write(&tree, format == JS_OUTPUT_VERBOSE, out);
        otree_free(&tree);
    } else {
        js_errors errs;
        js_errors_init(&errs);
        r = run(s, doc, len, format == JS_OUTPUT_FLAG ? NULL : &errs, NULL, false, problem,
                sizeof problem);
        if (format == JS_OUTPUT_LIST) {
            if (r == JS_INVALID)
                js_write_errors(&errs, false, out);
        } else if (r == JS_VALID || r == JS_INVALID) {
            strbuf_append_str(out, r == JS_VALID ? "{\"valid\":true" : "{\"valid\":false");
            if (r == JS_INVALID && format == JS_OUTPUT_BASIC) {
                strbuf_append_str(out, ",\"errors\":");
                js_write_errors(&errs, true, out);
            }
            strbuf_append_char(out, '}');
        }
        js_errors_free(&errs);
    }
    if (r == JS_BAD_DOCUMENT)
        js_write_document_error(format, problem, out);
    if (r == JS_BAD_DOCUMENT || r == JS_FAILED)
        snprintf(err, errlen, "%s", problem);
    if (s->scratch.total > SCRATCH_KEEP)
        arena_free(&s->scratch);
    return r;
}
