/*
** local_static_vectors: loading word-vector tables and averaging them (see local_static_vectors.h).
**
** Both loaders parse the mapped file in one pass with a small number parser, because the wink
** JSON is 307 MB with 34 million numbers: a DOM parser would need gigabytes.
*/
#include "embed/local_static_vectors.h"

#include "embed/local_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static const double pow10_table[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Parses a JSON/GloVe number. Returns false when there is none. */
static bool parse_number(cursor *c, float *out) {
    const char *p = c->p, *end = c->end;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    bool any = false;
    while (p < end && *p >= '0' && *p <= '9') {
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            if (mant)
                digits++;
        } else
            exp10++;
        p++;
        any = true;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                if (mant)
                    digits++;
                exp10--;
            }
            p++;
            any = true;
        }
    }
    if (!any)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        int e = 0;
        bool edig = false;
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 10000)
                e = e * 10 + (*p - '0');
            p++;
            edig = true;
        }
        if (!edig)
            return false;
        exp10 += eneg ? -e : e;
    }
    double v = (double)mant;
    if (exp10 >= 0)
        v = exp10 <= 22 ? v * pow10_table[exp10] : v * pow(10.0, exp10);
    else
        v = exp10 >= -22 ? v / pow10_table[-exp10] : v * pow(10.0, exp10);
    if (!isfinite(v) || fabs(v) > 3.0e38)
        return false;
    *out = (float)(neg ? -v : v);
    c->p = p;
    return true;
}

typedef struct loader {
    lembed_static *m;
    size_t cap_rows;
    int64_t max_rows;
    char *err;
    size_t errlen;
    const char *path;
} loader;

static int fail(loader *ld, const char *what, const cursor *c, const char *base) {
    if (c && base)
        snprintf(ld->err, ld->errlen, "cannot load '%s': %s at byte %zu", ld->path, what,
                 (size_t)(c->p - base));
    else
        snprintf(ld->err, ld->errlen, "cannot load '%s': %s", ld->path, what);
    return -1;
}

/* Adds a word and returns the row to fill, NULL for a duplicate (skipped), or sets *oom. */
static float *add_row(loader *ld, const char *w, size_t n, bool *oom) {
    lembed_static *m = ld->m;
    if (lembed_strmap_get(&m->map, w, n) >= 0)
        return NULL;
    if ((size_t)m->rows == ld->cap_rows) {
        size_t cap = ld->cap_rows ? ld->cap_rows * 2 : 4096;
        if (cap > (size_t)INT32_MAX)
            cap = (size_t)INT32_MAX;
        if (cap == ld->cap_rows) {
            *oom = true;
            return NULL;
        }
        float *v = realloc(m->vecs, cap * (size_t)m->dims * sizeof(float));
        if (!v) {
            *oom = true;
            return NULL;
        }
        m->vecs = v;
        ld->cap_rows = cap;
    }
    if (!lembed_strmap_put(&m->map, w, n, m->rows)) {
        *oom = true;
        return NULL;
    }
    return m->vecs + (size_t)m->rows++ * (size_t)m->dims;
}

/* GloVe text: "word v1 ... vd" per line; an optional word2vec header "count dims" is skipped. */
static int load_glove(loader *ld, const char *base, size_t size) {
    cursor c = {base, base + size};
    lembed_static *m = ld->m;
    float tmp[LEMBED_STATIC_MAX_DIMS];
    bool first = true;
    while (c.p < c.end && (ld->max_rows == 0 || m->rows < ld->max_rows)) {
        const char *line = c.p;
        const char *eol = memchr(c.p, '\n', (size_t)(c.end - c.p));
        if (!eol)
            eol = c.end;
        const char *sp = memchr(line, ' ', (size_t)(eol - line));
        if (eol == line || (eol == line + 1 && *line == '\r')) {
            c.p = eol + (eol < c.end);
            continue;
        }
        if (!sp || sp == line)
            return fail(ld, "expected a word and its numbers", &c, base);
        cursor nc = {sp, eol};
        int d = 0;
        for (;;) {
            while (nc.p < nc.end && (*nc.p == ' ' || *nc.p == '\t' || *nc.p == '\r'))
                nc.p++;
            if (nc.p >= nc.end)
                break;
            if (d >= LEMBED_STATIC_MAX_DIMS)
                return fail(ld, "too many numbers on a line", &c, base);
            if (!parse_number(&nc, &tmp[d]))
                return fail(ld, "bad number", &nc, base);
            d++;
        }
        if (first && d == 1 && sp - line < 20 && m->rows == 0 && c.p == base) {
            /* word2vec header: "count dims" */
            c.p = eol + (eol < c.end);
            continue;
        }
        if (first) {
            first = false;
            if (d == 0)
                return fail(ld, "no numbers after the first word", &c, base);
            m->dims = d;
        }
        if (d != m->dims)
            return fail(ld, "line has a different number of values than the first", &c, base);
        bool oom = false;
        float *row = add_row(ld, line, (size_t)(sp - line), &oom);
        if (oom)
            return fail(ld, "out of memory", NULL, NULL);
        if (row)
            memcpy(row, tmp, (size_t)d * sizeof(float));
        c.p = eol + (eol < c.end);
    }
    return 0;
}

/* Parses a JSON string at c (opening quote included) into buf as UTF-8. */
static bool parse_json_string(cursor *c, char *buf, size_t cap, size_t *len) {
    if (c->p >= c->end || *c->p != '"')
        return false;
    c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        unsigned cp;
        if (*c->p != '\\') {
            if (n + 1 > cap)
                return false;
            buf[n++] = *c->p++;
            continue;
        }
        if (++c->p >= c->end)
            return false;
        char e = *c->p++;
        switch (e) {
            case 'n':
                cp = '\n';
                break;
            case 't':
                cp = '\t';
                break;
            case 'r':
                cp = '\r';
                break;
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'u': {
                if (c->end - c->p < 4)
                    return false;
                cp = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *c->p++;
                    cp <<= 4;
                    if (h >= '0' && h <= '9')
                        cp |= (unsigned)(h - '0');
                    else if ((h | 32) >= 'a' && (h | 32) <= 'f')
                        cp |= (unsigned)((h | 32) - 'a' + 10);
                    else
                        return false;
                }
                if (cp >= 0xD800 && cp < 0xDC00 && c->end - c->p >= 6 && c->p[0] == '\\' &&
                    c->p[1] == 'u') {
                    unsigned lo = (unsigned)strtoul((char[]){c->p[2], c->p[3], c->p[4], c->p[5], 0},
                                                    NULL, 16);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        c->p += 6;
                    }
                }
                break;
            }
            default:
                cp = (unsigned char)e;
                break;
        }
        if (n + 4 > cap)
            return false;
        if (cp < 0x80)
            buf[n++] = (char)cp;
        else if (cp < 0x800) {
            buf[n++] = (char)(0xC0 | (cp >> 6));
            buf[n++] = (char)(0x80 | (cp & 63));
        } else if (cp < 0x10000) {
            buf[n++] = (char)(0xE0 | (cp >> 12));
            buf[n++] = (char)(0x80 | ((cp >> 6) & 63));
            buf[n++] = (char)(0x80 | (cp & 63));
        } else {
            buf[n++] = (char)(0xF0 | (cp >> 18));
            buf[n++] = (char)(0x80 | ((cp >> 12) & 63));
            buf[n++] = (char)(0x80 | ((cp >> 6) & 63));
            buf[n++] = (char)(0x80 | (cp & 63));
        }
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    *len = n;
    return true;
}

static const char *find_key(const char *base, size_t size, const char *key) {
    size_t kn = strlen(key);
    const char *p = base, *end = base + size;
    while (p < end) {
        const char *q = memchr(p, key[0], (size_t)(end - p));
        if (!q || (size_t)(end - q) < kn)
            return NULL;
        if (memcmp(q, key, kn) == 0)
            return q + kn;
        p = q + 1;
    }
    return NULL;
}

/* wink-embeddings JSON: {"dimensions":d, ..., "vectors":{"word":[v1..vd, l2norm, index], ...}} */
static int load_wink(loader *ld, const char *base, size_t size) {
    lembed_static *m = ld->m;
    const char *dp = find_key(base, size, "\"dimensions\":");
    cursor c = {dp, base + size};
    float dims;
    if (dp)
        skip_ws(&c);
    if (!dp || !parse_number(&c, &dims) || dims < 1 || dims > LEMBED_STATIC_MAX_DIMS ||
        dims != floorf(dims))
        return fail(ld, "no valid \"dimensions\" (is it a wink-embeddings JSON file?)", NULL, NULL);
    m->dims = (int32_t)dims;
    const char *vp = find_key(base, size, "\"vectors\":");
    if (!vp)
        return fail(ld, "no \"vectors\" object", NULL, NULL);
    c.p = vp;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return fail(ld, "\"vectors\" is not an object", &c, base);
    c.p++;
    char word[1024];
    float tmp[LEMBED_STATIC_MAX_DIMS + 8];
    for (;;) {
        skip_ws(&c);
        if (c.p < c.end && *c.p == '}')
            break;
        if (ld->max_rows && m->rows >= ld->max_rows)
            break;
        size_t wn;
        if (!parse_json_string(&c, word, sizeof(word), &wn))
            return fail(ld, "bad word string", &c, base);
        skip_ws(&c);
        if (c.p >= c.end || *c.p++ != ':')
            return fail(ld, "expected ':'", &c, base);
        skip_ws(&c);
        if (c.p >= c.end || *c.p++ != '[')
            return fail(ld, "expected '['", &c, base);
        int d = 0;
        for (;;) {
            skip_ws(&c);
            if (c.p < c.end && *c.p == ']') {
                c.p++;
                break;
            }
            if (d > 0) {
                if (c.p >= c.end || *c.p++ != ',')
                    return fail(ld, "expected ',' or ']'", &c, base);
                skip_ws(&c);
            }
            if (d >= m->dims + 8 || !parse_number(&c, &tmp[d]))
                return fail(ld, "bad vector", &c, base);
            d++;
        }
        if (d < m->dims)
            return fail(ld, "vector shorter than \"dimensions\"", &c, base);
        bool oom = false;
        float *row = add_row(ld, word, wn, &oom);
        if (oom)
            return fail(ld, "out of memory", NULL, NULL);
        if (row)
            memcpy(row, tmp, (size_t)m->dims * sizeof(float));
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',')
            c.p++;
        else if (c.p < c.end && *c.p == '}')
            break;
        else
            return fail(ld, "expected ',' or '}'", &c, base);
    }
    return 0;
}

int lembed_static_load(const char *path, const lembed_static_opts *opts, lembed_static *m,
                       char *err, size_t errlen) {
    memset(m, 0, sizeof(*m));
    lembed_strmap_init(&m->map);
    lembed_file f;
    if (lembed_file_map(path, &f, err, errlen) != 0)
        return -1;
    loader ld = {m, 0, opts->max_words, err, errlen, path};
    const char *base = (const char *)f.data;
    size_t i = 0;
    while (i < f.size && (base[i] == ' ' || base[i] == '\n' || base[i] == '\r' || base[i] == '\t'))
        i++;
    int rc;
    if (f.size == 0)
        rc = fail(&ld, "empty file", NULL, NULL);
    else if (base[i] == '{') {
        m->format = "wink";
        rc = load_wink(&ld, base, f.size);
    } else {
        m->format = "glove";
        rc = load_glove(&ld, base, f.size);
    }
    lembed_file_unmap(&f);
    if (rc == 0 && m->rows == 0)
        rc = fail(&ld, "no word vectors", NULL, NULL);
    if (rc == 0) {
        m->weights = malloc((size_t)m->rows * sizeof(float));
        if (!m->weights)
            rc = fail(&ld, "out of memory", NULL, NULL);
    }
    if (rc != 0) {
        lembed_static_free(m);
        return -1;
    }
    double harmonic = log((double)m->rows) + 0.5772156649;
    for (int32_t r = 0; r < m->rows; r++) {
        double p = 1.0 / ((double)(r + 1) * harmonic);
        m->weights[r] = opts->mean ? 1.0f : (float)(1e-3 / (1e-3 + p));
    }
    return 0;
}

void lembed_static_free(lembed_static *m) {
    lembed_strmap_free(&m->map);
    free(m->vecs);
    free(m->weights);
    memset(m, 0, sizeof(*m));
}

int64_t lembed_static_embed(const lembed_static *m, const char *text, size_t n, lembed_wordlist *wl,
                            float *out, int32_t *rows_out, size_t rows_cap) {
    for (int32_t d = 0; d < m->dims; d++)
        out[d] = 0;
    if (lembed_basic_split(text, n, LEMBED_SPLIT_LOWER, wl) != 0)
        return -1;
    int64_t used = 0;
    for (size_t i = 0; i < wl->count; i++) {
        const lembed_word *w = &wl->words[i];
        if (w->punct)
            continue;
        int32_t r = lembed_strmap_get(&m->map, wl->buf + w->off, w->len);
        if (r < 0)
            continue;
        if (rows_out && (size_t)used < rows_cap)
            rows_out[used] = r;
        used++;
        const float *v = m->vecs + (size_t)r * (size_t)m->dims;
        float wt = m->weights[r];
        for (int32_t d = 0; d < m->dims; d++)
            out[d] += wt * v[d];
    }
    double ss = 0;
    for (int32_t d = 0; d < m->dims; d++)
        ss += (double)out[d] * out[d];
    if (ss > 0) {
        float inv = (float)(1.0 / sqrt(ss));
        for (int32_t d = 0; d < m->dims; d++)
            out[d] *= inv;
    }
    return used;
}
