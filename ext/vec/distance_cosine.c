/*
** ext/vec: the cosine distance from a kernel's sums, shared by the scalar (distance.c), AVX2 and
** AVX-512 kernels. It lives below all three, as distance.c dispatches to the other two.
*/
#include "vec/distance.h"

#include <float.h>
#include <math.h>

float vec_cosine_from_sums(float ab, float aa, float bb, vec_type t, const void *a, const void *b,
                           size_t n) {
    if (aa >= FLT_MIN && bb >= FLT_MIN && aa <= FLT_MAX && bb <= FLT_MAX && fabsf(ab) <= FLT_MAX)
        return 1.0f - ab / (sqrtf(aa) * sqrtf(bb));
    /* Squares of floats are always normal doubles: these sums cannot under- or overflow. */
    double dab = 0, daa = 0, dbb = 0;
    for (size_t i = 0; i < n; i++) {
        double x = vec_element(t, a, i), y = vec_element(t, b, i);
        dab += x * y;
        daa += x * x;
        dbb += y * y;
    }
    double den = sqrt(daa) * sqrt(dbb);
    return den > 0 ? (float)(1.0 - dab / den) : NAN;
}
