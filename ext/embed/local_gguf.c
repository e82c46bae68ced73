/*
** local_gguf: bounds-checked GGUF parsing (see local_gguf.h).
*/
#include "embed/local_gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const unsigned char *p, *end;
    const char *problem;
} reader;

static bool need(reader *r, uint64_t n) {
    if ((uint64_t)(r->end - r->p) < n) {
        if (!r->problem)
            r->problem = "file is truncated";
        return false;
    }
    return true;
}

static bool rd_u32(reader *r, uint32_t *v) {
    if (!need(r, 4))
        return false;
    memcpy(v, r->p, 4);
    r->p += 4;
    return true;
}

static bool rd_u64(reader *r, uint64_t *v) {
    if (!need(r, 8))
        return false;
    memcpy(v, r->p, 8);
    r->p += 8;
    return true;
}

static bool rd_str(reader *r, const char **s, size_t *n) {
    uint64_t len;
    if (!rd_u64(r, &len) || !need(r, len))
        return false;
    *s = (const char *)r->p;
    *n = (size_t)len;
    r->p += len;
    return true;
}

static const uint64_t scalar_size[LEMBED_GGUF_KV_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4,
                                                                1, 0, 0, 8, 8, 8};

static bool skip_value(reader *r, uint32_t type, uint32_t *arr_type, uint64_t *arr_n) {
    if (type >= LEMBED_GGUF_KV_TYPE_COUNT) {
        r->problem = "unknown metadata value type";
        return false;
    }
    if (type == LEMBED_GGUF_STRING) {
        const char *s;
        size_t n;
        return rd_str(r, &s, &n);
    }
    if (type == LEMBED_GGUF_ARRAY) {
        uint32_t et;
        uint64_t n;
        if (!rd_u32(r, &et) || !rd_u64(r, &n))
            return false;
        if (et >= LEMBED_GGUF_KV_TYPE_COUNT || et == LEMBED_GGUF_ARRAY) {
            r->problem = "unsupported metadata array element type";
            return false;
        }
        *arr_type = et;
        *arr_n = n;
        if (et == LEMBED_GGUF_STRING) {
            if (n > (uint64_t)(r->end - r->p) / 8) {
                r->problem = "metadata array count exceeds the file size";
                return false;
            }
            for (uint64_t i = 0; i < n; i++) {
                const char *s;
                size_t sn;
                if (!rd_str(r, &s, &sn))
                    return false;
            }
            return true;
        }
        if (n > (uint64_t)(r->end - r->p) / scalar_size[et]) {
            r->problem = "metadata array count exceeds the file size";
            return false;
        }
        r->p += n * scalar_size[et];
        return true;
    }
    if (!need(r, scalar_size[type]))
        return false;
    r->p += scalar_size[type];
    return true;
}

uint64_t lembed_gguf_row_bytes(uint32_t type, uint64_t n) {
    switch (type) {
        case LEMBED_GGML_F32:
            return n * 4;
        case LEMBED_GGML_F16:
        case LEMBED_GGML_BF16:
            return n * 2;
        case LEMBED_GGML_Q8_0:
            return n % 32 ? 0 : n / 32 * 34;
        case LEMBED_GGML_Q4_0:
            return n % 32 ? 0 : n / 32 * 18;
        default:
            return 0;
    }
}

const char *lembed_gguf_type_name(uint32_t type) {
    switch (type) {
        case LEMBED_GGML_F32:
            return "F32";
        case LEMBED_GGML_F16:
            return "F16";
        case LEMBED_GGML_BF16:
            return "BF16";
        case LEMBED_GGML_Q8_0:
            return "Q8_0";
        case LEMBED_GGML_Q4_0:
            return "Q4_0";
        default:
            return "unsupported";
    }
}

/* A tensor name fit for an error message: at most 64 bytes, non-ASCII and control bytes as '?'
** (the file may hold anything, and messages must be valid UTF-8). */
static const char *safe_name(const lembed_gguf_tensor *t, char out[72]) {
    size_t n = t->name_len > 64 ? 64 : t->name_len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->name[i];
        out[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}

static int cmp_offset(const void *a, const void *b) {
    const lembed_gguf_tensor *x = *(const lembed_gguf_tensor *const *)a,
                             *y = *(const lembed_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int parse(lembed_gguf *g, char *err, size_t errlen) {
    char nm[72], nm2[72];
    if (g->file.size == 0) { /* an empty file is not mapped: data is NULL */
        snprintf(err, errlen, "cannot load '%s': empty file", g->path);
        return -1;
    }
    reader r = {g->file.data, g->file.data + g->file.size, NULL};
    uint32_t magic;
    if (!rd_u32(&r, &magic) || magic != 0x46554747) {
        snprintf(err, errlen, "cannot load '%s': not a GGUF file (bad magic)", g->path);
        return -1;
    }
    if (!rd_u32(&r, &g->version) || (g->version != 2 && g->version != 3)) {
        snprintf(err, errlen, "cannot load '%s': unsupported GGUF version %u", g->path, g->version);
        return -1;
    }
    if (!rd_u64(&r, &g->n_tensors) || !rd_u64(&r, &g->n_kv))
        goto bad;
    if (g->n_tensors > LEMBED_GGUF_MAX_TENSORS || g->n_kv > LEMBED_GGUF_MAX_KV ||
        g->n_kv > (uint64_t)(r.end - r.p) / 12 || g->n_tensors > (uint64_t)(r.end - r.p) / 24) {
        snprintf(err, errlen,
                 "cannot load '%s': file is truncated or its counts are implausible (%llu "
                 "tensors, %llu keys)",
                 g->path, (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv);
        return -1;
    }
    g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof(*g->kvs));
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof(*g->tensors));
    if (!g->kvs || !g->tensors) {
        snprintf(err, errlen, "cannot load '%s': out of memory", g->path);
        return -1;
    }
    for (uint64_t i = 0; i < g->n_kv; i++) {
        lembed_gguf_kv *kv = &g->kvs[i];
        if (!rd_str(&r, &kv->key, &kv->key_len) || !rd_u32(&r, &kv->type))
            goto bad;
        kv->val = r.p;
        if (!skip_value(&r, kv->type, &kv->arr_type, &kv->arr_n))
            goto bad;
        if (kv->type == LEMBED_GGUF_ARRAY)
            kv->val += 12;
    }
    g->alignment = 32;
    const lembed_gguf_kv *al = lembed_gguf_find_kv(g, "general.alignment");
    if (al) {
        int64_t a;
        if (!lembed_gguf_get_int(g, "general.alignment", &a) || a <= 0 || a > 65536 ||
            (a & (a - 1))) {
            snprintf(err, errlen, "cannot load '%s': bad general.alignment", g->path);
            return -1;
        }
        g->alignment = (uint64_t)a;
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        lembed_gguf_tensor *t = &g->tensors[i];
        if (!rd_str(&r, &t->name, &t->name_len) || !rd_u32(&r, &t->n_dims))
            goto bad;
        if (t->n_dims < 1 || t->n_dims > 4) {
            snprintf(err, errlen, "cannot load '%s': tensor '%s' has %u dimensions", g->path,
                     safe_name(t, nm), t->n_dims);
            return -1;
        }
        uint64_t count = 1;
        for (uint32_t d = 0; d < 4; d++) {
            t->ne[d] = 1;
            if (d < t->n_dims && !rd_u64(&r, &t->ne[d]))
                goto bad;
            if (t->ne[d] == 0 || t->ne[d] > ((uint64_t)1 << 40) ||
                count > ((uint64_t)1 << 40) / t->ne[d]) {
                snprintf(err, errlen, "cannot load '%s': tensor '%s' has an implausible shape",
                         g->path, safe_name(t, nm));
                return -1;
            }
            count *= t->ne[d];
        }
        if (!rd_u32(&r, &t->type) || !rd_u64(&r, &t->offset))
            goto bad;
        uint64_t row = lembed_gguf_row_bytes(t->type, t->ne[0]);
        if (row == 0 && lembed_gguf_row_bytes(t->type, 32) != 0) {
            snprintf(err, errlen,
                     "cannot load '%s': tensor '%s' of type %s has rows of %llu values, not a "
                     "multiple of 32",
                     g->path, safe_name(t, nm), lembed_gguf_type_name(t->type),
                     (unsigned long long)t->ne[0]);
            return -1;
        }
        if (row == 0) {
            snprintf(err, errlen,
                     "cannot load '%s': tensor '%s' has unsupported type %u (supported: F32, "
                     "F16, BF16, Q8_0, Q4_0)",
                     g->path, safe_name(t, nm), t->type);
            return -1;
        }
        t->nbytes = row * (count / t->ne[0]);
    }
    uint64_t header = (uint64_t)(r.p - g->file.data);
    uint64_t data_start = (header + g->alignment - 1) / g->alignment * g->alignment;
    uint64_t data_size = g->file.size >= data_start ? g->file.size - data_start : 0;
    const lembed_gguf_tensor **sorted = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof(*sorted));
    if (!sorted) {
        snprintf(err, errlen, "cannot load '%s': out of memory", g->path);
        return -1;
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        lembed_gguf_tensor *t = &g->tensors[i];
        const char *problem = NULL;
        if (t->offset % g->alignment)
            problem = "is misaligned";
        else if (t->offset > data_size || t->nbytes > data_size - t->offset)
            problem = "extends past the end of the file (truncated?)";
        if (problem) {
            snprintf(err, errlen, "cannot load '%s': tensor '%s' %s", g->path, safe_name(t, nm),
                     problem);
            free(sorted);
            return -1;
        }
        t->data = g->file.data + data_start + t->offset;
        sorted[i] = t;
    }
    qsort(sorted, g->n_tensors, sizeof(*sorted), cmp_offset);
    for (uint64_t i = 1; i < g->n_tensors; i++) {
        if (sorted[i - 1]->offset + sorted[i - 1]->nbytes > sorted[i]->offset) {
            snprintf(err, errlen, "cannot load '%s': tensors '%s' and '%s' overlap", g->path,
                     safe_name(sorted[i - 1], nm), safe_name(sorted[i], nm2));
            free(sorted);
            return -1;
        }
    }
    free(sorted);
    return 0;
bad:
    snprintf(err, errlen, "cannot load '%s': %s", g->path,
             r.problem ? r.problem : "malformed header");
    return -1;
}

int lembed_gguf_open(const char *path, lembed_gguf *g, char *err, size_t errlen) {
    memset(g, 0, sizeof(*g));
    g->path = path;
    if (lembed_file_map(path, &g->file, err, errlen) != 0)
        return -1;
    if (parse(g, err, errlen) != 0) {
        lembed_gguf_close(g);
        return -1;
    }
    return 0;
}

void lembed_gguf_close(lembed_gguf *g) {
    free(g->kvs);
    free(g->tensors);
    lembed_file_unmap(&g->file);
    g->kvs = NULL;
    g->tensors = NULL;
}

const lembed_gguf_kv *lembed_gguf_find_kv(const lembed_gguf *g, const char *key) {
    size_t n = strlen(key);
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (g->kvs[i].key_len == n && memcmp(g->kvs[i].key, key, n) == 0)
            return &g->kvs[i];
    return NULL;
}

static bool scalar_int(uint32_t type, const unsigned char *p, int64_t *out) {
    switch (type) {
        case LEMBED_GGUF_U8:
            *out = p[0];
            return true;
        case LEMBED_GGUF_I8:
            *out = (int8_t)p[0];
            return true;
        case LEMBED_GGUF_BOOL:
            *out = p[0] != 0;
            return true;
        case LEMBED_GGUF_U16: {
            uint16_t v;
            memcpy(&v, p, 2);
            *out = v;
            return true;
        }
        case LEMBED_GGUF_I16: {
            int16_t v;
            memcpy(&v, p, 2);
            *out = v;
            return true;
        }
        case LEMBED_GGUF_U32: {
            uint32_t v;
            memcpy(&v, p, 4);
            *out = v;
            return true;
        }
        case LEMBED_GGUF_I32: {
            int32_t v;
            memcpy(&v, p, 4);
            *out = v;
            return true;
        }
        case LEMBED_GGUF_U64: {
            uint64_t v;
            memcpy(&v, p, 8);
            if (v > INT64_MAX)
                return false;
            *out = (int64_t)v;
            return true;
        }
        case LEMBED_GGUF_I64: {
            int64_t v;
            memcpy(&v, p, 8);
            *out = v;
            return true;
        }
        default:
            return false;
    }
}

bool lembed_gguf_get_int(const lembed_gguf *g, const char *key, int64_t *out) {
    const lembed_gguf_kv *kv = lembed_gguf_find_kv(g, key);
    return kv && scalar_int(kv->type, kv->val, out);
}

bool lembed_gguf_get_float(const lembed_gguf *g, const char *key, double *out) {
    const lembed_gguf_kv *kv = lembed_gguf_find_kv(g, key);
    if (!kv)
        return false;
    if (kv->type == LEMBED_GGUF_F32) {
        float f;
        memcpy(&f, kv->val, 4);
        *out = f;
        return true;
    }
    if (kv->type == LEMBED_GGUF_F64) {
        memcpy(out, kv->val, 8);
        return true;
    }
    int64_t i;
    if (!scalar_int(kv->type, kv->val, &i))
        return false;
    *out = (double)i;
    return true;
}

bool lembed_gguf_get_string(const lembed_gguf *g, const char *key, const char **s, size_t *n) {
    const lembed_gguf_kv *kv = lembed_gguf_find_kv(g, key);
    if (!kv || kv->type != LEMBED_GGUF_STRING)
        return false;
    uint64_t len;
    memcpy(&len, kv->val, 8);
    *s = (const char *)kv->val + 8;
    *n = (size_t)len;
    return true;
}

bool lembed_gguf_array_strings(const lembed_gguf_kv *kv,
                               bool (*fn)(void *, uint64_t, const char *, size_t), void *arg) {
    if (kv->type != LEMBED_GGUF_ARRAY || kv->arr_type != LEMBED_GGUF_STRING)
        return false;
    const unsigned char *p = kv->val; /* validated by parse() */
    for (uint64_t i = 0; i < kv->arr_n; i++) {
        uint64_t len;
        memcpy(&len, p, 8);
        if (!fn(arg, i, (const char *)p + 8, (size_t)len))
            return false;
        p += 8 + len;
    }
    return true;
}

bool lembed_gguf_array_int(const lembed_gguf_kv *kv, uint64_t i, int64_t *out) {
    if (kv->type != LEMBED_GGUF_ARRAY || i >= kv->arr_n || kv->arr_type == LEMBED_GGUF_STRING ||
        kv->arr_type == LEMBED_GGUF_F32 || kv->arr_type == LEMBED_GGUF_F64)
        return false;
    return scalar_int(kv->arr_type, kv->val + i * scalar_size[kv->arr_type], out);
}

const lembed_gguf_tensor *lembed_gguf_find_tensor(const lembed_gguf *g, const char *name) {
    size_t n = strlen(name);
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name_len == n && memcmp(g->tensors[i].name, name, n) == 0)
            return &g->tensors[i];
    return NULL;
}
