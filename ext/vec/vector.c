/*
** ext/vec: vector element types, JSON parsing and formatting (see vector.h).
**
** The JSON reader is strict where sqlite-vec is lenient: '[1,2' and '[1,2] x' and '[1,]' are
** errors here, and so are NaN and infinities, which no distance can use.
*/
#include "common/f16.h"
#include "vec/vector.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t vec_type_bytes(vec_type t, size_t dims) {
    switch (t) {
        case VEC_F32:
            return dims * 4;
        case VEC_F16:
            return dims * 2;
        case VEC_INT8:
            return dims;
        case VEC_BIT:
            return dims / 8;
    }
    return 0;
}

size_t vec_type_dims(vec_type t, size_t nbytes) {
    switch (t) {
        case VEC_F32:
            return nbytes / 4;
        case VEC_F16:
            return nbytes / 2;
        case VEC_INT8:
            return nbytes;
        case VEC_BIT:
            return nbytes * 8;
    }
    return 0;
}

const char *vec_type_name(vec_type t) {
    switch (t) {
        case VEC_F32:
            return "float32";
        case VEC_F16:
            return "float16";
        case VEC_INT8:
            return "int8";
        case VEC_BIT:
            return "bit";
    }
    return "?";
}

/* ---- JSON --------------------------------------------------------------------------------- */

static size_t skip_ws(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static int is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

int vec_parse_json(const char *text, size_t n, vec_type t, void **out, size_t *dims, char *err,
                   size_t errlen) {
    size_t esize = t == VEC_F32 ? 4 : t == VEC_F16 ? 2 : 1;
    size_t cap = 0, count = 0;
    unsigned char *buf = NULL;
    size_t i = skip_ws(text, n, 0);
    *out = NULL;
    *dims = 0;
    if (t == VEC_BIT) {
        snprintf(err, errlen, "bit vectors cannot be written as JSON; use a BLOB");
        return -1;
    }
    if (i >= n || text[i] != '[') {
        snprintf(err, errlen, "invalid JSON vector: expected '[' at offset %zu", i);
        return -1;
    }
    i = skip_ws(text, n, i + 1);
    if (i < n && text[i] == ']') {
        snprintf(err, errlen, "zero-length vectors are not supported");
        return -1;
    }
    for (;;) {
        char num[64];
        size_t start = skip_ws(text, n, i), len = 0;
        while (start + len < n && is_number_char(text[start + len]) && len < sizeof num - 1) {
            num[len] = text[start + len];
            len++;
        }
        num[len] = '\0';
        if (len == 0 || !(num[0] == '-' || (num[0] >= '0' && num[0] <= '9'))) {
            snprintf(err, errlen, "invalid JSON vector: expected a number at offset %zu", start);
            goto fail;
        }
        char *end;
        errno = 0;
        double d = strtod(num, &end);
        if ((size_t)(end - num) != len) {
            snprintf(err, errlen, "invalid JSON vector: malformed number '%s' at offset %zu", num,
                     start);
            goto fail;
        }
        if (count >= VEC_MAX_DIMS) {
            snprintf(err, errlen, "vector has more than %u elements", VEC_MAX_DIMS);
            goto fail;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            unsigned char *nb = realloc(buf, ncap * esize);
            if (nb == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        if (t == VEC_INT8) {
            if (d != floor(d)) {
                snprintf(err, errlen, "int8 vector element %zu is not an integer: %s", count, num);
                goto fail;
            }
            if (d < -128 || d > 127) {
                snprintf(err, errlen, "int8 vector element %zu is out of range [-128, 127]: %s",
                         count, num);
                goto fail;
            }
            buf[count] = (unsigned char)(signed char)d;
        } else {
            double limit = t == VEC_F32 ? FLT_MAX : 65504.0;
            if (!isfinite(d) || fabs(d) > limit) {
                snprintf(err, errlen, "%s vector element %zu is out of range: %s", vec_type_name(t),
                         count, num);
                goto fail;
            }
            if (t == VEC_F32) {
                float f = (float)d;
                memcpy(buf + count * 4, &f, 4);
            } else {
                uint16_t h = strata_f32_to_f16((float)d);
                memcpy(buf + count * 2, &h, 2);
            }
        }
        count++;
        i = skip_ws(text, n, start + len);
        if (i < n && text[i] == ',') {
            i++;
            continue;
        }
        if (i < n && text[i] == ']')
            break;
        snprintf(err, errlen, "invalid JSON vector: expected ',' or ']' at offset %zu", i);
        goto fail;
    }
    i = skip_ws(text, n, i + 1);
    if (i < n) {
        snprintf(err, errlen, "invalid JSON vector: unexpected text after ']' at offset %zu", i);
        goto fail;
    }
    *out = buf;
    *dims = count;
    return 0;
fail:
    free(buf);
    return -1;
}

double vec_element(vec_type t, const void *v, size_t i) {
    const unsigned char *p = v;
    switch (t) {
        case VEC_F32: {
            float f;
            memcpy(&f, p + i * 4, 4);
            return f;
        }
        case VEC_F16: {
            uint16_t h;
            memcpy(&h, p + i * 2, 2);
            return strata_f16_to_f32(h);
        }
        case VEC_INT8:
            return (signed char)p[i];
        case VEC_BIT:
            return (p[i / 8] >> (i % 8)) & 1;
    }
    return 0;
}

long vec_first_nonfinite(vec_type t, const void *v, size_t dims) {
    if (t != VEC_F32 && t != VEC_F16)
        return -1;
    for (size_t i = 0; i < dims; i++)
        if (!isfinite(vec_element(t, v, i)))
            return (long)i;
    return -1;
}

char *vec_to_json_text(vec_type t, const void *v, size_t dims, size_t *len) {
    /* worst case per element: "%f" of FLT_MAX is 46 chars, plus a comma */
    size_t per = (t == VEC_F32 || t == VEC_F16) ? 48 : 5;
    size_t cap = 2 + dims * per + 1;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    size_t n = 0;
    s[n++] = '[';
    for (size_t i = 0; i < dims; i++) {
        if (i)
            s[n++] = ',';
        double d = vec_element(t, v, i);
        if (t == VEC_F32 || t == VEC_F16) {
            if (isfinite(d))
                n += (size_t)snprintf(s + n, cap - n, "%f", d);
            else
                n += (size_t)snprintf(s + n, cap - n, "null");
        } else {
            n += (size_t)snprintf(s + n, cap - n, "%d", (int)d);
        }
    }
    s[n++] = ']';
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}
