/*
** ext/embed (remote): rembed_each(client, json_array_of_texts [, input_type]), a table-valued
** function with columns key (0-based index), text, embedding (float32 BLOB, subtype 223).
**
** Every text is embedded in xFilter, in as few requests as the provider's per-request limit
** allows; rows come back in input order. JSON null elements give NULL embeddings and are not
** sent. The module is SQLITE_VTAB_DIRECTONLY.
*/
#include "common/error_sql.h"
#include "common/function_sql.h"
#include "common/vtab_sql.h"
#include "embed/remote_cancel_sql.h"
#include "embed/remote_sql.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_KEY, COL_TEXT, COL_EMBEDDING, COL_CLIENT, COL_INPUT, COL_INPUT_TYPE };

typedef struct each_vtab {
    sqlite3_vtab base;
    rembed_registry *reg;
    sqlite3 *db; /* asked for sqlite3_interrupt() while requests run */
} each_vtab;

typedef struct each_cursor {
    sqlite3_vtab_cursor base;
    cJSON *texts;  /* the parsed array */
    cJSON **items; /* its elements, by index */
    int *row_of;   /* element -> row in vectors, -1 for null elements */
    int n;
    rembed_vectors vectors;
    int i;
} each_cursor;

static int each_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
    int rc = strata_vtab_connect(db,
                                 "CREATE TABLE x(key INTEGER, text TEXT, embedding BLOB, "
                                 "client HIDDEN, input HIDDEN, input_type HIDDEN)",
                                 sizeof(each_vtab), SQLITE_VTAB_DIRECTONLY, out);
    if (rc != SQLITE_OK)
        return rc;
    each_vtab *vt = (each_vtab *)*out;
    vt->reg = aux;
    vt->db = db;
    rembed_registry_ref(vt->reg);
    return SQLITE_OK;
}

static int each_disconnect(sqlite3_vtab *base) {
    each_vtab *vt = (each_vtab *)base;
    rembed_registry_unref(vt->reg);
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* idxNum bit 1: input_type given. argv order: client, input, input_type. */
static int each_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    int given;
    int rc = strata_vtab_arguments(info, COL_CLIENT, 3, &given);
    if (rc != SQLITE_OK)
        return rc;
    if ((given & 3) != 3)
        return strata_vtab_error(base, "rembed_each",
                                 "expected (client, json_array_of_texts [, input_type]) arguments");
    info->idxNum = given & 4 ? 1 : 0;
    /* Every scan is a round of HTTP requests: make the planner run it once, as an outer loop. */
    info->estimatedCost = 1e12;
    info->estimatedRows = 1000;
    return SQLITE_OK;
}

static void reset(each_cursor *cur) {
    cJSON_Delete(cur->texts);
    sqlite3_free(cur->items);
    sqlite3_free(cur->row_of);
    free(cur->vectors.data); /* the engine's (rembed_client_embed) */
    memset(&cur->vectors, 0, sizeof cur->vectors);
    cur->texts = NULL;
    cur->items = NULL;
    cur->row_of = NULL;
    cur->n = cur->i = 0;
}

static int each_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    return strata_vtab_cursor_open(sizeof(each_cursor), out);
}

static int each_close(sqlite3_vtab_cursor *base) {
    reset((each_cursor *)base);
    sqlite3_free(base);
    return SQLITE_OK;
}

static int cursor_fail_code(each_cursor *cur, int code, const char *msg) {
    int rc = strata_vtab_error(cur->base.pVtab, "rembed_each", "%s", msg);
    return rc == SQLITE_ERROR ? code : rc;
}

static int cursor_fail(each_cursor *cur, const char *msg) {
    return cursor_fail_code(cur, SQLITE_ERROR, msg);
}

/* Embeds the non-null elements; texts/lens list them in order. */
static int embed_all(each_cursor *cur, sqlite3 *db, rembed_client *c, const char *input_type) {
    int m = 0;
    for (int i = 0; i < cur->n; i++)
        if (cur->row_of[i] >= 0)
            m++;
    if (m == 0)
        return SQLITE_OK;
    const char **texts = sqlite3_malloc64((size_t)m * sizeof *texts);
    size_t *lens = sqlite3_malloc64((size_t)m * sizeof *lens);
    if (texts == NULL || lens == NULL) {
        sqlite3_free(texts);
        sqlite3_free(lens);
        return SQLITE_NOMEM;
    }
    for (int i = 0; i < cur->n; i++) {
        int row = cur->row_of[i];
        if (row >= 0) {
            texts[row] = cur->items[i]->valuestring;
            lens[row] = strlen(texts[row]);
        }
    }
    char err[REMBED_ERR_SIZE];
    rembed_interrupt cancel;
    rembed_interrupt_init(&cancel, db);
    int rc = rembed_client_embed(c, texts, lens, m, input_type, &cancel.cancel, &cur->vectors, err,
                                 sizeof err);
    sqlite3_free(texts);
    sqlite3_free(lens);
    if (rc == 0)
        return SQLITE_OK;
    return cursor_fail_code(cur, rc == REMBED_CANCELLED ? SQLITE_INTERRUPT : SQLITE_ERROR, err);
}

/* True when the JSON text has a \u0000 escape: cJSON's strings end at the NUL it decodes to,
** so such a text would be sent cut short. (A backslash only ever starts an escape.) */
static bool has_nul_escape(const char *json, size_t n) {
    for (size_t i = 0; i + 1 < n; i++) {
        if (json[i] != '\\')
            continue;
        if (json[i + 1] == 'u' && i + 5 < n && memcmp(json + i + 2, "0000", 4) == 0)
            return true;
        i++; /* the escaped character */
    }
    return false;
}

static int each_filter(sqlite3_vtab_cursor *base, int idx, const char *idx_str, int argc,
                       sqlite3_value **argv) {
    each_cursor *cur = (each_cursor *)base;
    each_vtab *vt = (each_vtab *)base->pVtab;
    reset(cur);
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    if (name == NULL)
        return cursor_fail(cur, "client name must not be NULL");
    int ci = rembed_registry_find(vt->reg, name, 0);
    if (ci < 0) {
        char msg[400];
        snprintf(msg, sizeof msg, "unknown client '%.100s' (register it in temp.rembed_clients)",
                 name);
        return cursor_fail(cur, msg);
    }
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return SQLITE_OK; /* no texts, no rows */
    const char *json = (const char *)sqlite3_value_text(argv[1]);
    const char *input_type = (idx & 1) ? (const char *)sqlite3_value_text(argv[2]) : NULL;
    if (json == NULL)
        return SQLITE_NOMEM;
    size_t json_len = (size_t)sqlite3_value_bytes(argv[1]);
    if (has_nul_escape(json, json_len))
        return cursor_fail(cur, "a text holds U+0000 (\\u0000), which rembed_each cannot pass on "
                                "whole; embed it with rembed()");
    cur->texts = cJSON_ParseWithLength(json, json_len);
    if (!cJSON_IsArray(cur->texts))
        return cursor_fail(cur, "the texts must be a JSON array of strings");
    int n = cJSON_GetArraySize(cur->texts);
    if (n > REMBED_MAX_EACH)
        return cursor_fail(cur, "more than 1000000 texts in one call");
    cur->items = sqlite3_malloc64((size_t)(n > 0 ? n : 1) * sizeof *cur->items);
    cur->row_of = sqlite3_malloc64((size_t)(n > 0 ? n : 1) * sizeof *cur->row_of);
    if (cur->items == NULL || cur->row_of == NULL)
        return SQLITE_NOMEM;
    int i = 0, rows = 0;
    for (cJSON *e = cur->texts->child; e != NULL; e = e->next, i++) {
        cur->items[i] = e;
        if (cJSON_IsNull(e)) {
            cur->row_of[i] = -1;
            continue;
        }
        if (!cJSON_IsString(e)) {
            char msg[100];
            snprintf(msg, sizeof msg, "element %d of the texts is not a string", i);
            return cursor_fail(cur, msg);
        }
        cur->row_of[i] = rows++;
    }
    cur->n = n;
    return embed_all(cur, vt->db, vt->reg->entries[ci].client, input_type);
}

static int each_next(sqlite3_vtab_cursor *base) {
    ((each_cursor *)base)->i++;
    return SQLITE_OK;
}

static int each_eof(sqlite3_vtab_cursor *base) {
    each_cursor *cur = (each_cursor *)base;
    return cur->i >= cur->n;
}

static int each_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
    each_cursor *cur = (each_cursor *)base;
    int i = cur->i, row = cur->row_of[i];
    switch (col) {
        case COL_KEY:
            sqlite3_result_int(ctx, i);
            break;
        case COL_TEXT:
            if (row >= 0)
                sqlite3_result_text(ctx, cur->items[i]->valuestring, -1, SQLITE_TRANSIENT);
            break;
        case COL_EMBEDDING:
            if (row >= 0) {
                size_t dim = (size_t)cur->vectors.dim;
                sqlite3_result_blob64(ctx, cur->vectors.data + (size_t)row * dim,
                                      dim * sizeof(float), SQLITE_TRANSIENT);
                sqlite3_result_subtype(ctx, STRATA_SUBTYPE_F32);
            }
            break;
        default:
            break;
    }
    return SQLITE_OK;
}

static int each_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = ((each_cursor *)base)->i;
    return SQLITE_OK;
}

const sqlite3_module rembed_each_module = {
    .iVersion = 1,
    .xConnect = each_connect,
    .xBestIndex = each_best_index,
    .xDisconnect = each_disconnect,
    .xDestroy = each_disconnect,
    .xOpen = each_open,
    .xClose = each_close,
    .xFilter = each_filter,
    .xNext = each_next,
    .xEof = each_eof,
    .xColumn = each_column,
    .xRowid = each_rowid,
};
