/*
** ext/embed: table-valued functions of the local half.
**
**   lembed_each(model, json_array_of_texts)   -> key, text, embedding   (one batched pass)
**   lembed_chunks(model, text [, max_tokens [, overlap]])
**                                             -> chunk, text, tokens, start, end
**
** lembed_chunks splits on token boundaries: each chunk has at most max_tokens tokens (default:
** the model's context minus [CLS] and [SEP]; 256 for static models) and repeats the last
** `overlap` tokens of the previous chunk. start and end are character offsets into the text,
** end exclusive, so substr(text, start + 1, end - start) is the chunk.
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "embed/local_registry.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds the memory of one call (texts and their vectors are held until the cursor closes). */
#define LEMBED_EACH_MAX_TEXTS 100000
#define LEMBED_EACH_MAX_TEXTS_STR "100000"

typedef struct tvf_vtab {
    sqlite3_vtab base;
    lembed_registry *reg;
    int n_args; /* hidden argument columns */
    int first_arg;
    bool chunks;
} tvf_vtab;

typedef struct each_row {
    char *text; /* NULL for a JSON null */
    size_t len;
} each_row;

typedef struct tvf_cursor {
    sqlite3_vtab_cursor base;
    sqlite3_int64 row, count;
    int dims;
    /* lembed_each */
    each_row *rows;
    float *vecs;
    /* lembed_chunks */
    char *text;
    size_t text_len;
    uint32_t *starts, *ends; /* content tokens' byte ranges */
    size_t n_tokens, max_tokens, step;
    size_t chars_at_start_byte, start_byte, chars_at_end_byte, end_byte; /* running offsets */
    sqlite3_int64 cur_start_char, cur_end_char;
} tvf_cursor;

static int tvf_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err, bool chunks) {
    int rc = strata_vtab_connect(
        db,
        chunks ? "CREATE TABLE x(chunk INTEGER, text TEXT, tokens INTEGER, start INTEGER, "
                 "\"end\" INTEGER, model HIDDEN, input HIDDEN, max_tokens HIDDEN, "
                 "overlap HIDDEN)"
               : "CREATE TABLE x(key INTEGER, text TEXT, embedding BLOB, model HIDDEN, "
                 "input HIDDEN)",
        sizeof(tvf_vtab), SQLITE_VTAB_INNOCUOUS, out);
    if (rc != SQLITE_OK)
        return rc;
    tvf_vtab *v = (tvf_vtab *)*out;
    v->reg = aux;
    v->chunks = chunks;
    v->first_arg = chunks ? 5 : 3;
    v->n_args = chunks ? 4 : 2;
    return SQLITE_OK;
}

static int each_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
    return tvf_connect(db, aux, argc, argv, out, err, false);
}

static int chunks_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err) {
    return tvf_connect(db, aux, argc, argv, out, err, true);
}

/* Arguments arrive as equality constraints on the hidden columns; idxNum has bit i set when
** argument i is present. model and input are required. */
static int tvf_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    tvf_vtab *v = (tvf_vtab *)vt;
    int given;
    int rc = strata_vtab_arguments(info, v->first_arg, v->n_args, &given);
    if (rc != SQLITE_OK)
        return rc;
    if ((given & 3) != 3)
        return strata_vtab_error(vt, v->chunks ? "lembed_chunks" : "lembed_each",
                                 "the model and the %s arguments are required",
                                 v->chunks ? "text" : "JSON array");
    info->idxNum = given;
    info->estimatedCost = 1000;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(tvf_cursor), out);
}

static void cursor_reset(tvf_cursor *c) {
    for (sqlite3_int64 i = 0; c->rows && i < c->count; i++)
        sqlite3_free(c->rows[i].text);
    sqlite3_free(c->rows);
    sqlite3_free(c->vecs);
    sqlite3_free(c->text);
    sqlite3_free(c->starts);
    sqlite3_free(c->ends);
    memset(&c->row, 0, sizeof(*c) - offsetof(tvf_cursor, row));
}

static int tvf_close(sqlite3_vtab_cursor *cur) {
    cursor_reset((tvf_cursor *)cur);
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int cur_error(sqlite3_vtab_cursor *cur, const char *fn, const char *msg, const char *arg) {
    return strata_vtab_error(cur->pVtab, fn, msg, arg);
}
static lembed_model *find_model(sqlite3_vtab_cursor *cur, const char *fn, sqlite3_value *name) {
    tvf_vtab *v = (tvf_vtab *)cur->pVtab;
    const char *z = (const char *)sqlite3_value_text(name);
    lembed_entry *e = z ? lembed_registry_find(v->reg, z) : NULL;
    if (!e) {
        cur_error(cur, fn, "no model named '%s' (register one in temp.lembed_models)",
                  z ? z : "NULL");
        return NULL;
    }
    return e->ref->model;
}

static int each_filter(tvf_cursor *c, sqlite3_value **argv) {
    const char *fn = "lembed_each";
    lembed_model *m = find_model(&c->base, fn, argv[0]);
    if (!m)
        return SQLITE_ERROR;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return SQLITE_OK;
    const char *z = (const char *)sqlite3_value_text(argv[1]);
    cJSON *arr = z ? cJSON_Parse(z) : NULL;
    if (!arr || !cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        return cur_error(&c->base, fn, "expected a JSON array of texts%s", "");
    }
    int n = cJSON_GetArraySize(arr);
    if (n > LEMBED_EACH_MAX_TEXTS) {
        cJSON_Delete(arr);
        return cur_error(&c->base, fn, "at most %s texts per call", LEMBED_EACH_MAX_TEXTS_STR);
    }
    int rc = SQLITE_OK;
    c->dims = m->dims;
    c->rows = sqlite3_malloc64((uint64_t)(n ? n : 1) * sizeof(each_row));
    c->vecs = sqlite3_malloc64((uint64_t)(n ? n : 1) * (uint64_t)m->dims * sizeof(float));
    const char **texts = sqlite3_malloc64((uint64_t)(n ? n : 1) * sizeof(char *));
    size_t *lens = sqlite3_malloc64((uint64_t)(n ? n : 1) * sizeof(size_t));
    if (!c->rows || !c->vecs || !texts || !lens) {
        rc = SQLITE_NOMEM;
        goto done;
    }
    memset(c->rows, 0, (size_t)(n ? n : 1) * sizeof(each_row));
    c->count = n;
    int k = 0, i = 0;
    for (cJSON *it = arr->child; it; it = it->next, i++) {
        if (cJSON_IsNull(it))
            continue;
        if (!cJSON_IsString(it)) {
            char idx[24];
            snprintf(idx, sizeof(idx), "%d", i);
            rc = cur_error(&c->base, fn, "element %s of the array is not a text or null", idx);
            goto done;
        }
        size_t len = strlen(it->valuestring);
        c->rows[i].text = sqlite3_malloc64(len + 1);
        if (!c->rows[i].text) {
            rc = SQLITE_NOMEM;
            goto done;
        }
        memcpy(c->rows[i].text, it->valuestring, len + 1);
        c->rows[i].len = len;
        texts[k] = c->rows[i].text;
        lens[k++] = len;
    }
    char err[LEMBED_ERR_SIZE];
    if (k > 0 && lembed_model_embed_batch(m, texts, lens, (size_t)k, c->vecs, err, sizeof(err)))
        rc = cur_error(&c->base, fn, "%s", err);
    /* Spread the k vectors back to their rows (null rows have none). */
    for (int r = n - 1, j = k - 1; rc == SQLITE_OK && r >= 0; r--)
        if (c->rows[r].text) {
            if (j != r)
                memcpy(c->vecs + (size_t)r * (size_t)m->dims, c->vecs + (size_t)j * (size_t)m->dims,
                       (size_t)m->dims * sizeof(float));
            j--;
        }
done:
    cJSON_Delete(arr);
    sqlite3_free(texts);
    sqlite3_free(lens);
    return rc;
}

static int chunks_filter(tvf_cursor *c, int mask, sqlite3_value **argv) {
    const char *fn = "lembed_chunks";
    lembed_model *m = find_model(&c->base, fn, argv[0]);
    if (!m)
        return SQLITE_ERROR;
    int ai = 2;
    sqlite3_int64 max_tokens = m->kind == LEMBED_KIND_BERT ? m->max_tokens - 2 : 256;
    sqlite3_int64 overlap = 0;
    if (mask & 4) {
        if (sqlite3_value_numeric_type(argv[ai]) != SQLITE_INTEGER ||
            (max_tokens = sqlite3_value_int64(argv[ai])) < 1)
            return cur_error(&c->base, fn, "max_tokens must be a positive integer%s", "");
        ai++;
        if (m->kind == LEMBED_KIND_BERT && max_tokens > m->max_tokens - 2)
            return cur_error(&c->base, fn,
                             "max_tokens exceeds the model's context minus [CLS] and [SEP]%s", "");
    }
    if (mask & 8) {
        if (sqlite3_value_numeric_type(argv[ai]) != SQLITE_INTEGER ||
            (overlap = sqlite3_value_int64(argv[ai])) < 0 || overlap >= max_tokens)
            return cur_error(&c->base, fn, "overlap must be an integer from 0 to max_tokens - 1%s",
                             "");
    }
    if (max_tokens < 1)
        return cur_error(&c->base, fn, "the model's context is too small%s", "");
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return SQLITE_OK;
    const char *z = (const char *)sqlite3_value_text(argv[1]);
    if (!z)
        return SQLITE_NOMEM;
    size_t n = (size_t)sqlite3_value_bytes(argv[1]);
    char err[LEMBED_ERR_SIZE];
    if (lembed_model_tokenize(m, z, n, SIZE_MAX, &m->toks, err, sizeof(err)) != 0)
        return cur_error(&c->base, fn, "%s", err);
    size_t first = m->kind == LEMBED_KIND_BERT ? 1 : 0;
    size_t nt = m->toks.count - (m->kind == LEMBED_KIND_BERT ? 2 : 0);
    c->text = sqlite3_malloc64(n + 1);
    c->starts = sqlite3_malloc64((nt ? nt : 1) * sizeof(uint32_t));
    c->ends = sqlite3_malloc64((nt ? nt : 1) * sizeof(uint32_t));
    if (!c->text || !c->starts || !c->ends)
        return SQLITE_NOMEM;
    memcpy(c->text, z, n + 1);
    c->text_len = n;
    memcpy(c->starts, m->toks.src_start + first, nt * sizeof(uint32_t));
    memcpy(c->ends, m->toks.src_end + first, nt * sizeof(uint32_t));
    c->n_tokens = nt;
    c->max_tokens = (size_t)max_tokens;
    c->step = (size_t)(max_tokens - overlap);
    if (nt == 0)
        c->count = 0;
    else if (nt <= c->max_tokens)
        c->count = 1;
    else
        c->count = 1 + (sqlite3_int64)((nt - c->max_tokens + c->step - 1) / c->step);
    return SQLITE_OK;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxStr, int argc,
                      sqlite3_value **argv) {
    tvf_cursor *c = (tvf_cursor *)cur;
    cursor_reset(c);
    tvf_vtab *v = (tvf_vtab *)cur->pVtab;
    return v->chunks ? chunks_filter(c, idx, argv) : each_filter(c, argv);
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
    ((tvf_cursor *)cur)->row++;
    return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
    tvf_cursor *c = (tvf_cursor *)cur;
    return c->row >= c->count;
}

/* Characters in text[from_byte, to_byte), counting UTF-8 lead bytes. */
static size_t count_chars(const char *text, size_t from, size_t to) {
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* Running conversion of a non-decreasing byte offset to a character offset. */
static size_t char_offset(const char *text, size_t *at_byte, size_t *at_char, size_t byte) {
    if (byte < *at_byte) {
        *at_byte = 0;
        *at_char = 0;
    }
    *at_char += count_chars(text, *at_byte, byte);
    *at_byte = byte;
    return *at_char;
}

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    tvf_cursor *c = (tvf_cursor *)cur;
    tvf_vtab *v = (tvf_vtab *)cur->pVtab;
    if (!v->chunks) {
        each_row *r = &c->rows[c->row];
        if (col == 0)
            sqlite3_result_int64(ctx, c->row);
        else if (col == 1 && r->text)
            sqlite3_result_text(ctx, r->text, (int)r->len, SQLITE_TRANSIENT);
        else if (col == 2 && r->text)
            lembed_result_vector(ctx, c->vecs + (size_t)c->row * (size_t)c->dims, c->dims);
        return SQLITE_OK;
    }
    size_t t0 = (size_t)c->row * c->step;
    size_t t1 = t0 + c->max_tokens < c->n_tokens ? t0 + c->max_tokens : c->n_tokens;
    size_t b0 = c->starts[t0], b1 = c->ends[t1 - 1];
    switch (col) {
        case 0:
            sqlite3_result_int64(ctx, c->row);
            break;
        case 1:
            sqlite3_result_text(ctx, c->text + b0, (int)(b1 - b0), SQLITE_TRANSIENT);
            break;
        case 2:
            sqlite3_result_int64(ctx, (sqlite3_int64)(t1 - t0));
            break;
        case 3:
            sqlite3_result_int64(ctx, (sqlite3_int64)char_offset(c->text, &c->start_byte,
                                                                 &c->chars_at_start_byte, b0));
            break;
        case 4:
            sqlite3_result_int64(
                ctx, (sqlite3_int64)char_offset(c->text, &c->end_byte, &c->chars_at_end_byte, b1));
            break;
    }
    return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
    *rowid = ((tvf_cursor *)cur)->row;
    return SQLITE_OK;
}

#define TVF_MODULE(connect_fn)                                                                     \
    {                                                                                              \
        .iVersion = 2, .xConnect = connect_fn, .xBestIndex = tvf_best_index,                       \
        .xDisconnect = strata_vtab_disconnect, .xOpen = tvf_open, .xClose = tvf_close,             \
        .xFilter = tvf_filter, .xNext = tvf_next, .xEof = tvf_eof, .xColumn = tvf_column,          \
        .xRowid = tvf_rowid,                                                                       \
    }

const sqlite3_module lembed_each_module = TVF_MODULE(each_connect);
const sqlite3_module lembed_chunks_module = TVF_MODULE(chunks_connect);
