/*
** lsm_crc32c_avx2: CRC-32C with the SSE4.2 crc32 instruction (8 bytes per step). Called only
** after lsm_crc32c.c has checked the CPU; takes and returns the un-inverted register value.
*/
#include <nmmintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

uint32_t lsm_crc32c_hw(uint32_t crc, const uint8_t *p, size_t n);

uint32_t lsm_crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
