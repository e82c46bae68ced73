/*
** Growing arrays (see lsm_buffer.h).
*/
#include "lsm/lsm_buffer.h"

#include <stdint.h>
#include <stdlib.h>

int lsm_grow_array(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return 1;
    size_t ncap = need < 64 ? 64 : need + need / 2;
    if (ncap < need || ncap > SIZE_MAX / elem)
        return 0;
    void *np = realloc(*p, ncap * elem);
    if (np == NULL)
        return 0;
    *p = np;
    *cap = ncap;
    return 1;
}
