/*
** ext/vec: quantized codes of float vectors (see quantize.h).
*/
#include "vec/quantize.h"

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

void vec_quant_scorer_init(vec_quant_scorer *s, vec_quantizer q, vec_metric m, size_t dims) {
    s->q = q;
    s->m = m;
    s->dims = dims;
    s->kernel = q == VEC_QUANT_BIT ? vec_distance_kernel(VEC_BIT, VEC_HAMMING)
                                   : vec_distance_kernel(VEC_INT8, VEC_DOT);
}

float vec_quant_estimate(const vec_quant_scorer *s, const void *a, const void *b) {
    size_t dims = s->dims;
    if (s->q == VEC_QUANT_BIT)
        return s->kernel(a, b, dims);
    const unsigned char *x = a, *y = b;
    float sa, sb, na, nb;
    memcpy(&sa, x + dims, 4);
    memcpy(&na, x + dims + 4, 4);
    memcpy(&sb, y + dims, 4);
    memcpy(&nb, y + dims + 4, 4);
    if (s->m == VEC_L1) {
        float sum = 0;
        for (size_t i = 0; i < dims; i++)
            sum += fabsf(sa * (float)(int8_t)x[i] - sb * (float)(int8_t)y[i]);
        return sum;
    }
    float ip = -s->kernel(a, b, dims) * sa * sb; /* the kernel answers -(a.b) */
    switch (s->m) {
        case VEC_L2: {
            float d2 = na * na + nb * nb - 2 * ip;
            return d2 > 0 ? sqrtf(d2) : 0.0f;
        }
        case VEC_COSINE:
            return 1.0f - ip / (na * nb);
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
