/*
** ext/vec: internals shared by the vec0 virtual table files. Each calls only files listed
** before it (scripts/check-layering checks it):
**   vec0_store_sql.c    statements (a cache for the write paths), errors, storage addressing
**   vec0_graph_sql.c    the diskann graph
**   vec0_graphbuffer_sql.c  the diskann buffer: rows waiting to join the graph together
**   vec0_slots_sql.c    chunks and their slots: where rows are stored, codes beside them
**   vec0_index_sql.c    ANN index tables, ivf centroids, index commands and training
**   vec0_export_sql.c   the copy in sqlite-vec's layout
**   vec0_filter_sql.c   metadata filters evaluated in memory (a per-connection image)
**   vec0_write_sql.c    INSERT/UPDATE/DELETE, optimize, integrity_check, the command column
**   vec0_knn_sql.c      the KNN scan
**   vec0_sql.c          create/connect, planning, cursors and column values
**   vec0_module_sql.c   the module's method table
**
** Storage of table T (all ordinary tables in the same database, so transactions, ROLLBACK and
** persistence come from SQLite itself):
**   T_info(key PRIMARY KEY, value)             format version
**   T_chunks(chunk_id INTEGER PRIMARY KEY, size, count, partition00.., validity)
**        one row per chunk of `size` slots; validity has a bit per slot. A chunk holds the rows
**        of one partition-key tuple.
**   T_chunkrowids(rowid INTEGER PRIMARY KEY, rowids BLOB)   an int64 rowid per slot
**   T_rowids(rowid INTEGER PRIMARY KEY, id, chunk_id, chunk_offset, metadata00..)
**        where each row lives, its text primary key (id) and its metadata values, with an index
**        (metadataNN, chunk_id, chunk_offset) per metadata column. KNN filters on metadata run
**        as one SQL query on this table, which yields (chunk, offset) positions.
**   T_vectorchunksNN(rowid INTEGER PRIMARY KEY, vectors BLOB)
**        per vector column, chunk and block (rowid vec0_block_row()): the packed vectors
**        of vec0_block_slots() consecutive slots, read with incremental blob I/O.
**   T_auxiliary(rowid INTEGER PRIMARY KEY, value00..)   auxiliary (+col) values
** Suffixes have no underscore: SQLite's shadow-table check looks after the last one.
** An ANN index would add its own T_<index>NN tables beside these and keep the flat chunks as
** the source of truth for rescoring.
** Tables created by sqlite-vec (T_info without a 'format' key) are read through the same code
** with its table names (T_vector_chunksNN, rowids inside T_chunks, metadata in
** T_metadatachunksNN / T_metadatatextNN) and refused for writes.
*/
#ifndef STRATA_VEC_VEC0_SQL_H
#define STRATA_VEC_VEC0_SQL_H

#include "common/sqlite_ext.h"
#include "vec/schema.h"
#include "vec/topk.h"
#include "vec/value_sql.h"

#define VEC0_MAX_K 4096
/* Bytes of vectors per BLOB row of T_vectorchunksNN: a chunk's vectors are split into blocks of
** about this size (rowid vec0_block_row()), so writing one slot never walks far along an
** overflow chain, and a KNN scan reads one block at a time (it stays in cache). */
#define VEC0_BLOCK_BYTES (256 * 1024)
/* Block rows per chunk: a chunk of VEC0_MAX_CHUNK slots has at most one block per slot. */
#define VEC0_CHUNK_BLOCKS 4096
_Static_assert(VEC0_MAX_CHUNK <= VEC0_CHUNK_BLOCKS, "a block row per slot must fit");
/* Chunk ids stay below this, so that every block row is an int64. */
#define VEC0_CHUNK_ID_END ((sqlite3_int64)1 << 50)
#define VEC0_STMT_CACHE 32
/* Vector blocks of an indexed column, read mostly one vector at a time (rescoring). */
#define VEC0_INDEXED_BLOCK_BYTES (32 * 1024)

/* Whether a diskann column's T_graphbufferNN exists (vec0_graphbuffer_sql.c). */
enum { VEC0_BUFFER_UNKNOWN = 0, VEC0_BUFFER_PRESENT = 1, VEC0_BUFFER_ABSENT = 2 };

typedef struct vec0_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
    char *schema; /* database name: "main", "temp", ... */
    char *name;   /* table name */
    vec0_schema s;
    int ndecl;                        /* declared user columns, key included */
    int decl_col[VEC0_MAX_COLUMNS];   /* declared index -> s.cols index (-1 for rowid) */
    int col_cmd, col_distance, col_k; /* declared indexes of the hidden columns (cmd: -1 if none) */
    sqlite3_stmt *st_lookup;    /* SELECT chunk_id, chunk_offset FROM T_rowids WHERE rowid=? */
    sqlite3_stmt *st_lookup_id; /* SELECT rowid FROM T_rowids WHERE id=? */
    struct {
        char *sql;
        sqlite3_stmt *st;
    } cache[VEC0_STMT_CACHE]; /* statements of the write paths, by SQL text */
    int ncache;
    sqlite3_int64 insert_hint;  /* chunk of the last insert (verified before use) */
    int format_checked;         /* T_info was read (or the table was just created) */
    int foreign;                /* the shadow tables are sqlite-vec's, not ours */
    sqlite3_stmt *spare_lookup; /* a closed cursor's KNN row lookup, for the next cursor */
    /* ANN indexes (vec0_index_sql.c): runtime knobs of this connection, 0 = declared value */
    int oversample_set[VEC0_MAX_VECTORS];
    int nprobe_set;
    /* the ivf column's centroids, cached while T_info's 'ivf_version' stays the same */
    float *centroids;
    int ncentroids;
    int centroids_loaded;
    sqlite3_int64 centroids_version;
    /* the diskann column's graph, cached while T_info's 'graph_version' stays the same */
    struct vec_graph *graph;
    sqlite3_int64 graph_version;
    sqlite3_int64 graph_entry_rowid; /* T_info's 'graph_entry' */
    int graph_format;                /* T_info's 'graph_format' (1 when absent) */
    int list_search_set; /* search_list_size_search=N of this connection, 0 = declared */
    int list_insert_set; /* search_list_size_insert=N of this connection, 0 = declared */
    int scan_threads;    /* threads=N of this connection, 0 = VEC0_SCAN_THREADS */
    /* the diskann buffer (vec0_graphbuffer_sql.c) */
    int buffer_state;               /* whether T_graphbufferNN exists: VEC0_BUFFER_* */
    int buffer_counted;             /* buffer_rows is known (within this transaction) */
    sqlite3_int64 buffer_rows;      /* rows in T_graphbufferNN */
    struct vec0_image_cache *image; /* vec0_filter_sql.c: T_rowids in memory, NULL until used */
} vec0_vtab;

/* The row a cursor is on, and how to read its columns. */
typedef struct vec0_cursor {
    sqlite3_vtab_cursor base;
    int plan; /* VEC0_PLAN_* */
    int eof;
    sqlite3_stmt *row;    /* SELECT rowid, id, chunk_id, chunk_offset, metadata.. positioned */
    sqlite3_stmt *scan;   /* full scan / point lookup source (== row then) */
    sqlite3_stmt *lookup; /* KNN: the same columns WHERE rowid = ? */
    sqlite3_stmt *aux;    /* SELECT value.. FROM T_auxiliary WHERE rowid = ? */
    sqlite3_int64 aux_for;
    int aux_ok;
    sqlite3_stmt *part; /* SELECT partition.. FROM T_chunks WHERE chunk_id = ? */
    sqlite3_int64 part_for;
    int part_ok;
    sqlite3_blob *blobs[VEC0_MAX_VECTORS];
    vec_topk heap;
    size_t pos;
    float distance;
} vec0_cursor;

enum { VEC0_PLAN_SCAN = 0, VEC0_PLAN_POINT = 1, VEC0_PLAN_KNN = 2 };

/* ---- statements and storage addressing (vec0_store_sql.c) ---- */

/* printf into a sqlite3_malloc'd string, then prepare. */
int vec0_prepare(vec0_vtab *v, sqlite3_stmt **st, const char *fmt, ...);
int vec0_exec(vec0_vtab *v, const char *fmt, ...);
/* Like vec0_prepare, but keeps the statement for the next call with the same SQL (write paths
** only: they never run the same statement twice at once). Hand it back with vec0_done. */
int vec0_prepare_cached(vec0_vtab *v, sqlite3_stmt **st, const char *fmt, ...);
/* item_fmt (one %d) printed for first, first + 1, ... first + n - 1, end to end: the column or
** parameter lists of generated SQL, e.g. (", metadata%02d", 0, 2) is ", metadata00, metadata01".
** A sqlite3_malloc'd string ("" for n = 0), NULL when out of memory. */
char *vec0_numbered_list(const char *item_fmt, int first, int n);
/* Resets a cached statement (finalizes an uncached one); returns its error code. */
int vec0_done(vec0_vtab *v, sqlite3_stmt *st);
void vec0_cache_clear(vec0_vtab *v);
/* Sets the vtab error message "vec0: ..." and returns SQLITE_ERROR. */
int vec0_error(vec0_vtab *v, const char *fmt, ...);

/* The rowid, in T_vectorchunksNN and T_codechunksNN, of block `block` of chunk chunk_id. */
static inline sqlite3_int64 vec0_block_row(sqlite3_int64 chunk_id, int block) {
    return chunk_id * VEC0_CHUNK_BLOCKS + block;
}
/* Slots per block of vector column c (a whole chunk for tables created by sqlite-vec). */
int vec0_block_slots(const vec0_vtab *v, const vec0_column *c);
/* Slots per block of the codes of indexed column c (T_codechunksNN, same rowid scheme). */
int vec0_code_block_slots(const vec0_vtab *v, const vec0_column *c);
/* The T_vectorchunksNN row and byte offset of slot `offset` of chunk_id. */
void vec0_vector_pos(const vec0_vtab *v, const vec0_column *c, sqlite3_int64 chunk_id, int offset,
                     sqlite3_int64 *row, int *byte);
/* The vector column of slot `slot`. */
const vec0_column *vec0_vector_column(const vec0_vtab *v, int slot);

/* Reads one stored vector (chunk, offset) of vector column slot into buf. */
int vec0_read_vector(vec0_vtab *v, sqlite3_blob **blob, int slot, sqlite3_int64 chunk_id,
                     int offset, void *buf);

/* Steps st to its end, collecting column 0 of every row (st is finalized). */
int vec0_collect_ids(sqlite3_stmt *st, sqlite3_int64 **out, size_t *count);
/* vec0_collect_ids of the printf-formatted query fmt. */
int vec0_select_ids(vec0_vtab *v, sqlite3_int64 **out, size_t *count, const char *fmt, ...);

/* Where a rowid lives. SQLITE_OK and *found = 0 when it does not exist. */
int vec0_locate(vec0_vtab *v, sqlite3_int64 rowid, int *found, sqlite3_int64 *chunk_id,
                int *offset);

/* Finds out, once, whether the table was created by sqlite-vec (v->foreign). */
int vec0_check_format(vec0_vtab *v);
/* The error for what strata cannot do on a table created by sqlite-vec. */
int vec0_foreign_error(vec0_vtab *v, const char *what);
/* printf format (table name, slot) of the vector chunk tables of v's layout. */
const char *vec0_vector_table_format(const vec0_vtab *v);
/* The column with a quantized code, or 0. */
int vec0_has_codes(const vec0_column *c);
size_t vec0_code_bytes(const vec0_column *c);
/* Chunk ids of cluster c (-1: not assigned); the whole range for tables without ivf. */
void vec0_cluster_range(const vec0_vtab *v, int cluster, sqlite3_int64 *lo, sqlite3_int64 *hi);

/* ---- chunks and slots (vec0_slots_sql.c) ---- */

/* A chunk's slot count, rows in use and validity bitmap. */
typedef struct vec0_chunk_info {
    int size, count;
    unsigned char bits[VEC0_MAX_CHUNK / 8];
} vec0_chunk_info;

/* Writes n bytes at `offset` of BLOB column `column` of row `row` of table. */
int vec0_blob_write(vec0_vtab *v, const char *table, const char *column, sqlite3_int64 row,
                    const void *data, int n, int offset);
/* "T_suffix" (slot < 0) or "T_suffixNN" into out. */
void vec0_table_name(const vec0_vtab *v, char *out, size_t n, const char *suffix, int slot);
/* Writes the codes of vecs[slot] for every indexed column at (chunk_id, offset); NULL entries
** and vecs == NULL zero the codes. */
int vec0_write_codes(vec0_vtab *v, sqlite3_int64 chunk_id, int offset, const void *const *vecs);
/* Reads a chunk's size, count and validity bitmap (into bits, size/8 bytes). */
int vec0_chunk_state(vec0_vtab *v, sqlite3_int64 chunk_id, int *size, int *count,
                     unsigned char *bits);
/* The first free slot of a validity bitmap, or -1. */
int vec0_first_free(const unsigned char *bits, int size);
/* Finds (or makes) a chunk with a free slot for a row with partition values part[] in ivf
** cluster `cluster` (-1: none); *info gets the chunk's state for vec0_slot_claim. */
int vec0_find_slot(vec0_vtab *v, sqlite3_value **part, int cluster, sqlite3_int64 *chunk_id,
                   int *offset, vec0_chunk_info *info);
/* Puts rowid and its vectors (vecs[slot]) into free slot `offset` of chunk_id; known: the
** chunk's state when the caller just read it (vec0_find_slot), else NULL. */
int vec0_slot_claim(vec0_vtab *v, sqlite3_int64 chunk_id, int offset, sqlite3_int64 rowid,
                    const void *const *vecs, const vec0_chunk_info *known);
/* Empties slot `offset` of chunk_id (zeroing its bytes), dropping the chunk once empty. */
int vec0_slot_release(vec0_vtab *v, sqlite3_int64 chunk_id, int offset);
/* For integrity_check: the vector blocks (codes = 0) or code blocks (codes = 1) of column c in
** chunk `id` of `size` slots all exist and have the right size. */
int vec0_check_blocks(vec0_vtab *v, sqlite3_int64 id, int size, const vec0_column *c, int codes);
/* Moves a row to a chunk of `cluster` (ivf; -1: out of the clusters). */
int vec0_move_row(vec0_vtab *v, sqlite3_int64 rowid, int cluster);

/* ---- the module's methods (vec0_sql.c, xUpdate in vec0_write_sql.c) ---- */

int vec0_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                char **pzErr);
int vec0_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                 char **pzErr);
int vec0_best_index(sqlite3_vtab *vt, sqlite3_index_info *info);
int vec0_disconnect(sqlite3_vtab *vt);
int vec0_destroy(sqlite3_vtab *vt);
int vec0_rename(sqlite3_vtab *vt, const char *newname);
int vec0_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out);
int vec0_close(sqlite3_vtab_cursor *cur);
int vec0_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                sqlite3_value **argv);
int vec0_next(sqlite3_vtab_cursor *cur);
int vec0_eof(sqlite3_vtab_cursor *cur);
int vec0_xcolumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i);
int vec0_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid);
int vec0_update(sqlite3_vtab *vt, int argc, sqlite3_value **argv, sqlite3_int64 *rowid);

/* ---- KNN plans (written by xBestIndex in vec0_sql.c, read by vec0_knn_sql.c) ----
** A KNN plan's idxStr holds one token per xFilter argument: what the argument is, the declared
** column it constrains and the comparison. */
typedef enum vec0_arg_kind {
    VEC0_ARG_MATCH,        /* the query vector (column: the vector column) */
    VEC0_ARG_K,            /* k = ? */
    VEC0_ARG_LIMIT,        /* LIMIT ? */
    VEC0_ARG_OFFSET,       /* OFFSET ? */
    VEC0_ARG_PARTITION,    /* partition key <op> ? */
    VEC0_ARG_PARTITION_IN, /* partition key IN (...) */
    VEC0_ARG_METADATA,     /* metadata column <op> ? */
    VEC0_ARG_METADATA_IN,  /* metadata column IN (...) */
    VEC0_ARG_KEY,          /* rowid or primary key = ? */
    VEC0_ARG_KEY_IN,       /* rowid or primary key IN (...) */
    VEC0_ARG_DISTANCE,     /* distance <op> ? (<, <=, >, >=) */
    VEC0_NARG_KINDS
} vec0_arg_kind;

typedef enum vec0_op { VEC0_EQ, VEC0_NE, VEC0_LT, VEC0_LE, VEC0_GT, VEC0_GE, VEC0_NOPS } vec0_op;

typedef struct vec0_plan_arg {
    vec0_arg_kind kind;
    int column; /* declared column index */
    vec0_op op;
} vec0_plan_arg;

/* Characters per token. */
#define VEC0_PLAN_TOKEN 3
/* Writes the VEC0_PLAN_TOKEN characters of a's token at out. */
void vec0_plan_encode(const vec0_plan_arg *a, char *out);
/* Reads the token at `token` (VEC0_PLAN_TOKEN characters); 0 when it is not one. */
int vec0_plan_decode(const char *token, vec0_plan_arg *a);

/* Runs a KNN query into c->heap (vec0_knn_sql.c). */
int vec0_knn(vec0_cursor *c, const char *idxStr, int argc, sqlite3_value **argv);

/* The 'export-sqlite-vec:[schema.]name' command (vec0_export_sql.c): writes a copy of the table
** in sqlite-vec 0.1.9's layout. While it runs, vec0_export_creating() tells xCreate that the
** table it creates is that copy, whose shadow tables vec0_create_sqlite_vec_tables() makes. */
int vec0_export_sqlite_vec(vec0_vtab *v, const char *target);
int vec0_export_creating(sqlite3 *db, const char *schema, const char *name);
int vec0_create_sqlite_vec_tables(vec0_vtab *v);

/* ---- ANN indexes (vec0_index_sql.c) ----
** rescore and ivf keep a quantized code of each vector in T_codechunksNN, in blocks aligned
** with T_vectorchunksNN (same rowid, same slots). ivf clusters rows by chunk: the chunks of
** cluster c have ids in [(c + 1) << 32, (c + 2) << 32); rows not assigned to a cluster (before
** training) live in chunks below 1 << 32. Centroids are rows of T_centroidsNN. */
#define VEC0_CLUSTER_SHIFT 32
#define VEC0_IVF_CHUNK 128 /* chunk_size of ivf tables unless declared */

/* The cluster of vector `data` (the ivf column's type), or -1 when there are no centroids. */
int vec0_ivf_assign(vec0_vtab *v, const void *data, int *cluster);
/* Loads the centroids if they changed (v->centroids, v->ncentroids). */
int vec0_ivf_load(vec0_vtab *v);
/* Index commands: oversample=N, nprobe=N, search_list_size[_search]=N, compute-centroids[:{json}],
 *set-centroid:N,
 ** assign-vectors, clear-centroids. SQLITE_NOTFOUND when cmd is none of them. */
int vec0_index_command(vec0_vtab *v, const char *cmd, sqlite3_value **argv);
/* The oversample and nprobe in force for column c. */
int vec0_oversample(const vec0_vtab *v, const vec0_column *c);
int vec0_nprobe(const vec0_vtab *v, const vec0_column *c);
/* Shadow tables of the indexes: created with the table, dropped, renamed. */
int vec0_index_create(vec0_vtab *v);
int vec0_index_destroy(vec0_vtab *v);
int vec0_index_rename(vec0_vtab *v, const char *newname);
/* For integrity_check: the graph has a live node per row. */
int vec0_index_check_rows(vec0_vtab *v, sqlite3_int64 rows);
/* For integrity_check: code blocks of chunk `id` (size slots) have the right size. */
int vec0_index_check_chunk(vec0_vtab *v, sqlite3_int64 id, int size);

/* ---- the diskann graph (vec0_graph_sql.c) ----
** T_graphNN(rowid = the row's rowid, neighbors BLOB, code BLOB, deleted): one node per row,
** deleted rows staying as tombstones until 'optimize'; T_info 'graph_version' changes (to a
** random value) with every flush, 'graph_entry' is the entry node. Changes stay in the cached
** graph until vec0_graph_flush (xSync, xSavepoint); a rollback drops the cache. */
const vec0_column *vec0_graph_column(const vec0_vtab *v);
int vec0_graph_create(vec0_vtab *v);
int vec0_graph_insert(vec0_vtab *v, sqlite3_int64 rowid, const void *data);
int vec0_graph_delete(vec0_vtab *v, sqlite3_int64 rowid);
/* The graph, loaded or refreshed when another connection (or a rollback) changed it. */
int vec0_graph_load(vec0_vtab *v);
void vec0_graph_free(vec0_vtab *v);
int vec0_graph_count(vec0_vtab *v, sqlite3_int64 *live);
/* Writes the nodes changed since the last flush. */
int vec0_graph_flush(vec0_vtab *v);
/* 'optimize': reconnects around the tombstones and drops them. */
int vec0_graph_optimize(vec0_vtab *v);
/* Transaction hooks: xSync flushes, xRollback and xRollbackTo drop the cache. */
int vec0_graph_sync(vec0_vtab *v);
void vec0_graph_rollback(vec0_vtab *v);

/* ---- the diskann buffer (vec0_graphbuffer_sql.c) ----
** T_graphbufferNN(rowid INTEGER PRIMARY KEY, vector BLOB): the rows not in the graph yet,
** with a copy of their vector (the column's type) for queries and the flush. They join it
** together when buffer_threshold of them wait, or at 'optimize'; queries score them exactly. */
int vec0_graph_buffer_create(vec0_vtab *v);
/* buffer_threshold in force: 0 (insert at once) also for tables without T_graphbufferNN;
** sets v->buffer_state (1: T_graphbufferNN exists). */
int vec0_graph_buffer_threshold(vec0_vtab *v, int *threshold);
/* Rows in the buffer (0 without one). */
int vec0_graph_buffer_count(vec0_vtab *v, sqlite3_int64 *rows);
/* Adds every buffered row to the graph and empties the buffer. */
int vec0_graph_buffer_flush(vec0_vtab *v);
/* A new row's vector (data, of the diskann column): buffered, or into the graph at once. */
int vec0_graph_add(vec0_vtab *v, sqlite3_int64 rowid, const void *data);
/* A deleted row leaves the buffer or the graph. */
int vec0_graph_remove(vec0_vtab *v, sqlite3_int64 rowid);
/* A row's new vector: a buffered row stays buffered, a graph node is linked again. */
int vec0_graph_replace(vec0_vtab *v, sqlite3_int64 rowid, const void *data);
/* integrity_check: every buffered rowid has a row and no live graph node; *rows = their count. */
int vec0_graph_buffer_check(vec0_vtab *v, sqlite3_int64 *rows);
/* Forgets the buffer's row count (a transaction began or rolled back). */
void vec0_graph_buffer_forget(vec0_vtab *v);

/* ---- metadata filters in memory (vec0_filter_sql.c) ----
** A connection's image of T_rowids: every row's rowid, chunk, slot and metadata values, in
** rowid order, used while the data is unchanged (see the file's comment for the rules). */
#define VEC0_IMAGE_MAX_BYTES ((size_t)64 << 20)

typedef struct vec0_image {
    size_t n;
    sqlite3_int64 *rowid, *chunk_id;
    int *offset;
    int32_t *node;         /* a diskann graph node per row, -1 until found: valid while the */
    uint64_t node_stamp;   /* graph's stamp is this one (image_follow_graph) */
    int *chunk_ord;        /* per row: its chunk's index in chunks */
    sqlite3_int64 *chunks; /* the distinct chunk ids, ascending */
    size_t nchunks;
} vec0_image;
typedef struct vec0_image_cache vec0_image_cache;

/* One metadata condition of a KNN query: `metadata<slot> op values[first]`, or
** `metadata<slot> IN (values[first], .. values[first + n - 1])`. */
typedef struct vec0_filter_cond {
    int slot;
    vec0_op op;
    int in;
    int first, n;
} vec0_filter_cond;

/* The image, when it is current and worth having (else *out = NULL): built once the SQL
** lookups counted by vec0_image_count_lookup since the data last changed have stepped as many
** rows as the table holds. */
int vec0_image_get(vec0_vtab *v, vec0_image **out);
/* A SQL lookup that stepped `stepped` rows ran instead of the image. */
void vec0_image_count_lookup(vec0_vtab *v, sqlite3_int64 stepped);
/* Right after vec0_image_get gave an image: sel (a bit per image row, n / 8 + 1 bytes) = the
** rows meeting every condition; *ok = 0 when one cannot be decided in memory exactly. */
int vec0_image_select(vec0_vtab *v, const vec0_filter_cond *conds, int nconds,
                      sqlite3_value *const *values, unsigned char *sel, int *ok);
void vec0_image_free(vec0_vtab *v);

/* Shadow table name suffixes, for xShadowName. */
int vec0_shadow_name(const char *suffix);

#endif
