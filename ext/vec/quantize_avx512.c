/*
** ext/vec: the AVX-512 VNNI inner product of int8 codes (see quantize.h). VPDPBUSD multiplies
** unsigned by signed bytes, four products a 32-bit lane: flipping the code's sign bit turns it
** into code + 128 as an unsigned byte, and the caller subtracts 128 * sum(query). Per lane the
** sum stays below 2^31 for any vector of up to 2^20 elements / 16 lanes (32,640 * 4 * 2^14).
*/
#include "vec/quantize.h"

#include <immintrin.h>

int32_t vec_dot_u8s8_avx512(const unsigned char *code, const unsigned char *query, size_t dims) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= dims; i += 128) {
        __m512i a0 = _mm512_xor_si512(_mm512_loadu_si512(code + i), flip);
        __m512i a1 = _mm512_xor_si512(_mm512_loadu_si512(code + i + 64), flip);
        acc0 = _mm512_dpbusd_epi32(acc0, a0, _mm512_loadu_si512(query + i));
        acc1 = _mm512_dpbusd_epi32(acc1, a1, _mm512_loadu_si512(query + i + 64));
    }
    for (; i < dims; i += 64) {
        size_t left = dims - i;
        __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        /* masked-off bytes load as 0 in the query, so their products vanish */
        __m512i a = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, code + i), flip);
        acc0 = _mm512_dpbusd_epi32(acc0, a, _mm512_maskz_loadu_epi8(m, query + i));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}
