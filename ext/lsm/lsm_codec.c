/*
** lsm_codec: lsm1's key and value encodings (format in lsm_codec.h).
*/
#include "lsm/lsm_codec.h"

#include <string.h>

static void put_be(uint8_t *out, uint64_t x, int n) {
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (uint8_t)x;
        x >>= 8;
    }
}

int lsmc_varint_put(uint8_t *out, uint64_t x) {
    if (x <= 240) {
        out[0] = (uint8_t)x;
        return 1;
    }
    if (x <= 2287) {
        out[0] = (uint8_t)((x - 240) / 256 + 241);
        out[1] = (uint8_t)((x - 240) % 256);
        return 2;
    }
    if (x <= 67823) {
        out[0] = 249;
        put_be(out + 1, x - 2288, 2);
        return 3;
    }
    int n = 3; /* payload bytes: 3 for 250, up to 8 for 255 */
    while (n < 8 && (x >> (8 * n)) != 0)
        n++;
    out[0] = (uint8_t)(247 + n);
    put_be(out + 1, x, n);
    return n + 1;
}

int lsmc_varint_get(const uint8_t *p, size_t n, uint64_t *x) {
    if (n < 1)
        return 0;
    if (p[0] <= 240) {
        *x = p[0];
        return 1;
    }
    if (p[0] <= 248) {
        if (n < 2)
            return 0;
        *x = (uint64_t)(p[0] - 241) * 256 + p[1] + 240;
        return 2;
    }
    if (p[0] == 249) {
        if (n < 3)
            return 0;
        *x = 2288 + (uint64_t)p[1] * 256 + p[2];
        return 3;
    }
    size_t len = (size_t)p[0] - 247; /* 250 -> 3 ... 255 -> 8 */
    if (n < len + 1)
        return 0;
    uint64_t v = 0;
    for (size_t i = 1; i <= len; i++)
        v = v << 8 | p[i];
    *x = v;
    return (int)len + 1;
}

static void put_varint(strbuf *sb, uint64_t x) {
    uint8_t tmp[LSMC_VARINT_MAX];
    strbuf_append(sb, tmp, (size_t)lsmc_varint_put(tmp, x));
}

/* varint(len*6 + type) then the payload; a length that cannot be encoded fails the buffer. */
static void put_field(strbuf *sb, int type, const void *p, size_t n) {
    if (n > (UINT64_MAX - 5) / 6) {
        sb->failed = 1;
        return;
    }
    put_varint(sb, (uint64_t)n * 6 + (uint64_t)type);
    if (n)
        strbuf_append(sb, p, n);
}

void lsmc_put_null(strbuf *sb) {
    put_field(sb, LSMC_NULL, NULL, 0);
}

void lsmc_put_int(strbuf *sb, int64_t v) {
    if (v >= 0 && v <= 40) {
        put_varint(sb, (uint64_t)v * 6);
        return;
    }
    uint64_t u = v >= 0 ? (uint64_t)v * 2 : (uint64_t)(-1 - v) * 2 + 1;
    uint8_t tmp[LSMC_VARINT_MAX];
    put_field(sb, LSMC_INTEGER, tmp, (size_t)lsmc_varint_put(tmp, u));
}

void lsmc_put_double(strbuf *sb, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++)
        tmp[i] = (uint8_t)(bits >> (8 * i));
    put_field(sb, LSMC_FLOAT, tmp, 8);
}

void lsmc_put_text(strbuf *sb, const void *p, size_t n) {
    put_field(sb, LSMC_TEXT, p, n);
}

void lsmc_put_blob(strbuf *sb, const void *p, size_t n) {
    put_field(sb, LSMC_BLOB, p, n);
}

int lsmc_field_next(const uint8_t *p, size_t n, size_t *pos, lsmc_field *f) {
    if (*pos >= n)
        return LSMC_END;
    uint64_t t;
    int k = lsmc_varint_get(p + *pos, n - *pos, &t);
    if (k == 0)
        return LSMC_MALFORMED;
    size_t at = *pos + (size_t)k;
    int type = (int)(t % 6);
    uint64_t len = t / 6;
    memset(f, 0, sizeof *f);
    if (type == 0) {
        f->type = LSMC_INTEGER;
        f->i = (int64_t)len; /* len < 2^61 since t < 2^64 */
        *pos = at;
        return LSMC_OK;
    }
    if (len > n - at)
        return LSMC_MALFORMED;
    const uint8_t *q = p + at;
    f->type = type;
    f->data = q;
    f->len = (size_t)len;
    switch (type) {
        case LSMC_INTEGER: {
            uint64_t u;
            if (len == 0 || lsmc_varint_get(q, (size_t)len, &u) != (int)len)
                return LSMC_MALFORMED;
            f->i = (u & 1) ? -1 - (int64_t)(u >> 1) : (int64_t)(u >> 1);
            break;
        }
        case LSMC_FLOAT: {
            if (len != 8)
                return LSMC_MALFORMED;
            uint64_t bits = 0;
            for (int i = 7; i >= 0; i--)
                bits = bits << 8 | q[i];
            memcpy(&f->d, &bits, sizeof f->d);
            break;
        }
        case LSMC_NULL:
            if (len != 0)
                return LSMC_MALFORMED;
            break;
        default:
            break;
    }
    *pos = at + (size_t)len;
    return LSMC_OK;
}
