/*
** regex: ECMA-262 to ICU translation and matching (see regex.h).
*/
#include "jsonschema/regex.h"
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uregex.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>

struct js_regex {
    URegularExpression *re;
    bool literal; /* pattern without metacharacters: a plain substring search */
    char *lit;
    size_t lit_n;
};

/* ICU's match steps before a search gives up (roughly a few hundred milliseconds). */
#define REGEX_TIME_LIMIT 200

#define ECMA_SPACE                                                                                 \
    "\\t\\n\\x{0B}\\f\\r "                                                                         \
    "\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

static bool translate(const char *s, size_t n, strbuf *out) {
    bool in_class = false;
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
            } else if (e == 'c' && i + 1 < n &&
                       ((s[i + 1] >= 'a' && s[i + 1] <= 'z') ||
                        (s[i + 1] >= 'A' && s[i + 1] <= 'Z'))) {
                strbuf_appendf(out, "\\x{%02X}", (unsigned)(s[++i] & 0x1F));
            } else {
                strbuf_append_char(out, '\\');
                strbuf_append_char(out, e);
            }
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
            if (c == '[') {
                strbuf_append_str(out, "\\[");
                continue;
            }
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
    strbuf sb;
    strbuf_init(&sb);
    if (!translate(src, n, &sb)) {
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
    free(r);
}

int js_regex_search(js_regex *r, const char *s, size_t n) {
    if (r->literal) {
        if (r->lit_n == 0)
            return 1;
        return memmem(s, n, r->lit, r->lit_n) != NULL;
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
