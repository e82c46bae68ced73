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

enum gguf_kv_type {
    GGUF_U8 = 0,
    GGUF_I8,
    GGUF_U16,
    GGUF_I16,
    GGUF_U32,
    GGUF_I32,
    GGUF_F32,
    GGUF_BOOL,
    GGUF_STRING,
    GGUF_ARRAY,
    GGUF_U64,
    GGUF_I64,
    GGUF_F64,
    GGUF_KV_TYPE_COUNT
};

enum gguf_tensor_type { GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q8_0 = 8, GGML_BF16 = 30 };

typedef struct gguf_kv {
    const char *key;
    size_t key_len;
    uint32_t type;
    const unsigned char *val; /* the value's bytes (for arrays: the first element) */
    uint32_t arr_type;        /* arrays only */
    uint64_t arr_n;           /* arrays only */
} gguf_kv;

typedef struct gguf_tensor {
    const char *name;
    size_t name_len;
    uint32_t n_dims;
    uint64_t ne[4]; /* ne[0] varies fastest; unused dims are 1 */
    uint32_t type;
    uint64_t offset; /* from the start of the data section */
    uint64_t nbytes;
    const void *data;
} gguf_tensor;

typedef struct gguf_ctx {
    lembed_file file;
    const char *path;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    gguf_kv *kvs;
    gguf_tensor *tensors;
    uint64_t alignment;
} gguf_ctx;

#define GGUF_MAX_TENSORS 65536
#define GGUF_MAX_KV 65536

/* Maps and parses path. Returns 0, or -1 with "cannot load 'path': problem" in err. */
int gguf_open(const char *path, gguf_ctx *g, char *err, size_t errlen);
void gguf_close(gguf_ctx *g);

const gguf_kv *gguf_find_kv(const gguf_ctx *g, const char *key);
/* Scalar accessors: false when the kv is missing or of another kind. */
bool gguf_get_int(const gguf_ctx *g, const char *key, int64_t *out);
bool gguf_get_float(const gguf_ctx *g, const char *key, double *out);
bool gguf_get_string(const gguf_ctx *g, const char *key, const char **s, size_t *n);
/* Walks an array of strings: calls fn for each element; stops and returns false if fn does. */
bool gguf_array_strings(const gguf_kv *kv, bool (*fn)(void *, uint64_t, const char *, size_t),
                        void *arg);
/* Element i of an integer array, or false. */
bool gguf_array_int(const gguf_kv *kv, uint64_t i, int64_t *out);

const gguf_tensor *gguf_find_tensor(const gguf_ctx *g, const char *name);
/* Bytes of a row of n values of a tensor type, or 0 when unsupported or n is not a multiple of
** the block size. */
uint64_t gguf_row_bytes(uint32_t type, uint64_t n);
const char *gguf_type_name(uint32_t type);

#endif
