/*
** regex: ECMA-262 to ICU translation and matching (see regex.h).
*/
#include "jsonschema/regex.h"
#include "common/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uregex.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

/* One atom of a simple pattern: a byte set and how often it repeats. */
typedef struct simple_tok {
    uint64_t set[4];
    uint32_t min, max;
} simple_tok;

struct js_regex {
    URegularExpression *re;
    bool literal; /* pattern without metacharacters: a plain substring search */
    char *lit;
    size_t lit_n;
    /* Simple patterns (atoms, classes, quantifiers, anchors; no groups or alternation) run on
    ** ASCII input without ICU; ICU handles everything else. */
    simple_tok *toks;
    uint32_t ntoks;
    bool anchor_start, anchor_end;
};

#define SIMPLE_MAX_TOKS 64
#define SIMPLE_MAX_STEPS 100000

static void set_add(uint64_t *set, unsigned c) {
    set[c >> 6] |= 1ULL << (c & 63);
}

static bool set_has(const uint64_t *set, unsigned c) {
    return (set[c >> 6] >> (c & 63)) & 1;
}

static void set_range(uint64_t *set, unsigned lo, unsigned hi) {
    for (unsigned c = lo; c <= hi; c++)
        set_add(set, c);
}

/* Adds the class of escape e (d, w, s and their negations over ASCII) to set; false if e is
** not a class escape. Negated classes are complemented within ASCII; input bytes >= 0x80 never
** reach the simple matcher. */
static bool class_escape(uint64_t *set, char e) {
    uint64_t tmp[4] = {0, 0, 0, 0};
    switch (e | 0x20) {
        case 'd':
            set_range(tmp, '0', '9');
            break;
        case 'w':
            set_range(tmp, '0', '9');
            set_range(tmp, 'a', 'z');
            set_range(tmp, 'A', 'Z');
            set_add(tmp, '_');
            break;
        case 's':
            set_range(tmp, '\t', '\r');
            set_add(tmp, ' ');
            break;
        default:
            return false;
    }
    bool neg = e >= 'A' && e <= 'Z';
    for (int i = 0; i < 2; i++)
        set[i] |= neg ? ~tmp[i] : tmp[i];
    return true;
}

/* Escaped punctuation is itself; letters and digits other than class escapes are not simple. */
static int simple_escape_char(char e) {
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
        return -1;
    return (unsigned char)e;
}

static bool parse_count(const char *s, size_t n, size_t *i, uint32_t *out) {
    size_t start = *i;
    uint32_t v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && *i - start < 6)
        v = v * 10 + (uint32_t)(s[(*i)++] - '0');
    *out = v;
    return *i > start;
}

static bool compile_simple(js_regex *r, const char *s, size_t n) {
    simple_tok toks[SIMPLE_MAX_TOKS];
    uint32_t nt = 0;
    size_t i = 0;
    if (n > 0 && s[0] == '^') {
        r->anchor_start = true;
        i = 1;
    }
    if (n > i && s[n - 1] == '$' && (n < 2 || s[n - 2] != '\\')) {
        r->anchor_end = true;
        n--;
    }
    while (i < n) {
        if (nt == SIMPLE_MAX_TOKS)
            return false;
        simple_tok *t = &toks[nt++];
        memset(t, 0, sizeof *t);
        t->min = t->max = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80)
            return false;
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            char e = s[i + 1];
            if (!class_escape(t->set, e)) {
                int lit = simple_escape_char(e);
                if (lit < 0)
                    return false;
                set_add(t->set, (unsigned)lit);
            }
            i += 2;
        } else if (c == '[') {
            i++;
            bool neg = i < n && s[i] == '^';
            if (neg)
                i++;
            bool first = true;
            while (i < n && (s[i] != ']' || first)) {
                if (s[i] == ']' && first)
                    return false; /* [] and []...] differ between engines: leave to ICU */
                first = false;
                int lo;
                if ((unsigned char)s[i] >= 0x80 || s[i] == '[')
                    return false;
                if (s[i] == '\\') {
                    if (i + 1 >= n)
                        return false;
                    if (class_escape(t->set, s[i + 1])) {
                        i += 2;
                        continue;
                    }
                    if ((lo = simple_escape_char(s[i + 1])) < 0)
                        return false;
                    i += 2;
                } else {
                    lo = (unsigned char)s[i++];
                }
                if (i + 1 < n && s[i] == '-' && s[i + 1] != ']') {
                    int hi = (unsigned char)s[i + 1];
                    if (hi == '\\' || hi >= 0x80 || hi < lo || hi == '[')
                        return false;
                    set_range(t->set, (unsigned)lo, (unsigned)hi);
                    i += 2;
                } else {
                    set_add(t->set, (unsigned)lo);
                }
            }
            if (i >= n)
                return false;
            i++;
            if (neg)
                for (int k = 0; k < 2; k++)
                    t->set[k] = ~t->set[k];
            t->set[2] = t->set[3] = 0;
        } else if (c == '.') {
            set_range(t->set, 0, 127);
            t->set[0] &= ~((1ULL << '\n') | (1ULL << '\r'));
            i++;
        } else if (strchr("()|*+?{}^$]", c)) {
            return false;
        } else {
            set_add(t->set, c);
            i++;
        }
        /* Quantifier. */
        if (i < n) {
            char q = s[i];
            if (q == '?' || q == '*' || q == '+') {
                t->min = q == '+' ? 1 : 0;
                t->max = q == '?' ? 1 : UINT32_MAX;
                i++;
            } else if (q == '{') {
                size_t j = i + 1;
                uint32_t lo, hi;
                if (!parse_count(s, n, &j, &lo))
                    return false;
                hi = lo;
                if (j < n && s[j] == ',') {
                    j++;
                    if (!parse_count(s, n, &j, &hi))
                        hi = UINT32_MAX;
                }
                if (j >= n || s[j] != '}' || hi < lo)
                    return false;
                t->min = lo;
                t->max = hi;
                i = j + 1;
            }
            if (i < n && (s[i] == '?' || s[i] == '*' || s[i] == '+' || s[i] == '{'))
                return false; /* lazy or stacked quantifiers: ICU */
        }
    }
    r->toks = malloc((nt ? nt : 1) * sizeof *r->toks);
    if (r->toks == NULL)
        return false;
    memcpy(r->toks, toks, nt * sizeof *toks);
    r->ntoks = nt;
    return true;
}

/* Backtracking over tokens; -1 when the step budget runs out. */
static int simple_at(const js_regex *r, uint32_t ti, const unsigned char *s, size_t n, size_t pos,
                     long *steps) {
    if (--*steps < 0)
        return -1;
    if (ti == r->ntoks)
        return !r->anchor_end || pos == n;
    const simple_tok *t = &r->toks[ti];
    size_t k = 0;
    while (k < t->max && pos + k < n && set_has(t->set, s[pos + k]))
        k++;
    if (k < t->min)
        return 0;
    for (;;) {
        int m = simple_at(r, ti + 1, s, n, pos + k, steps);
        if (m != 0)
            return m;
        if (k == t->min)
            return 0;
        k--;
    }
}

/* 1, 0, or -1 when the simple matcher cannot decide (non-ASCII input, step budget). */
static int simple_search(const js_regex *r, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return -1;
    long steps = SIMPLE_MAX_STEPS;
    size_t last = r->anchor_start ? 0 : n;
    for (size_t start = 0; start <= last; start++) {
        int m = simple_at(r, 0, (const unsigned char *)s, n, start, &steps);
        if (m != 0)
            return m;
    }
    return 0;
}

/* ICU's match steps before a search gives up (roughly a few hundred milliseconds). */
#define REGEX_TIME_LIMIT 200

#define ECMA_SPACE                                                                                 \
    "\\t\\n\\x{0B}\\f\\r "                                                                         \
    "\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

/* Length of a quantifier {n}, {n,} or {n,m} at s, or 0. */
static size_t quantifier_length(const char *s, size_t n) {
    size_t i = 1, digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (digits == 0)
        return 0;
    if (i < n && s[i] == ',') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i < n && s[i] == '}' ? i + 1 : 0;
}

static bool translate(const char *s, size_t n, strbuf *out) {
    bool in_class = false, class_start = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            char e = s[++i];
            const char *pos = NULL, *neg = NULL;
            switch (e) {
                case 'd':
                    pos = "0-9";
                    break;
                case 'D':
                    neg = "0-9";
                    break;
                case 'w':
                    pos = "a-zA-Z0-9_";
                    break;
                case 'W':
                    neg = "a-zA-Z0-9_";
                    break;
                case 's':
                    pos = ECMA_SPACE;
                    break;
                case 'S':
                    neg = ECMA_SPACE;
                    break;
                default:
                    break;
            }
            if (pos) {
                if (in_class)
                    strbuf_append_str(out, pos);
                else
                    strbuf_appendf(out, "[%s]", pos);
            } else if (neg) {
                strbuf_appendf(out, "[^%s]", neg);
            } else if (e == 'u' && i + 1 < n && s[i + 1] == '{') {
                strbuf_append_str(out, "\\x");
            } else if (e == 'b' && in_class) {
                strbuf_append_str(out, "\\x{08}");
            } else if (e == '0' && !(i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')) {
                strbuf_append_str(out, "\\x{0}");
            } else if (e == 'c' && i + 1 < n &&
                       ((s[i + 1] >= 'a' && s[i + 1] <= 'z') ||
                        (s[i + 1] >= 'A' && s[i + 1] <= 'Z'))) {
                strbuf_appendf(out, "\\x{%02X}", (unsigned)(s[++i] & 0x1F));
            } else {
                strbuf_append_char(out, '\\');
                strbuf_append_char(out, e);
            }
            /* \p{...}, \P{...}, \u{...}, \x{...}: copy the braces verbatim. */
            if ((e == 'p' || e == 'P' || e == 'u' || e == 'x') && i + 1 < n && s[i + 1] == '{') {
                const char *close = memchr(s + i + 1, '}', n - i - 1);
                if (close == NULL)
                    return false;
                size_t len = (size_t)(close - (s + i + 1)) + 1;
                strbuf_append(out, s + i + 1, len);
                i += len;
            }
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
            /* Literal in ECMA, syntax in ICU sets: '[' nests, '&&' intersects, and a '-' first
            ** in the class would start ICU's '--' difference. */
            if (c == '[' || c == '&' || (c == '-' && class_start)) {
                strbuf_append_char(out, '\\');
                strbuf_append_char(out, c);
                class_start = false;
                continue;
            }
            class_start = false;
            strbuf_append_char(out, c);
            continue;
        }
        if (c == '[') {
            if (i + 1 < n && s[i + 1] == ']') {
                strbuf_append_str(out, "(?!)");
                i += 1;
                continue;
            }
            if (i + 2 < n && s[i + 1] == '^' && s[i + 2] == ']') {
                strbuf_append_str(out, "[\\x{0}-\\x{10FFFF}]");
                i += 2;
                continue;
            }
            in_class = true;
            class_start = true;
            strbuf_append_char(out, c);
            if (i + 1 < n && s[i + 1] == '^')
                strbuf_append_char(out, s[++i]);
            /* A ']' first in an ECMA class closes it (empty class handled above). */
            continue;
        }
        if (c == '.') {
            strbuf_append_str(out, "[^\\n\\r\\x{2028}\\x{2029}]");
            continue;
        }
        if (c == '$') {
            strbuf_append_str(out, "\\z");
            continue;
        }
        if (c == '{') {
            size_t q = quantifier_length(s + i, n - i);
            if (q) {
                strbuf_append(out, s + i, q);
                i += q - 1;
            } else {
                strbuf_append_str(out,
                                  "\\{"); /* ECMA (Annex B): a brace that is not a quantifier */
            }
            continue;
        }
        if (c == '}') {
            strbuf_append_str(out, "\\}");
            continue;
        }
        strbuf_append_char(out, c);
    }
    return !in_class && !out->failed;
}

static bool is_literal(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strchr("\\^$.|?*+()[]{}", s[i]) || (unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

js_regex *js_regex_compile(const char *src, size_t n, char *err, size_t errn) {
    js_regex *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    if (is_literal(src, n)) {
        r->literal = true;
        r->lit = malloc(n + 1);
        if (r->lit == NULL) {
            free(r);
            snprintf(err, errn, "out of memory");
            return NULL;
        }
        memcpy(r->lit, src, n);
        r->lit[n] = '\0';
        r->lit_n = n;
        return r;
    }
    compile_simple(r, src, n); /* optional fast path; ICU is compiled regardless */
    strbuf sb;
    strbuf_init(&sb);
    if (!translate(src, n, &sb)) {
        free(r->toks);
        strbuf_free(&sb);
        free(r);
        snprintf(err, errn, "invalid regular expression");
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    u_strFromUTF8WithSub(NULL, 0, &ulen, sb.data ? sb.data : "", (int32_t)sb.len, 0xFFFD, NULL,
                         &st);
    st = U_ZERO_ERROR;
    UChar *u = malloc(((size_t)ulen + 1) * sizeof(UChar));
    if (u == NULL) {
        strbuf_free(&sb);
        free(r);
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    u_strFromUTF8WithSub(u, ulen + 1, NULL, sb.data ? sb.data : "", (int32_t)sb.len, 0xFFFD, NULL,
                         &st);
    strbuf_free(&sb);
    UParseError pe;
    r->re = uregex_open(u, ulen, 0, &pe, &st);
    free(u);
    if (U_FAILURE(st)) {
        free(r->toks);
        snprintf(err, errn, "invalid regular expression (%s)", u_errorName(st));
        if (r->re)
            uregex_close(r->re);
        free(r);
        return NULL;
    }
    st = U_ZERO_ERROR;
    uregex_setTimeLimit(r->re, REGEX_TIME_LIMIT, &st);
    return r;
}

void js_regex_free(js_regex *r) {
    if (r == NULL)
        return;
    if (r->re)
        uregex_close(r->re);
    free(r->lit);
    free(r->toks);
    free(r);
}

int js_regex_search(js_regex *r, const char *s, size_t n) {
    if (r->literal) {
        if (r->lit_n == 0)
            return 1;
        return memmem(s, n, r->lit, r->lit_n) != NULL;
    }
    if (r->toks) {
        int m = simple_search(r, s, n);
        if (m >= 0)
            return m;
    }
    UErrorCode st = U_ZERO_ERROR;
    UText ut = UTEXT_INITIALIZER;
    utext_openUTF8(&ut, s, (int64_t)n, &st);
    if (U_FAILURE(st))
        return -1;
    uregex_setUText(r->re, &ut, &st);
    UBool found = U_SUCCESS(st) ? uregex_find(r->re, 0, &st) : 0;
    UErrorCode st2 = U_ZERO_ERROR;
    static const UChar empty[1] = {0};
    uregex_setText(r->re, empty, 0, &st2); /* drop the reference to s */
    utext_close(&ut);
    if (U_FAILURE(st))
        return -1;
    return found ? 1 : 0;
}

bool js_regex_valid(const char *src, size_t n) {
    char err[8];
    js_regex *r = js_regex_compile(src, n, err, sizeof err);
    js_regex_free(r);
    return r != NULL;
}
