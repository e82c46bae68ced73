/*
** ext/vec: the vec0 virtual table's methods but writes: creation, the storage schema (see
** vec0_sql.h), query planning (KNN, point lookup, full scan), cursors and column values.
** vec0_module_sql.c joins them with xUpdate into the module.
*/
#include "common/error_sql.h"
#include "vec/scalar_sql.h"
#include "vec/vec0_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SQLITE_INDEX_CONSTRAINT_OFFSET
#define SQLITE_INDEX_CONSTRAINT_OFFSET 74
#endif
#ifndef SQLITE_INDEX_CONSTRAINT_LIMIT
#define SQLITE_INDEX_CONSTRAINT_LIMIT 73
#endif

/* ---- create / connect ---------------------------------------------------------------------- */

static void vtab_free(vec0_vtab *v) {
    if (v == NULL)
        return;
    sqlite3_finalize(v->st_lookup);
    sqlite3_finalize(v->st_lookup_id);
    sqlite3_finalize(v->spare_lookup);
    vec0_cache_clear(v);
    sqlite3_free(v->centroids);
    vec0_graph_free(v);
    vec0_image_free(v);
    sqlite3_free(v->schema);
    sqlite3_free(v->name);
    sqlite3_free(v);
}

static int declare(vec0_vtab *v) {
    const vec0_schema *s = &v->s;
    char *sql;
    int n = 0;
    if (s->pk >= 0) {
        sql = sqlite3_mprintf("CREATE TABLE x(\"%w\"", s->cols[s->pk].name);
        v->decl_col[n++] = s->pk;
    } else {
        sql = sqlite3_mprintf("CREATE TABLE x(rowid");
        v->decl_col[n++] = -1;
    }
    for (int i = 0; sql && i < s->ncols; i++) {
        if (i == s->pk)
            continue;
        char *next = sqlite3_mprintf("%s, \"%w\"", sql, s->cols[i].name);
        sqlite3_free(sql);
        sql = next;
        v->decl_col[n++] = i;
    }
    v->ndecl = n;
    /* The command column is named after the table, unless a column already has that name
    ** (sqlite-vec users write `CREATE VIRTUAL TABLE embedding USING vec0(embedding float[4])`):
    ** such a table has no command column. */
    int clash = sqlite3_stricmp(v->name, "distance") == 0 || sqlite3_stricmp(v->name, "k") == 0 ||
                (s->pk < 0 && sqlite3_stricmp(v->name, "rowid") == 0);
    for (int i = 0; i < s->ncols; i++)
        clash |= sqlite3_stricmp(v->name, s->cols[i].name) == 0;
    v->col_cmd = clash ? -1 : n;
    v->col_distance = clash ? n : n + 1;
    v->col_k = v->col_distance + 1;
    if (sql) {
        char *next =
            clash ? sqlite3_mprintf("%s, distance HIDDEN, k HIDDEN)", sql)
                  : sqlite3_mprintf("%s, \"%w\" HIDDEN, distance HIDDEN, k HIDDEN)", sql, v->name);
        sqlite3_free(sql);
        sql = next;
    }
    if (sql == NULL)
        return SQLITE_NOMEM;
    int rc = sqlite3_declare_vtab(v->db, sql);
    sqlite3_free(sql);
    return rc;
}

/* Creates the covering index of metadata column `slot`. Index names do not follow a table
** through ALTER TABLE RENAME, so when the plain name is taken (by a renamed table's index) a
** random suffix makes it unique. */
static int metadata_index(vec0_vtab *v, int slot) {
    const char *fmt =
        "CREATE INDEX \"%w\".\"%w_rowids_metadata%02d%s\" ON \"%w_rowids\"(metadata%02d, "
        "chunk_id, chunk_offset)";
    int rc = vec0_exec(v, fmt, v->schema, v->name, slot, "", v->name, slot);
    for (int attempt = 0; rc != SQLITE_OK && attempt < 3; attempt++) {
        unsigned r;
        char suffix[16];
        sqlite3_randomness(sizeof r, &r);
        snprintf(suffix, sizeof suffix, "_%08x", r);
        rc = vec0_exec(v, fmt, v->schema, v->name, slot, suffix, v->name, slot);
    }
    return rc;
}

static int create_shadow_tables(vec0_vtab *v) {
    const vec0_schema *s = &v->s;
    const char *db = v->schema, *t = v->name;
    int rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_info\"(key TEXT PRIMARY KEY, value ANY);"
                       "INSERT INTO \"%w\".\"%w_info\" VALUES ('format', 'strata-vec 2');",
                       db, t, db, t);
    /* chunks: small columns first so scans never load the blobs they do not use */
    char *cols = sqlite3_mprintf("%s", "");
    for (int i = 0; cols && i < s->npartitions; i++) {
        char *next = sqlite3_mprintf("%spartition%02d, ", cols, i);
        sqlite3_free(cols);
        cols = next;
    }
    if (cols == NULL)
        return SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_chunks\"(chunk_id INTEGER PRIMARY KEY, "
                       "size INTEGER NOT NULL, count INTEGER NOT NULL, %s"
                       "validity BLOB NOT NULL)",
                       db, t, cols);
    /* the 8-byte-per-slot rowid arrays live apart, so updating a chunk's count and bitmap
    ** rewrites a small record */
    if (rc == SQLITE_OK)
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_chunkrowids\"(rowid INTEGER PRIMARY KEY, "
                       "rowids BLOB NOT NULL)",
                       db, t);
    sqlite3_free(cols);
    cols = sqlite3_mprintf("%s", "");
    for (int i = 0; cols && i < s->nmetadata; i++) {
        char *next = sqlite3_mprintf("%s, metadata%02d", cols, i);
        sqlite3_free(cols);
        cols = next;
    }
    if (cols == NULL)
        return SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = vec0_exec(
            v,
            "CREATE TABLE \"%w\".\"%w_rowids\"(rowid INTEGER PRIMARY KEY, id %s, "
            "chunk_id INTEGER NOT NULL, chunk_offset INTEGER NOT NULL%s)",
            db, t, s->pk >= 0 && s->cols[s->pk].value_type == VEC0_TEXT ? "TEXT UNIQUE" : "", cols);
    sqlite3_free(cols);
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++)
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_vectorchunks%02d\"(rowid INTEGER PRIMARY KEY, "
                       "vectors BLOB NOT NULL)",
                       db, t, i);
    /* covering indexes: a metadata filter reads positions without touching the rows */
    for (int i = 0; rc == SQLITE_OK && i < s->nmetadata; i++)
        rc = metadata_index(v, i);
    if (rc == SQLITE_OK && s->naux > 0) {
        cols = sqlite3_mprintf("%s", "");
        for (int i = 0; cols && i < s->naux; i++) {
            char *next = sqlite3_mprintf("%s, value%02d", cols, i);
            sqlite3_free(cols);
            cols = next;
        }
        if (cols == NULL)
            return SQLITE_NOMEM;
        rc = vec0_exec(v, "CREATE TABLE \"%w\".\"%w_auxiliary\"(rowid INTEGER PRIMARY KEY%s)", db,
                       t, cols);
        sqlite3_free(cols);
    }
    if (rc == SQLITE_OK)
        rc = vec0_index_create(v);
    return rc;
}

static int vec0_init(sqlite3 *db, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **pzErr, int create) {
    char msg[300];
    vec0_vtab *v = sqlite3_malloc(sizeof *v);
    if (v == NULL)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->db = db;
    v->schema = sqlite3_mprintf("%s", argv[1]);
    v->name = sqlite3_mprintf("%s", argv[2]);
    if (v->schema == NULL || v->name == NULL) {
        vtab_free(v);
        return SQLITE_NOMEM;
    }
    if (strlen(v->name) > VEC0_NAME_MAX) {
        *pzErr = sqlite3_mprintf("vec0: table name too long");
        vtab_free(v);
        return SQLITE_ERROR;
    }
    if (vec0_schema_parse(&v->s, argc - 3, argv + 3, msg, sizeof msg) != 0) {
        *pzErr = strata_mprintf_error("vec0 constructor error", "%s", msg);
        vtab_free(v);
        return SQLITE_ERROR;
    }
    /* an ivf cluster holds about sqrt(rows) rows: smaller chunks waste fewer empty slots */
    if (v->s.ivf_column >= 0 && !v->s.chunk_size_given)
        v->s.chunk_size = VEC0_IVF_CHUNK;
    int rc = declare(v);
    if (create && vec0_export_creating(db, v->schema, v->name)) {
        v->foreign = 1; /* the copy an export writes, in sqlite-vec's layout */
        if (rc == SQLITE_OK)
            rc = vec0_create_sqlite_vec_tables(v);
    } else if (rc == SQLITE_OK && create) {
        rc = create_shadow_tables(v);
    }
    v->format_checked = create;
    if (rc != SQLITE_OK) {
        *pzErr = sqlite3_mprintf("vec0: cannot create table: %s", sqlite3_errmsg(db));
        vtab_free(v);
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
    *out = &v->base;
    return SQLITE_OK;
}

int vec0_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                char **pzErr) {
    return vec0_init(db, argc, argv, out, pzErr, 1);
}

int vec0_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                 char **pzErr) {
    return vec0_init(db, argc, argv, out, pzErr, 0);
}

int vec0_disconnect(sqlite3_vtab *vt) {
    vtab_free((vec0_vtab *)vt);
    return SQLITE_OK;
}

int vec0_destroy(sqlite3_vtab *vt) {
    vec0_vtab *v = (vec0_vtab *)vt;
    static const char *fixed[] = {"info", "chunks", "chunkrowids", "rowids", "auxiliary"};
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof fixed / sizeof fixed[0]; i++)
        rc = vec0_exec(v, "DROP TABLE IF EXISTS \"%w\".\"%w_%s\"", v->schema, v->name, fixed[i]);
    for (int i = 0; rc == SQLITE_OK && i < v->s.nvectors; i++)
        rc = vec0_exec(v, "DROP TABLE IF EXISTS \"%w\".\"%w_vectorchunks%02d\"", v->schema, v->name,
                       i);
    if (rc == SQLITE_OK)
        rc = vec0_index_destroy(v);
    /* a table sqlite-vec created also has these */
    for (int i = 0; rc == SQLITE_OK && v->foreign && i < VEC0_MAX_METADATA; i++)
        rc = vec0_exec(v,
                       "DROP TABLE IF EXISTS \"%w\".\"%w_vector_chunks%02d\";"
                       "DROP TABLE IF EXISTS \"%w\".\"%w_metadatachunks%02d\";"
                       "DROP TABLE IF EXISTS \"%w\".\"%w_metadatatext%02d\";",
                       v->schema, v->name, i, v->schema, v->name, i, v->schema, v->name, i);
    if (rc == SQLITE_OK)
        vtab_free(v);
    return rc;
}

int vec0_rename(sqlite3_vtab *vt, const char *newname) {
    vec0_vtab *v = (vec0_vtab *)vt;
    if (strlen(newname) > VEC0_NAME_MAX)
        return vec0_error(v, "table name too long");
    int frc = vec0_check_format(v);
    if (frc != SQLITE_OK)
        return frc;
    if (v->foreign)
        return vec0_foreign_error(v, "rename it");
    static const char *fixed[] = {"info", "chunks", "chunkrowids", "rowids"};
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof fixed / sizeof fixed[0]; i++)
        rc = vec0_exec(v, "ALTER TABLE \"%w\".\"%w_%s\" RENAME TO \"%w_%s\"", v->schema, v->name,
                       fixed[i], newname, fixed[i]);
    if (rc == SQLITE_OK && v->s.naux > 0)
        rc = vec0_exec(v, "ALTER TABLE \"%w\".\"%w_auxiliary\" RENAME TO \"%w_auxiliary\"",
                       v->schema, v->name, newname);
    for (int i = 0; rc == SQLITE_OK && i < v->s.nvectors; i++)
        rc = vec0_exec(v,
                       "ALTER TABLE \"%w\".\"%w_vectorchunks%02d\" RENAME TO "
                       "\"%w_vectorchunks%02d\"",
                       v->schema, v->name, i, newname, i);
    if (rc == SQLITE_OK)
        rc = vec0_index_rename(v, newname);
    if (rc != SQLITE_OK)
        return vec0_error(v, "cannot rename: %s", sqlite3_errmsg(v->db));
    char *n = sqlite3_mprintf("%s", newname);
    if (n == NULL)
        return SQLITE_NOMEM;
    sqlite3_free(v->name);
    v->name = n;
    sqlite3_finalize(v->st_lookup);
    sqlite3_finalize(v->st_lookup_id);
    sqlite3_finalize(v->spare_lookup);
    v->st_lookup = v->st_lookup_id = v->spare_lookup = NULL;
    vec0_cache_clear(v);
    return SQLITE_OK;
}

/* ---- planning ------------------------------------------------------------------------------ */

/* The plan's comparison for a constraint operator, or -1 for one the plan leaves to SQLite. */
static int plan_op(int op) {
    switch (op) {
        case SQLITE_INDEX_CONSTRAINT_EQ:
            return VEC0_EQ;
        case SQLITE_INDEX_CONSTRAINT_NE:
            return VEC0_NE;
        case SQLITE_INDEX_CONSTRAINT_LT:
            return VEC0_LT;
        case SQLITE_INDEX_CONSTRAINT_LE:
            return VEC0_LE;
        case SQLITE_INDEX_CONSTRAINT_GT:
            return VEC0_GT;
        case SQLITE_INDEX_CONSTRAINT_GE:
            return VEC0_GE;
    }
    return -1;
}

static int in_supported(void) {
    return sqlite3_libversion_number() >= 3038000;
}

int vec0_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    vec0_vtab *v = (vec0_vtab *)vt;
    int match = -1, kc = -1, limit = -1, offset = -1, key_eq = -1, k_unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->op == SQLITE_INDEX_CONSTRAINT_MATCH) {
            int col = c->iColumn;
            int sc = col >= 0 && col < v->ndecl ? v->decl_col[col] : -1;
            if (sc < 0 || v->s.cols[sc].kind != VEC0_VECTOR)
                return vec0_error(v, "MATCH is only allowed on vector columns");
            if (!c->usable)
                return SQLITE_CONSTRAINT;
            if (match >= 0)
                return vec0_error(v, "only 1 MATCH operator is allowed in a single vec0 query");
            match = i;
        } else if (c->iColumn == v->col_k && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (c->usable)
                kc = i;
            else
                k_unusable = 1;
        } else if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
            limit = i;
        } else if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
            offset = i;
        } else if (c->usable && (c->iColumn == 0 || c->iColumn == -1) &&
                   c->op == SQLITE_INDEX_CONSTRAINT_EQ && key_eq < 0) {
            key_eq = i;
        }
    }
    char *idx = sqlite3_malloc(VEC0_PLAN_TOKEN * (info->nConstraint + 2) + 1);
    if (idx == NULL)
        return SQLITE_NOMEM;
    int nargs = 0;
    size_t n = 0;
#define ADD_ARG(i, kind, col, op)                                                                  \
    do {                                                                                           \
        info->aConstraintUsage[i].argvIndex = ++nargs;                                             \
        info->aConstraintUsage[i].omit = 1;                                                        \
        vec0_plan_encode(&(vec0_plan_arg){(kind), (col), (vec0_op)(op)}, idx + n);                 \
        n += VEC0_PLAN_TOKEN;                                                                      \
    } while (0)
    if (match >= 0) {
        if (kc < 0 && limit < 0) {
            sqlite3_free(idx);
            /* k taken from a table joined later: this plan is impossible, another one is not */
            if (k_unusable)
                return SQLITE_CONSTRAINT;
            return vec0_error(v, "a LIMIT or 'k = ?' constraint is required on vec0 knn queries");
        }
        ADD_ARG(match, VEC0_ARG_MATCH, info->aConstraint[match].iColumn, VEC0_EQ);
        if (kc >= 0) {
            ADD_ARG(kc, VEC0_ARG_K, 0, VEC0_EQ);
        } else {
            ADD_ARG(limit, VEC0_ARG_LIMIT, 0, VEC0_EQ);
            if (offset >= 0) {
                /* LIMIT n OFFSET m needs the n + m nearest; SQLite then skips m of them */
                ADD_ARG(offset, VEC0_ARG_OFFSET, 0, VEC0_EQ);
                info->aConstraintUsage[offset].omit = 0;
            }
        }
        for (int i = 0; i < info->nConstraint; i++) {
            const struct sqlite3_index_constraint *c = &info->aConstraint[i];
            if (!c->usable || i == match || i == kc || i == limit || i == offset)
                continue;
            int op = plan_op(c->op);
            int col = c->iColumn;
            if (op < 0)
                continue;
            if (col == -1 || col == 0) {
                if (op != VEC0_EQ)
                    continue;
                if (in_supported() && sqlite3_vtab_in(info, i, -1)) {
                    sqlite3_vtab_in(info, i, 1);
                    ADD_ARG(i, VEC0_ARG_KEY_IN, 0, VEC0_EQ);
                } else {
                    ADD_ARG(i, VEC0_ARG_KEY, 0, VEC0_EQ);
                }
                continue;
            }
            if (col == v->col_distance && op != VEC0_EQ && op != VEC0_NE) {
                ADD_ARG(i, VEC0_ARG_DISTANCE, 0, op); /* distance bound: checked before the heap */
                continue;
            }
            if (col >= v->ndecl)
                continue;
            const vec0_column *sc = &v->s.cols[v->decl_col[col]];
            if (sc->kind == VEC0_PARTITION) {
                if (op == VEC0_EQ && in_supported() && sqlite3_vtab_in(info, i, -1)) {
                    sqlite3_vtab_in(info, i, 1);
                    ADD_ARG(i, VEC0_ARG_PARTITION_IN, col, VEC0_EQ);
                } else {
                    ADD_ARG(i, VEC0_ARG_PARTITION, col, op);
                }
            } else if (sc->kind == VEC0_METADATA) {
                if (sc->value_type == VEC0_BOOLEAN && op != VEC0_EQ && op != VEC0_NE)
                    continue; /* left to SQLite */
                if (op == VEC0_EQ && in_supported() && sqlite3_vtab_in(info, i, -1)) {
                    sqlite3_vtab_in(info, i, 1);
                    ADD_ARG(i, VEC0_ARG_METADATA_IN, col, VEC0_EQ);
                } else {
                    ADD_ARG(i, VEC0_ARG_METADATA, col, op);
                }
            }
        }
        info->idxNum = VEC0_PLAN_KNN;
        info->estimatedCost = 10.0;
        info->estimatedRows = 10;
        if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == v->col_distance &&
            !info->aOrderBy[0].desc)
            info->orderByConsumed = 1;
    } else if (key_eq >= 0) {
        ADD_ARG(key_eq, VEC0_ARG_KEY, 0, VEC0_EQ);
        info->idxNum = VEC0_PLAN_POINT;
        info->estimatedCost = 1.0;
        info->estimatedRows = 1;
        info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
    } else {
        info->idxNum = VEC0_PLAN_SCAN;
        info->estimatedCost = 1e7;
        info->estimatedRows = 1000000;
    }
#undef ADD_ARG
    idx[n] = '\0';
    info->idxStr = idx;
    info->needToFreeIdxStr = 1;
    return SQLITE_OK;
}

/* ---- cursors ------------------------------------------------------------------------------- */

int vec0_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    vec0_cursor *c = sqlite3_malloc(sizeof *c);
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    /* a query opens a cursor each time it runs: its row lookup is kept from the last one */
    vec0_vtab *v = (vec0_vtab *)vt;
    c->lookup = v->spare_lookup;
    v->spare_lookup = NULL;
    *out = &c->base;
    return SQLITE_OK;
}

static void cursor_reset(vec0_cursor *c) {
    sqlite3_finalize(c->scan);
    c->scan = NULL;
    c->row = NULL;
    vec_topk_free(&c->heap);
    c->pos = 0;
    c->eof = 1;
    c->aux_for = c->part_for = -1;
    c->aux_ok = c->part_ok = 0;
}

int vec0_close(sqlite3_vtab_cursor *cur) {
    vec0_cursor *c = (vec0_cursor *)cur;
    cursor_reset(c);
    vec0_vtab *v = (vec0_vtab *)cur->pVtab;
    if (v->spare_lookup == NULL && c->lookup) {
        sqlite3_reset(c->lookup);
        v->spare_lookup = c->lookup;
    } else {
        sqlite3_finalize(c->lookup);
    }
    sqlite3_finalize(c->aux);
    sqlite3_finalize(c->part);
    for (int i = 0; i < VEC0_MAX_VECTORS; i++)
        sqlite3_blob_close(c->blobs[i]);
    sqlite3_free(c);
    return SQLITE_OK;
}

/* The column list of c->row statements. */
static char *row_columns(const vec0_vtab *v) {
    char *cols = sqlite3_mprintf("rowid, id, chunk_id, chunk_offset");
    for (int i = 0; cols && !v->foreign && i < v->s.nmetadata; i++) {
        char *next = sqlite3_mprintf("%s, metadata%02d", cols, i);
        sqlite3_free(cols);
        cols = next;
    }
    return cols;
}

/* KNN: positions c->row on the heap item at c->pos (skipping rows deleted meanwhile). */
static int knn_position(vec0_cursor *c) {
    vec0_vtab *v = (vec0_vtab *)c->base.pVtab;
    int rc = SQLITE_OK;
    if (c->lookup == NULL) {
        char *cols = row_columns(v);
        if (cols == NULL)
            return SQLITE_NOMEM;
        rc = vec0_prepare(v, &c->lookup, "SELECT %s FROM \"%w\".\"%w_rowids\" WHERE rowid = ?",
                          cols, v->schema, v->name);
        sqlite3_free(cols);
        if (rc != SQLITE_OK)
            return rc;
    }
    while (c->pos < c->heap.n) {
        sqlite3_reset(c->lookup);
        sqlite3_bind_int64(c->lookup, 1, c->heap.items[c->pos].rowid);
        rc = sqlite3_step(c->lookup);
        if (rc == SQLITE_ROW) {
            c->row = c->lookup;
            c->distance = c->heap.items[c->pos].distance;
            c->eof = 0;
            return SQLITE_OK;
        }
        if (rc != SQLITE_DONE)
            return rc;
        c->pos++;
    }
    c->eof = 1;
    return SQLITE_OK;
}

int vec0_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                sqlite3_value **argv) {
    vec0_cursor *c = (vec0_cursor *)cur;
    vec0_vtab *v = (vec0_vtab *)cur->pVtab;
    cursor_reset(c);
    c->plan = idxNum;
    int rc = vec0_check_format(v);
    if (rc != SQLITE_OK)
        return rc;
    if (idxNum == VEC0_PLAN_KNN) {
        rc = vec0_knn(c, idxStr, argc, argv);
        if (rc != SQLITE_OK)
            return rc;
        return knn_position(c);
    }
    char *cols = row_columns(v);
    if (cols == NULL)
        return SQLITE_NOMEM;
    if (idxNum == VEC0_PLAN_POINT) {
        int text_key = v->s.pk >= 0 && v->s.cols[v->s.pk].value_type == VEC0_TEXT;
        rc = vec0_prepare(v, &c->scan, "SELECT %s FROM \"%w\".\"%w_rowids\" WHERE %s = ?", cols,
                          v->schema, v->name, text_key ? "id" : "rowid");
        if (rc == SQLITE_OK && argc > 0)
            sqlite3_bind_value(c->scan, 1, argv[0]);
    } else {
        rc = vec0_prepare(v, &c->scan, "SELECT %s FROM \"%w\".\"%w_rowids\" ORDER BY rowid", cols,
                          v->schema, v->name);
    }
    sqlite3_free(cols);
    if (rc != SQLITE_OK)
        return rc;
    c->row = c->scan;
    rc = sqlite3_step(c->scan);
    c->eof = rc != SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int vec0_next(sqlite3_vtab_cursor *cur) {
    vec0_cursor *c = (vec0_cursor *)cur;
    if (c->plan == VEC0_PLAN_KNN) {
        c->pos++;
        return knn_position(c);
    }
    int rc = sqlite3_step(c->scan);
    c->eof = rc != SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int vec0_eof(sqlite3_vtab_cursor *cur) {
    return ((vec0_cursor *)cur)->eof;
}

int vec0_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid) {
    *rowid = sqlite3_column_int64(((vec0_cursor *)cur)->row, 0);
    return SQLITE_OK;
}

/* Positions the per-row statement `st` (SELECT cols FROM table WHERE key = ?) on `key`. */
static int side_row(vec0_cursor *c, sqlite3_stmt **st, sqlite3_int64 *for_key, int *ok,
                    sqlite3_int64 key, const char *what) {
    vec0_vtab *v = (vec0_vtab *)c->base.pVtab;
    int rc = SQLITE_OK;
    if (*for_key == key && *st)
        return SQLITE_OK;
    if (*st == NULL) {
        const vec0_schema *s = &v->s;
        int aux = strcmp(what, "auxiliary") == 0;
        int count = aux ? s->naux : s->npartitions;
        char *cols = sqlite3_mprintf("%s", "NULL");
        for (int i = 0; cols && i < count; i++) {
            char *next = sqlite3_mprintf("%s, %s%02d", cols, aux ? "value" : "partition", i);
            sqlite3_free(cols);
            cols = next;
        }
        if (cols == NULL)
            return SQLITE_NOMEM;
        rc = vec0_prepare(v, st, "SELECT %s FROM \"%w\".\"%w_%s\" WHERE %s = ?", cols, v->schema,
                          v->name, what, aux ? "rowid" : "chunk_id");
        sqlite3_free(cols);
        if (rc != SQLITE_OK)
            return rc;
    }
    sqlite3_reset(*st);
    sqlite3_bind_int64(*st, 1, key);
    rc = sqlite3_step(*st);
    *ok = rc == SQLITE_ROW;
    *for_key = key;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A metadata value of a table created by sqlite-vec: per chunk, a bitmap (boolean), int64 or
** double array, or 16-byte text views (4-byte length, 12-byte prefix; longer texts whole in
** T_metadatatextNN by rowid). */
static int foreign_metadata(vec0_vtab *v, sqlite3_context *ctx, const vec0_column *col,
                            sqlite3_int64 rowid, sqlite3_int64 chunk_id, int offset) {
    sqlite3_stmt *st;
    int rc =
        vec0_prepare(v, &st, "SELECT data FROM \"%w\".\"%w_metadatachunks%02d\" WHERE rowid = ?",
                     v->schema, v->name, col->slot);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, chunk_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return SQLITE_OK; /* NULL */
    }
    const unsigned char *p = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    size_t width = col->value_type == VEC0_TEXT ? 16 : 8;
    int bad = offset < 0 || p == NULL;
    if (!bad && col->value_type == VEC0_BOOLEAN) {
        bad = (size_t)offset / 8 >= n;
        if (!bad)
            sqlite3_result_int(ctx, p[offset / 8] >> (offset % 8) & 1);
    } else if (!bad) {
        bad = (size_t)offset * width + width > n;
        if (!bad && col->value_type == VEC0_INTEGER) {
            sqlite3_int64 x;
            memcpy(&x, p + 8 * (size_t)offset, 8);
            sqlite3_result_int64(ctx, x);
        } else if (!bad && col->value_type == VEC0_FLOAT) {
            double x;
            memcpy(&x, p + 8 * (size_t)offset, 8);
            sqlite3_result_double(ctx, x);
        } else if (!bad) {
            const unsigned char *view = p + 16 * (size_t)offset;
            unsigned len = (unsigned)view[0] | (unsigned)view[1] << 8 | (unsigned)view[2] << 16 |
                           (unsigned)view[3] << 24;
            if (len <= 12) {
                sqlite3_result_text(ctx, (const char *)view + 4, (int)len, SQLITE_TRANSIENT);
            } else {
                sqlite3_stmt *t;
                rc = vec0_prepare(v, &t,
                                  "SELECT data FROM \"%w\".\"%w_metadatatext%02d\" WHERE rowid = ?",
                                  v->schema, v->name, col->slot);
                if (rc == SQLITE_OK) {
                    sqlite3_bind_int64(t, 1, rowid);
                    if (sqlite3_step(t) == SQLITE_ROW)
                        sqlite3_result_value(ctx, sqlite3_column_value(t, 0));
                    rc = sqlite3_finalize(t);
                }
            }
        }
    }
    sqlite3_finalize(st);
    if (bad)
        return vec0_error(v, "corrupt metadata chunk %lld of column \"%s\"", (long long)chunk_id,
                          col->name);
    return rc;
}

int vec0_xcolumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
    vec0_cursor *c = (vec0_cursor *)cur;
    vec0_vtab *v = (vec0_vtab *)cur->pVtab;
    sqlite3_stmt *row = c->row;
    if (i == v->col_distance) {
        if (c->plan == VEC0_PLAN_KNN)
            sqlite3_result_double(ctx, c->distance);
        return SQLITE_OK;
    }
    if (i >= v->ndecl || i < 0)
        return SQLITE_OK; /* command column and k read as NULL */
    int sc = v->decl_col[i];
    if (sc < 0) {
        sqlite3_result_int64(ctx, sqlite3_column_int64(row, 0));
        return SQLITE_OK;
    }
    const vec0_column *col = &v->s.cols[sc];
    int rc = SQLITE_OK;
    switch (col->kind) {
        case VEC0_PRIMARY_KEY:
            sqlite3_result_value(ctx, sqlite3_column_value(row, col->value_type == VEC0_TEXT));
            break;
        case VEC0_METADATA:
            if (v->foreign)
                rc = foreign_metadata(v, ctx, col, sqlite3_column_int64(row, 0),
                                      sqlite3_column_int64(row, 2), sqlite3_column_int(row, 3));
            else if (col->value_type == VEC0_FLOAT)
                sqlite3_result_double(ctx, sqlite3_column_double(row, 4 + col->slot));
            else
                sqlite3_result_value(ctx, sqlite3_column_value(row, 4 + col->slot));
            break;
        case VEC0_VECTOR: {
            if (sqlite3_vtab_nochange(ctx))
                return SQLITE_OK;
            size_t vb = vec0_vector_bytes(col);
            void *buf = sqlite3_malloc64(vb);
            if (buf == NULL)
                return SQLITE_NOMEM;
            rc = vec0_read_vector(v, &c->blobs[col->slot], col->slot, sqlite3_column_int64(row, 2),
                                  sqlite3_column_int(row, 3), buf);
            if (rc == SQLITE_OK) {
                sqlite3_result_blob64(ctx, buf, vb, sqlite3_free);
                sqlite3_result_subtype(ctx, vec_subtype(col->vtype));
            } else {
                sqlite3_free(buf);
            }
            break;
        }
        case VEC0_AUX:
            if (sqlite3_vtab_nochange(ctx))
                return SQLITE_OK;
            rc = side_row(c, &c->aux, &c->aux_for, &c->aux_ok, sqlite3_column_int64(row, 0),
                          "auxiliary");
            if (rc == SQLITE_OK && c->aux_ok)
                sqlite3_result_value(ctx, sqlite3_column_value(c->aux, 1 + col->slot));
            break;
        case VEC0_PARTITION:
            rc = side_row(c, &c->part, &c->part_for, &c->part_ok, sqlite3_column_int64(row, 2),
                          "chunks");
            if (rc == SQLITE_OK && c->part_ok)
                sqlite3_result_value(ctx, sqlite3_column_value(c->part, 1 + col->slot));
            break;
    }
    return rc;
}
