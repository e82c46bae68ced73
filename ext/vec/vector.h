/*
** ext/vec: vector element types, their byte sizes, JSON parsing and formatting.
**
** A vector is a packed array: float32 (4 bytes per element), float16 (2), int8 (1) or bit
** (1 bit per element, element i in bit i%8 of byte i/8, least significant bit first, as
** sqlite-vec's vec_quantize_binary and vec_to_json use). Plain C, no SQLite.
*/
#ifndef STRATA_VEC_VECTOR_H
#define STRATA_VEC_VECTOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum vec_type { VEC_F32 = 0, VEC_INT8 = 1, VEC_BIT = 2, VEC_F16 = 3 } vec_type;

/* No vector has more elements than this (a 4 MiB float32 vector). */
#define VEC_MAX_DIMS (1u << 20)

/* Bytes needed for `dims` elements of type t (bit: dims must be a multiple of 8). */
size_t vec_type_bytes(vec_type t, size_t dims);

/* Element count of an nbytes blob of type t. */
size_t vec_type_dims(vec_type t, size_t nbytes);

/* "float32", "int8", "bit", "float16". */
const char *vec_type_name(vec_type t);

/* Parses a JSON array of numbers (text of length n) into a malloc'd packed vector of type t
** (VEC_F32, VEC_F16 or VEC_INT8). Returns 0 and sets *out and *dims, or -1 with a message in err.
** Rejects malformed JSON, trailing garbage, empty arrays, NaN/Inf, out-of-range values and
** non-integers for int8. */
int vec_parse_json(const char *text, size_t n, vec_type t, void **out, size_t *dims, char *err,
                   size_t errlen);

/* Checks every float of a float32/float16 vector is finite. Returns the index of the first
** non-finite element, or -1 when all are finite (always -1 for int8/bit). */
long vec_first_nonfinite(vec_type t, const void *v, size_t dims);

/* JSON text of a vector (malloc'd, NUL-terminated): floats as %f (6 decimals), int8 as
** integers, bits as 0/1 (least significant bit first). NULL when out of memory. */
char *vec_to_json_text(vec_type t, const void *v, size_t dims, size_t *len);

/* Element i of a vector as a double (bit: 0 or 1). */
double vec_element(vec_type t, const void *v, size_t i);

#endif
