/*
** ext/vec: reading vectors out of SQL values (see value_sql.h).
*/
#include "common/f16.h"
#include "vec/value_sql.h"

#include <stdlib.h>
#include <string.h>

unsigned vec_subtype(vec_type t) {
    switch (t) {
        case VEC_F32:
            return VEC_SUBTYPE_F32;
        case VEC_INT8:
            return VEC_SUBTYPE_INT8;
        case VEC_BIT:
            return VEC_SUBTYPE_BIT;
        case VEC_F16:
            return VEC_SUBTYPE_F16;
    }
    return 0;
}

static int type_of_subtype(unsigned st) {
    switch (st) {
        case VEC_SUBTYPE_F32:
            return VEC_F32;
        case VEC_SUBTYPE_INT8:
            return VEC_INT8;
        case VEC_SUBTYPE_BIT:
            return VEC_BIT;
        case VEC_SUBTYPE_F16:
            return VEC_F16;
    }
    return -1;
}

void vec_value_clear(vec_value *v) {
    free(v->owned);
    memset(v, 0, sizeof *v);
}

const char *vec_sql_type_name(int t) {
    switch (t) {
        case SQLITE_INTEGER:
            return "INTEGER";
        case SQLITE_FLOAT:
            return "FLOAT";
        case SQLITE_TEXT:
            return "TEXT";
        case SQLITE_BLOB:
            return "BLOB";
    }
    return "NULL";
}

int vec_value_read(sqlite3_value *v, int want, vec_value *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    int vt = sqlite3_value_type(v);
    if (vt == SQLITE_TEXT) {
        vec_type t = want < 0 ? VEC_F32 : (vec_type)want;
        const char *s = (const char *)sqlite3_value_text(v);
        char msg[200];
        if (s == NULL) {
            *err = sqlite3_mprintf("out of memory");
            return -1;
        }
        if (t == VEC_BIT) {
            *err = sqlite3_mprintf("bit vectors must be given as a BLOB (vec_bit(X'..'))");
            return -1;
        }
        if (vec_parse_json(s, (size_t)sqlite3_value_bytes(v), t, &out->owned, &out->dims, msg,
                           sizeof msg) != 0) {
            *err = sqlite3_mprintf("%s", msg);
            return -1;
        }
        out->type = t;
        out->data = out->owned;
        return 0;
    }
    if (vt != SQLITE_BLOB) {
        *err = sqlite3_mprintf("expected a vector as a BLOB or JSON text, found %s",
                               vec_sql_type_name(vt));
        return -1;
    }
    int st = type_of_subtype(sqlite3_value_subtype(v));
    vec_type t;
    if (st >= 0)
        t = (vec_type)st;
    else
        t = want < 0 ? VEC_F32 : (vec_type)want;
    if (want >= 0 && (int)t != want) {
        *err = sqlite3_mprintf("expected a %s vector, got a %s vector",
                               vec_type_name((vec_type)want), vec_type_name(t));
        return -1;
    }
    size_t n = (size_t)sqlite3_value_bytes(v);
    const void *p = sqlite3_value_blob(v);
    if (n == 0 || p == NULL) {
        *err = sqlite3_mprintf("zero-length vectors are not supported");
        return -1;
    }
    size_t esize = t == VEC_F32 ? 4 : t == VEC_F16 ? 2 : 1;
    if (n % esize != 0) {
        *err = sqlite3_mprintf("invalid %s vector BLOB length: must be divisible by %d, found %lld",
                               vec_type_name(t), (int)esize, (long long)n);
        return -1;
    }
    /* the limit JSON input has (vector.c), so a huge BLOB costs no scan, copy or text */
    if (vec_type_dims(t, n) > VEC_MAX_DIMS) {
        *err = sqlite3_mprintf("vector has more than %u elements: a %s BLOB of %lld bytes holds "
                               "%lld",
                               VEC_MAX_DIMS, vec_type_name(t), (long long)n,
                               (long long)vec_type_dims(t, n));
        return -1;
    }
    out->type = t;
    out->dims = vec_type_dims(t, n);
    out->data = p;
    long bad = vec_first_nonfinite(t, p, out->dims);
    if (bad >= 0) {
        *err = sqlite3_mprintf("invalid %s vector: element %ld is not a finite number",
                               vec_type_name(t), bad);
        return -1;
    }
    return 0;
}

void vec_result_vector(sqlite3_context *ctx, vec_type t, const void *data, size_t nbytes) {
    sqlite3_result_blob64(ctx, data, nbytes, SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, vec_subtype(t));
}

int vec_value_read_column(sqlite3_value *v, vec_type t, size_t dims, vec_value *out, char **err) {
    if (t == VEC_F16 && sqlite3_value_type(v) == SQLITE_BLOB) {
        unsigned st = sqlite3_value_subtype(v);
        size_t n = (size_t)sqlite3_value_bytes(v);
        if (st == VEC_SUBTYPE_F32 || (st == 0 && n == 4 * dims)) {
            vec_value f;
            if (vec_value_read(v, VEC_F32, &f, err) != 0)
                return -1;
            uint16_t *h = malloc(f.dims * 2 + 1);
            if (h == NULL) {
                vec_value_clear(&f);
                *err = sqlite3_mprintf("out of memory");
                return -1;
            }
            for (size_t i = 0; i < f.dims; i++) {
                float x = (float)vec_element(VEC_F32, f.data, i);
                if (x > 65504.0f || x < -65504.0f) {
                    *err = sqlite3_mprintf("element %lld is out of float16 range", (long long)i);
                    free(h);
                    vec_value_clear(&f);
                    return -1;
                }
                h[i] = strata_f32_to_f16(x);
            }
            memset(out, 0, sizeof *out);
            out->type = VEC_F16;
            out->dims = f.dims;
            out->owned = h;
            out->data = h;
            vec_value_clear(&f);
            return 0;
        }
    }
    return vec_value_read(v, (int)t, out, err);
}
