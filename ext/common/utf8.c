/*
** UTF-8 validation (see utf8.h). The ranges are those of RFC 3629's well-formed sequences.
*/
#include "common/utf8.h"

#include <stdio.h>

size_t strata_utf8_sequence(const unsigned char *s, size_t n) {
    if (n == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

size_t strata_utf8_escape(const unsigned char *s, size_t n, char *out) {
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t len = strata_utf8_sequence(s + i, n - i);
        if (len == 0) {
            snprintf(out + w, 5, "\\x%02X", s[i]);
            w += 4;
            i++;
            continue;
        }
        for (size_t k = 0; k < len; k++)
            out[w++] = (char)s[i + k];
        i += len;
    }
    out[w] = '\0';
    return w;
}
