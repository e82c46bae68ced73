/*
** CPU feature detection for runtime SIMD dispatch.
**
** Kernels compiled with -mavx2 etc. live in *_avx2.c / *_avx512.c files and are called only when
** strata_cpu_has() says the CPU and the OS support them, so a .so built here runs on any x86-64.
** The environment variable STRATA_CPU caps the level for testing the fallbacks:
**   STRATA_CPU=scalar   no SIMD kernels at all
**   STRATA_CPU=avx2     AVX2/FMA/F16C at most (no AVX-512)
*/
#ifndef STRATA_CPU_H
#define STRATA_CPU_H

#include <stdbool.h>

enum strata_cpu_feature {
    STRATA_CPU_AVX2 = 1u << 0,   /* with FMA, F16C, POPCNT */
    STRATA_CPU_AVX512 = 1u << 1, /* F, BW, VL, DQ */
    STRATA_CPU_AVX512_VNNI = 1u << 2,
    STRATA_CPU_AVX512_VPOPCNTDQ = 1u << 3,
};

/* Bitmask of enum strata_cpu_feature, computed once (thread-safe) and capped by STRATA_CPU. */
unsigned strata_cpu_features(void);

static inline bool strata_cpu_has(unsigned features) {
    return (strata_cpu_features() & features) == features;
}

/* Human-readable list such as "avx2 avx512 avx512_vnni", or "scalar". */
const char *strata_cpu_describe(void);

#endif
