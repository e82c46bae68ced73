/*
** ext/vec: scalar SQL functions compatible with sqlite-vec v0.1.9 (vec_f32, vec_int8, vec_bit,
** vec_length, vec_type, vec_to_json, vec_add, vec_sub, vec_normalize, vec_slice,
** vec_distance_*, vec_quantize_*, vec_debug) plus vec_f16 and vec_distance_dot.
**
** Errors read "<function>: <problem>". NULL in gives NULL out (sqlite-vec raises an error).
*/
#include "common/f16.h"
#include "common/cpu.h"
#include "common/error_sql.h"
#include "common/version.h"
#include "vec/distance.h"
#include "vec/scalar_sql.h"
#include "vec/value_sql.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads argument i as a vector, or raises the error and returns -1. want: type or -1. */
static int read_arg(sqlite3_context *ctx, const char *fn, sqlite3_value *v, int want,
                    vec_value *out) {
    char *err = NULL;
    if (vec_value_read(v, want, out, &err) == 0)
        return 0;
    strata_result_error(ctx, fn, "%s", err ? err : "out of memory");
    sqlite3_free(err);
    return -1;
}

static int any_null(int argc, sqlite3_value **argv) {
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return 1;
    return 0;
}

/* ---- constructors -------------------------------------------------------------------------- */

static void fn_constructor(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_type t = (vec_type)(intptr_t)sqlite3_user_data(ctx);
    const char *fn = t == VEC_F32    ? "vec_f32"
                     : t == VEC_INT8 ? "vec_int8"
                     : t == VEC_BIT  ? "vec_bit"
                                     : "vec_f16";
    if (any_null(argc, argv))
        return;
    vec_value v;
    sqlite3_value *arg = argv[0];
    int st = (int)sqlite3_value_subtype(arg);
    /* vec_f16(vec_f32(...)) and vec_f32(vec_f16(...)) convert */
    if (sqlite3_value_type(arg) == SQLITE_BLOB &&
        ((t == VEC_F16 && st == VEC_SUBTYPE_F32) || (t == VEC_F32 && st == VEC_SUBTYPE_F16))) {
        if (read_arg(ctx, fn, arg, -1, &v) != 0)
            return;
        size_t nb = vec_type_bytes(t, v.dims);
        unsigned char *out = sqlite3_malloc64(nb + 1);
        if (out == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        for (size_t i = 0; i < v.dims; i++) {
            float f = (float)vec_element(v.type, v.data, i);
            if (t == VEC_F16) {
                if (fabsf(f) > 65504.0f) {
                    strata_result_error(ctx, fn, "element %lld (%g) is out of float16 range",
                                        (long long)i, (double)f);
                    sqlite3_free(out);
                    return;
                }
                uint16_t h = strata_f32_to_f16(f);
                memcpy(out + 2 * i, &h, 2);
            } else {
                memcpy(out + 4 * i, &f, 4);
            }
        }
        vec_result_vector(ctx, t, out, nb);
        sqlite3_free(out);
        return;
    }
    if (sqlite3_value_type(arg) == SQLITE_BLOB && st != 0 && st != (int)vec_subtype(t)) {
        /* a typed vector of another type: reinterpreting its bytes would be a silent error */
        if (read_arg(ctx, fn, arg, (int)t, &v) != 0)
            return;
    }
    if (t == VEC_BIT && sqlite3_value_type(arg) != SQLITE_BLOB) {
        strata_result_error(ctx, fn, "bit vectors are built from a BLOB (8 dimensions per byte)");
        return;
    }
    if (read_arg(ctx, fn, arg, (int)t, &v) != 0)
        return;
    vec_result_vector(ctx, t, v.data, vec_type_bytes(t, v.dims));
    vec_value_clear(&v);
}

/* ---- inspection ---------------------------------------------------------------------------- */

static void fn_length(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv) || read_arg(ctx, "vec_length", argv[0], -1, &v) != 0)
        return;
    sqlite3_result_int64(ctx, (sqlite3_int64)v.dims);
    vec_value_clear(&v);
}

static void fn_type(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv) || read_arg(ctx, "vec_type", argv[0], -1, &v) != 0)
        return;
    sqlite3_result_text(ctx, vec_type_name(v.type), -1, SQLITE_STATIC);
    vec_value_clear(&v);
}

static void fn_to_json(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv) || read_arg(ctx, "vec_to_json", argv[0], -1, &v) != 0)
        return;
    size_t n;
    char *s = vec_to_json_text(v.type, v.data, v.dims, &n);
    vec_value_clear(&v);
    if (s == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text64(ctx, s, n, free, SQLITE_UTF8);
}

/* ---- arithmetic ---------------------------------------------------------------------------- */

/* Reads two vectors of the same type and length; raises and returns -1 otherwise. */
static int read_pair(sqlite3_context *ctx, const char *fn, sqlite3_value **argv, vec_value *a,
                     vec_value *b) {
    if (read_arg(ctx, fn, argv[0], -1, a) != 0)
        return -1;
    if (read_arg(ctx, fn, argv[1], -1, b) != 0) {
        vec_value_clear(a);
        return -1;
    }
    const char *problem = NULL;
    if (a->type != b->type) {
        strata_result_error(ctx, fn,
                            "vector type mismatch: the first vector is %s, the second is %s",
                            vec_type_name(a->type), vec_type_name(b->type));
        problem = "";
    } else if (a->dims != b->dims) {
        strata_result_error(ctx, fn,
                            "vector dimension mismatch: the first vector has %lld dimensions, the "
                            "second has %lld",
                            (long long)a->dims, (long long)b->dims);
        problem = "";
    }
    if (problem) {
        vec_value_clear(a);
        vec_value_clear(b);
        return -1;
    }
    return 0;
}

static void fn_add_sub(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    int sub = sqlite3_user_data(ctx) != NULL;
    const char *fn = sub ? "vec_sub" : "vec_add";
    vec_value a, b;
    if (any_null(argc, argv) || read_pair(ctx, fn, argv, &a, &b) != 0)
        return;
    size_t nb = vec_type_bytes(a.type, a.dims);
    unsigned char *out = sqlite3_malloc64(nb + 1);
    if (out == NULL) {
        sqlite3_result_error_nomem(ctx);
        goto done;
    }
    if (a.type == VEC_BIT) {
        strata_result_error(ctx, fn, "cannot add or subtract bit vectors");
        goto done;
    }
    for (size_t i = 0; i < a.dims; i++) {
        double x = vec_element(a.type, a.data, i), y = vec_element(b.type, b.data, i);
        double r = sub ? x - y : x + y;
        if (a.type == VEC_INT8) {
            if (r < -128 || r > 127) {
                strata_result_error(ctx, fn, "int8 overflow at element %lld (%g)", (long long)i, r);
                goto done;
            }
            out[i] = (unsigned char)(signed char)r;
        } else if (a.type == VEC_F16) {
            if (fabs(r) > 65504.0) {
                strata_result_error(ctx, fn, "float16 overflow at element %lld", (long long)i);
                goto done;
            }
            uint16_t h = strata_f32_to_f16((float)r);
            memcpy(out + 2 * i, &h, 2);
        } else {
            float f = sub ? (float)x - (float)y : (float)x + (float)y;
            if (!isfinite(f)) {
                strata_result_error(ctx, fn, "float32 overflow at element %lld", (long long)i);
                goto done;
            }
            memcpy(out + 4 * i, &f, 4);
        }
    }
    vec_result_vector(ctx, a.type, out, nb);
done:
    sqlite3_free(out);
    vec_value_clear(&a);
    vec_value_clear(&b);
}

static void fn_normalize(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv) || read_arg(ctx, "vec_normalize", argv[0], -1, &v) != 0)
        return;
    if (v.type != VEC_F32 && v.type != VEC_F16) {
        strata_result_error(ctx, "vec_normalize",
                            "only float32 and float16 vectors can be "
                            "normalized, got %s",
                            vec_type_name(v.type));
        vec_value_clear(&v);
        return;
    }
    double norm = 0;
    for (size_t i = 0; i < v.dims; i++) {
        double x = vec_element(v.type, v.data, i);
        norm += x * x;
    }
    norm = sqrt(norm);
    size_t nb = vec_type_bytes(v.type, v.dims);
    unsigned char *out = sqlite3_malloc64(nb + 1);
    if (out == NULL) {
        sqlite3_result_error_nomem(ctx);
        vec_value_clear(&v);
        return;
    }
    for (size_t i = 0; i < v.dims; i++) {
        /* a zero vector stays zero rather than turning into NaN as sqlite-vec's does */
        float f = norm > 0 ? (float)(vec_element(v.type, v.data, i) / norm) : 0.0f;
        if (v.type == VEC_F32) {
            memcpy(out + 4 * i, &f, 4);
        } else {
            uint16_t h = strata_f32_to_f16(f);
            memcpy(out + 2 * i, &h, 2);
        }
    }
    vec_result_vector(ctx, v.type, out, nb);
    sqlite3_free(out);
    vec_value_clear(&v);
}

static void fn_slice(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv))
        return;
    if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER ||
        sqlite3_value_numeric_type(argv[2]) != SQLITE_INTEGER) {
        strata_result_error(ctx, "vec_slice", "start and end must be integers");
        return;
    }
    if (read_arg(ctx, "vec_slice", argv[0], -1, &v) != 0)
        return;
    sqlite3_int64 start = sqlite3_value_int64(argv[1]), end = sqlite3_value_int64(argv[2]);
    if (start < 0)
        strata_result_error(ctx, "vec_slice", "start index must not be negative, got %lld",
                            (long long)start);
    else if (end > (sqlite3_int64)v.dims)
        strata_result_error(ctx, "vec_slice",
                            "end index %lld is greater than the number of dimensions (%lld)",
                            (long long)end, (long long)v.dims);
    else if (start >= end)
        strata_result_error(ctx, "vec_slice",
                            "start index (%lld) must be less than end index (%lld)",
                            (long long)start, (long long)end);
    else if (v.type == VEC_BIT && (start % 8 || end % 8))
        strata_result_error(ctx, "vec_slice",
                            "start and end of a bit vector slice must be multiples of 8");
    else {
        size_t off = vec_type_bytes(v.type, (size_t)start);
        size_t nb = vec_type_bytes(v.type, (size_t)(end - start));
        vec_result_vector(ctx, v.type, (const char *)v.data + off, nb);
    }
    vec_value_clear(&v);
}

/* ---- distances ----------------------------------------------------------------------------- */

static void fn_distance(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_metric m = (vec_metric)(intptr_t)sqlite3_user_data(ctx);
    static const char *names[] = {"vec_distance_l2", "vec_distance_l1", "vec_distance_cosine",
                                  "vec_distance_dot", "vec_distance_hamming"};
    const char *fn = names[m];
    vec_value a, b;
    if (any_null(argc, argv) || read_pair(ctx, fn, argv, &a, &b) != 0)
        return;
    vec_distance_fn k = vec_distance_kernel(a.type, m);
    if (k == NULL) {
        if (m == VEC_HAMMING)
            strata_result_error(ctx, fn, "hamming distance needs bit vectors, got %s",
                                vec_type_name(a.type));
        else
            strata_result_error(ctx, fn, "cannot compute %s distance between two %s vectors",
                                vec_metric_name(m), vec_type_name(a.type));
    } else {
        float d = k(a.data, b.data, a.dims);
        if (isnan(d))
            sqlite3_result_null(ctx); /* cosine with a zero vector */
        else
            sqlite3_result_double(ctx, d);
    }
    vec_value_clear(&a);
    vec_value_clear(&b);
}

/* ---- quantization -------------------------------------------------------------------------- */

static void fn_quantize_binary(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv) || read_arg(ctx, "vec_quantize_binary", argv[0], -1, &v) != 0)
        return;
    if (v.type == VEC_BIT) {
        strata_result_error(ctx, "vec_quantize_binary", "the vector is already a bit vector");
    } else if (v.dims % 8 != 0) {
        strata_result_error(ctx, "vec_quantize_binary",
                            "binary quantization needs a length divisible by 8, got %lld",
                            (long long)v.dims);
    } else {
        size_t nb = v.dims / 8;
        unsigned char *out = sqlite3_malloc64(nb + 1);
        if (out == NULL) {
            sqlite3_result_error_nomem(ctx);
        } else {
            memset(out, 0, nb);
            for (size_t i = 0; i < v.dims; i++)
                if (vec_element(v.type, v.data, i) > 0)
                    out[i / 8] |= (unsigned char)(1u << (i % 8));
            vec_result_vector(ctx, VEC_BIT, out, nb);
            sqlite3_free(out);
        }
    }
    vec_value_clear(&v);
}

static void fn_quantize_int8(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    vec_value v;
    if (any_null(argc, argv))
        return;
    const char *mode = (const char *)sqlite3_value_text(argv[1]);
    if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || mode == NULL || strcmp(mode, "unit") != 0) {
        strata_result_error(ctx, "vec_quantize_int8", "the 2nd argument must be 'unit'");
        return;
    }
    if (read_arg(ctx, "vec_quantize_int8", argv[0], -1, &v) != 0)
        return;
    if (v.type != VEC_F32 && v.type != VEC_F16) {
        strata_result_error(ctx, "vec_quantize_int8", "only float vectors can be quantized, got %s",
                            vec_type_name(v.type));
        vec_value_clear(&v);
        return;
    }
    signed char *out = sqlite3_malloc64(v.dims + 1);
    if (out == NULL) {
        sqlite3_result_error_nomem(ctx);
        vec_value_clear(&v);
        return;
    }
    /* sqlite-vec's mapping of [-1, 1] onto [-128, 127], truncated, in float32 */
    const float step = 2.0f / 255.0f;
    for (size_t i = 0; i < v.dims; i++) {
        float q = ((float)vec_element(v.type, v.data, i) + 1.0f) / step - 128.0f;
        q = q < -128.0f ? -128.0f : q > 127.0f ? 127.0f : q;
        out[i] = (signed char)q;
    }
    vec_result_vector(ctx, VEC_INT8, out, v.dims);
    sqlite3_free(out);
    vec_value_clear(&v);
}

/* ---- meta ---------------------------------------------------------------------------------- */

/* vec_version() answers the sqlite-vec release whose API strata implements, because code written
** for sqlite-vec gates features on that string (see docs/vec.md). It stays "v0.1.9" while
** 0.1.10 is an alpha: "v0.1.10-alpha.3" sorts before "v0.1.6" as text and before "v0.1.10" in
** semver, so gating code would take it for an old or unfinished release. */
#define VEC_SQLITE_VEC_VERSION "v0.1.9"

static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_result_text(ctx, VEC_SQLITE_VEC_VERSION, -1, SQLITE_STATIC);
}

/* sqlite-vec's four lines (Version, Date, Commit, Build flags: "avx" where SIMD kernels run,
** and the indexes, as sqlite-vec 0.1.10 lists them), then strata's own version, the CPU
** features and the kernel family. */
static void fn_debug(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    /* The Strata version line is how a second strata library recognises our functions
    ** (extension.c). */
    const char *isa = vec_distance_isa();
    char *s =
        sqlite3_mprintf("Version: %s\nDate: \nCommit: \nBuild flags: %s\nStrata version: "
                        "%s\nCPU features: %s\nKernels: %s",
                        VEC_SQLITE_VEC_VERSION,
                        strcmp(isa, "scalar") ? "avx rescore ivf diskann" : "rescore ivf diskann",
                        STRATA_VERSION, strata_cpu_describe(), isa);
    if (s == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, s, -1, sqlite3_free);
}

/* ---- registration -------------------------------------------------------------------------- */

/* Functions that read vectors accept sqlite-vec's subtypes; those that make one set it. */
#define CONSUME (STRATA_PURE | SQLITE_SUBTYPE)
#define PRODUCE (CONSUME | SQLITE_RESULT_SUBTYPE)

const strata_function vec_scalar_functions[] = {
    {"vec_f32", 1, PRODUCE, fn_constructor, (const void *)VEC_F32},
    {"vec_int8", 1, PRODUCE, fn_constructor, (const void *)VEC_INT8},
    {"vec_bit", 1, PRODUCE, fn_constructor, (const void *)VEC_BIT},
    {"vec_f16", 1, PRODUCE, fn_constructor, (const void *)VEC_F16},
    {"vec_length", 1, CONSUME, fn_length, NULL},
    {"vec_type", 1, CONSUME, fn_type, NULL},
    {"vec_to_json", 1, CONSUME, fn_to_json, NULL},
    {"vec_add", 2, PRODUCE, fn_add_sub, NULL},
    {"vec_sub", 2, PRODUCE, fn_add_sub, (const void *)1},
    {"vec_normalize", 1, PRODUCE, fn_normalize, NULL},
    {"vec_slice", 3, PRODUCE, fn_slice, NULL},
    {"vec_distance_l2", 2, CONSUME, fn_distance, (const void *)VEC_L2},
    {"vec_distance_l1", 2, CONSUME, fn_distance, (const void *)VEC_L1},
    {"vec_distance_cosine", 2, CONSUME, fn_distance, (const void *)VEC_COSINE},
    {"vec_distance_dot", 2, CONSUME, fn_distance, (const void *)VEC_DOT},
    {"vec_distance_hamming", 2, CONSUME, fn_distance, (const void *)VEC_HAMMING},
    {"vec_quantize_binary", 1, PRODUCE, fn_quantize_binary, NULL},
    {"vec_quantize_int8", 2, PRODUCE, fn_quantize_int8, NULL},
    {"vec_debug", 0, STRATA_PURE, fn_debug, NULL},
    {"vec_version", 0, STRATA_PURE, fn_version, NULL},
};
const size_t vec_scalar_nfunctions = STRATA_COUNT(vec_scalar_functions);
