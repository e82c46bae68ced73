/*
** output: locations, output units and the output formats (see output.h).
*/
#include "jsonschema/output.h"

#include <stdlib.h>
#include <string.h>

void js_append_token(strbuf *sb, const char *s, size_t n) {
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

void js_append_path(strbuf *sb, const pnode *p) {
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
            js_append_token(sb, v[i]->s, v[i]->n);
        else
            strbuf_appendf(sb, "/%u", v[i]->idx);
    }
    free(v);
}

/* Appends s[0..n) percent-encoded where RFC 3986 does not allow it in a fragment. */
static void append_fragment(strbuf *sb, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr("-._~!$&'()*+,;=:@/?", c)))
            continue;
        strbuf_append(sb, s + run, i - run);
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        strbuf_append(sb, esc, 3);
        run = i + 1;
    }
    strbuf_append(sb, s + run, n - run);
}

void js_append_absolute(strbuf *sb, const js_node *node, const char *kw, size_t kwlen) {
    /* A URI: the JSON Pointer goes in its fragment, percent-encoded where it must be. */
    strbuf_append_str(sb, node->res->uri);
    strbuf_append_char(sb, '#');
    append_fragment(sb, node->ptr, strlen(node->ptr));
    if (kw) {
        strbuf token;
        strbuf_init(&token);
        js_append_token(&token, kw, kwlen);
        append_fragment(sb, token.data ? token.data : "", token.len);
        if (token.failed)
            sb->failed = true;
        strbuf_free(&token);
    }
}

/* ---- error lists ("basic" and this extension's list) ---------------------------------------- */

void js_write_errors(const js_errors *e, bool basic, strbuf *sb) {
    /* The list keeps the field order it always had; basic follows the specification's. */
    static const char *const LIST[] = {"instanceLocation", "keywordLocation",
                                       "absoluteKeywordLocation", "error"};
    static const char *const BASIC[] = {"keywordLocation", "absoluteKeywordLocation",
                                        "instanceLocation", "error"};
    strbuf_append_char(sb, '[');
    for (size_t i = 0; i < e->n; i++) {
        const js_error *er = &e->items[i];
        strbuf_append_str(sb, i ? "," : "");
        strbuf_append_str(sb, basic ? "{\"valid\":false" : "{");
        for (int f = 0; f < 4; f++) {
            const char *name = basic ? BASIC[f] : LIST[f];
            const char *v = name[0] == 'i'   ? er->instance_location
                            : name[0] == 'k' ? er->keyword_location
                            : name[0] == 'a' ? er->absolute_keyword_location
                                             : er->message;
            strbuf_appendf(sb, "%s\"%s\":", basic || f ? "," : "", name);
            strbuf_append_json_string(sb, v, strlen(v));
        }
        strbuf_append_char(sb, '}');
    }
    strbuf_append_char(sb, ']');
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

void js_write_document_error(js_output_format f, const char *problem, strbuf *sb) {
    js_errors e;
    js_errors_init(&e);
    if (!js_errors_add_document_error(&e, problem)) {
        sb->failed = true;
    } else if (f == JS_OUTPUT_LIST) {
        js_write_errors(&e, false, sb);
    } else if (f == JS_OUTPUT_FLAG) {
        strbuf_append_str(sb, "{\"valid\":false}");
    } else if (f == JS_OUTPUT_BASIC) {
        strbuf_append_str(sb, "{\"valid\":false,\"errors\":");
        js_write_errors(&e, true, sb);
        strbuf_append_char(sb, '}');
    } else {
        strbuf_append_str(sb, "{\"valid\":false,\"keywordLocation\":\"\",\"instanceLocation\":"
                              "\"\",\"error\":");
        strbuf_append_json_string(sb, e.items[0].message, strlen(e.items[0].message));
        strbuf_append_char(sb, '}');
    }
    js_errors_free(&e);
}

/* ---- the tree of the detailed and verbose formats ------------------------------------------- */

void otree_truncate(otree *t, uint32_t from) {
    while (t->n > from) {
        ounit *u = &t->u[--t->n];
        t->bytes -= u->bytes;
        free(u->error);
    }
}

void otree_free(otree *t) {
    otree_truncate(t, 0);
    free(t->u);
    memset(t, 0, sizeof *t);
}

/* One unit's fields, without the closing brace. */
static void write_unit(strbuf *sb, strbuf *tmp, const ounit *u, bool valid) {
    strbuf_append_str(sb, valid ? "{\"valid\":true,\"keywordLocation\":"
                                : "{\"valid\":false,\"keywordLocation\":");
    strbuf_reset(tmp);
    strbuf_append(tmp, "", 0);
    js_append_path(tmp, u->kpath);
    if (u->kw)
        js_append_token(tmp, u->kw, u->kwlen);
    strbuf_append_json_string(sb, tmp->data ? tmp->data : "", tmp->len);
    strbuf_append_str(sb, ",\"absoluteKeywordLocation\":");
    strbuf_reset(tmp);
    strbuf_append(tmp, "", 0);
    js_append_absolute(tmp, u->node, u->kw, u->kwlen);
    strbuf_append_json_string(sb, tmp->data ? tmp->data : "", tmp->len);
    strbuf_append_str(sb, ",\"instanceLocation\":");
    strbuf_reset(tmp);
    strbuf_append(tmp, "", 0);
    js_append_path(tmp, u->ipath);
    strbuf_append_json_string(sb, tmp->data ? tmp->data : "", tmp->len);
    if (u->error) {
        strbuf_append_str(sb, ",\"error\":");
        strbuf_append_json_string(sb, u->error, strlen(u->error));
    }
    if (tmp->failed)
        sb->failed = true;
}

/* Per-unit facts computed bottom-up (a child's index is always above its parent's). */
typedef struct facts {
    bool *ok;      /* the unit's result */
    uint32_t *cnt; /* detailed: how many children are written */
    uint32_t *rep; /* detailed: what is written in the unit's place */
} facts;

/* Whether child c of an invalid unit is written in the detailed format. */
static bool kept(const otree *t, const facts *f, uint32_t c) {
    return !f->ok[c] && (t->u[c].error || f->cnt[c] > 0);
}

static bool compute(const otree *t, facts *f) {
    f->ok = malloc(t->n * sizeof *f->ok);
    f->cnt = malloc(t->n * sizeof *f->cnt);
    f->rep = malloc(t->n * sizeof *f->rep);
    if (!f->ok || !f->cnt || !f->rep)
        return false;
    for (uint32_t i = t->n; i-- > 0;) {
        const ounit *u = &t->u[i];
        bool ok = u->valid;
        if (u->kind == OU_KEYWORD && !u->fixed) {
            ok = u->error == NULL;
            for (uint32_t c = u->first; c != OU_NONE && ok; c = t->u[c].next)
                ok = f->ok[c];
        }
        f->ok[i] = ok;
        uint32_t cnt = 0, single = i;
        for (uint32_t c = u->first; c != OU_NONE; c = t->u[c].next) {
            if (kept(t, f, c)) {
                cnt++;
                single = f->rep[c];
            }
        }
        f->cnt[i] = cnt;
        /* The condensing rule: a unit without an error of its own and one child becomes it. */
        f->rep[i] = u->error == NULL && cnt == 1 ? single : i;
    }
    return true;
}

/* The next child of u to write after child c (OU_NONE: the first), in the written form. */
static uint32_t next_child(const otree *t, const facts *f, bool verbose, uint32_t u, uint32_t c) {
    for (c = c == OU_NONE ? t->u[u].first : t->u[c].next; c != OU_NONE; c = t->u[c].next)
        if (verbose || kept(t, f, c))
            return c;
    return OU_NONE;
}

void otree_write(const otree *t, bool verbose, strbuf *sb) {
    facts f = {NULL, NULL, NULL};
    /* Written depth first without recursion: each stack entry is a written unit and the child
    ** (as stored, before condensing) it has reached. */
    struct entry {
        uint32_t unit, child;
    } *stack = t->n ? malloc(t->n * sizeof *stack) : NULL;
    strbuf tmp;
    strbuf_init(&tmp);
    if (t->n == 0 || stack == NULL || !compute(t, &f)) {
        sb->failed = true;
        goto done;
    }
    uint32_t top = 0;
    write_unit(sb, &tmp, &t->u[0], f.ok[0]);
    stack[top++] = (struct entry){0, OU_NONE};
    while (top > 0 && !sb->failed) {
        struct entry *e = &stack[top - 1];
        uint32_t c = next_child(t, &f, verbose, e->unit, e->child);
        if (c == OU_NONE) {
            if (e->child != OU_NONE)
                strbuf_append_char(sb, ']');
            strbuf_append_char(sb, '}');
            top--;
            continue;
        }
        strbuf_append_str(sb, e->child != OU_NONE ? ","
                              : f.ok[e->unit]     ? ",\"annotations\":["
                                                  : ",\"errors\":[");
        e->child = c;
        uint32_t w = verbose ? c : f.rep[c];
        write_unit(sb, &tmp, &t->u[w], f.ok[w]);
        stack[top++] = (struct entry){w, OU_NONE};
    }
done:
    strbuf_free(&tmp);
    free(stack);
    free(f.ok);
    free(f.cnt);
    free(f.rep);
}
