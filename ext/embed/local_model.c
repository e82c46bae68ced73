/*
** local_model: opening a model file of any supported kind and dispatching to it (see
** local_model.h).
**
** Options (a JSON object): "max_tokens" (transformers: cut input to this many tokens, default the
** model's context), "truncate" (true: cut long input, the default; false: fail instead),
** "max_words" (static models: load only the first N words), "weighting" ("sif" or "mean").
*/
#include "embed/local_model.h"

#include "embed/local_bert.h"
#include "embed/local_file.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct model_opts {
    int64_t max_tokens;
    bool truncate;
    lembed_static_opts st;
} model_opts;

static int parse_options(const char *path, const char *options, model_opts *o, char *err,
                         size_t errlen) {
    memset(o, 0, sizeof(*o));
    o->truncate = true;
    if (!options || !*options)
        return 0;
    cJSON *j = cJSON_Parse(options);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        snprintf(err, errlen, "options must be a JSON object, got '%.60s'", options);
        return -1;
    }
    int rc = 0;
    for (cJSON *it = j->child; it && rc == 0; it = it->next) {
        const char *k = it->string ? it->string : "";
        if (strcmp(k, "max_tokens") == 0 || strcmp(k, "max_words") == 0) {
            double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
            if (!(v >= (strcmp(k, "max_tokens") == 0 ? 2 : 1) && v <= 1e9 && v == (int64_t)v)) {
                snprintf(err, errlen, "option '%s' must be a positive integer", k);
                rc = -1;
            } else if (k[4] == 't')
                o->max_tokens = (int64_t)v;
            else
                o->st.max_words = (int64_t)v;
        } else if (strcmp(k, "truncate") == 0) {
            if (!cJSON_IsBool(it)) {
                snprintf(err, errlen, "option 'truncate' must be true or false");
                rc = -1;
            } else
                o->truncate = cJSON_IsTrue(it);
        } else if (strcmp(k, "weighting") == 0) {
            const char *s = cJSON_GetStringValue(it);
            if (s && strcmp(s, "mean") == 0)
                o->st.mean = true;
            else if (!s || strcmp(s, "sif") != 0) {
                snprintf(err, errlen, "option 'weighting' must be 'sif' or 'mean'");
                rc = -1;
            }
        } else {
            snprintf(err, errlen,
                     "unknown option '%.40s' (known: max_tokens, truncate, max_words, weighting)",
                     k);
            rc = -1;
        }
    }
    cJSON_Delete(j);
    (void)path;
    return rc;
}

/* GGUF when the file starts with the magic or is named *.gguf (then a bad magic is reported
** as such rather than as a malformed word-vector file). */
static bool is_gguf(const char *path, const lembed_file *f) {
    size_t n = strlen(path);
    if (n >= 5 && strcasecmp(path + n - 5, ".gguf") == 0)
        return true;
    return f->size >= 4 && memcmp(f->data, "GGUF", 4) == 0;
}

/* Word-vector files are text: a NUL byte early on means some other binary format. */
static bool looks_binary(const lembed_file *f) {
    size_t n = f->size < 4096 ? f->size : 4096;
    return n > 0 && memchr(f->data, 0, n) != NULL;
}

lembed_model *lembed_model_open(const char *path, const char *options, char *err, size_t errlen) {
    model_opts o;
    if (parse_options(path, options, &o, err, errlen) != 0)
        return NULL;
    lembed_model *m = calloc(1, sizeof(*m));
    char *p = strdup(path);
    if (!m || !p) {
        free(m);
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->path = p;
    m->truncate = o.truncate;
    lembed_wordlist_init(&m->wl);
    lembed_tokens_init(&m->toks);
    lembed_file f;
    if (lembed_file_map(path, &f, err, errlen) != 0) {
        lembed_model_close(m);
        return NULL;
    }
    m->size_bytes = (int64_t)f.size;
    bool gguf = is_gguf(path, &f), binary = looks_binary(&f);
    lembed_file_unmap(&f);
    if (!gguf && binary) {
        snprintf(err, errlen,
                 "cannot load '%s': unknown model format (neither GGUF nor a word-vector text "
                 "or JSON file)",
                 path);
        lembed_model_close(m);
        return NULL;
    }
    if (gguf) {
        m->kind = LEMBED_KIND_BERT;
        m->bert = lembed_bert_load(path, err, errlen);
        if (!m->bert) {
            lembed_model_close(m);
            return NULL;
        }
        m->dims = lembed_bert_dims(m->bert);
        m->max_tokens = lembed_bert_context(m->bert);
        if (o.max_tokens && o.max_tokens < m->max_tokens)
            m->max_tokens = o.max_tokens;
        snprintf(m->arch, sizeof(m->arch), "%s", lembed_bert_arch(m->bert));
        snprintf(m->type, sizeof(m->type), "%s", lembed_bert_type(m->bert));
    } else {
        m->kind = LEMBED_KIND_STATIC;
        if (lembed_static_load(path, &o.st, &m->st, err, errlen) != 0) {
            lembed_model_close(m);
            return NULL;
        }
        m->dims = m->st.dims;
        m->max_tokens = o.max_tokens;
        snprintf(m->arch, sizeof(m->arch), "static");
        snprintf(m->type, sizeof(m->type), "%s", m->st.format);
    }
    return m;
}

void lembed_model_close(lembed_model *m) {
    if (!m)
        return;
    lembed_bert_free(m->bert);
    lembed_static_free(&m->st);
    lembed_wordlist_free(&m->wl);
    lembed_tokens_free(&m->toks);
    free(m->path);
    free(m);
}

static bool too_long(size_t n, char *err, size_t errlen) {
    if (n <= LEMBED_MAX_TEXT_BYTES)
        return false;
    snprintf(err, errlen, "text of %zu bytes is longer than the limit of %zu MiB (split it first)",
             n, LEMBED_MAX_TEXT_BYTES >> 20);
    return true;
}

static int tokenize_bert(lembed_model *m, const char *text, size_t n, size_t max_tokens,
                         lembed_tokens *toks, char *err, size_t errlen) {
    if (too_long(n, err, errlen))
        return -1;
    size_t limit = max_tokens == SIZE_MAX ? SIZE_MAX : (size_t)m->max_tokens;
    if (max_tokens && max_tokens < limit)
        limit = max_tokens;
    if (lembed_tokenize(lembed_bert_vocab(m->bert), text, n, limit, &m->wl, toks) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int lembed_model_tokenize(lembed_model *m, const char *text, size_t n, size_t max_tokens,
                          lembed_tokens *toks, char *err, size_t errlen) {
    if (m->kind == LEMBED_KIND_BERT)
        return tokenize_bert(m, text, n, max_tokens, toks, err, errlen);
    /* static: the rows of the known words, with their offsets */
    if (too_long(n, err, errlen))
        return -1;
    toks->count = 0;
    toks->truncated = false;
    if (lembed_basic_split(text, n, LEMBED_SPLIT_LOWER, &m->wl) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < m->wl.count; i++) {
        const lembed_word *w = &m->wl.words[i];
        int32_t r = w->punct ? -1 : lembed_strmap_get(&m->st.map, m->wl.buf + w->off, w->len);
        if (r < 0)
            continue;
        if (max_tokens && max_tokens != SIZE_MAX && toks->count >= max_tokens) {
            toks->truncated = true;
            break;
        }
        if (toks->count == toks->cap) {
            size_t cap = toks->cap ? toks->cap * 2 : 64;
            int32_t *ids = realloc(toks->ids, cap * sizeof(int32_t));
            if (ids)
                toks->ids = ids;
            uint32_t *ss = ids ? realloc(toks->src_start, cap * sizeof(uint32_t)) : NULL;
            if (ss)
                toks->src_start = ss;
            uint32_t *ee = ss ? realloc(toks->src_end, cap * sizeof(uint32_t)) : NULL;
            if (!ee) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            toks->src_end = ee;
            toks->cap = cap;
        }
        toks->ids[toks->count] = r;
        toks->src_start[toks->count] = w->src_start;
        toks->src_end[toks->count] = w->src_end;
        toks->count++;
    }
    return 0;
}

int lembed_model_embed_batch(lembed_model *m, const char *const *texts, const size_t *lens,
                             size_t count, float *out, char *err, size_t errlen) {
    if (m->kind == LEMBED_KIND_STATIC) {
        for (size_t i = 0; i < count; i++)
            if (too_long(lens[i], err, errlen))
                return -1;
        for (size_t i = 0; i < count; i++)
            if (lembed_static_embed(&m->st, texts[i], lens[i], &m->wl, out + i * (size_t)m->dims,
                                    NULL, 0) < 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        return 0;
    }
    /* Tokenize every text into one id array, then run the encoder over all of them. */
    int rc = -1;
    size_t total = 0, cap = 0;
    int32_t *all = NULL;
    size_t *offs = malloc(count * sizeof(size_t)), *ns = malloc(count * sizeof(size_t));
    const int32_t **ptrs = malloc(count * sizeof(int32_t *));
    if (!offs || !ns || !ptrs) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (tokenize_bert(m, texts[i], lens[i], 0, &m->toks, err, errlen) != 0)
            goto done;
        if (m->toks.truncated && !m->truncate) {
            snprintf(err, errlen,
                     "text is longer than %lld tokens (set the model option \"truncate\": true to "
                     "cut it)",
                     (long long)m->max_tokens);
            goto done;
        }
        if (total + m->toks.count > cap) {
            size_t nc = cap ? cap * 2 : 1024;
            while (nc < total + m->toks.count)
                nc *= 2;
            int32_t *a = realloc(all, nc * sizeof(int32_t));
            if (!a) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            all = a;
            cap = nc;
        }
        memcpy(all + total, m->toks.ids, m->toks.count * sizeof(int32_t));
        offs[i] = total;
        ns[i] = m->toks.count;
        total += m->toks.count;
    }
    for (size_t i = 0; i < count; i++)
        ptrs[i] = all + offs[i];
    if (lembed_bert_embed(m->bert, ptrs, ns, count, out) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = 0;
done:
    free(all);
    free(offs);
    free(ns);
    free(ptrs);
    return rc;
}

int lembed_model_embed(lembed_model *m, const char *text, size_t n, float *out, char *err,
                       size_t errlen) {
    const char *texts[1] = {text};
    size_t lens[1] = {n};
    return lembed_model_embed_batch(m, texts, lens, 1, out, err, errlen);
}

const char *lembed_model_piece(const lembed_model *m, int64_t id, size_t *len) {
    if (m->kind == LEMBED_KIND_BERT) {
        const char *p = lembed_vocab_piece(lembed_bert_vocab(m->bert), id);
        if (p)
            *len = strlen(p);
        return p;
    }
    if (id < 0 || id >= m->st.rows)
        return NULL;
    return lembed_strmap_key(&m->st.map, (size_t)id, len);
}

bool lembed_model_is_control(const lembed_model *m, int64_t id) {
    if (m->kind != LEMBED_KIND_BERT)
        return false;
    const lembed_vocab *v = lembed_bert_vocab(m->bert);
    return id >= 0 && id < v->n && v->control[id];
}
