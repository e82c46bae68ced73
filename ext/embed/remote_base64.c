/*
** ext/embed (remote): base64 to float32 (see remote_base64.h).
*/
#include "embed/remote_base64.h"

#include <stdint.h>
#include <string.h>

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t rembed_base64_max_floats(size_t n) {
    return (n / 4 * 3 + 3) / 4 + 1;
}

/* Appends one decoded byte to the float being assembled; flushes every fourth byte. */
static int push_byte(uint8_t b, uint8_t word[4], size_t *nbytes, float *out, size_t cap,
                     size_t *nfloats) {
    word[*nbytes % 4] = b;
    (*nbytes)++;
    if (*nbytes % 4 != 0)
        return 0;
    if (*nfloats >= cap)
        return -1;
    uint32_t u = (uint32_t)word[0] | (uint32_t)word[1] << 8 | (uint32_t)word[2] << 16 |
                 (uint32_t)word[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    out[(*nfloats)++] = f;
    return 0;
}

long rembed_base64_floats(const char *s, size_t n, float *out, size_t cap) {
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    uint8_t word[4];
    size_t nbytes = 0, nfloats = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (push_byte((uint8_t)(acc >> bits), word, &nbytes, out, cap, &nfloats) != 0)
                return -1;
            acc &= (1u << bits) - 1;
        }
    }
    if (nbytes % 4 != 0)
        return -1;
    return (long)nfloats;
}
