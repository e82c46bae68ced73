/*
** ext/vec: reading vectors out of SQL values, and returning them with their subtype.
**
** A vector value is a BLOB whose subtype names its type (sqlite-vec's numbers: 223 float32,
** 225 int8, 224 bit; ours: 226 float16) or JSON text. A BLOB without subtype is float32 unless
** the caller knows better (a vec0 column of another type).
*/
#ifndef STRATA_VEC_VALUE_SQL_H
#define STRATA_VEC_VALUE_SQL_H

#include "common/sqlite_ext.h"
#include "vec/vector.h"

#define VEC_SUBTYPE_F32 223
#define VEC_SUBTYPE_BIT 224
#define VEC_SUBTYPE_INT8 225
#define VEC_SUBTYPE_F16 226

typedef struct vec_value {
    vec_type type;
    size_t dims;
    const void *data; /* points into the SQL value or into owned */
    void *owned;      /* malloc'd parse result, freed by vec_value_clear */
} vec_value;

/* Reads v as a vector. `want` is the expected type, or -1 for "whatever v says" (JSON text is
** then float32). With a type wanted, JSON is parsed as that type and a BLOB without subtype
** is taken as that type. Returns 0, or -1 with *err set to a sqlite3_malloc'd message (not
** prefixed) that the caller frees. NULL values are an error here: callers test for NULL. */
int vec_value_read(sqlite3_value *v, int want, vec_value *out, char **err);
void vec_value_clear(vec_value *v);

/* vec_value_read for a column of type t and `dims` elements; a float16 column also takes
** float32 input (subtype 223, or a BLOB of exactly 4*dims bytes) and converts it. */
int vec_value_read_column(sqlite3_value *v, vec_type t, size_t dims, vec_value *out, char **err);

/* "INTEGER", "FLOAT", "TEXT", "BLOB" or "NULL": the name of SQLite datatype t, for errors. */
const char *vec_sql_type_name(int t);

/* Subtype number of a type. */
unsigned vec_subtype(vec_type t);

/* sqlite3_result_blob of a copy of the vector bytes, with the type's subtype. */
void vec_result_vector(sqlite3_context *ctx, vec_type t, const void *data, size_t nbytes);

#endif
