/*
** fuzz_vec_vector: vectors as ext/vec reads them from SQL: JSON text (vec_parse_json for
** float32, float16 and int8) and raw blobs of each element type, written back as JSON, checked
** for non-finite elements, and measured with every distance metric. The SIMD kernel the engine
** picked for this CPU is compared with the scalar reference on every pair, and a cosine distance
** must lie in [0, 2]; a vec0 column list parsed from the same text covers the CREATE VIRTUAL
** TABLE arguments.
**
** Input: one byte (element type), then JSON text, a NUL, and a blob.
*/
#include "vec/distance.h"
#include "vec/schema.h"
#include "vec/vector.h"

#include "fuzz/fuzz_util.h"

#include <math.h>
#include <stdint.h>

static void schema_args(const char *text) {
    char *copy = strdup(text);
    if (!copy)
        abort();
    const char *argv[64];
    int argc = 0;
    for (char *save = NULL, *a = strtok_r(copy, "\n", &save); a && argc < 64;
         a = strtok_r(NULL, "\n", &save))
        argv[argc++] = a;
    vec0_schema s;
    char err[256];
    if (vec0_schema_parse(&s, argc, argv, err, sizeof err) == 0) {
        if (s.nvectors < 1 || s.ncols > VEC0_MAX_COLUMNS)
            abort();
        for (int i = 0; i < s.ncols; i++)
            if (s.cols[i].kind == VEC0_VECTOR && vec0_vector_bytes(&s.cols[i]) == 0)
                abort();
    }
    free(copy);
}

static bool nonzero(vec_type t, const void *v, size_t dims) {
    for (size_t i = 0; i < dims; i++)
        if (vec_element(t, v, i) != 0)
            return true;
    return false;
}

/* The chosen kernel agrees with the scalar one where the inputs are tame. */
static void distances(vec_type t, const void *a, const void *b, size_t dims, size_t nbytes) {
    bool finite = vec_first_nonfinite(t, a, dims) < 0 && vec_first_nonfinite(t, b, dims) < 0;
    bool tame = finite;
    for (size_t i = 0; tame && t != VEC_BIT && i < dims; i++)
        tame = fabs(vec_element(t, a, i)) < 1e3 && fabs(vec_element(t, b, i)) < 1e3;
    for (int m = 0; m < VEC_NMETRICS; m++) {
        if ((t == VEC_BIT) != (m == VEC_HAMMING))
            continue;
        vec_distance_fn fast = vec_distance_kernel(t, (vec_metric)m);
        vec_distance_fn slow = vec_distance_kernel_scalar(t, (vec_metric)m);
        if (!fast || !slow)
            continue;
        float x = fast(a, b, dims), y = slow(a, b, dims);
        /* Cosine distance lies in [0, 2] for any finite vectors; it is undefined (NaN) only
        ** for a zero vector. */
        if (m == VEC_COSINE && finite &&
            (isnan(x) ? nonzero(t, a, dims) && nonzero(t, b, dims) : !(x >= -1e-3f && x <= 2.001f)))
            abort();
        if (tame && x != y && !(isnan(x) && isnan(y)) &&
            !(fabsf(x - y) <= 1e-3f * (1 + fabsf(x) + fabsf(y))))
            abort();
    }
    (void)nbytes;
}

static void json_back(vec_type t, const void *v, size_t dims) {
    size_t len;
    char *json = vec_to_json_text(t, v, dims, &len);
    if (!json)
        abort();
    if (strlen(json) != len)
        abort();
    /* int8 text reads back as the same vector. */
    if (t == VEC_INT8) {
        void *again;
        size_t dims2;
        char err[256];
        if (vec_parse_json(json, len, t, &again, &dims2, err, sizeof err) != 0 || dims2 != dims ||
            memcmp(again, v, dims) != 0)
            abort();
        free(again);
    }
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    vec_type t = (vec_type)(data[0] % 4);
    size_t ntext, nblob;
    const uint8_t *blob;
    char *text = fuzz_split(data + 1, size - 1, &ntext, &blob, &nblob);
    schema_args(text);

    void *v = NULL;
    size_t dims = 0;
    char err[256];
    if (t != VEC_BIT && vec_parse_json(text, ntext, t, &v, &dims, err, sizeof err) == 0) {
        if (dims < 1 || dims > VEC_MAX_DIMS || vec_first_nonfinite(t, v, dims) >= 0)
            abort();
        json_back(t, v, dims);
    }
    /* The blob as a vector of the same type, aligned as SQLite's blobs are not guaranteed to be:
    ** copy it so the kernels see the blob's bytes at an arbitrary heap address. */
    size_t bdims = vec_type_dims(t, nblob);
    if (bdims > 0 && bdims <= VEC_MAX_DIMS) {
        uint8_t *b = malloc(nblob);
        if (!b)
            abort();
        memcpy(b, blob, nblob);
        json_back(t, b, bdims);
        (void)vec_first_nonfinite(t, b, bdims);
        distances(t, b, b, bdims, nblob);
        if (v && dims == bdims)
            distances(t, v, b, dims, nblob);
        free(b);
    }
    free(v);
    free(text);
    return 0;
}
