/*
** jsonb: SQLite JSONB to JSON text (see jsonb.h).
*/
#include "jsonschema/jsonb.h"
#include "jsonschema/jv.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum {
    T_NULL,
    T_TRUE,
    T_FALSE,
    T_INT,
    T_INT5,
    T_FLOAT,
    T_FLOAT5,
    T_TEXT,
    T_TEXTJ,
    T_TEXT5,
    T_TEXTRAW,
    T_ARRAY,
    T_OBJECT,
};

/* Reads the header of the element at b[i] (i < end): its header length and payload size. False
** when either runs past end. */
static bool header(const unsigned char *b, size_t i, size_t end, size_t *hl, size_t *sz) {
    unsigned x = b[i] >> 4;
    size_t extra = x <= 11 ? 0 : x == 12 ? 1 : x == 13 ? 2 : x == 14 ? 4 : 8;
    if (extra > end - i - 1)
        return false;
    uint64_t size = x <= 11 ? x : 0;
    for (size_t k = 0; k < extra; k++)
        size = (size << 8) | b[i + 1 + k];
    *hl = 1 + extra;
    if (size > end - i - *hl)
        return false;
    *sz = (size_t)size;
    return true;
}

jsonb_kind jsonb_detect(const unsigned char *b, size_t n) {
    size_t hl, sz;
    if (n == 0 || (b[0] & 15) > T_OBJECT || !header(b, 0, n, &hl, &sz) || hl + sz != n)
        return JSONB_NOT;
    if ((b[0] & 15) <= T_FALSE && sz != 0)
        return JSONB_NOT;
    unsigned char c = b[0];
    if (sz > 7 || (c != '{' && c != '[' && !(c >= '0' && c <= '9')))
        return JSONB_YES;
    return JSONB_IF_VALID;
}

typedef struct conv {
    const unsigned char *b;
    strbuf *out;
    const char *why;
} conv;

static bool bad(conv *cv, const char *why) {
    if (cv->why == NULL)
        cv->why = why;
    return false;
}

/* Number text may only hold number characters: a malformed payload must not bring commas or
** brackets into the text and change its structure (the text parser checks the rest). */
static bool number_chars(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '+' || p[i] == '.' ||
              p[i] == 'e' || p[i] == 'E'))
            return false;
    return n > 0;
}

/* INT5: a hexadecimal integer (JSON5), as a decimal; past 2^64 as 9.0e999, as SQLite does. */
static bool int5(conv *cv, const unsigned char *p, size_t n) {
    size_t k = 0;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        if (p[0] == '-')
            strbuf_append_char(cv->out, '-');
        k = 1;
    }
    if (!(n >= k + 3 && p[k] == '0' && (p[k + 1] == 'x' || p[k + 1] == 'X'))) {
        if (!number_chars(p + k, n - k))
            return bad(cv, "malformed JSONB: bad integer");
        strbuf_append(cv->out, p + k, n - k);
        return true;
    }
    uint64_t u = 0;
    bool overflow = false;
    for (k += 2; k < n; k++) {
        int h = jv_hexval((char)p[k]);
        if (h < 0)
            return bad(cv, "malformed JSONB: bad hexadecimal integer");
        if (u >> 60)
            overflow = true;
        else
            u = u * 16 + (uint64_t)h;
    }
    if (overflow)
        strbuf_append_str(cv->out, "9.0e999");
    else
        strbuf_appendf(cv->out, "%llu", (unsigned long long)u);
    return true;
}

/* FLOAT5: JSON5 spellings of a float: a leading '+', digits missing beside '.', Infinity, NaN. */
static bool float5(conv *cv, const unsigned char *p, size_t n) {
    size_t k = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        k = 1;
    }
    if (n - k == 3 && memcmp(p + k, "NaN", 3) == 0) {
        strbuf_append_str(cv->out, "null");
        return true;
    }
    if (neg)
        strbuf_append_char(cv->out, '-');
    if (n - k == 8 && memcmp(p + k, "Infinity", 8) == 0) {
        strbuf_append_str(cv->out, "9.0e999");
        return true;
    }
    if (!number_chars(p + k, n - k))
        return bad(cv, "malformed JSONB: bad number");
    if (p[k] == '.')
        strbuf_append_char(cv->out, '0');
    for (; k < n; k++) {
        strbuf_append_char(cv->out, (char)p[k]);
        if (p[k] == '.' && (k + 1 == n || !(p[k + 1] >= '0' && p[k + 1] <= '9')))
            strbuf_append_char(cv->out, '0');
    }
    return true;
}

/* TEXTJ: RFC 8259 escapes, kept; an unescaped quote would end the string early. */
static bool textj(conv *cv, const unsigned char *p, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (p[k] == '"')
            return bad(cv, "malformed JSONB: unescaped quote in a string");
        if (p[k] == '\\' && ++k == n)
            return bad(cv, "malformed JSONB: string ends inside an escape");
    }
    strbuf_append_char(cv->out, '"');
    strbuf_append(cv->out, p, n);
    strbuf_append_char(cv->out, '"');
    return true;
}

/* TEXT5: JSON5 escapes (\' \v \xHH \0, escaped line breaks) turned into JSON, raw quotes and
** control characters escaped. */
static bool text5(conv *cv, const unsigned char *p, size_t n) {
    strbuf *o = cv->out;
    strbuf_append_char(o, '"');
    for (size_t k = 0; k < n; k++) {
        unsigned char c = p[k];
        if (c == '"') {
            strbuf_append_str(o, "\\\"");
        } else if (c < 0x20) {
            strbuf_appendf(o, "\\u%04x", c);
        } else if (c != '\\') {
            strbuf_append_char(o, (char)c);
        } else if (k + 1 == n) {
            return bad(cv, "malformed JSONB: string ends inside an escape");
        } else {
            unsigned char e = p[++k];
            if (e == '\'') {
                strbuf_append_char(o, '\'');
            } else if (e == 'v') {
                strbuf_append_str(o, "\\u000b");
            } else if (e == '0') {
                strbuf_append_str(o, "\\u0000");
            } else if (e == 'x') {
                if (k + 2 >= n || jv_hexval((char)p[k + 1]) < 0 || jv_hexval((char)p[k + 2]) < 0)
                    return bad(cv, "malformed JSONB: bad \\x escape");
                strbuf_append_str(o, "\\u00");
                strbuf_append(o, p + k + 1, 2);
                k += 2;
            } else if (e == '\r') {
                if (k + 1 < n && p[k + 1] == '\n')
                    k++;
            } else if (e == '\n') {
                /* a line continuation: nothing */
            } else if (e == 0xE2) {
                /* U+2028 or U+2029 after a backslash is a line continuation too */
                if (k + 2 >= n || p[k + 1] != 0x80 || (p[k + 2] != 0xA8 && p[k + 2] != 0xA9))
                    return bad(cv, "malformed JSONB: bad escape in a string");
                k += 2;
            } else {
                strbuf_append_char(o, '\\');
                strbuf_append_char(o, (char)e);
            }
        }
    }
    strbuf_append_char(o, '"');
    return true;
}

/* Converts the element at b[*i] (ending by end) and moves *i past it. */
static bool element(conv *cv, size_t *i, size_t end, int depth) {
    const unsigned char *b = cv->b;
    size_t hl, sz;
    if (*i >= end || !header(b, *i, end, &hl, &sz))
        return bad(cv, "malformed JSONB: an element runs past its container");
    const unsigned char *p = b + *i + hl;
    int type = b[*i] & 15;
    *i += hl + sz;
    switch (type) {
        case T_NULL:
        case T_TRUE:
        case T_FALSE:
            if (sz != 0 || hl != 1)
                return bad(cv, "malformed JSONB: null, true or false with a payload");
            strbuf_append_str(cv->out, type == T_NULL ? "null" : type == T_TRUE ? "true" : "false");
            return true;
        case T_INT:
        case T_FLOAT:
            if (!number_chars(p, sz))
                return bad(cv, "malformed JSONB: bad number");
            strbuf_append(cv->out, p, sz);
            return true;
        case T_INT5:
            return sz > 0 ? int5(cv, p, sz) : bad(cv, "malformed JSONB: bad integer");
        case T_FLOAT5:
            return sz > 0 ? float5(cv, p, sz) : bad(cv, "malformed JSONB: bad number");
        case T_TEXT:
        case T_TEXTRAW:
            strbuf_append_json_string(cv->out, (const char *)p, sz);
            return true;
        case T_TEXTJ:
            return textj(cv, p, sz);
        case T_TEXT5:
            return text5(cv, p, sz);
        case T_ARRAY:
        case T_OBJECT: {
            if (depth >= JV_MAX_DEPTH)
                return bad(cv, "malformed JSONB: nesting deeper than 1000 levels");
            bool object = type == T_OBJECT;
            strbuf_append_char(cv->out, object ? '{' : '[');
            size_t j = (size_t)(p - b), stop = j + sz;
            for (size_t n = 0; j < stop; n++) {
                if (n)
                    strbuf_append_char(cv->out, object && (n & 1) ? ':' : ',');
                int t = b[j] & 15;
                if (object && !(n & 1) && (t < T_TEXT || t > T_TEXTRAW))
                    return bad(cv, "malformed JSONB: an object key that is not a string");
                if (!element(cv, &j, stop, depth + 1))
                    return false;
                if (object && !(n & 1) && j == stop)
                    return bad(cv, "malformed JSONB: an object key without a value");
            }
            strbuf_append_char(cv->out, object ? '}' : ']');
            return true;
        }
        default:
            return bad(cv, "malformed JSONB: reserved element type");
    }
}

bool jsonb_to_json(const unsigned char *b, size_t n, strbuf *out, const char **why) {
    conv cv = {b, out, NULL};
    size_t i = 0;
    bool ok = element(&cv, &i, n, 0);
    if (ok && i != n)
        ok = bad(&cv, "malformed JSONB: bytes after the value");
    if (ok && out->failed)
        ok = bad(&cv, "out of memory");
    *why = cv.why;
    return ok;
}
