/*
** strbuf: growable byte string (see strbuf.h).
*/
#include "common/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf *sb) {
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}

void strbuf_free(strbuf *sb) {
    free(sb->data);
    strbuf_init(sb);
}

void strbuf_reset(strbuf *sb) {
    sb->len = 0;
    sb->failed = false;
    if (sb->data)
        sb->data[0] = '\0';
}

bool strbuf_reserve(strbuf *sb, size_t extra) {
    if (sb->failed)
        return false;
    if (extra > STRBUF_MAX - sb->len - 1) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap = cap > STRBUF_MAX / 2 ? STRBUF_MAX : cap * 2;
    char *data = realloc(sb->data, cap);
    if (data == NULL) {
        sb->failed = true;
        return false;
    }
    sb->data = data;
    sb->cap = cap;
    return true;
}

void strbuf_append(strbuf *sb, const void *bytes, size_t n) {
    if (!strbuf_reserve(sb, n))
        return;
    if (n)
        memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_append_str(strbuf *sb, const char *s) {
    strbuf_append(sb, s, strlen(s));
}

void strbuf_append_char(strbuf *sb, char c) {
    strbuf_append(sb, &c, 1);
}

void strbuf_appendf(strbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
    } else if (strbuf_reserve(sb, (size_t)n)) {
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap2);
        sb->len += (size_t)n;
    }
    va_end(ap2);
}

void strbuf_append_json_string(strbuf *sb, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    strbuf_append_char(sb, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escaping */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_append(sb, s + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                strbuf_append(sb, "\\\"", 2);
                break;
            case '\\':
                strbuf_append(sb, "\\\\", 2);
                break;
            case '\n':
                strbuf_append(sb, "\\n", 2);
                break;
            case '\r':
                strbuf_append(sb, "\\r", 2);
                break;
            case '\t':
                strbuf_append(sb, "\\t", 2);
                break;
            case '\b':
                strbuf_append(sb, "\\b", 2);
                break;
            case '\f':
                strbuf_append(sb, "\\f", 2);
                break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                strbuf_append(sb, esc, 6);
            }
        }
    }
    strbuf_append(sb, s + run, n - run);
    strbuf_append_char(sb, '"');
}

char *strbuf_take(strbuf *sb, size_t *len_out) {
    if (sb->failed) {
        strbuf_free(sb);
        return NULL;
    }
    if (sb->data == NULL) {
        if (!strbuf_reserve(sb, 0))
            return NULL;
        sb->data[0] = '\0';
    }
    char *data = sb->data;
    if (len_out)
        *len_out = sb->len;
    strbuf_init(sb);
    return data;
}
