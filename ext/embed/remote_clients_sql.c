/*
** ext/embed (remote): temp.rembed_clients(name, options), the connection's named clients.
**
**   INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'openai');
**   INSERT INTO temp.rembed_clients(name, options)
**     VALUES ('c', rembed_client_options('format', 'ollama', 'model', 'all-minilm'));
**   UPDATE temp.rembed_clients SET options = json_set(options, '$.timeout_ms', 5000) ...;
**   DELETE FROM temp.rembed_clients WHERE name = 'c';
**
** options is a format name (the client's name is the model) or a JSON object, such as
** rembed_client_options() returns. SELECT shows options with secrets redacted; an
** UPDATE that passes them back keeps the old secrets. The table is SQLITE_VTAB_DIRECTONLY.
*/
#include "common/error_sql.h"
#include "common/vtab_sql.h"
#include "common/guard_sql.h"
#include "embed/remote_sql.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct clients_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
    rembed_registry *reg;
} clients_vtab;

static int clients_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                           sqlite3_vtab **out, char **err) {
    int rc = strata_vtab_connect(db, "CREATE TABLE x(name TEXT, options TEXT)",
                                 sizeof(clients_vtab), SQLITE_VTAB_DIRECTONLY, out);
    if (rc != SQLITE_OK)
        return rc;
    clients_vtab *vt = (clients_vtab *)*out;
    vt->db = db;
    vt->reg = aux;
    rembed_registry_ref(vt->reg);
    return SQLITE_OK;
}

static int clients_disconnect(sqlite3_vtab *base) {
    clients_vtab *vt = (clients_vtab *)base;
    rembed_registry_unref(vt->reg);
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int clients_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    info->estimatedCost = 10;
    info->estimatedRows = 10;
    return SQLITE_OK;
}

static int clients_eof(sqlite3_vtab_cursor *cur) {
    clients_vtab *vt = (clients_vtab *)cur->pVtab;
    return strata_row(cur) >= vt->reg->n;
}

static int clients_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
    clients_vtab *vt = (clients_vtab *)cur->pVtab;
    int i = strata_row(cur);
    if (i >= vt->reg->n)
        return SQLITE_OK;
    rembed_client *c = vt->reg->entries[i].client;
    if (col == 0) {
        sqlite3_result_text(ctx, c->name, -1, SQLITE_TRANSIENT);
    } else if (!sqlite3_vtab_nochange(ctx)) {
        /* Under UPDATE, an options column left unchanged is not computed: xUpdate keeps the
        ** client's settings (and secrets) as they are. */
        char *json = rembed_config_json(&c->cfg);
        if (json == NULL)
            return SQLITE_NOMEM;
        sqlite3_result_text(ctx, json, -1, SQLITE_TRANSIENT);
        free(json);
    }
    return SQLITE_OK;
}

static int clients_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    clients_vtab *vt = (clients_vtab *)cur->pVtab;
    int i = strata_row(cur);
    *rowid = i < vt->reg->n ? vt->reg->entries[i].id : 0;
    return SQLITE_OK;
}

static int fail(sqlite3_vtab *base, const char *fmt, const char *detail) {
    return strata_vtab_error(base, "rembed_clients", fmt, detail);
}
/* Settings from an options value; old (may be NULL) supplies redacted secrets. */
static int config_from_value(sqlite3_value *v, const char *name, const rembed_config *old,
                             rembed_config *cfg, char *err, size_t errlen) {
    rembed_config_init(cfg);
    const char *text = (const char *)sqlite3_value_text(v);
    int rc;
    if (text == NULL) {
        snprintf(err, errlen, "options of client '%.100s' must not be NULL", name);
        return -1;
    }
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '{') {
        rc = rembed_config_set_json(cfg, text, old, err, errlen);
    } else {
        rc = rembed_config_set(cfg, "format", text, err, errlen);
        if (rc == 0 && cfg->format->needs_model)
            rc = rembed_config_set(cfg, "model", name, err, errlen);
    }
    if (rc == 0)
        rc = rembed_config_finish(cfg, err, errlen);
    if (rc != 0)
        rembed_config_free(cfg);
    return rc;
}

static int make_client(sqlite3_vtab *base, sqlite3_value *options, const char *name,
                       const rembed_config *old, rembed_client **out) {
    char err[REMBED_ERR_SIZE];
    rembed_config cfg;
    if (config_from_value(options, name, old, &cfg, err, sizeof err) != 0)
        return fail(base, "%s", err);
    *out = rembed_client_new(name, &cfg, err, sizeof err);
    return *out ? SQLITE_OK : fail(base, "%s", err);
}

static int clients_insert(clients_vtab *vt, const char *name, sqlite3_value *options,
                          sqlite3_int64 *rowid) {
    rembed_registry *r = vt->reg;
    int existing = rembed_registry_find(r, name, 0);
    if (existing >= 0 && sqlite3_vtab_on_conflict(vt->db) != SQLITE_REPLACE)
        return fail(&vt->base, "client '%.100s' already exists (UPDATE or DELETE it first)", name);
    if (existing < 0 && r->n >= REMBED_MAX_CLIENTS)
        return fail(&vt->base, "too many clients (at most %s)", "1000");
    rembed_client *c;
    int rc = make_client(&vt->base, options, name, NULL, &c);
    if (rc != SQLITE_OK)
        return rc;
    if (existing >= 0) {
        rembed_client_free(r->entries[existing].client);
        r->entries[existing].client = c;
        *rowid = r->entries[existing].id;
        return SQLITE_OK;
    }
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        rembed_entry *grown = sqlite3_realloc64(r->entries, (sqlite3_uint64)cap * sizeof *grown);
        if (grown == NULL) {
            rembed_client_free(c);
            return SQLITE_NOMEM;
        }
        r->entries = grown;
        r->cap = cap;
    }
    r->entries[r->n].id = r->next_id++;
    r->entries[r->n].client = c;
    *rowid = r->entries[r->n].id;
    r->n++;
    return SQLITE_OK;
}

static int clients_update_row(clients_vtab *vt, sqlite3_int64 id, const char *name,
                              sqlite3_value *options) {
    rembed_registry *r = vt->reg;
    int i = rembed_registry_find(r, NULL, id);
    if (i < 0)
        return SQLITE_OK;
    int other = rembed_registry_find(r, name, 0);
    if (other >= 0 && other != i)
        return fail(&vt->base, "client '%.100s' already exists", name);
    rembed_client *old = r->entries[i].client;
    if (sqlite3_value_nochange(options)) {
        if (strcmp(old->name, name) == 0)
            return SQLITE_OK;
        char *copy = strdup(name);
        if (copy == NULL)
            return SQLITE_NOMEM;
        free(old->name);
        old->name = copy;
        return SQLITE_OK;
    }
    rembed_client *c;
    int rc = make_client(&vt->base, options, name, &old->cfg, &c);
    if (rc != SQLITE_OK)
        return rc;
    c->usage = old->usage; /* the counters follow the name across new settings */
    rembed_client_free(old);
    r->entries[i].client = c;
    return SQLITE_OK;
}

static int clients_delete(clients_vtab *vt, sqlite3_int64 id) {
    rembed_registry *r = vt->reg;
    int i = rembed_registry_find(r, NULL, id);
    if (i < 0)
        return SQLITE_OK;
    rembed_client_free(r->entries[i].client);
    memmove(r->entries + i, r->entries + i + 1, (size_t)(r->n - i - 1) * sizeof *r->entries);
    r->n--;
    return SQLITE_OK;
}

static int clients_update(sqlite3_vtab *base, int argc, sqlite3_value **argv,
                          sqlite3_int64 *rowid) {
    clients_vtab *vt = (clients_vtab *)base;
    const char *refusal = strata_guard_refusal(vt->db);
    if (refusal != NULL)
        return fail(base, "registries are locked on this connection: %s", refusal);
    if (argc == 1)
        return clients_delete(vt, sqlite3_value_int64(argv[0]));
    const char *name = (const char *)sqlite3_value_text(argv[2]);
    if (name == NULL || name[0] == '\0')
        return fail(base, "%s", "client name must be non-empty text");
    if (strlen(name) > 256)
        return fail(base, "%s", "client name longer than 256 bytes");
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        if (sqlite3_value_type(argv[1]) != SQLITE_NULL)
            return fail(base, "%s", "rowids are assigned by the table");
        return clients_insert(vt, name, argv[3], rowid);
    }
    sqlite3_int64 id = sqlite3_value_int64(argv[0]);
    if (sqlite3_value_int64(argv[1]) != id)
        return fail(base, "%s", "rowids cannot change");
    return clients_update_row(vt, id, name, argv[3]);
}

/* Eponymous: temp.rembed_clients exists on every connection without a CREATE at load time,
** which a read-only or query_only connection would refuse. It lives in main, which SQLite does
** not let a read-only connection write: there an operator creates a temp table of the module
** (as sqlite-rembed did), which shares the connection's registry. */
const sqlite3_module rembed_clients_module = {
    .iVersion = 1,
    .xCreate = clients_connect,
    .xConnect = clients_connect,
    .xBestIndex = clients_best_index,
    .xDisconnect = clients_disconnect,
    .xDestroy = clients_disconnect,
    .xOpen = strata_row_cursor_open,
    .xClose = strata_vtab_cursor_close,
    .xFilter = strata_row_cursor_filter,
    .xNext = strata_row_cursor_next,
    .xEof = clients_eof,
    .xColumn = clients_column,
    .xRowid = clients_rowid,
    .xUpdate = clients_update,
};
