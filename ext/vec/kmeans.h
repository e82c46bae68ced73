/*
** ext/vec: k-means clustering of float32 vectors, for the ivf index's centroids. Plain C.
**
** k-means++ seeding, then Lloyd iterations until no point changes cluster or `iterations` runs
** out. Deterministic for a given seed. A cluster left empty is re-seeded with the point farthest
** from its centroid. Cosine tables cluster unit vectors (spherical k-means): the caller
** normalizes the points, and vec_kmeans normalizes the centroids when `spherical` is set.
*/
#ifndef STRATA_VEC_KMEANS_H
#define STRATA_VEC_KMEANS_H

#include <stddef.h>
#include <stdint.h>

/* x: n points of dims floats; centroids: k * dims floats out (k <= n). Returns 0, or -1 when
** out of memory. */
int vec_kmeans(const float *x, size_t n, size_t dims, size_t k, int iterations, uint64_t seed,
               int spherical, float *centroids);

/* Index of the centroid nearest to x (squared L2; for unit vectors the same order as cosine). */
size_t vec_nearest_centroid(const float *centroids, size_t k, size_t dims, const float *x);

/* Squared L2 distance (the kernel the two functions above use). */
float vec_l2_squared(const float *a, const float *b, size_t dims);

/* A small deterministic generator (splitmix64), for sampling. */
uint64_t vec_random_next(uint64_t *state);

#endif
