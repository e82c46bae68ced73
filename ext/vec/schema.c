/*
** ext/vec: parsing of vec0 column declarations (see schema.h).
**
** Unlike sqlite-vec, type names are matched whole ("float8[4]" is an error, not float32) and
** every problem names the argument it comes from.
*/
#include "vec/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- a tiny tokenizer ---------------------------------------------------------------------- */

typedef struct tok {
    char text[VEC0_NAME_MAX + 1];
    char kind; /* 'w' word/number, 'q' quoted name, or the punctuation char itself, 0 end */
} tok;

typedef struct lexer {
    const char *s;
    size_t i;
    int overflow;
} lexer;

static void next_tok(lexer *lx, tok *t) {
    const char *s = lx->s;
    while (s[lx->i] && isspace((unsigned char)s[lx->i]))
        lx->i++;
    t->text[0] = '\0';
    t->kind = 0;
    char c = s[lx->i];
    if (c == '\0')
        return;
    size_t n = 0;
    if (c == '"' || c == '`' || c == '[') {
        /* [ starts a quoted name only before a letter; a dimension list is "[N]" */
        if (c == '[' && (isdigit((unsigned char)s[lx->i + 1]) || s[lx->i + 1] == ']' ||
                         isspace((unsigned char)s[lx->i + 1]) || s[lx->i + 1] == '-')) {
            t->kind = '[';
            t->text[0] = '[';
            t->text[1] = '\0';
            lx->i++;
            return;
        }
        char close = c == '[' ? ']' : c;
        lx->i++;
        for (;;) {
            char d = s[lx->i];
            if (d == '\0')
                break;
            lx->i++;
            if (d == close) {
                if (s[lx->i] == close && close != ']') {
                    lx->i++;
                } else {
                    break;
                }
            }
            if (n < VEC0_NAME_MAX)
                t->text[n++] = d;
            else
                lx->overflow = 1;
        }
        t->text[n] = '\0';
        t->kind = 'q';
        return;
    }
    if (isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || (unsigned char)c >= 0x80) {
        while (isalnum((unsigned char)s[lx->i]) || s[lx->i] == '_' || s[lx->i] == '-' ||
               s[lx->i] == '.' || (unsigned char)s[lx->i] >= 0x80) {
            if (n < VEC0_NAME_MAX)
                t->text[n++] = s[lx->i];
            else
                lx->overflow = 1;
            lx->i++;
        }
        t->text[n] = '\0';
        t->kind = 'w';
        return;
    }
    t->kind = c;
    t->text[0] = c;
    t->text[1] = '\0';
    lx->i++;
}

static int word_is(const tok *t, const char *w) {
    return t->kind == 'w' && strcasecmp(t->text, w) == 0;
}

/* ---- column kinds --------------------------------------------------------------------------- */

static int vector_type_of(const char *w, vec_type *out) {
    static const struct {
        const char *name;
        vec_type t;
    } names[] = {{"float", VEC_F32}, {"f32", VEC_F32},   {"float32", VEC_F32}, {"float16", VEC_F16},
                 {"f16", VEC_F16},   {"int8", VEC_INT8}, {"i8", VEC_INT8},     {"bit", VEC_BIT}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(w, names[i].name) == 0) {
            *out = names[i].t;
            return 1;
        }
    return 0;
}

static int metadata_type_of(const char *w, vec0_value_type *out) {
    static const struct {
        const char *name;
        vec0_value_type t;
    } names[] = {{"boolean", VEC0_BOOLEAN}, {"bool", VEC0_BOOLEAN},  {"int", VEC0_INTEGER},
                 {"integer", VEC0_INTEGER}, {"int64", VEC0_INTEGER}, {"float", VEC0_FLOAT},
                 {"double", VEC0_FLOAT},    {"f64", VEC0_FLOAT},     {"text", VEC0_TEXT}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(w, names[i].name) == 0) {
            *out = names[i].t;
            return 1;
        }
    return 0;
}

static int aux_type_of(const char *w, vec0_value_type *out) {
    static const struct {
        const char *name;
        vec0_value_type t;
    } names[] = {{"text", VEC0_TEXT},   {"int", VEC0_INTEGER},  {"integer", VEC0_INTEGER},
                 {"float", VEC0_FLOAT}, {"double", VEC0_FLOAT}, {"real", VEC0_FLOAT},
                 {"blob", VEC0_BLOB},   {"any", VEC0_ANY}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(w, names[i].name) == 0) {
            *out = names[i].t;
            return 1;
        }
    return 0;
}

const char *vec0_value_type_name(vec0_value_type t) {
    static const char *names[] = {"any", "integer", "float", "text", "blob", "boolean"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

size_t vec0_vector_bytes(const vec0_column *c) {
    return vec_type_bytes(c->vtype, (size_t)c->dims);
}

static int name_taken(const vec0_schema *s, const char *name) {
    if (strcasecmp(name, "rowid") == 0 || strcasecmp(name, "distance") == 0 ||
        strcasecmp(name, "k") == 0)
        return 1;
    for (int i = 0; i < s->ncols; i++)
        if (strcasecmp(s->cols[i].name, name) == 0)
            return 1;
    return 0;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

/* An integer option value in [lo, hi]. */
static int int_option(const tok *val, const char *key, const char *index, long lo, long hi,
                      int *out, char *err, size_t errlen) {
    char *e;
    long v = strtol(val->text, &e, 10);
    if (val->kind != 'w' || *e != '\0' || val->text[0] == '\0' || v < lo || v > hi)
        FAIL("%s(...) option %s must be an integer from %ld to %ld, got '%s'", index, key, lo, hi,
             val->text);
    *out = (int)v;
    return 0;
}

/* After "indexed": "by name(key=value, ...)" into c->index. Options omitted take strata's
** defaults; those of diskann are checked, then the index is refused (not implemented). */
static int parse_index(lexer *lx, vec0_column *c, char *err, size_t errlen) {
    tok by, name, t;
    next_tok(lx, &by);
    next_tok(lx, &name);
    next_tok(lx, &t);
    if (!word_is(&by, "by") || name.kind != 'w' || t.kind != '(')
        FAIL("expected 'indexed by <index>(...)' on column '%s'", c->name);
    vec0_index *ix = &c->index;
    memset(ix, 0, sizeof *ix);
    if (word_is(&name, "flat"))
        ix->kind = VEC0_INDEX_FLAT;
    else if (word_is(&name, "rescore"))
        ix->kind = VEC0_INDEX_RESCORE;
    else if (word_is(&name, "ivf"))
        ix->kind = VEC0_INDEX_IVF;
    else if (word_is(&name, "diskann"))
        ix->kind = VEC0_INDEX_DISKANN;
    else
        FAIL("unknown index '%s' on column '%s' (flat, rescore, ivf, diskann)", name.text, c->name);
    ix->quantizer = ix->kind == VEC0_INDEX_FLAT ? VEC_QUANT_NONE : VEC_QUANT_INT8;
    ix->oversample = VEC0_DEFAULT_OVERSAMPLE;
    ix->degree = VEC0_DEFAULT_DEGREE;
    ix->list_search = 0; /* chosen from the graph's size when it is searched */
    ix->list_insert = VEC0_DEFAULT_LIST_INSERT;
    ix->buffer_threshold = VEC0_DEFAULT_GRAPH_BUFFER;
    int oversample_given = 0;
    int lists_given = 0; /* 1: search_list_size, 2: search_list_size_search or _insert */
    for (int first = 1;; first = 0) {
        tok key, eq, val;
        next_tok(lx, &key);
        if (key.kind == ')')
            break;
        if (!first) {
            if (key.kind != ',')
                FAIL("expected ',' or ')' in %s(...) on column '%s'", name.text, c->name);
            next_tok(lx, &key);
        }
        next_tok(lx, &eq);
        next_tok(lx, &val);
        if (key.kind != 'w' || eq.kind != '=' || val.kind != 'w')
            FAIL("expected key=value in %s(...) on column '%s'", name.text, c->name);
        int ok = 1;
        if (ix->kind == VEC0_INDEX_FLAT) {
            ok = 0;
        } else if (word_is(&key, "quantizer") && ix->kind != VEC0_INDEX_DISKANN) {
            if (word_is(&val, "int8"))
                ix->quantizer = VEC_QUANT_INT8;
            else if (word_is(&val, "bit") || word_is(&val, "binary"))
                ix->quantizer = VEC_QUANT_BIT;
            else if (word_is(&val, "none") && ix->kind == VEC0_INDEX_IVF)
                ix->quantizer = VEC_QUANT_NONE;
            else
                FAIL("unknown quantizer '%s' in %s(...) on column '%s' (%s)", val.text, name.text,
                     c->name, ix->kind == VEC0_INDEX_IVF ? "none, int8, binary" : "int8, bit");
        } else if (word_is(&key, "oversample")) {
            if (int_option(&val, key.text, name.text, 1, VEC0_MAX_OVERSAMPLE, &ix->oversample, err,
                           errlen) != 0)
                return -1;
            oversample_given = 1;
        } else if (word_is(&key, "nlist") && ix->kind == VEC0_INDEX_IVF) {
            if (int_option(&val, key.text, name.text, 0, VEC0_MAX_NLIST, &ix->nlist, err, errlen) !=
                0)
                return -1;
        } else if (word_is(&key, "nprobe") && ix->kind == VEC0_INDEX_IVF) {
            if (int_option(&val, key.text, name.text, 1, VEC0_MAX_NLIST, &ix->nprobe, err,
                           errlen) != 0)
                return -1;
        } else if (word_is(&key, "neighbor_quantizer") && ix->kind == VEC0_INDEX_DISKANN) {
            if (word_is(&val, "binary") || word_is(&val, "bit"))
                ix->quantizer = VEC_QUANT_BIT;
            else if (word_is(&val, "int8"))
                ix->quantizer = VEC_QUANT_INT8;
            else
                FAIL("unknown neighbor_quantizer '%s' in diskann(...) on column '%s' (binary, "
                     "int8)",
                     val.text, c->name);
        } else if (word_is(&key, "n_neighbors") && ix->kind == VEC0_INDEX_DISKANN) {
            if (int_option(&val, key.text, name.text, 2, 256, &ix->degree, err, errlen) != 0)
                return -1;
        } else if (ix->kind == VEC0_INDEX_DISKANN &&
                   (word_is(&key, "search_list_size") || word_is(&key, "search_list_size_search") ||
                    word_is(&key, "search_list_size_insert"))) {
            int l;
            if (int_option(&val, key.text, name.text, 1, VEC0_MAX_LIST, &l, err, errlen) != 0)
                return -1;
            if (!word_is(&key, "search_list_size_insert"))
                ix->list_search = l;
            if (!word_is(&key, "search_list_size_search"))
                ix->list_insert = l;
            lists_given |= word_is(&key, "search_list_size") ? 1 : 2;
        } else if (word_is(&key, "buffer_threshold") && ix->kind == VEC0_INDEX_DISKANN) {
            if (int_option(&val, key.text, name.text, 0, VEC0_MAX_GRAPH_BUFFER,
                           &ix->buffer_threshold, err, errlen) != 0)
                return -1;
        } else {
            ok = 0;
        }
        if (!ok)
            FAIL("unknown option '%s' in %s(...) on column '%s'", key.text, name.text, c->name);
    }
    if (ix->kind != VEC0_INDEX_FLAT && c->vtype != VEC_F32 && c->vtype != VEC_F16)
        FAIL("%s(...) indexes float32 and float16 columns, not %s column '%s'", name.text,
             vec_type_name(c->vtype), c->name);
    if (ix->quantizer == VEC_QUANT_BIT && c->dims % 8 != 0)
        FAIL("the bit quantizer needs a dimension divisible by 8 (column '%s' has %d)", c->name,
             c->dims);
    /* which one would win would depend on their order */
    if (lists_given == 3)
        FAIL("diskann(...) on column '%s' takes search_list_size or search_list_size_search and "
             "search_list_size_insert, not both",
             c->name);
    if (ix->kind == VEC0_INDEX_IVF && ix->quantizer == VEC_QUANT_NONE && ix->oversample > 1 &&
        oversample_given)
        FAIL("ivf(...) oversample needs a quantizer (int8 or binary) on column '%s': without one "
             "the clusters are scanned exactly",
             c->name);
    if (ix->kind == VEC0_INDEX_IVF && ix->nlist > 0 && ix->nprobe > ix->nlist)
        FAIL("ivf(...) nprobe (%d) is larger than nlist (%d) on column '%s'", ix->nprobe, ix->nlist,
             c->name);
    /* int8 codes rank the graph's candidates well already; bit codes need more of them */
    if (ix->kind == VEC0_INDEX_DISKANN && !oversample_given && ix->quantizer == VEC_QUANT_INT8)
        ix->oversample = VEC0_DEFAULT_GRAPH_OVERSAMPLE;
    return 0;
}

/* Parses one argument into s. */
static int parse_arg(vec0_schema *s, const char *arg, char *err, size_t errlen) {
    lexer lx = {arg, 0, 0};
    tok t1, t2, t3;
    int aux = 0;
    next_tok(&lx, &t1);
    if (t1.kind == '+') {
        aux = 1;
        next_tok(&lx, &t1);
    }
    if (t1.kind != 'w' && t1.kind != 'q')
        FAIL("cannot parse column definition '%s'", arg);
    next_tok(&lx, &t2);
    /* table option: key=value */
    if (!aux && t1.kind == 'w' && t2.kind == '=') {
        next_tok(&lx, &t3);
        tok end;
        next_tok(&lx, &end);
        if (strcasecmp(t1.text, "chunk_size") != 0)
            FAIL("unknown table option: %s", t1.text);
        char *e;
        long v = strtol(t3.text, &e, 10);
        if (t3.kind != 'w' || *e != '\0' || end.kind != 0 || v <= 0 || v % 8 != 0 ||
            v > VEC0_MAX_CHUNK)
            FAIL("chunk_size must be a positive multiple of 8 up to %d, got '%s'", VEC0_MAX_CHUNK,
                 t3.text);
        s->chunk_size = (int)v;
        s->chunk_size_given = 1;
        return 0;
    }
    if (lx.overflow || strlen(t1.text) == 0)
        FAIL("column name too long or empty in '%s'", arg);
    if (s->ncols >= VEC0_MAX_COLUMNS)
        FAIL("too many columns");
    if (name_taken(s, t1.text))
        FAIL("duplicate or reserved column name '%s'", t1.text);
    vec0_column *c = &s->cols[s->ncols];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", t1.text);
    if (aux) {
        c->kind = VEC0_AUX;
        c->value_type = VEC0_ANY;
        if (t2.kind == 'w' && !aux_type_of(t2.text, &c->value_type))
            FAIL("unknown type '%s' for auxiliary column '%s'", t2.text, c->name);
        if (t2.kind != 0 && t2.kind != 'w')
            FAIL("cannot parse auxiliary column definition '%s'", arg);
        if (t2.kind == 'w') {
            next_tok(&lx, &t3);
            if (t3.kind != 0)
                FAIL("unexpected '%s' in auxiliary column definition '%s'", t3.text, arg);
        }
        if (s->naux >= VEC0_MAX_AUX)
            FAIL("too many auxiliary columns (at most %d)", VEC0_MAX_AUX);
        c->slot = s->naux++;
        s->ncols++;
        return 0;
    }
    if (t2.kind != 'w')
        FAIL("missing type in column definition '%s'", arg);
    vec_type vt;
    next_tok(&lx, &t3);
    if (vector_type_of(t2.text, &vt) && t3.kind == '[') {
        tok num, close;
        next_tok(&lx, &num);
        next_tok(&lx, &close);
        char *e;
        long dims = strtol(num.text, &e, 10);
        if (num.kind != 'w' || *e != '\0' || close.kind != ']')
            FAIL("cannot parse vector column '%s': expected %s[N]", arg, t2.text);
        if (dims <= 0 || dims > VEC0_MAX_DIMS)
            FAIL("vector column '%s' must have 1 to %d dimensions, got %ld", c->name, VEC0_MAX_DIMS,
                 dims);
        if (vt == VEC_BIT && dims % 8 != 0)
            FAIL("bit vector column '%s' needs a dimension divisible by 8, got %ld", c->name, dims);
        c->kind = VEC0_VECTOR;
        c->vtype = vt;
        c->dims = (int)dims;
        c->metric = vt == VEC_BIT ? VEC_HAMMING : VEC_L2;
        for (;;) {
            tok key, eq, val;
            next_tok(&lx, &key);
            if (key.kind == 0)
                break;
            if (word_is(&key, "indexed")) {
                if (parse_index(&lx, c, err, errlen) != 0)
                    return -1;
                continue;
            }
            next_tok(&lx, &eq);
            next_tok(&lx, &val);
            if (word_is(&key, "distance_metric") && eq.kind == '=' && val.kind == 'w') {
                if (vt == VEC_BIT)
                    FAIL("distance_metric is not allowed on bit column '%s' (always hamming)",
                         c->name);
                if (strcasecmp(val.text, "l2") == 0)
                    c->metric = VEC_L2;
                else if (strcasecmp(val.text, "l1") == 0)
                    c->metric = VEC_L1;
                else if (strcasecmp(val.text, "cosine") == 0)
                    c->metric = VEC_COSINE;
                else if (strcasecmp(val.text, "dot") == 0)
                    c->metric = VEC_DOT;
                else
                    FAIL("unknown distance_metric '%s' on column '%s' (l2, l1, cosine, dot)",
                         val.text, c->name);
            } else {
                FAIL("unknown option '%s' on vector column '%s'", key.text, c->name);
            }
        }
        if (c->index.kind == VEC0_INDEX_IVF) {
            if (s->ivf_column >= 0)
                FAIL("only one vector column can have an ivf index ('%s' and '%s')",
                     s->cols[s->ivf_column].name, c->name);
            s->ivf_column = s->ncols;
        }
        if (s->nvectors >= VEC0_MAX_VECTORS)
            FAIL("too many vector columns (at most %d)", VEC0_MAX_VECTORS);
        c->slot = s->nvectors++;
        s->ncols++;
        return 0;
    }
    if (t3.kind == '[')
        FAIL("unknown vector type '%s' in '%s'", t2.text, arg);
    /* partition key / primary key / metadata */
    if ((word_is(&t3, "partition") || word_is(&t3, "primary"))) {
        int partition = word_is(&t3, "partition");
        tok key, end;
        next_tok(&lx, &key);
        next_tok(&lx, &end);
        if (!word_is(&key, "key") || end.kind != 0)
            FAIL("cannot parse column definition '%s'", arg);
        if (strcasecmp(t2.text, "text") == 0)
            c->value_type = VEC0_TEXT;
        else if (strcasecmp(t2.text, "int") == 0 || strcasecmp(t2.text, "integer") == 0)
            c->value_type = VEC0_INTEGER;
        else
            FAIL("%s key column '%s' must be text or integer, got '%s'",
                 partition ? "partition" : "primary", c->name, t2.text);
        if (partition) {
            if (s->npartitions >= VEC0_MAX_PARTITIONS)
                FAIL("too many partition key columns (at most %d)", VEC0_MAX_PARTITIONS);
            c->kind = VEC0_PARTITION;
            c->slot = s->npartitions++;
        } else {
            if (s->pk >= 0)
                FAIL("only one primary key column is allowed");
            c->kind = VEC0_PRIMARY_KEY;
            s->pk = s->ncols;
        }
        s->ncols++;
        return 0;
    }
    if (t3.kind != 0)
        FAIL("cannot parse column definition '%s' (metadata columns take no constraints)", arg);
    if (!metadata_type_of(t2.text, &c->value_type))
        FAIL("unknown column type '%s' in '%s'", t2.text, arg);
    if (s->nmetadata >= VEC0_MAX_METADATA)
        FAIL("too many metadata columns (at most %d)", VEC0_MAX_METADATA);
    c->kind = VEC0_METADATA;
    c->slot = s->nmetadata++;
    s->ncols++;
    return 0;
}

int vec0_schema_parse(vec0_schema *s, int argc, const char *const *argv, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->pk = -1;
    s->ivf_column = -1;
    s->chunk_size = VEC0_DEFAULT_CHUNK;
    for (int i = 0; i < argc; i++)
        if (parse_arg(s, argv[i], err, errlen) != 0)
            return -1;
    if (s->nvectors == 0)
        FAIL("at least one vector column is required");
    return 0;
}
