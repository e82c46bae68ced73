/*
** fuzz_lsm_codec: the lsm1 byte encodings (ext/lsm): SQLite4 order-preserving varints of UINT
** keys and the field list of lsm1_value blobs, decoded from any bytes, re-encoded and compared.
*/
#include "lsm/lsm_codec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t x;
    int len = lsmc_varint_get(data, size, &x);
    if (len < 0 || len > LSMC_VARINT_MAX || (size_t)len > size)
        abort();
    if (len > 0) {
        /* Re-encoding a decoded key gives a key that decodes to the same number. */
        uint8_t out[LSMC_VARINT_MAX];
        int n2 = lsmc_varint_put(out, x);
        uint64_t y;
        if (lsmc_varint_get(out, (size_t)n2, &y) != n2 || y != x)
            abort();
    }
    /* The whole input as a value: decode every field, write it again, compare the fields. */
    strbuf sb;
    strbuf_init(&sb);
    size_t pos = 0;
    lsmc_field f;
    int rc;
    while ((rc = lsmc_field_next(data, size, &pos, &f)) == LSMC_OK) {
        if (pos > size)
            abort();
        switch (f.type) {
            case LSMC_INTEGER:
                lsmc_put_int(&sb, f.i);
                break;
            case LSMC_FLOAT:
                lsmc_put_double(&sb, f.d);
                break;
            case LSMC_TEXT:
            case LSMC_BLOB:
                if (f.len > size || (f.len && (f.data < data || f.data + f.len > data + size)))
                    abort();
                (f.type == LSMC_TEXT ? lsmc_put_text : lsmc_put_blob)(&sb, f.data, f.len);
                break;
            case LSMC_NULL:
                lsmc_put_null(&sb);
                break;
            default:
                abort();
        }
    }
    if (rc == LSMC_END && !sb.failed) {
        size_t p2 = 0;
        lsmc_field g;
        pos = 0;
        while (lsmc_field_next(data, size, &pos, &f) == LSMC_OK) {
            if (lsmc_field_next((const uint8_t *)sb.data, sb.len, &p2, &g) != LSMC_OK ||
                g.type != f.type || (f.type == LSMC_INTEGER && g.i != f.i) ||
                (f.type == LSMC_FLOAT && memcmp(&g.d, &f.d, sizeof g.d) != 0) ||
                ((f.type == LSMC_TEXT || f.type == LSMC_BLOB) &&
                 (g.len != f.len || (f.len && memcmp(g.data, f.data, f.len) != 0))))
                abort();
        }
    }
    strbuf_free(&sb);
    return 0;
}
