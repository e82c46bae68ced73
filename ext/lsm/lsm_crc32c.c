/*
** lsm_crc32c: portable CRC-32C (slicing-by-8) and the dispatch to the SSE4.2 kernel in
** lsm_crc32c_avx2.c (every AVX2 CPU has the crc32 instruction).
*/
#include "lsm/lsm_crc32c.h"
#include "common/cpu.h"

#include <pthread.h>
#include <string.h>

uint32_t lsm_crc32c_hw(uint32_t crc, const uint8_t *p, size_t n);

static uint32_t table[8][256];
static int use_hw;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
    use_hw = strata_cpu_has(STRATA_CPU_AVX2);
}

static uint32_t crc_sw(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
              table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
              table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return crc;
}

uint32_t lsm_crc32c_extend(uint32_t crc, const void *data, size_t n) {
    pthread_once(&once, init_tables);
    crc = ~crc;
    crc = use_hw ? lsm_crc32c_hw(crc, data, n) : crc_sw(crc, data, n);
    return ~crc;
}
