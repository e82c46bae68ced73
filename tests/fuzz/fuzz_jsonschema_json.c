/*
** fuzz_jsonschema_json: ext/jsonschema's exact JSON parser (jv_parse) on any bytes, then what the
** validator does with a parsed value: equality, hashing and writing it back as text.
*/
#include "common/strbuf.h"
#include "jsonschema/jv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    arena a;
    arena_init(&a);
    jv_error err;
    jv *v = jv_parse(&a, (const char *)data, size, &err);
    if (v) {
        /* A value equals itself and hashes alike each time. */
        if (!jv_equal(v, v) || jv_hash(v) != jv_hash(v))
            abort();
        strbuf sb;
        strbuf_init(&sb);
        jv_write(&sb, v, 200);
        strbuf_free(&sb);
    } else if (err.offset > size || !memchr(err.msg, 0, sizeof err.msg)) {
        abort();
    }
    arena_free(&a);
    return 0;
}
