/*
** local_gguf: a reader for GGUF v2/v3 files (ggml's model format) over a read-only memory map.
**
** Every count, length, offset and size read from the file is checked against the file's size
** before use: a corrupt or hostile file gives an error naming the file and the problem, never
** an out-of-bounds read. Tensor data must be aligned (general.alignment, default 32), inside
** the file, and must not overlap another tensor. Plain C, no SQLite.
*/
#ifndef STRATA_EMBED_LOCAL_GGUF_H
#define STRATA_EMBED_LOCAL_GGUF_H

#include "embed/local_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lembed_gguf_kv_type {
    LEMBED_GGUF_U8 = 0,
    LEMBED_GGUF_I8,
    LEMBED_GGUF_U16,
    LEMBED_GGUF_I16,
    LEMBED_GGUF_U32,
    LEMBED_GGUF_I32,
    LEMBED_GGUF_F32,
    LEMBED_GGUF_BOOL,
    LEMBED_GGUF_STRING,
    LEMBED_GGUF_ARRAY,
    LEMBED_GGUF_U64,
    LEMBED_GGUF_I64,
    LEMBED_GGUF_F64,
    LEMBED_GGUF_KV_TYPE_COUNT
};

enum lembed_gguf_tensor_type {
    LEMBED_GGML_F32 = 0,
    LEMBED_GGML_F16 = 1,
    LEMBED_GGML_Q4_0 = 2,
    LEMBED_GGML_Q8_0 = 8,
    LEMBED_GGML_BF16 = 30
};

typedef struct lembed_gguf_kv {
    const char *key;
    size_t key_len;
    uint32_t type;
    const unsigned char *val; /* the value's bytes (for arrays: the first element) */
    uint32_t arr_type;        /* arrays only */
    uint64_t arr_n;           /* arrays only */
} lembed_gguf_kv;

typedef struct lembed_gguf_tensor {
    const char *name;
    size_t name_len;
    uint32_t n_dims;
    uint64_t ne[4]; /* ne[0] varies fastest; unused dims are 1 */
    uint32_t type;
    uint64_t offset; /* from the start of the data section */
    uint64_t nbytes;
    const void *data;
} lembed_gguf_tensor;

typedef struct lembed_gguf {
    lembed_file file;
    const char *path;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    lembed_gguf_kv *kvs;
    lembed_gguf_tensor *tensors;
    uint64_t alignment;
} lembed_gguf;

#define LEMBED_GGUF_MAX_TENSORS 65536
#define LEMBED_GGUF_MAX_KV 65536

/* Maps and parses path. Returns 0, or -1 with "cannot load 'path': problem" in err. */
int lembed_gguf_open(const char *path, lembed_gguf *g, char *err, size_t errlen);
void lembed_gguf_close(lembed_gguf *g);

const lembed_gguf_kv *lembed_gguf_find_kv(const lembed_gguf *g, const char *key);
/* Scalar accessors: false when the kv is missing or of another kind. */
bool lembed_gguf_get_int(const lembed_gguf *g, const char *key, int64_t *out);
bool lembed_gguf_get_float(const lembed_gguf *g, const char *key, double *out);
bool lembed_gguf_get_string(const lembed_gguf *g, const char *key, const char **s, size_t *n);
/* Walks an array of strings: calls fn for each element; stops and returns false if fn does. */
bool lembed_gguf_array_strings(const lembed_gguf_kv *kv,
                               bool (*fn)(void *, uint64_t, const char *, size_t), void *arg);
/* Element i of an integer array, or false. */
bool lembed_gguf_array_int(const lembed_gguf_kv *kv, uint64_t i, int64_t *out);

const lembed_gguf_tensor *lembed_gguf_find_tensor(const lembed_gguf *g, const char *name);
/* Bytes of a row of n values of a tensor type, or 0 when unsupported or n is not a multiple of
** the block size. */
uint64_t lembed_gguf_row_bytes(uint32_t type, uint64_t n);
const char *lembed_gguf_type_name(uint32_t type);

#endif
