/*
** ext/vec: k-means for the ivf index (see kmeans.h).
*/
#include "vec/kmeans.h"

#include "vec/distance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t vec_random_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float vec_l2_squared(const float *a, const float *b, size_t dims) {
    float d = vec_distance_kernel(VEC_F32, VEC_L2)(a, b, dims);
    return d * d;
}

size_t vec_nearest_centroid(const float *centroids, size_t k, size_t dims, const float *x) {
    size_t best = 0;
    float best_d = INFINITY;
    for (size_t c = 0; c < k; c++) {
        float d = vec_l2_squared(centroids + c * dims, x, dims);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

static void normalize(float *v, size_t dims) {
    double s = 0;
    for (size_t i = 0; i < dims; i++)
        s += (double)v[i] * v[i];
    if (s > 0) {
        float inv = (float)(1.0 / sqrt(s));
        for (size_t i = 0; i < dims; i++)
            v[i] *= inv;
    }
}

/* k-means++: each next seed is drawn with probability proportional to its squared distance
** from the nearest seed so far. */
static void seed_plus_plus(const float *x, size_t n, size_t dims, size_t k, uint64_t *rng,
                           float *centroids, float *dist) {
    size_t first = (size_t)(vec_random_next(rng) % n);
    memcpy(centroids, x + first * dims, dims * sizeof *x);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        dist[i] = vec_l2_squared(x + i * dims, centroids, dims);
        total += dist[i];
    }
    for (size_t c = 1; c < k; c++) {
        size_t pick = (size_t)(vec_random_next(rng) % n);
        if (total > 0) {
            double r = (double)(vec_random_next(rng) >> 11) / 9007199254740992.0 * total, acc = 0;
            for (size_t i = 0; i < n; i++) {
                acc += dist[i];
                if (acc >= r) {
                    pick = i;
                    break;
                }
            }
        }
        float *cen = centroids + c * dims;
        memcpy(cen, x + pick * dims, dims * sizeof *x);
        total = 0;
        for (size_t i = 0; i < n; i++) {
            float d = vec_l2_squared(x + i * dims, cen, dims);
            if (d < dist[i])
                dist[i] = d;
            total += dist[i];
        }
    }
}

int vec_kmeans(const float *x, size_t n, size_t dims, size_t k, int iterations, uint64_t seed,
               int spherical, float *centroids) {
    if (k == 0 || n == 0 || k > n)
        return -1;
    uint64_t rng = seed;
    size_t *assign = malloc(n * sizeof *assign);
    float *dist = malloc(n * sizeof *dist);
    double *sums = malloc(k * dims * sizeof *sums);
    size_t *counts = malloc(k * sizeof *counts);
    if (assign == NULL || dist == NULL || sums == NULL || counts == NULL) {
        free(assign);
        free(dist);
        free(sums);
        free(counts);
        return -1;
    }
    seed_plus_plus(x, n, dims, k, &rng, centroids, dist);
    for (size_t i = 0; i < n; i++)
        assign[i] = (size_t)-1;
    for (int it = 0; it < iterations; it++) {
        size_t moved = 0;
        for (size_t i = 0; i < n; i++) {
            size_t c = vec_nearest_centroid(centroids, k, dims, x + i * dims);
            dist[i] = vec_l2_squared(x + i * dims, centroids + c * dims, dims);
            moved += c != assign[i];
            assign[i] = c;
        }
        if (moved == 0)
            break;
        memset(sums, 0, k * dims * sizeof *sums);
        memset(counts, 0, k * sizeof *counts);
        for (size_t i = 0; i < n; i++) {
            double *s = sums + assign[i] * dims;
            const float *p = x + i * dims;
            for (size_t d = 0; d < dims; d++)
                s[d] += p[d];
            counts[assign[i]]++;
        }
        for (size_t c = 0; c < k; c++) {
            float *cen = centroids + c * dims;
            if (counts[c] == 0) {
                /* re-seed with the point farthest from its centroid */
                size_t far = 0;
                for (size_t i = 1; i < n; i++)
                    if (dist[i] > dist[far])
                        far = i;
                memcpy(cen, x + far * dims, dims * sizeof *x);
                dist[far] = 0;
                continue;
            }
            for (size_t d = 0; d < dims; d++)
                cen[d] = (float)(sums[c * dims + d] / (double)counts[c]);
            if (spherical)
                normalize(cen, dims);
        }
    }
    free(assign);
    free(dist);
    free(sums);
    free(counts);
    return 0;
}
