/*
** fuzz_util.h: what the libFuzzer harnesses of tests/fuzz share.
**
** Engines that only read files get the input through a memfd named by its /proc/self/fd path:
** no disk traffic, and nothing is left behind when a run stops. Inputs that carry several parts
** (a schema and a document, a vocabulary and a text) are split at their first NUL byte.
*/
#ifndef STRATA_FUZZ_UTIL_H
#define STRATA_FUZZ_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_FILES 4

/* Writes data[0..n) to memfd number slot (0..FUZZ_FILES-1, created on first use, emptied
** first) and returns a path that opens it; aborts when the file cannot be written (a harness
** fault, not a finding). */
static inline const char *fuzz_file(int slot, const uint8_t *data, size_t n) {
    static int fds[FUZZ_FILES] = {-1, -1, -1, -1};
    static char paths[FUZZ_FILES][64];
    if (fds[slot] < 0) {
        fds[slot] = memfd_create("strata-fuzz", MFD_CLOEXEC);
        if (fds[slot] < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fds[slot]);
    }
    if (ftruncate(fds[slot], 0) != 0) {
        perror("ftruncate");
        abort();
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fds[slot], data + done, n - done, (off_t)done);
        if (w <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)w;
    }
    return paths[slot];
}

/* Splits data at its first NUL: returns what comes before (a NUL-terminated malloc'd copy, *na
** bytes long); *rest and *nrest get what follows (empty when the input has no NUL). */
static inline char *fuzz_split(const uint8_t *data, size_t n, size_t *na, const uint8_t **rest,
                               size_t *nrest) {
    const uint8_t *nul = memchr(data, 0, n);
    *na = nul ? (size_t)(nul - data) : n;
    *rest = nul ? nul + 1 : data + n;
    *nrest = nul ? n - *na - 1 : 0;
    char *a = malloc(*na + 1);
    if (!a)
        abort();
    memcpy(a, data, *na);
    a[*na] = 0;
    return a;
}

/* A NUL-terminated malloc'd copy of data[0..n). */
static inline char *fuzz_strndup(const uint8_t *data, size_t n) {
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, data, n);
    s[n] = 0;
    return s;
}

#endif
