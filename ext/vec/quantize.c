/*
** ext/vec: quantized codes of float vectors (see quantize.h).
*/
#include "vec/quantize.h"

#include "common/cpu.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

size_t vec_quant_bytes(vec_quantizer q, size_t dims) {
    switch (q) {
        case VEC_QUANT_INT8:
            return dims + 8;
        case VEC_QUANT_BIT:
            return (dims + 7) / 8;
        case VEC_QUANT_NONE:
            break;
    }
    return 0;
}

const char *vec_quantizer_name(vec_quantizer q) {
    return q == VEC_QUANT_INT8 ? "int8" : q == VEC_QUANT_BIT ? "bit" : "none";
}

void vec_quantize(vec_quantizer q, const float *x, size_t dims, void *code) {
    unsigned char *out = code;
    if (q == VEC_QUANT_BIT) {
        memset(out, 0, (dims + 7) / 8);
        for (size_t i = 0; i < dims; i++)
            if (x[i] > 0)
                out[i / 8] |= (unsigned char)(1u << (i % 8));
        return;
    }
    if (q != VEC_QUANT_INT8)
        return;
    float most = 0;
    double norm = 0;
    for (size_t i = 0; i < dims; i++) {
        float a = fabsf(x[i]);
        most = a > most ? a : most;
        norm += (double)x[i] * x[i];
    }
    float scale = most / 127.0f;
    for (size_t i = 0; i < dims; i++) {
        float c = scale > 0 ? nearbyintf(x[i] / scale) : 0.0f;
        c = c > 127.0f ? 127.0f : c < -127.0f ? -127.0f : c;
        out[i] = (unsigned char)(int8_t)c;
    }
    float n = (float)sqrt(norm);
    memcpy(out + dims, &scale, 4);
    memcpy(out + dims + 4, &n, 4);
}

void vec_quant_scorer_init(vec_quant_scorer *s, vec_quantizer q, vec_metric m, size_t dims,
                           const void *query) {
    memset(s, 0, sizeof *s);
    s->q = q;
    s->m = m;
    s->dims = dims;
    s->query = query;
    if (q == VEC_QUANT_BIT) {
        s->kernel = vec_distance_kernel(VEC_BIT, VEC_HAMMING);
        return;
    }
    memcpy(&s->scale, s->query + dims, 4);
    memcpy(&s->norm, s->query + dims + 4, 4);
#if defined(__x86_64__)
    if (strata_cpu_has(STRATA_CPU_AVX512_VNNI)) {
        int32_t sum = 0;
        for (size_t i = 0; i < dims; i++)
            sum += (int8_t)s->query[i];
        s->bias = 128 * sum;
        s->dot_u8s8 = vec_dot_u8s8_avx512;
        return;
    }
#endif
    s->kernel = vec_distance_kernel(VEC_INT8, VEC_DOT);
}

float vec_quant_estimate(const vec_quant_scorer *s, const void *code) {
    size_t dims = s->dims;
    if (s->q == VEC_QUANT_BIT)
        return s->kernel(s->query, code, dims);
    const unsigned char *x = code;
    float sx, nx;
    memcpy(&sx, x + dims, 4);
    memcpy(&nx, x + dims + 4, 4);
    if (s->m == VEC_L1) {
        float sum = 0;
        for (size_t i = 0; i < dims; i++)
            sum += fabsf(s->scale * (float)(int8_t)s->query[i] - sx * (float)(int8_t)x[i]);
        return sum;
    }
    float dot = s->dot_u8s8 ? (float)(s->dot_u8s8(x, s->query, dims) - s->bias)
                            : -s->kernel(s->query, x, dims); /* the kernel answers -(a.b) */
    float ip = dot * s->scale * sx;
    switch (s->m) {
        case VEC_L2: {
            float d2 = s->norm * s->norm + nx * nx - 2 * ip;
            return d2 > 0 ? sqrtf(d2) : 0.0f;
        }
        case VEC_COSINE:
            return 1.0f - ip / (s->norm * nx);
        default:
            return -ip;
    }
}

void vec_to_f32(vec_type t, const void *v, size_t dims, float *out) {
    if (t == VEC_F32) {
        memcpy(out, v, dims * 4);
        return;
    }
    for (size_t i = 0; i < dims; i++)
        out[i] = (float)vec_element(t, v, i);
}
