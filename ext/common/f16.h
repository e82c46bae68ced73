/*
** IEEE 754 half precision (binary16) to and from single precision, for vectors stored as
** float16 (vec) and weights stored as F16 (GGUF models in embed). Plain C, no SQLite.
*/
#ifndef STRATA_F16_H
#define STRATA_F16_H

#include <stdint.h>

/* Exact: every half value is a float. */
float strata_f16_to_f32(uint16_t h);
/* Rounds to nearest, ties to even; overflow gives infinity, NaN stays NaN. */
uint16_t strata_f32_to_f16(float f);

#endif
