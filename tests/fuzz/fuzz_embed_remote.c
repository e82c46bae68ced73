/*
** fuzz_embed_remote: what ext/embed reads from an embedding provider's HTTP response, without
** the network: the response parser of every provider family (float arrays, base64, usage
** counts, "index" ordering), the error-text extraction (with a secret to redact), the base64
** float decoder on its own, and a client's JSON options.
**
** Input: one byte (how many embeddings the request asked for), then the response body.
*/
#include "embed/remote_base64.h"
#include "embed/remote_config.h"
#include "embed/remote_providers.h"

#include "fuzz/fuzz_util.h"

#include <math.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int n = 1 + data[0] % 8;
    char *body = fuzz_strndup(data + 1, size - 1);
    size_t len = size - 1;
    char err[256];
    rembed_vectors v = {0};
    if (rembed_format_parse(body, len, n, &v, err, sizeof err) == 0) {
        if (v.count != n || v.dim < 1 || v.dim > REMBED_MAX_DIM || !v.data || v.tokens < 0)
            abort();
        for (long i = 0; i < (long)v.count * v.dim; i++)
            if (!isfinite(v.data[i]))
                abort();
    } else if (!memchr(err, 0, sizeof err)) {
        abort();
    }
    free(v.data);

    /* The secret never survives into the error text. */
    char out[301];
    rembed_format_error_text(body, len, "sk-secret", out, sizeof out, 300);
    if (strlen(out) > 300 || strstr(out, "sk-secret"))
        abort();

    size_t cap = rembed_base64_max_floats(len);
    float *floats = malloc((cap ? cap : 1) * sizeof(float));
    if (!floats)
        abort();
    long got = rembed_base64_floats(body, len, floats, cap);
    if (got > (long)cap)
        abort();
    free(floats);

    rembed_config c;
    rembed_config_init(&c);
    if (rembed_config_set_json(&c, body, NULL, err, sizeof err) == 0) {
        if (rembed_config_finish(&c, err, sizeof err) == 0) {
            char *json = rembed_config_json(&c);
            free(json);
        }
    }
    rembed_config_free(&c);
    free(body);
    return 0;
}
