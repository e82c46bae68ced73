/*
** CPU feature detection (see cpu.h).
**
** GCC's __builtin_cpu_supports checks CPUID and, for AVX and AVX-512, that the OS saves the
** wider registers (XGETBV), which is what makes the instructions usable.
*/
#include "common/cpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static unsigned detected;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static unsigned detect_hardware(void) {
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("popcnt"))
        f |= STRATA_CPU_AVX2;
    if ((f & STRATA_CPU_AVX2) && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq"))
        f |= STRATA_CPU_AVX512;
    if ((f & STRATA_CPU_AVX512) && __builtin_cpu_supports("avx512vnni"))
        f |= STRATA_CPU_AVX512_VNNI;
    if ((f & STRATA_CPU_AVX512) && __builtin_cpu_supports("avx512vpopcntdq"))
        f |= STRATA_CPU_AVX512_VPOPCNTDQ;
#endif
    return f;
}

static void detect(void) {
    unsigned f = detect_hardware();
    const char *cap = getenv("STRATA_CPU");
    if (cap != NULL) {
        if (strcmp(cap, "scalar") == 0)
            f = 0;
        else if (strcmp(cap, "avx2") == 0)
            f &= STRATA_CPU_AVX2;
    }
    detected = f;
}

unsigned strata_cpu_features(void) {
    pthread_once(&detect_once, detect);
    return detected;
}

const char *strata_cpu_describe(void) {
    static const char *const names[16] = {
        "scalar",
        "avx2",
        "avx512",
        "avx2 avx512",
        "avx512_vnni",
        "avx2 avx512_vnni",
        "avx512 avx512_vnni",
        "avx2 avx512 avx512_vnni",
        "avx512_vpopcntdq",
        "avx2 avx512_vpopcntdq",
        "avx512 avx512_vpopcntdq",
        "avx2 avx512 avx512_vpopcntdq",
        "avx512_vnni avx512_vpopcntdq",
        "avx2 avx512_vnni avx512_vpopcntdq",
        "avx512 avx512_vnni avx512_vpopcntdq",
        "avx2 avx512 avx512_vnni avx512_vpopcntdq",
    };
    return names[strata_cpu_features() & 15];
}
