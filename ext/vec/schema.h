/*
** ext/vec: the column declarations of a vec0 table, parsed from its CREATE VIRTUAL TABLE
** arguments. Plain C, no SQLite.
**
**   name float[N] | f32[N] | float16[N] | f16[N] | int8[N] | i8[N] | bit[N]
**        [distance_metric=l2|l1|cosine|dot]           vector column (bit: always hamming)
**   name text|int|integer partition key                 partition key (chunks per value)
**   name text|int|integer primary key                   primary key (else `rowid`)
**   +name [text|int|integer|float|double|blob|any]      auxiliary column (stored, not filtered)
**   name boolean|bool|int|integer|int64|float|double|f64|text   metadata column (filterable)
**   chunk_size=N                                        table option
*/
#ifndef STRATA_VEC_SCHEMA_H
#define STRATA_VEC_SCHEMA_H

#include "vec/distance.h"
#include "vec/quantize.h"
#include "vec/vector.h"

#include <stddef.h>

#define VEC0_MAX_VECTORS 16
#define VEC0_MAX_PARTITIONS 4
#define VEC0_MAX_AUX 16
#define VEC0_MAX_METADATA 16
#define VEC0_MAX_COLUMNS                                                                           \
    (1 + VEC0_MAX_VECTORS + VEC0_MAX_PARTITIONS + VEC0_MAX_AUX + VEC0_MAX_METADATA)
#define VEC0_MAX_DIMS 8192
#define VEC0_DEFAULT_CHUNK 512
#define VEC0_MAX_CHUNK 4096
#define VEC0_NAME_MAX 128

typedef enum vec0_kind {
    VEC0_VECTOR,
    VEC0_PARTITION,
    VEC0_PRIMARY_KEY,
    VEC0_AUX,
    VEC0_METADATA
} vec0_kind;

typedef enum vec0_value_type {
    VEC0_ANY,
    VEC0_INTEGER,
    VEC0_FLOAT,
    VEC0_TEXT,
    VEC0_BLOB,
    VEC0_BOOLEAN
} vec0_value_type;

/* An index on a vector column (INDEXED BY, sqlite-vec 0.1.10's syntax):
**   flat()                                      exact scan (the default)
**   rescore(quantizer=int8|bit, oversample=N)   a scan of quantized copies of the vectors for
**                                               the k*N best, then exact distances for those
**   ivf(nlist=N, nprobe=N, quantizer=none|int8|binary, oversample=N)
**                                               rows clustered by nearest centroid; a query
**                                               scans the nprobe clusters nearest to it
**   diskann(neighbor_quantizer=int8|binary, n_neighbors=N, search_list_size=N,
**           buffer_threshold=N)                 a Vamana proximity graph over quantized codes */
typedef enum vec0_index_kind {
    VEC0_INDEX_FLAT = 0,
    VEC0_INDEX_RESCORE = 1,
    VEC0_INDEX_IVF = 2,
    VEC0_INDEX_DISKANN = 3
} vec0_index_kind;

#define VEC0_MAX_OVERSAMPLE 128
#define VEC0_MAX_NLIST 65536
#define VEC0_DEFAULT_OVERSAMPLE 8
#define VEC0_DEFAULT_DEGREE 48
#define VEC0_DEFAULT_LIST_SEARCH 128 /* up to 250,000 nodes, then 32 more per doubling */
#define VEC0_DEFAULT_LIST_INSERT 64
#define VEC0_DEFAULT_GRAPH_OVERSAMPLE 2
/* diskann: rows that wait in T_graphbufferNN before they join the graph together (0: every
** insert joins at once); see docs/vec.md for the measurements behind it */
#define VEC0_DEFAULT_GRAPH_BUFFER 1024
#define VEC0_MAX_GRAPH_BUFFER (1 << 30)
#define VEC0_MAX_LIST 4096

typedef struct vec0_index {
    vec0_index_kind kind;
    vec_quantizer quantizer; /* rescore, ivf */
    int oversample;          /* rescore, ivf: candidates per result rescored exactly */
    int nlist;               /* ivf: clusters; 0 = chosen at training (about sqrt(rows)) */
    int nprobe;              /* ivf: clusters scanned per query; 0 = chosen from nlist */
    int degree;              /* diskann: neighbours per node (n_neighbors) */
    int list_search;         /* diskann: search list size of queries; 0 = chosen from the size */
    int list_insert;         /* diskann: search list size of inserts */
    int buffer_threshold;    /* diskann: rows buffered before a batch joins the graph */
} vec0_index;

typedef struct vec0_column {
    char name[VEC0_NAME_MAX + 1];
    vec0_kind kind;
    vec0_value_type value_type; /* partition, key, aux, metadata */
    vec_type vtype;             /* vector */
    int dims;                   /* vector */
    vec_metric metric;          /* vector */
    int slot;                   /* index among the columns of its kind */
    vec0_index index;           /* vector */
} vec0_column;

typedef struct vec0_schema {
    vec0_column cols[VEC0_MAX_COLUMNS]; /* in declaration order */
    int ncols;
    int nvectors, npartitions, naux, nmetadata;
    int pk; /* index into cols of the primary key, or -1 */
    int chunk_size;
    int chunk_size_given; /* chunk_size=N was declared */
    int ivf_column;       /* index into cols of the column with an ivf index, or -1 */
} vec0_schema;

/* Parses the module arguments (argv[3..] of xCreate). Returns 0, or -1 with a message. */
int vec0_schema_parse(vec0_schema *s, int argc, const char *const *argv, char *err, size_t errlen);

/* Bytes of one stored vector of column c. */
size_t vec0_vector_bytes(const vec0_column *c);

/* "integer", "float", "text", "boolean", ... */
const char *vec0_value_type_name(vec0_value_type t);

#endif
