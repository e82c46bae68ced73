/*
** fuzz_embed_gguf: GGUF model files (ext/embed local): the GGUF reader (header, metadata, tensor
** table, alignment and bounds checks) and the BERT loader on top of it (hyperparameters,
** vocabulary, tensor shapes); a model that loads embeds a short text, so hostile weights and
** shapes reach the forward pass.
*/
#include "embed/local_bert.h"
#include "embed/local_gguf.h"
#include "embed/local_model.h"

#include "fuzz/fuzz_util.h"

#include <stdint.h>

static bool count_string(void *arg, uint64_t i, const char *s, size_t n) {
    (void)i;
    (void)s;
    *(size_t *)arg += n;
    return true;
}

static void walk_metadata(const lembed_gguf *g) {
    static const char *keys[] = {"general.architecture", "general.alignment",
                                 "bert.context_length",  "bert.embedding_length",
                                 "bert.block_count",     "tokenizer.ggml.tokens"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        int64_t iv;
        double dv;
        const char *s;
        size_t n;
        (void)lembed_gguf_get_int(g, keys[i], &iv);
        (void)lembed_gguf_get_float(g, keys[i], &dv);
        (void)lembed_gguf_get_string(g, keys[i], &s, &n);
    }
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const lembed_gguf_kv *kv = &g->kvs[i];
        if (kv->type != LEMBED_GGUF_ARRAY)
            continue;
        size_t total = 0;
        (void)lembed_gguf_array_strings(kv, count_string, &total);
        int64_t v;
        (void)lembed_gguf_array_int(kv, 0, &v);
        (void)lembed_gguf_array_int(kv, kv->arr_n ? kv->arr_n - 1 : 0, &v);
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const lembed_gguf_tensor *t = &g->tensors[i];
        /* Every tensor's bytes lie inside the file. */
        const unsigned char *d = t->data;
        if (t->nbytes && (d < g->file.data || d + t->nbytes > g->file.data + g->file.size))
            abort();
        (void)lembed_gguf_type_name(t->type);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(0, data, size);
    char err[LEMBED_ERR_SIZE];
    lembed_gguf g;
    if (lembed_gguf_open(path, &g, err, sizeof err) == 0) {
        walk_metadata(&g);
        lembed_gguf_close(&g);
    }
    lembed_model *m = lembed_model_open(path, "{\"max_tokens\":16}", err, sizeof err);
    if (!m)
        return 0;
    if (m->kind == LEMBED_KIND_BERT) {
        float *out = malloc(sizeof(float) * (size_t)m->dims);
        if (!out)
            abort();
        (void)lembed_model_embed(m, "the cat sat on the mat", 22, out, err, sizeof err);
        free(out);
    }
    lembed_model_close(m);
    return 0;
}
