/*
** local_bert: loading a GGUF BERT encoder and running it (see local_bert.h).
*/
#include "embed/local_bert.h"

#include "embed/local_matmul.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lembed_bert_mat {
    const void *data;
    uint32_t type;
    int64_t rows, cols; /* ne[1], ne[0] */
} lembed_bert_mat;

typedef struct lembed_bert_layer {
    lembed_bert_mat q, k, v, o, up, down;
    lembed_bert_mat qkv, gate; /* nomic-bert: fused Q/K/V rows, SwiGLU gate */
    float *qb, *kb, *vb, *ob, *ln1w, *ln1b, *upb, *downb, *ln2w, *ln2b;
} lembed_bert_layer;

struct lembed_bert {
    lembed_gguf g;
    lembed_vocab vocab;
    int64_t n_embd, n_ff, n_layer, n_head, n_ctx, n_vocab, pooling;
    float eps;
    bool nomic;       /* nomic-bert: RoPE instead of position embeddings, SwiGLU, no biases */
    double rope_base; /* nomic-bert.rope.freq_base */
    bool has_types;
    const lembed_gguf_kv *scores; /* tokenizer.ggml.scores (F32 array) or NULL */
    lembed_bert_mat tok, pos, typ;
    float *lnw, *lnb;
    lembed_bert_layer *layers;
    float **vectors; /* every 1-D tensor converted to fp32, freed with the model */
    size_t n_vectors;
    /* scratch, grown on demand */
    size_t cap_tokens;
    float *x, *q, *k, *v, *ctx, *tmp, *ff, *gate, *att, *wscratch;
};

typedef struct load_ctx {
    lembed_bert *b;
    char *err;
    size_t errlen;
    const char *path;
} load_ctx;

static bool lfail(load_ctx *lc, const char *fmt, const char *arg) {
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, arg);
    snprintf(lc->err, lc->errlen, "cannot load '%s': %s", lc->path, msg);
    return false;
}

static bool get_mat(load_ctx *lc, const char *name, int64_t cols, int64_t rows,
                    lembed_bert_mat *m) {
    const lembed_gguf_tensor *t = lembed_gguf_find_tensor(&lc->b->g, name);
    if (!t)
        return lfail(lc, "missing tensor '%s'", name);
    if (t->n_dims > 2 || (int64_t)t->ne[0] != cols || (rows > 0 && (int64_t)t->ne[1] != rows) ||
        (rows < 0 && (int64_t)t->ne[1] < -rows))
        return lfail(lc, "tensor '%s' has an unexpected shape", name);
    m->data = t->data;
    m->type = t->type;
    m->cols = (int64_t)t->ne[0];
    m->rows = (int64_t)t->ne[1];
    return true;
}

static bool get_vec(load_ctx *lc, const char *name, int64_t n, float **out) {
    lembed_bert_mat m;
    if (!get_mat(lc, name, n, 1, &m))
        return false;
    float *v = malloc((size_t)n * sizeof(float));
    if (!v)
        return lfail(lc, "out of memory%s", "");
    lembed_dequant_row(m.type, m.data, v, (size_t)n);
    lc->b->vectors[lc->b->n_vectors++] = v;
    *out = v;
    return true;
}

static bool need_int(load_ctx *lc, const char *arch, const char *key, int64_t lo, int64_t hi,
                     int64_t *out) {
    char full[96];
    snprintf(full, sizeof(full), "%s.%s", arch, key);
    if (!lembed_gguf_get_int(&lc->b->g, full, out))
        return lfail(lc, "missing or non-integer metadata '%s'", full);
    if (*out < lo || *out > hi)
        return lfail(lc, "metadata '%s' is out of range", full);
    return true;
}

static bool add_token(void *arg, uint64_t i, const char *s, size_t n) {
    load_ctx *lc = arg;
    const lembed_gguf_kv *types = lembed_gguf_find_kv(&lc->b->g, "tokenizer.ggml.token_type");
    int64_t type = 1;
    if (types && !lembed_gguf_array_int(types, i, &type))
        type = 1;
    if (!lembed_vocab_set_gguf(&lc->b->vocab, (int32_t)i, s, n, (int)type))
        return lfail(lc, "bad or oversized token%s", "");
    return true;
}

static int32_t special_id(load_ctx *lc, const char *key, const char *alt_key, const char *piece) {
    int64_t id;
    if ((lembed_gguf_get_int(&lc->b->g, key, &id) ||
         (alt_key && lembed_gguf_get_int(&lc->b->g, alt_key, &id))) &&
        id >= 0 && id < lc->b->vocab.n)
        return (int32_t)id;
    for (int32_t i = 0; i < lc->b->vocab.n; i++)
        if (lc->b->vocab.pieces[i] && strcmp(lc->b->vocab.pieces[i], piece) == 0)
            return i;
    return -1;
}

static bool load_vocab(load_ctx *lc) {
    lembed_bert *b = lc->b;
    const char *s;
    size_t n;
    if (!lembed_gguf_get_string(&b->g, "tokenizer.ggml.model", &s, &n) || n != 4 ||
        memcmp(s, "bert", 4) != 0)
        return lfail(lc, "tokenizer.ggml.model is not 'bert' (only WordPiece is supported)%s", "");
    const lembed_gguf_kv *toks = lembed_gguf_find_kv(&b->g, "tokenizer.ggml.tokens");
    if (!toks || toks->type != LEMBED_GGUF_ARRAY || toks->arr_type != LEMBED_GGUF_STRING)
        return lfail(lc, "missing tokenizer.ggml.tokens%s", "");
    if ((int64_t)toks->arr_n != b->n_vocab)
        return lfail(lc, "tokenizer.ggml.tokens does not match token_embd.weight%s", "");
    if (!lembed_vocab_reserve(&b->vocab, (int32_t)toks->arr_n))
        return lfail(lc, "out of memory%s", "");
    if (!lembed_gguf_array_strings(toks, add_token, lc))
        return false;
    b->vocab.cls_id =
        special_id(lc, "tokenizer.ggml.cls_token_id", "tokenizer.ggml.bos_token_id", "[CLS]");
    b->vocab.sep_id =
        special_id(lc, "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.eos_token_id", "[SEP]");
    b->vocab.unk_id = special_id(lc, "tokenizer.ggml.unknown_token_id", NULL, "[UNK]");
    b->vocab.pad_id = special_id(lc, "tokenizer.ggml.padding_token_id", NULL, "[PAD]");
    lembed_vocab_find_literals(&b->vocab);
    const lembed_gguf_kv *sc = lembed_gguf_find_kv(&b->g, "tokenizer.ggml.scores");
    if (sc && sc->type == LEMBED_GGUF_ARRAY && sc->arr_type == LEMBED_GGUF_F32 &&
        (int64_t)sc->arr_n == b->n_vocab)
        b->scores = sc;
    if (b->vocab.cls_id < 0 || b->vocab.sep_id < 0 || b->vocab.unk_id < 0)
        return lfail(lc, "the vocabulary lacks [CLS], [SEP] or [UNK]%s", "");
    return true;
}

static bool load_layer(load_ctx *lc, int64_t i) {
    lembed_bert *b = lc->b;
    lembed_bert_layer *L = &b->layers[i];
    int64_t d = b->n_embd, f = b->n_ff;
    char nm[64];
#define MAT(field, suffix, c, r)                                                                   \
    snprintf(nm, sizeof(nm), "blk.%d.%s", (int)i, suffix);                                         \
    if (!get_mat(lc, nm, c, r, &L->field))                                                         \
        return false;
#define VEC(field, suffix, n)                                                                      \
    snprintf(nm, sizeof(nm), "blk.%d.%s", (int)i, suffix);                                         \
    if (!get_vec(lc, nm, n, &L->field))                                                            \
        return false;
    if (b->nomic) {
        MAT(qkv, "attn_qkv.weight", d, 3 * d)
        MAT(gate, "ffn_gate.weight", d, f)
    } else {
        MAT(q, "attn_q.weight", d, d)
        MAT(k, "attn_k.weight", d, d)
        MAT(v, "attn_v.weight", d, d)
        VEC(qb, "attn_q.bias", d)
        VEC(kb, "attn_k.bias", d)
        VEC(vb, "attn_v.bias", d)
        VEC(ob, "attn_output.bias", d)
        VEC(upb, "ffn_up.bias", f)
        VEC(downb, "ffn_down.bias", d)
    }
    MAT(o, "attn_output.weight", d, d)
    MAT(up, "ffn_up.weight", d, f)
    MAT(down, "ffn_down.weight", f, d)
    VEC(ln1w, "attn_output_norm.weight", d)
    VEC(ln1b, "attn_output_norm.bias", d)
    VEC(ln2w, "layer_output_norm.weight", d)
    VEC(ln2b, "layer_output_norm.bias", d)
#undef MAT
#undef VEC
    return true;
}

static bool load_model(load_ctx *lc) {
    lembed_bert *b = lc->b;
    const char *arch;
    size_t an;
    if (!lembed_gguf_get_string(&b->g, "general.architecture", &arch, &an))
        return lfail(lc, "missing general.architecture%s", "");
    const char *pre;
    if (an == 4 && memcmp(arch, "bert", 4) == 0)
        pre = "bert";
    else if (an == 10 && memcmp(arch, "nomic-bert", 10) == 0)
        pre = "nomic-bert";
    else {
        char a[64];
        size_t k = an > 40 ? 40 : an;
        for (size_t i = 0; i < k; i++)
            a[i] = arch[i] >= 0x20 && arch[i] < 0x7F ? arch[i] : '?';
        a[k] = '\0';
        return lfail(lc, "unsupported architecture '%s' (supported: bert, nomic-bert)", a);
    }
    b->nomic = pre[0] == 'n';
    if (!need_int(lc, pre, "embedding_length", 1, 16384, &b->n_embd) ||
        !need_int(lc, pre, "feed_forward_length", 1, 65536, &b->n_ff) ||
        !need_int(lc, pre, "block_count", 1, 256, &b->n_layer) ||
        !need_int(lc, pre, "attention.head_count", 1, 1024, &b->n_head) ||
        !need_int(lc, pre, "context_length", 2, 1 << 20, &b->n_ctx))
        return false;
    char key[96];
    if (b->n_embd % b->n_head || (b->nomic && (b->n_embd / b->n_head) % 2))
        return lfail(lc, "%s.embedding_length is not a multiple of the head count", pre);
    double eps = 1e-12;
    snprintf(key, sizeof(key), "%s.attention.layer_norm_epsilon", pre);
    lembed_gguf_get_float(&b->g, key, &eps);
    if (!(eps > 0 && eps < 1))
        return lfail(lc, "bad %s.attention.layer_norm_epsilon", pre);
    b->eps = (float)eps;
    b->rope_base = 10000.0;
    snprintf(key, sizeof(key), "%s.rope.freq_base", pre);
    lembed_gguf_get_float(&b->g, key, &b->rope_base);
    if (!(b->rope_base > 1 && b->rope_base < 1e12))
        return lfail(lc, "bad %s.rope.freq_base", pre);
    b->pooling = 1;
    snprintf(key, sizeof(key), "%s.pooling_type", pre);
    lembed_gguf_get_int(&b->g, key, &b->pooling);
    if (b->pooling != 1 && b->pooling != 2 && b->pooling != 3)
        return lfail(lc, "unsupported %s.pooling_type (supported: 1 mean, 2 cls, 3 last)", pre);
    const lembed_gguf_tensor *te = lembed_gguf_find_tensor(&b->g, "token_embd.weight");
    if (!te || te->n_dims != 2 || te->ne[1] > (1 << 24))
        return lfail(lc, "missing or bad tensor '%s'", "token_embd.weight");
    b->n_vocab = (int64_t)te->ne[1];
    size_t max_vectors = 2 + 10 * (size_t)b->n_layer;
    b->vectors = calloc(max_vectors, sizeof(float *));
    b->layers = calloc((size_t)b->n_layer, sizeof(lembed_bert_layer));
    if (!b->vectors || !b->layers)
        return lfail(lc, "out of memory%s", "");
    int64_t d = b->n_embd;
    b->has_types = !b->nomic || lembed_gguf_find_tensor(&b->g, "token_types.weight");
    if (!get_mat(lc, "token_embd.weight", d, b->n_vocab, &b->tok) ||
        (!b->nomic && !get_mat(lc, "position_embd.weight", d, -2, &b->pos)) ||
        (b->has_types && !get_mat(lc, "token_types.weight", d, -1, &b->typ)) ||
        !get_vec(lc, "token_embd_norm.weight", d, &b->lnw) ||
        !get_vec(lc, "token_embd_norm.bias", d, &b->lnb))
        return false;
    if (!b->nomic && b->pos.rows < b->n_ctx)
        b->n_ctx = b->pos.rows;
    /* Attention is quadratic in the sequence: a file cannot ask for more than this. */
    if (b->n_ctx > LEMBED_BERT_MAX_CONTEXT)
        b->n_ctx = LEMBED_BERT_MAX_CONTEXT;
    for (int64_t i = 0; i < b->n_layer; i++)
        if (!load_layer(lc, i))
            return false;
    return load_vocab(lc);
}

lembed_bert *lembed_bert_load(const char *path, char *err, size_t errlen) {
    lembed_bert *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "cannot load '%s': out of memory", path);
        return NULL;
    }
    lembed_vocab_init(&b->vocab);
    if (lembed_gguf_open(path, &b->g, err, errlen) != 0) {
        free(b);
        return NULL;
    }
    load_ctx lc = {b, err, errlen, path};
    if (!load_model(&lc)) {
        lembed_bert_free(b);
        return NULL;
    }
    return b;
}

static void free_scratch(lembed_bert *b) {
    free(b->x);
    free(b->q);
    free(b->k);
    free(b->v);
    free(b->ctx);
    free(b->tmp);
    free(b->ff);
    free(b->gate);
    free(b->att);
    free(b->wscratch);
    b->x = b->q = b->k = b->v = b->ctx = b->tmp = b->ff = b->gate = b->att = b->wscratch = NULL;
    b->cap_tokens = 0;
}

void lembed_bert_free(lembed_bert *b) {
    if (!b)
        return;
    for (size_t i = 0; i < b->n_vectors; i++)
        free(b->vectors[i]);
    free(b->vectors);
    free(b->layers);
    free_scratch(b);
    lembed_vocab_free(&b->vocab);
    lembed_gguf_close(&b->g);
    free(b);
}

const lembed_vocab *lembed_bert_vocab(const lembed_bert *b) {
    return &b->vocab;
}

int32_t lembed_bert_dims(const lembed_bert *b) {
    return (int32_t)b->n_embd;
}

int64_t lembed_bert_context(const lembed_bert *b) {
    return b->n_ctx;
}

bool lembed_bert_token_score(const lembed_bert *b, int64_t id, double *score) {
    if (id < 0 || id >= b->n_vocab)
        return false;
    float f = 0.0f;
    if (b->scores)
        memcpy(&f, b->scores->val + (size_t)id * 4, 4);
    *score = f;
    return true;
}

const char *lembed_bert_arch(const lembed_bert *b) {
    return b->nomic ? "nomic-bert" : "bert";
}

const char *lembed_bert_type(const lembed_bert *b) {
    return lembed_gguf_type_name(b->tok.type);
}

static bool ensure_scratch(lembed_bert *b, size_t n) {
    if (n <= b->cap_tokens)
        return true;
    free_scratch(b);
    size_t d = (size_t)b->n_embd, f = (size_t)b->n_ff;
    size_t wk = d > f ? d : f;
    b->x = malloc(n * d * sizeof(float));
    b->q = malloc(n * d * sizeof(float));
    b->k = malloc(n * d * sizeof(float));
    b->v = malloc(n * d * sizeof(float));
    b->ctx = malloc(n * d * sizeof(float));
    b->tmp = malloc(n * d * sizeof(float));
    b->ff = malloc(n * f * sizeof(float));
    b->gate = b->nomic ? malloc(n * f * sizeof(float)) : NULL;
    b->att = malloc(n * sizeof(float));
    b->wscratch = malloc(LEMBED_LINEAR_BLOCK * wk * sizeof(float));
    if (!b->x || !b->q || !b->k || !b->v || !b->ctx || !b->tmp || !b->ff ||
        (b->nomic && !b->gate) || !b->att || !b->wscratch) {
        free_scratch(b);
        return false;
    }
    b->cap_tokens = n;
    return true;
}

static void layer_norm(float *x, size_t n, size_t d, const float *w, const float *bias, float eps) {
    for (size_t t = 0; t < n; t++) {
        float *r = x + t * d;
        double mean = 0, var = 0;
        for (size_t i = 0; i < d; i++)
            mean += r[i];
        mean /= (double)d;
        for (size_t i = 0; i < d; i++)
            var += ((double)r[i] - mean) * ((double)r[i] - mean);
        var /= (double)d;
        float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
        for (size_t i = 0; i < d; i++)
            r[i] = (r[i] - m) * inv * w[i] + bias[i];
    }
}

static void linear(lembed_bert *b, const float *X, size_t n, const lembed_bert_mat *W,
                   const float *bias, float *Y) {
    lembed_linear(X, n, (size_t)W->cols, W->data, W->type, (size_t)W->rows, bias, Y, b->wscratch);
}

/* softmax(Q K^T / sqrt(hd)) V for each head, within one sequence of len tokens at t0. */
static void attention(lembed_bert *b, size_t t0, size_t len) {
    size_t d = (size_t)b->n_embd, H = (size_t)b->n_head, hd = d / H;
    float scale = (float)(1.0 / sqrt((double)hd));
    for (size_t h = 0; h < H; h++)
        for (size_t i = 0; i < len; i++) {
            const float *qi = b->q + (t0 + i) * d + h * hd;
            float mx = -INFINITY;
            for (size_t j = 0; j < len; j++) {
                float s = lembed_dot(qi, b->k + (t0 + j) * d + h * hd, hd) * scale;
                b->att[j] = s;
                if (s > mx)
                    mx = s;
            }
            float sum = 0;
            for (size_t j = 0; j < len; j++) {
                b->att[j] = expf(b->att[j] - mx);
                sum += b->att[j];
            }
            float *out = b->ctx + (t0 + i) * d + h * hd;
            memset(out, 0, hd * sizeof(float));
            for (size_t j = 0; j < len; j++) {
                float p = b->att[j] / sum;
                const float *vj = b->v + (t0 + j) * d + h * hd;
                for (size_t e = 0; e < hd; e++)
                    out[e] += p * vj[e];
            }
        }
}

/* Rotary position embedding, NeoX layout (llama.cpp's for nomic-bert): within each head, value i
** and value i + hd/2 rotate by pos * base^(-2i/hd). x is len tokens of one sequence. */
static void rope(const lembed_bert *b, float *x, size_t len) {
    size_t d = (size_t)b->n_embd, H = (size_t)b->n_head, hd = d / H, half = hd / 2;
    for (size_t p = 0; p < len; p++)
        for (size_t i = 0; i < half; i++) {
            double theta = (double)p * pow(b->rope_base, -2.0 * (double)i / (double)hd);
            float c = (float)cos(theta), sn = (float)sin(theta);
            for (size_t h = 0; h < H; h++) {
                float *r = x + p * d + h * hd;
                float a = r[i], z = r[i + half];
                r[i] = a * c - z * sn;
                r[i + half] = a * sn + z * c;
            }
        }
}

static void forward(lembed_bert *b, const int32_t *const *ids, const size_t *lens, size_t count,
                    size_t total, float *out) {
    size_t d = (size_t)b->n_embd, f = (size_t)b->n_ff;
    size_t tok_row = (size_t)lembed_gguf_row_bytes(b->tok.type, d);
    size_t pos_row = b->nomic ? 0 : (size_t)lembed_gguf_row_bytes(b->pos.type, d);
    float *typ0 = b->tmp, *row = b->tmp + d;
    if (b->has_types)
        lembed_dequant_row(b->typ.type, b->typ.data, typ0, d);
    else
        memset(typ0, 0, d * sizeof(float));
    size_t t = 0;
    for (size_t s = 0; s < count; s++)
        for (size_t i = 0; i < lens[s]; i++, t++) {
            float *x = b->x + t * d;
            lembed_dequant_row(b->tok.type, (const char *)b->tok.data + (size_t)ids[s][i] * tok_row,
                               x, d);
            if (b->nomic)
                memset(row, 0, d * sizeof(float));
            else
                lembed_dequant_row(b->pos.type, (const char *)b->pos.data + i * pos_row, row, d);
            for (size_t e = 0; e < d; e++)
                x[e] += row[e] + typ0[e];
        }
    layer_norm(b->x, total, d, b->lnw, b->lnb, b->eps);
    for (int64_t l = 0; l < b->n_layer; l++) {
        const lembed_bert_layer *L = &b->layers[l];
        if (b->nomic) {
            /* The fused weight's rows are Q, then K, then V. */
            size_t rb = (size_t)lembed_gguf_row_bytes(L->qkv.type, d);
            lembed_bert_mat part = {NULL, L->qkv.type, (int64_t)d, (int64_t)d};
            float *dst[3] = {b->q, b->k, b->v};
            for (int p = 0; p < 3; p++) {
                part.data = (const char *)L->qkv.data + (size_t)p * d * rb;
                linear(b, b->x, total, &part, NULL, dst[p]);
            }
            size_t t1 = 0;
            for (size_t s = 0; s < count; t1 += lens[s], s++) {
                rope(b, b->q + t1 * d, lens[s]);
                rope(b, b->k + t1 * d, lens[s]);
            }
        } else {
            linear(b, b->x, total, &L->q, L->qb, b->q);
            linear(b, b->x, total, &L->k, L->kb, b->k);
            linear(b, b->x, total, &L->v, L->vb, b->v);
        }
        size_t t0 = 0;
        for (size_t s = 0; s < count; t0 += lens[s], s++)
            attention(b, t0, lens[s]);
        linear(b, b->ctx, total, &L->o, L->ob, b->tmp);
        for (size_t i = 0; i < total * d; i++)
            b->x[i] += b->tmp[i];
        layer_norm(b->x, total, d, L->ln1w, L->ln1b, b->eps);
        linear(b, b->x, total, &L->up, L->upb, b->ff);
        if (b->nomic) { /* SwiGLU: down(silu(gate x) * up x) */
            linear(b, b->x, total, &L->gate, NULL, b->gate);
            for (size_t i = 0; i < total * f; i++) {
                float g = b->gate[i];
                b->ff[i] *= g / (1.0f + expf(-g));
            }
        } else
            lembed_gelu(b->ff, total * f);
        linear(b, b->ff, total, &L->down, L->downb, b->tmp);
        for (size_t i = 0; i < total * d; i++)
            b->x[i] += b->tmp[i];
        layer_norm(b->x, total, d, L->ln2w, L->ln2b, b->eps);
    }
    size_t t0 = 0;
    for (size_t s = 0; s < count; t0 += lens[s], s++) {
        float *o = out + s * d;
        if (b->pooling == 2 || b->pooling == 3) {
            size_t at = b->pooling == 2 ? t0 : t0 + lens[s] - 1;
            memcpy(o, b->x + at * d, d * sizeof(float));
        } else {
            for (size_t e = 0; e < d; e++)
                o[e] = 0;
            for (size_t i = 0; i < lens[s]; i++)
                for (size_t e = 0; e < d; e++)
                    o[e] += b->x[(t0 + i) * d + e];
            for (size_t e = 0; e < d; e++)
                o[e] /= (float)lens[s];
        }
        double ss = 0;
        for (size_t e = 0; e < d; e++)
            ss += (double)o[e] * o[e];
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
        for (size_t e = 0; e < d; e++)
            o[e] *= inv;
    }
}

int lembed_bert_embed(lembed_bert *b, const int32_t *const *ids, const size_t *lens, size_t count,
                      float *out) {
    size_t s = 0;
    while (s < count) {
        size_t total = lens[s], e = s + 1;
        while (e < count && total + lens[e] <= LEMBED_BERT_MAX_BATCH_TOKENS)
            total += lens[e++];
        if (!ensure_scratch(b, total < 2 ? 2 : total))
            return -1;
        forward(b, ids + s, lens + s, e - s, total, out + s * (size_t)b->n_embd);
        s = e;
    }
    return 0;
}
