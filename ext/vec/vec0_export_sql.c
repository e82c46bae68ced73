/*
** ext/vec: the 'export-sqlite-vec:[schema.]name' command, a way back to sqlite-vec.
**
**   INSERT INTO t(t) VALUES ('export-sqlite-vec:out.docs');
**
** creates the vec0 table out.docs with the same columns, stored in sqlite-vec 0.1.9's layout
** (T_info with CREATE_VERSION, T_chunks holding validity and rowids, T_rowids, T_vector_chunksNN,
** T_metadatachunksNN, T_metadatatextNN, T_auxiliary), and copies every row into it, so that
** tools bundling sqlite-vec can read and write the table. The CREATE VIRTUAL TABLE runs nested
** inside the command; a thread-local note tells vec0's xCreate which table it is creating for
** an export, so it lays out sqlite-vec's shadow tables instead of strata's.
**
** sqlite-vec 0.1.9 has no float16 vectors (they are written as float32, which holds them
** exactly), no dot metric, and reads only plain column names ([A-Za-z][A-Za-z0-9_]*): the
** export refuses what it cannot write faithfully.
*/
#include "vec/vec0_sql.h"

#include <stdio.h>
#include <string.h>

/* sqlite-vec's text metadata: 16-byte views of a 4-byte length and a 12-byte prefix */
#define EXPORT_TEXT_VIEW 16
#define EXPORT_TEXT_PREFIX 12

static _Thread_local struct {
    sqlite3 *db;
    const char *schema, *name;
} export_target;

int vec0_export_creating(sqlite3 *db, const char *schema, const char *name) {
    return export_target.db == db && export_target.name &&
           sqlite3_stricmp(schema, export_target.schema) == 0 &&
           sqlite3_stricmp(name, export_target.name) == 0;
}

/* sqlite-vec 0.1.9's shadow tables, as its xCreate makes them. */
int vec0_create_sqlite_vec_tables(vec0_vtab *v) {
    const vec0_schema *s = &v->s;
    const char *db = v->schema, *t = v->name;
    int rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_info\" (key text primary key, value any);"
                       "INSERT INTO \"%w\".\"%w_info\"(key, value) VALUES ('CREATE_VERSION', "
                       "'v0.1.9'), ('CREATE_VERSION_MAJOR', 0), ('CREATE_VERSION_MINOR', 1), "
                       "('CREATE_VERSION_PATCH', 9)",
                       db, t, db, t);
    sqlite3_str *sql = sqlite3_str_new(v->db);
    sqlite3_str_appendf(sql,
                        "CREATE TABLE \"%w\".\"%w_chunks\"(chunk_id INTEGER PRIMARY KEY "
                        "AUTOINCREMENT,size INTEGER NOT NULL,",
                        db, t);
    if (s->npartitions > 0)
        sqlite3_str_appendall(sql, "sequence_id integer,");
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_str_appendf(sql, "partition%02d,", i);
    sqlite3_str_appendall(sql, "validity BLOB NOT NULL,rowids BLOB NOT NULL)");
    char *create = sqlite3_str_finish(sql);
    if (create == NULL)
        return SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = vec0_exec(v, "%s", create);
    sqlite3_free(create);
    int text_pk = s->pk >= 0 && s->cols[s->pk].value_type == VEC0_TEXT;
    if (rc == SQLITE_OK)
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_rowids\"(rowid INTEGER PRIMARY KEY AUTOINCREMENT,"
                       "id%s,chunk_id INTEGER,chunk_offset INTEGER)",
                       db, t, text_pk ? " TEXT UNIQUE NOT NULL" : "");
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++)
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_vector_chunks%02d\"(rowid PRIMARY KEY,vectors "
                       "BLOB NOT NULL)",
                       db, t, i);
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (c->kind != VEC0_METADATA)
            continue;
        rc = vec0_exec(v,
                       "CREATE TABLE \"%w\".\"%w_metadatachunks%02d\"(rowid PRIMARY KEY, data "
                       "BLOB NOT NULL)",
                       db, t, c->slot);
        if (rc == SQLITE_OK && c->value_type == VEC0_TEXT)
            rc = vec0_exec(v,
                           "CREATE TABLE \"%w\".\"%w_metadatatext%02d\"(rowid PRIMARY KEY, data "
                           "TEXT)",
                           db, t, c->slot);
    }
    if (rc == SQLITE_OK && s->naux > 0) {
        sql = sqlite3_str_new(v->db);
        sqlite3_str_appendf(sql, "CREATE TABLE \"%w\".\"%w_auxiliary\"( rowid integer PRIMARY KEY ",
                            db, t);
        for (int i = 0; i < s->naux; i++)
            sqlite3_str_appendf(sql, ", value%02d", i);
        sqlite3_str_appendall(sql, ")");
        create = sqlite3_str_finish(sql);
        rc = create ? vec0_exec(v, "%s", create) : SQLITE_NOMEM;
        sqlite3_free(create);
    }
    return rc;
}

/* ---- the declaration ------------------------------------------------------------------------ */

static int plain_name(const char *n) {
    if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')))
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

/* The type sqlite-vec must declare for auxiliary column `slot`: its own, or for an untyped
** column the one type its values have (text when it has none). */
static int aux_type(vec0_vtab *v, const vec0_column *c, const char **out) {
    static const char *names[] = {"", "integer", "float", "text", "blob", ""};
    if (c->value_type != VEC0_ANY) {
        *out = names[c->value_type];
        return SQLITE_OK;
    }
    sqlite3_stmt *st;
    int rc = vec0_prepare(v, &st,
                          "SELECT DISTINCT typeof(value%02d) FROM \"%w\".\"%w_auxiliary\" WHERE "
                          "value%02d IS NOT NULL LIMIT 2",
                          c->slot, v->schema, v->name, c->slot);
    if (rc != SQLITE_OK)
        return rc;
    int n = 0;
    *out = "text";
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *ty = (const char *)sqlite3_column_text(st, 0);
        n++;
        *out = ty == NULL                   ? "text"
               : strcmp(ty, "integer") == 0 ? "integer"
               : strcmp(ty, "real") == 0    ? "float"
               : strcmp(ty, "blob") == 0    ? "blob"
                                            : "text";
    }
    rc = sqlite3_finalize(st);
    if (rc == SQLITE_OK && n > 1)
        rc = vec0_error(v,
                        "export-sqlite-vec: auxiliary column \"%s\" holds values of several types; "
                        "sqlite-vec needs one type per auxiliary column",
                        c->name);
    return rc;
}

/* "CREATE VIRTUAL TABLE ... USING vec0(...)" for the target, in words sqlite-vec 0.1.9 parses. */
static int declaration(vec0_vtab *v, const char *schema, const char *name, char **out) {
    const vec0_schema *s = &v->s;
    static const char *vtypes[] = {"float", "int8", "bit", "float"};
    static const char *metrics[] = {"", " distance_metric=l1", " distance_metric=cosine"};
    static const char *values[] = {"", "integer", "float", "text", "blob", "boolean"};
    *out = NULL;
    sqlite3_str *sql = sqlite3_str_new(v->db);
    sqlite3_str_appendf(sql, "CREATE VIRTUAL TABLE \"%w\".\"%w\" USING vec0(", schema, name);
    int rc = SQLITE_OK;
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (!plain_name(c->name)) {
            rc = vec0_error(v,
                            "export-sqlite-vec: sqlite-vec reads only plain column names "
                            "(letters, digits, '_'), not \"%s\"",
                            c->name);
            break;
        }
        sqlite3_str_appendall(sql, i ? ", " : "");
        switch (c->kind) {
            case VEC0_VECTOR:
                if (c->metric == VEC_DOT) {
                    rc = vec0_error(v,
                                    "export-sqlite-vec: sqlite-vec has no dot metric (column "
                                    "\"%s\")",
                                    c->name);
                    break;
                }
                sqlite3_str_appendf(sql, "%s %s[%d]%s", c->name, vtypes[c->vtype], c->dims,
                                    c->vtype == VEC_BIT ? "" : metrics[c->metric]);
                break;
            case VEC0_PARTITION:
            case VEC0_PRIMARY_KEY:
                sqlite3_str_appendf(sql, "%s %s %s key", c->name, values[c->value_type],
                                    c->kind == VEC0_PARTITION ? "partition" : "primary");
                break;
            case VEC0_METADATA:
                sqlite3_str_appendf(sql, "%s %s", c->name, values[c->value_type]);
                break;
            case VEC0_AUX: {
                const char *ty;
                rc = aux_type(v, c, &ty);
                if (rc == SQLITE_OK)
                    sqlite3_str_appendf(sql, "+%s %s", c->name, ty);
                break;
            }
        }
    }
    sqlite3_str_appendf(sql, ", chunk_size=%d)", s->chunk_size);
    char *text = sqlite3_str_finish(sql);
    if (rc != SQLITE_OK) {
        sqlite3_free(text);
        return rc;
    }
    if (text == NULL)
        return SQLITE_NOMEM;
    *out = text;
    return SQLITE_OK;
}

/* ---- the copy ------------------------------------------------------------------------------- */

/* One chunk of the target being filled. */
typedef struct out_chunk {
    sqlite3_int64 id;
    int used;
    unsigned char validity[VEC0_MAX_CHUNK / 8];
    sqlite3_int64 rowids[VEC0_MAX_CHUNK];
    unsigned char *metadata[VEC0_MAX_METADATA]; /* chunk_size values each */
    sqlite3_blob *vectors[VEC0_MAX_VECTORS];
} out_chunk;

typedef struct exporter {
    vec0_vtab *v;
    const char *schema, *name;
    out_chunk ch;
    size_t metadata_bytes[VEC0_MAX_METADATA];
    sqlite3_stmt *row_insert, *text_insert[VEC0_MAX_METADATA], *aux_insert;
    unsigned char *vec_buf, *f32_buf;
} exporter;

static int metadata_width(const vec0_column *c, int chunk_size, size_t *bytes) {
    *bytes = c->value_type == VEC0_BOOLEAN ? (size_t)chunk_size / 8
             : c->value_type == VEC0_TEXT  ? (size_t)chunk_size * EXPORT_TEXT_VIEW
                                           : (size_t)chunk_size * 8;
    return SQLITE_OK;
}

/* Writes the filled chunk's validity, rowids and metadata, and closes its vector handles. */
static int chunk_finish(exporter *x) {
    vec0_vtab *v = x->v;
    const vec0_schema *s = &v->s;
    int rc = SQLITE_OK;
    for (int i = 0; i < VEC0_MAX_VECTORS; i++) {
        int brc = sqlite3_blob_close(x->ch.vectors[i]);
        x->ch.vectors[i] = NULL;
        if (rc == SQLITE_OK)
            rc = brc;
    }
    if (x->ch.id == 0)
        return rc;
    sqlite3_stmt *st;
    if (rc == SQLITE_OK)
        rc = vec0_prepare(v, &st,
                          "UPDATE \"%w\".\"%w_chunks\" SET validity = ?1, rowids = ?2 WHERE "
                          "chunk_id = ?3",
                          x->schema, x->name);
    if (rc == SQLITE_OK) {
        sqlite3_bind_blob(st, 1, x->ch.validity, s->chunk_size / 8, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 2, x->ch.rowids, (sqlite3_uint64)s->chunk_size * 8, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, x->ch.id);
        sqlite3_step(st);
        rc = sqlite3_finalize(st);
    }
    for (int i = 0; rc == SQLITE_OK && i < s->nmetadata; i++) {
        /* sqlite-vec sets _rowid_ and its "rowid" column alike: blob handles address _rowid_ */
        rc = vec0_prepare(v, &st,
                          "INSERT INTO \"%w\".\"%w_metadatachunks%02d\"(_rowid_, rowid, data) "
                          "VALUES (?1, ?1, ?2)",
                          x->schema, x->name, i);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_int64(st, 1, x->ch.id);
        sqlite3_bind_blob64(st, 2, x->ch.metadata[i], x->metadata_bytes[i], SQLITE_STATIC);
        sqlite3_step(st);
        rc = sqlite3_finalize(st);
    }
    x->ch.id = 0;
    return rc;
}

/* Starts a chunk of the target for partition values part[] (columns of `src` from first). */
static int chunk_start(exporter *x, sqlite3_stmt *src, int first) {
    vec0_vtab *v = x->v;
    const vec0_schema *s = &v->s;
    sqlite3_str *sql = sqlite3_str_new(v->db);
    sqlite3_str_appendf(sql, "INSERT INTO \"%w\".\"%w_chunks\"(size, validity, rowids", x->schema,
                        x->name);
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_str_appendf(sql, ", partition%02d", i);
    sqlite3_str_appendf(sql, ") VALUES (%d, zeroblob(%d), zeroblob(%d)", s->chunk_size,
                        s->chunk_size / 8, s->chunk_size * 8);
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_str_appendf(sql, ", ?%d", i + 1);
    sqlite3_str_appendall(sql, ")");
    char *text = sqlite3_str_finish(sql);
    if (text == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *st;
    int rc = vec0_prepare(v, &st, "%s", text);
    sqlite3_free(text);
    if (rc != SQLITE_OK)
        return rc;
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_bind_value(st, i + 1, sqlite3_column_value(src, first + i));
    sqlite3_step(st);
    rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    x->ch.id = sqlite3_last_insert_rowid(v->db);
    x->ch.used = 0;
    memset(x->ch.validity, 0, sizeof x->ch.validity);
    memset(x->ch.rowids, 0, sizeof x->ch.rowids);
    for (int i = 0; i < s->nmetadata; i++)
        memset(x->ch.metadata[i], 0, x->metadata_bytes[i]);
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++) {
        const vec0_column *c = vec0_vector_column(v, i);
        size_t vb = c->vtype == VEC_F16 ? 4 * (size_t)c->dims : vec0_vector_bytes(c);
        rc = vec0_exec(v,
                       "INSERT INTO \"%w\".\"%w_vector_chunks%02d\"(_rowid_, rowid, vectors) "
                       "VALUES (%lld, %lld, zeroblob(%lld))",
                       x->schema, x->name, i, (long long)x->ch.id, (long long)x->ch.id,
                       (long long)(vb * (size_t)s->chunk_size));
        if (rc == SQLITE_OK) {
            char table[VEC0_NAME_MAX + 40];
            snprintf(table, sizeof table, "%s_vector_chunks%02d", x->name, i);
            rc = sqlite3_blob_open(v->db, x->schema, table, "vectors", x->ch.id, 1,
                                   &x->ch.vectors[i]);
        }
    }
    return rc;
}

/* Copies the row `src` is on into the next slot of the current chunk. Columns of src: rowid,
** id, chunk_id, chunk_offset, partition00.., metadata00.., value00... */
static int copy_row(exporter *x, sqlite3_stmt *src, sqlite3_blob **in_blobs) {
    vec0_vtab *v = x->v;
    const vec0_schema *s = &v->s;
    sqlite3_int64 rowid = sqlite3_column_int64(src, 0);
    int o = x->ch.used++;
    int rc = SQLITE_OK;
    x->ch.validity[o / 8] |= (unsigned char)(1u << (o % 8));
    x->ch.rowids[o] = rowid;
    for (int i = 0; rc == SQLITE_OK && i < s->nvectors; i++) {
        const vec0_column *c = vec0_vector_column(v, i);
        rc = vec0_read_vector(v, &in_blobs[i], i, sqlite3_column_int64(src, 2),
                              sqlite3_column_int(src, 3), x->vec_buf);
        if (rc != SQLITE_OK)
            break;
        const void *data = x->vec_buf;
        size_t vb = vec0_vector_bytes(c);
        if (c->vtype == VEC_F16) { /* float32 holds every float16 exactly */
            for (int d = 0; d < c->dims; d++) {
                float f = (float)vec_element(VEC_F16, x->vec_buf, (size_t)d);
                memcpy(x->f32_buf + 4 * (size_t)d, &f, 4);
            }
            data = x->f32_buf;
            vb = 4 * (size_t)c->dims;
        }
        rc = sqlite3_blob_write(x->ch.vectors[i], data, (int)vb, (int)(vb * (size_t)o));
    }
    int mfirst = 4 + s->npartitions;
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (c->kind != VEC0_METADATA)
            continue;
        unsigned char *m = x->ch.metadata[c->slot];
        sqlite3_value *val = sqlite3_column_value(src, mfirst + c->slot);
        if (c->value_type == VEC0_BOOLEAN) {
            if (sqlite3_value_int(val))
                m[o / 8] |= (unsigned char)(1u << (o % 8));
        } else if (c->value_type == VEC0_INTEGER) {
            sqlite3_int64 n = sqlite3_value_int64(val);
            memcpy(m + 8 * (size_t)o, &n, 8);
        } else if (c->value_type == VEC0_FLOAT) {
            double d = sqlite3_value_double(val);
            memcpy(m + 8 * (size_t)o, &d, 8);
        } else {
            const unsigned char *t = sqlite3_value_text(val);
            int n = sqlite3_value_bytes(val);
            unsigned char *view = m + EXPORT_TEXT_VIEW * (size_t)o;
            memcpy(view, &n, 4);
            if (t)
                memcpy(view + 4, t, (size_t)(n < EXPORT_TEXT_PREFIX ? n : EXPORT_TEXT_PREFIX));
            if (n > EXPORT_TEXT_PREFIX) {
                sqlite3_stmt *st = x->text_insert[c->slot];
                sqlite3_reset(st);
                sqlite3_bind_int64(st, 1, rowid);
                sqlite3_bind_value(st, 2, val);
                sqlite3_step(st);
                rc = sqlite3_reset(st);
            }
        }
    }
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = x->row_insert;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rowid);
        if (s->pk >= 0 && s->cols[s->pk].value_type == VEC0_TEXT)
            sqlite3_bind_value(st, 2, sqlite3_column_value(src, 1));
        else
            sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, x->ch.id);
        sqlite3_bind_int(st, 4, o);
        sqlite3_step(st);
        rc = sqlite3_reset(st);
    }
    if (rc == SQLITE_OK && s->naux > 0) {
        sqlite3_stmt *st = x->aux_insert;
        int afirst = mfirst + s->nmetadata;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rowid);
        for (int i = 0; i < s->naux; i++)
            sqlite3_bind_value(st, 2 + i, sqlite3_column_value(src, afirst + i));
        sqlite3_step(st);
        rc = sqlite3_reset(st);
    }
    return rc;
}

/* Partition values (integer or text) are the same. */
static int same_value(sqlite3_value *a, sqlite3_value *b) {
    int t = sqlite3_value_type(a);
    if (t != sqlite3_value_type(b))
        return 0;
    if (t == SQLITE_INTEGER)
        return sqlite3_value_int64(a) == sqlite3_value_int64(b);
    if (t == SQLITE_FLOAT)
        return sqlite3_value_double(a) == sqlite3_value_double(b);
    if (t == SQLITE_NULL)
        return 1;
    int n = sqlite3_value_bytes(a);
    const void *pa = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
    const void *pb = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
    return n == sqlite3_value_bytes(b) && (n == 0 || (pa && pb && memcmp(pa, pb, (size_t)n) == 0));
}

static int copy_rows(exporter *x) {
    vec0_vtab *v = x->v;
    const vec0_schema *s = &v->s;
    sqlite3_str *sql = sqlite3_str_new(v->db);
    sqlite3_str_appendall(sql, "SELECT r.rowid, r.id, r.chunk_id, r.chunk_offset");
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_str_appendf(sql, ", c.partition%02d", i);
    for (int i = 0; i < s->nmetadata; i++)
        sqlite3_str_appendf(sql, ", r.metadata%02d", i);
    for (int i = 0; i < s->naux; i++)
        sqlite3_str_appendf(sql, ", a.value%02d", i);
    sqlite3_str_appendf(sql,
                        " FROM \"%w\".\"%w_rowids\" r JOIN \"%w\".\"%w_chunks\" c ON "
                        "c.chunk_id = r.chunk_id",
                        v->schema, v->name, v->schema, v->name);
    if (s->naux > 0)
        sqlite3_str_appendf(sql, " LEFT JOIN \"%w\".\"%w_auxiliary\" a ON a.rowid = r.rowid",
                            v->schema, v->name);
    sqlite3_str_appendall(sql, " ORDER BY ");
    for (int i = 0; i < s->npartitions; i++)
        sqlite3_str_appendf(sql, "c.partition%02d, ", i);
    sqlite3_str_appendall(sql, "r.rowid");
    char *text = sqlite3_str_finish(sql);
    if (text == NULL)
        return SQLITE_NOMEM;
    sqlite3_stmt *src;
    int rc = vec0_prepare(v, &src, "%s", text);
    sqlite3_free(text);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_blob *in_blobs[VEC0_MAX_VECTORS] = {0};
    sqlite3_value *part[VEC0_MAX_PARTITIONS] = {0}; /* the current chunk's partition values */
    while (rc == SQLITE_OK && sqlite3_step(src) == SQLITE_ROW) {
        int same_partition = x->ch.id != 0;
        for (int i = 0; same_partition && i < s->npartitions; i++)
            same_partition = same_value(part[i], sqlite3_column_value(src, 4 + i));
        if (!same_partition || x->ch.used == s->chunk_size) {
            rc = chunk_finish(x);
            if (rc == SQLITE_OK)
                rc = chunk_start(x, src, 4);
            for (int i = 0; rc == SQLITE_OK && i < s->npartitions; i++) {
                sqlite3_value_free(part[i]);
                part[i] = sqlite3_value_dup(sqlite3_column_value(src, 4 + i));
                if (part[i] == NULL)
                    rc = SQLITE_NOMEM;
            }
        }
        if (rc == SQLITE_OK)
            rc = copy_row(x, src, in_blobs);
    }
    for (int i = 0; i < VEC0_MAX_PARTITIONS; i++)
        sqlite3_value_free(part[i]);
    int frc = sqlite3_finalize(src);
    if (rc == SQLITE_OK)
        rc = frc;
    for (int i = 0; i < VEC0_MAX_VECTORS; i++)
        sqlite3_blob_close(in_blobs[i]);
    int crc = chunk_finish(x);
    return rc == SQLITE_OK ? crc : rc;
}

static int prepare_writers(exporter *x) {
    vec0_vtab *v = x->v;
    const vec0_schema *s = &v->s;
    int rc = vec0_prepare(v, &x->row_insert,
                          "INSERT INTO \"%w\".\"%w_rowids\"(rowid, id, chunk_id, chunk_offset) "
                          "VALUES (?1, ?2, ?3, ?4)",
                          x->schema, x->name);
    for (int i = 0; rc == SQLITE_OK && i < s->ncols; i++) {
        const vec0_column *c = &s->cols[i];
        if (c->kind != VEC0_METADATA)
            continue;
        metadata_width(c, s->chunk_size, &x->metadata_bytes[c->slot]);
        x->ch.metadata[c->slot] = sqlite3_malloc64(x->metadata_bytes[c->slot] + 1);
        if (x->ch.metadata[c->slot] == NULL)
            rc = SQLITE_NOMEM;
        if (rc == SQLITE_OK && c->value_type == VEC0_TEXT)
            rc = vec0_prepare(v, &x->text_insert[c->slot],
                              "INSERT INTO \"%w\".\"%w_metadatatext%02d\"(_rowid_, rowid, data) "
                              "VALUES (?1, ?1, ?2)",
                              x->schema, x->name, c->slot);
    }
    if (rc == SQLITE_OK && s->naux > 0) {
        sqlite3_str *sql = sqlite3_str_new(v->db);
        sqlite3_str_appendf(sql, "INSERT INTO \"%w\".\"%w_auxiliary\"(rowid", x->schema, x->name);
        for (int i = 0; i < s->naux; i++)
            sqlite3_str_appendf(sql, ", value%02d", i);
        sqlite3_str_appendall(sql, ") VALUES (?1");
        for (int i = 0; i < s->naux; i++)
            sqlite3_str_appendf(sql, ", ?%d", i + 2);
        sqlite3_str_appendall(sql, ")");
        char *text = sqlite3_str_finish(sql);
        rc = text ? vec0_prepare(v, &x->aux_insert, "%s", text) : SQLITE_NOMEM;
        sqlite3_free(text);
    }
    size_t most = 0;
    for (int i = 0; i < s->nvectors; i++) {
        size_t b = 4 * (size_t)vec0_vector_column(v, i)->dims;
        most = b > most ? b : most;
    }
    x->vec_buf = sqlite3_malloc64(most + 1);
    x->f32_buf = sqlite3_malloc64(most + 1);
    if (rc == SQLITE_OK && (x->vec_buf == NULL || x->f32_buf == NULL))
        rc = SQLITE_NOMEM;
    return rc;
}

static void exporter_free(exporter *x) {
    sqlite3_finalize(x->row_insert);
    sqlite3_finalize(x->aux_insert);
    for (int i = 0; i < VEC0_MAX_METADATA; i++) {
        sqlite3_finalize(x->text_insert[i]);
        sqlite3_free(x->ch.metadata[i]);
    }
    for (int i = 0; i < VEC0_MAX_VECTORS; i++)
        sqlite3_blob_close(x->ch.vectors[i]);
    sqlite3_free(x->vec_buf);
    sqlite3_free(x->f32_buf);
}

int vec0_export_sqlite_vec(vec0_vtab *v, const char *target) {
    char schema[VEC0_NAME_MAX + 1], name[VEC0_NAME_MAX + 1];
    const char *dot = strchr(target, '.');
    size_t slen = dot ? (size_t)(dot - target) : strlen(v->schema);
    const char *nm = dot ? dot + 1 : target;
    if (slen == 0 || slen > VEC0_NAME_MAX || strlen(nm) == 0 || strlen(nm) > VEC0_NAME_MAX)
        return vec0_error(v,
                          "export-sqlite-vec: expected 'export-sqlite-vec:[schema.]table', "
                          "got '%s'",
                          target);
    memcpy(schema, dot ? target : v->schema, slen);
    schema[slen] = '\0';
    snprintf(name, sizeof name, "%s", nm);
    char *create = NULL;
    int rc = declaration(v, schema, name, &create);
    if (rc != SQLITE_OK)
        return rc;
    export_target.db = v->db;
    export_target.schema = schema;
    export_target.name = name;
    rc = vec0_exec(v, "%s", create);
    export_target.db = NULL;
    export_target.schema = export_target.name = NULL;
    sqlite3_free(create);
    if (rc != SQLITE_OK)
        return vec0_error(v, "export-sqlite-vec: cannot create %s.%s: %s", schema, name,
                          sqlite3_errmsg(v->db));
    exporter x;
    memset(&x, 0, sizeof x);
    x.v = v;
    x.schema = schema;
    x.name = name;
    rc = prepare_writers(&x);
    if (rc == SQLITE_OK)
        rc = copy_rows(&x);
    exporter_free(&x);
    if (rc != SQLITE_OK && v->base.zErrMsg == NULL)
        vec0_error(v, "export-sqlite-vec: %s", sqlite3_errmsg(v->db));
    return rc;
}
