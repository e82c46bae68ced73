/*
** jv: exact JSON parser and JSON Schema equality (see jv.h).
*/
#include "jsonschema/jv.h"
#include "common/hash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    arena *a;
    const char *s;
    size_t len;
    size_t pos;
    jv_error *err;
    bool failed;
    /* Children of the arrays and objects being parsed, copied into the arena when each closes. */
    void **stack;
    size_t top, cap;
    /* Members of the objects being parsed, by value. */
    jv_member *mstack;
    size_t mtop, mcap;
} parser;

static void fail(parser *p, const char *msg) {
    if (p->failed)
        return;
    p->failed = true;
    if (p->err) {
        p->err->offset = p->pos;
        snprintf(p->err->msg, sizeof p->err->msg, "%s", msg);
    }
}

static void *palloc(parser *p, size_t n) {
    void *r = arena_alloc(p->a, n);
    if (r == NULL)
        fail(p, "out of memory");
    return r;
}

static bool push(parser *p, void *v) {
    if (!js_reserve(&p->stack, p->top, &p->cap, sizeof *p->stack, 64)) {
        fail(p, "out of memory");
        return false;
    }
    p->stack[p->top++] = v;
    return true;
}

static bool push_member(parser *p, const jv_member *m) {
    if (!js_reserve(&p->mstack, p->mtop, &p->mcap, sizeof *p->mstack, 32)) {
        fail(p, "out of memory");
        return false;
    }
    p->mstack[p->mtop++] = *m;
    return true;
}

static inline void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

int jv_hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *p, size_t at, unsigned *out) {
    if (at + 4 > p->len)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = jv_hexval(p->s[at + i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at p->pos (on the opening quote). */
static bool parse_string(parser *p, const char **out, uint32_t *outlen) {
    size_t start = ++p->pos;
    bool escaped = false;
    /* Fast scan: 8 bytes at a time while none is '"', '\\' or a control character. */
    while (p->pos + 8 <= p->len) {
        uint64_t w;
        memcpy(&w, p->s + p->pos, 8);
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
        uint64_t hit =
            ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((w - ones * 0x20) & ~w);
        if (hit & highs)
            break;
        p->pos += 8;
    }
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20) {
            fail(p, "control character in string");
            return false;
        }
        if (c == '\\') {
            escaped = true;
            p->pos++;
        }
        p->pos++;
    }
    if (p->pos >= p->len) {
        p->pos = p->len; /* a final backslash stepped past the end */
        fail(p, "unterminated string");
        return false;
    }
    size_t end = p->pos++;
    if (end - start > UINT32_MAX / 2) {
        fail(p, "string too long");
        return false;
    }
    if (!escaped) {
        *out = p->s + start;
        *outlen = (uint32_t)(end - start);
        return true;
    }
    /* Escapes never make a string longer than its source. */
    char *o = palloc(p, end - start + 1);
    if (o == NULL)
        return false;
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        char c = p->s[i];
        if (c != '\\') {
            o[n++] = c;
            continue;
        }
        char e = p->s[++i];
        switch (e) {
            case '"':
            case '\\':
            case '/':
                o[n++] = e;
                break;
            case 'b':
                o[n++] = '\b';
                break;
            case 'f':
                o[n++] = '\f';
                break;
            case 'n':
                o[n++] = '\n';
                break;
            case 'r':
                o[n++] = '\r';
                break;
            case 't':
                o[n++] = '\t';
                break;
            case 'u': {
                unsigned cp, lo;
                if (!read_hex4(p, i + 1, &cp)) {
                    p->pos = i;
                    fail(p, "bad \\u escape");
                    return false;
                }
                i += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && p->s[i + 1] == '\\' &&
                    p->s[i + 2] == 'u' && read_hex4(p, i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
                n += put_utf8(o + n, cp);
                break;
            }
            default:
                p->pos = i;
                fail(p, "bad escape in string");
                return false;
        }
    }
    o[n] = '\0';
    *out = o;
    *outlen = (uint32_t)n;
    return true;
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool parse_number(parser *p, jv *v) {
    size_t start = p->pos;
    const char *s = p->s;
    size_t i = p->pos;
    bool neg = false;
    if (i < p->len && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= p->len || !is_digit(s[i])) {
        fail(p, "bad number");
        return false;
    }
    size_t int_start = i;
    if (s[i] == '0')
        i++;
    else
        while (i < p->len && is_digit(s[i]))
            i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < p->len && s[i] == '.') {
        i++;
        frac_start = i;
        if (i >= p->len || !is_digit(s[i])) {
            p->pos = i;
            fail(p, "bad number");
            return false;
        }
        while (i < p->len && is_digit(s[i]))
            i++;
        frac_end = i;
    }
    int64_t e10 = 0;
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= p->len || !is_digit(s[i])) {
            p->pos = i;
            fail(p, "bad number");
            return false;
        }
        while (i < p->len && is_digit(s[i])) {
            if (e10 < 1000000000)
                e10 = e10 * 10 + (s[i] - '0');
            i++;
        }
        if (eneg)
            e10 = -e10;
    }
    p->pos = i;
    /* Canonical digits: integer part then fraction, leading and trailing zeros dropped. */
    size_t ndig_max = (int_end - int_start) + (frac_end - frac_start);
    char *dig = palloc(p, ndig_max + 1);
    if (dig == NULL)
        return false;
    size_t nd = 0;
    int64_t point = 0; /* digits before the decimal point, counted from the first significant */
    bool seen = false;
    for (size_t k = int_start; k < int_end; k++) {
        if (!seen && s[k] == '0')
            continue;
        seen = true;
        dig[nd++] = s[k];
        point++;
    }
    for (size_t k = frac_start; k < frac_end; k++) {
        if (!seen && s[k] == '0') {
            point--;
            continue;
        }
        seen = true;
        dig[nd++] = s[k];
    }
    while (nd > 0 && dig[nd - 1] == '0')
        nd--;
    dig[nd] = '\0';
    v->type = JV_NUMBER;
    v->u.num.digits = dig;
    v->u.num.ndig = (int32_t)(nd > INT32_MAX ? INT32_MAX : nd);
    v->u.num.neg = nd > 0 && neg;
    v->u.num.spelled_float = frac_end > frac_start || i > frac_end;
    v->u.num.exp = nd > 0 ? point + e10 : 0;
    if (nd <= 15 && v->u.num.exp >= (int64_t)nd && v->u.num.exp <= 15) {
        /* Small integer: exact without strtod. */
        double d = 0;
        for (size_t k = 0; k < nd; k++)
            d = d * 10 + (dig[k] - '0');
        for (int64_t k = (int64_t)nd; k < v->u.num.exp; k++)
            d *= 10;
        v->u.num.d = neg ? -d : d;
    } else if (nd <= 15 && v->u.num.exp - (int64_t)nd >= -22 && v->u.num.exp - (int64_t)nd <= 22) {
        /* Clinger's fast path: an integer mantissa below 2^53 times or divided by an exact
        ** power of ten is correctly rounded by one IEEE operation. */
        static const double P10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        double m = 0;
        for (size_t k = 0; k < nd; k++)
            m = m * 10 + (dig[k] - '0');
        int64_t e = v->u.num.exp - (int64_t)nd;
        double d = e < 0 ? m / P10[-e] : m * P10[e];
        v->u.num.d = neg ? -d : d;
    } else {
        char buf[64];
        size_t n = i - start;
        if (n < sizeof buf) {
            memcpy(buf, s + start, n);
            buf[n] = '\0';
            v->u.num.d = strtod(buf, NULL);
        } else {
            char *tmp = malloc(n + 1);
            if (tmp == NULL) {
                fail(p, "out of memory");
                return false;
            }
            memcpy(tmp, s + start, n);
            tmp[n] = '\0';
            v->u.num.d = strtod(tmp, NULL);
            free(tmp);
        }
    }
    return true;
}

static bool keys_unique(jv_member *m, size_t n) {
    if (n < 2)
        return true;
    if (n <= 24) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (m[i].klen == m[j].klen && memcmp(m[i].key, m[j].key, m[i].klen) == 0)
                    return false;
        return true;
    }
    /* Open addressing over member indexes. */
    size_t cap = 64;
    while (cap < n * 2)
        cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return true; /* cannot check; accept rather than fail a valid document */
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        size_t at = jv_bytes_hash(m[i].key, m[i].klen) & (cap - 1);
        while (slots[at]) {
            jv_member *o = &m[slots[at] - 1];
            if (o->klen == m[i].klen && memcmp(o->key, m[i].key, o->klen) == 0) {
                ok = false;
                break;
            }
            at = (at + 1) & (cap - 1);
        }
        slots[at] = (uint32_t)i + 1;
    }
    free(slots);
    return ok;
}

static jv *parse_value(parser *p, int depth);

static bool parse_array(parser *p, jv *v, int depth) {
    p->pos++;
    size_t base = p->top;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            jv *item = parse_value(p, depth + 1);
            if (item == NULL || !push(p, item))
                return false;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == ']') {
                p->pos++;
                break;
            }
            fail(p, "expected ',' or ']' in array");
            return false;
        }
    }
    size_t n = p->top - base;
    v->type = JV_ARRAY;
    v->n = (uint32_t)n;
    v->u.items = NULL;
    if (n) {
        v->u.items = palloc(p, n * sizeof(jv *));
        if (v->u.items == NULL)
            return false;
        memcpy(v->u.items, p->stack + base, n * sizeof(jv *));
    }
    p->top = base;
    return true;
}

static bool parse_object(parser *p, jv *v, int depth) {
    p->pos++;
    size_t base = p->mtop;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, "expected a string key in object");
                return false;
            }
            jv_member m;
            if (!parse_string(p, &m.key, &m.klen))
                return false;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, "expected ':' in object");
                return false;
            }
            p->pos++;
            m.val = parse_value(p, depth + 1);
            if (m.val == NULL || !push_member(p, &m))
                return false;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == '}') {
                p->pos++;
                break;
            }
            fail(p, "expected ',' or '}' in object");
            return false;
        }
    }
    size_t n = p->mtop - base;
    v->type = JV_OBJECT;
    v->n = (uint32_t)n;
    v->u.members = NULL;
    if (n) {
        v->u.members = palloc(p, n * sizeof(jv_member));
        if (v->u.members == NULL)
            return false;
        memcpy(v->u.members, p->mstack + base, n * sizeof(jv_member));
        if (!keys_unique(v->u.members, n)) {
            fail(p, "duplicate key in object");
            return false;
        }
    }
    p->mtop = base;
    return true;
}

static bool match_lit(parser *p, const char *lit, size_t n) {
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0) {
        p->pos += n;
        return true;
    }
    fail(p, "unexpected character");
    return false;
}

static jv *parse_value(parser *p, int depth) {
    if (depth > JV_MAX_DEPTH) {
        fail(p, "nesting deeper than 1000 levels");
        return NULL;
    }
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    jv *v = palloc(p, sizeof *v);
    if (v == NULL)
        return NULL;
    v->n = 0;
    char c = p->s[p->pos];
    bool ok;
    switch (c) {
        case '{':
            ok = parse_object(p, v, depth);
            break;
        case '[':
            ok = parse_array(p, v, depth);
            break;
        case '"':
            v->type = JV_STRING;
            ok = parse_string(p, &v->u.str, &v->n);
            break;
        case 't':
            v->type = JV_TRUE;
            ok = match_lit(p, "true", 4);
            break;
        case 'f':
            v->type = JV_FALSE;
            ok = match_lit(p, "false", 5);
            break;
        case 'n':
            v->type = JV_NULL;
            ok = match_lit(p, "null", 4);
            break;
        default:
            if (c == '-' || is_digit(c)) {
                ok = parse_number(p, v);
            } else {
                fail(p, "unexpected character");
                ok = false;
            }
    }
    return ok ? v : NULL;
}

jv *jv_parse(arena *a, const char *text, size_t len, jv_error *err) {
    parser p = {.a = a, .s = text, .len = len, .err = err};
    jv *v = parse_value(&p, 0);
    if (v) {
        skip_ws(&p);
        if (p.pos != p.len) {
            fail(&p, "trailing characters after the JSON value");
            v = NULL;
        }
    }
    free(p.stack);
    free(p.mstack);
    return p.failed ? NULL : v;
}

jv *jv_getn(const jv *obj, const char *key, size_t klen) {
    if (obj == NULL || obj->type != JV_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < obj->n; i++) {
        const jv_member *m = &obj->u.members[i];
        if (m->klen == klen && memcmp(m->key, key, klen) == 0)
            return m->val;
    }
    return NULL;
}

jv *jv_get(const jv *obj, const char *key) {
    return jv_getn(obj, key, strlen(key));
}

bool jv_str_is(const jv *v, const char *lit) {
    size_t n = strlen(lit);
    return v && v->type == JV_STRING && v->n == n && memcmp(v->u.str, lit, n) == 0;
}

int jv_num_cmp(const jv_num *a, const jv_num *b) {
    int sa = a->ndig == 0 ? 0 : a->neg ? -1 : 1;
    int sb = b->ndig == 0 ? 0 : b->neg ? -1 : 1;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int mag; /* comparison of magnitudes */
    if (a->exp != b->exp) {
        mag = a->exp < b->exp ? -1 : 1;
    } else {
        int32_t n = a->ndig < b->ndig ? a->ndig : b->ndig;
        int c = memcmp(a->digits, b->digits, (size_t)n);
        if (c != 0)
            mag = c < 0 ? -1 : 1;
        else
            mag = a->ndig == b->ndig ? 0 : a->ndig < b->ndig ? -1 : 1;
    }
    return sa > 0 ? mag : -mag;
}

bool jv_num_is_int(const jv_num *a) {
    return a->ndig == 0 || a->exp >= a->ndig;
}

int64_t jv_num_to_count(const jv_num *a) {
    if (a->neg || !jv_num_is_int(a))
        return -1;
    if (a->exp > 18)
        return INT64_MAX;
    int64_t v = 0;
    for (int64_t i = 0; i < a->exp; i++)
        v = v * 10 + (i < a->ndig ? a->digits[i] - '0' : 0);
    return v;
}

bool jv_num_multiple_of(const jv_num *a, const jv_num *b) {
    if (a->ndig == 0)
        return true;
    if (b->ndig == 0)
        return false;
    /* a = A * 10^(a.exp - a.ndig), b = B * 10^(b.exp - b.ndig) with A, B integers without
    ** trailing zeros. a / b = (A / B) * 10^k. */
    int64_t k = (a->exp - a->ndig) - (b->exp - b->ndig);
    if (b->ndig <= 18 && k > -1000000000 && k < 100000) {
        if (k < 0)
            return false; /* B * 10^-k would need trailing zeros A does not have */
        uint64_t B = 0;
        for (int32_t i = 0; i < b->ndig; i++)
            B = B * 10 + (uint64_t)(b->digits[i] - '0');
        uint64_t r = 0;
        for (int32_t i = 0; i < a->ndig; i++)
            r = (r * 10 + (uint64_t)(a->digits[i] - '0')) % B;
        for (int64_t i = 0; i < k && r != 0; i++)
            r = (r * 10) % B;
        return r == 0;
    }
    /* Divisors with more than 18 significant digits, or absurd exponents: doubles. */
    double q = a->d / b->d;
    return isfinite(q) && q == floor(q);
}

size_t jv_utf8_length(const char *s, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return count;
}

bool jv_equal(const jv *a, const jv *b) {
    if (a->type != b->type)
        return false;
    switch (a->type) {
        case JV_NUMBER:
            return jv_num_cmp(&a->u.num, &b->u.num) == 0;
        case JV_STRING:
            return a->n == b->n && memcmp(a->u.str, b->u.str, a->n) == 0;
        case JV_ARRAY:
            if (a->n != b->n)
                return false;
            for (uint32_t i = 0; i < a->n; i++)
                if (!jv_equal(a->u.items[i], b->u.items[i]))
                    return false;
            return true;
        case JV_OBJECT:
            if (a->n != b->n)
                return false;
            for (uint32_t i = 0; i < a->n; i++) {
                const jv_member *m = &a->u.members[i];
                jv *o = jv_getn(b, m->key, m->klen);
                if (o == NULL || !jv_equal(m->val, o))
                    return false;
            }
            return true;
        default:
            return true;
    }
}

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h * 0xFF51AFD7ED558CCDULL;
}

uint64_t jv_bytes_hash(const char *s, size_t n) {
    return strata_fnv1a(s, n);
}

uint64_t jv_hash(const jv *v) {
    switch (v->type) {
        case JV_NUMBER:
            return mix(
                mix(jv_bytes_hash(v->u.num.digits, (size_t)v->u.num.ndig), (uint64_t)v->u.num.exp),
                v->u.num.neg);
        case JV_STRING:
            return mix(5, jv_bytes_hash(v->u.str, v->n));
        case JV_ARRAY: {
            uint64_t h = 6;
            for (uint32_t i = 0; i < v->n; i++)
                h = mix(h, jv_hash(v->u.items[i]));
            return h;
        }
        case JV_OBJECT: {
            /* Member order does not matter: combine with a commutative sum. */
            uint64_t sum = 0;
            for (uint32_t i = 0; i < v->n; i++) {
                const jv_member *m = &v->u.members[i];
                sum += mix(jv_bytes_hash(m->key, m->klen), jv_hash(m->val));
            }
            return mix(7, sum);
        }
        default:
            return mix(v->type, 0);
    }
}

void jv_write(strbuf *sb, const jv *v, size_t limit) {
    if (sb->len > limit) {
        if (sb->len < limit + 3 || memcmp(sb->data + sb->len - 3, "...", 3) != 0)
            strbuf_append_str(sb, "...");
        return;
    }
    switch (v->type) {
        case JV_NULL:
            strbuf_append_str(sb, "null");
            break;
        case JV_TRUE:
            strbuf_append_str(sb, "true");
            break;
        case JV_FALSE:
            strbuf_append_str(sb, "false");
            break;
        case JV_NUMBER:
            strbuf_appendf(sb, "%.17g", v->u.num.d);
            break;
        case JV_STRING: {
            size_t n = v->n;
            if (n > limit) {
                n = limit;
                while (n > 0 && ((unsigned char)v->u.str[n] & 0xC0) == 0x80)
                    n--; /* never half a UTF-8 sequence */
            }
            strbuf_append_json_string(sb, v->u.str, n);
            break;
        }
        case JV_ARRAY:
            strbuf_append_char(sb, '[');
            for (uint32_t i = 0; i < v->n && sb->len <= limit; i++) {
                if (i)
                    strbuf_append_char(sb, ',');
                jv_write(sb, v->u.items[i], limit);
            }
            strbuf_append_str(sb, sb->len > limit ? "...]" : "]");
            break;
        default:
            strbuf_append_char(sb, '{');
            for (uint32_t i = 0; i < v->n && sb->len <= limit; i++) {
                if (i)
                    strbuf_append_char(sb, ',');
                strbuf_append_json_string(sb, v->u.members[i].key, v->u.members[i].klen);
                strbuf_append_char(sb, ':');
                jv_write(sb, v->u.members[i].val, limit);
            }
            strbuf_append_str(sb, sb->len > limit ? "...}" : "}");
    }
}
