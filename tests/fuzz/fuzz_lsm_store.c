/*
** fuzz_lsm_store: a whole ext/lsm store from hostile files, as lsm1 opens one: the manifest, the
** log replayed on top of it, and one table file, through slsm_open. A store that opens is read
** with a cursor both ways and with point reads, written to, flushed, compacted (merging the
** hostile table) and checked with slsm_integrity_check, then closed.
**
** Input: a flags byte (bit 0: keep the input's own checksums; otherwise the harness re-seals
** the manifest and every log record so mutations get past them), the table's file number, then
** the manifest and the log, each as a 16-bit little-endian length and its bytes, and the rest
** is the table. The files live in a private folder under /dev/shm, emptied for every input and
** removed at exit (a crash leaves it behind).
*/
#include "lsm/lsm_coding.h"
#include "lsm/lsm_engine.h"

#include "fuzz/fuzz_lsm_seal.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_STEPS = 2000 };

static char dir[64], base[96];

static void clear_dir(void) {
    DIR *d = opendir(dir);
    if (!d)
        abort();
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void remove_dir(void) {
    clear_dir();
    rmdir(dir);
}

static void write_file(const char *path, const uint8_t *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n) || close(fd) != 0)
        abort();
}

/* Takes a 16-bit length and that many bytes (fewer when the input ends). */
static const uint8_t *take(const uint8_t **p, const uint8_t *end, size_t *n) {
    size_t len = 0;
    if (end - *p >= 2)
        len = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
    *p += end - *p >= 2 ? 2 : end - *p;
    if (len > (size_t)(end - *p))
        len = (size_t)(end - *p);
    const uint8_t *out = *p;
    *p += len;
    *n = len;
    return out;
}

static void read_store(slsm_db *db) {
    slsm_cursor *c;
    if (slsm_cursor_open(db, &c) != LSM_OK)
        return;
    uint8_t key[64];
    size_t nkey = 0;
    int steps = 0;
    for (slsm_cursor_first(c); slsm_cursor_valid(c) && steps < MAX_STEPS; slsm_cursor_next(c)) {
        size_t nk, nv;
        const void *k = slsm_cursor_key(c, &nk);
        (void)slsm_cursor_value(c, &nv);
        if (steps++ == 1 && nk <= sizeof key) {
            memcpy(key, k, nk);
            nkey = nk;
        }
    }
    steps = 0;
    for (slsm_cursor_last(c); slsm_cursor_valid(c) && steps < MAX_STEPS; slsm_cursor_prev(c))
        steps++;
    slsm_cursor_seek(c, key, nkey, SLSM_SEEK_LE);
    slsm_cursor_seek(c, key, nkey, SLSM_SEEK_EQ);
    slsm_cursor_close(c);
    const void *v;
    size_t nv;
    (void)slsm_get(db, key, nkey, &v, &nv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/dev/shm/strata-fuzz-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(base, sizeof base, "%s/kv", dir);
        atexit(remove_dir);
    }
    if (size < 2)
        return 0;
    bool keep = data[0] & 1;
    unsigned number = data[1];
    const uint8_t *p = data + 2, *end = data + size;
    size_t nm, nl;
    const uint8_t *manifest = take(&p, end, &nm), *log = take(&p, end, &nl);
    uint8_t *copy = malloc(nm + nl + 1);
    if (!copy)
        abort();
    memcpy(copy, manifest, nm);
    memcpy(copy + nm, log, nl);
    if (!keep) {
        fuzz_seal_manifest(copy, nm);
        fuzz_seal_log(copy + nm, nl);
    }
    clear_dir();
    char path[160];
    if (nm)
        write_file(base, copy, nm);
    snprintf(path, sizeof path, "%s-log", base);
    write_file(path, copy + nm, nl);
    snprintf(path, sizeof path, "%s-%06u.sst", base, number);
    write_file(path, p, (size_t)(end - p));
    free(copy);

    slsm_options o;
    slsm_options_default(&o);
    o.durability = SLSM_DURABILITY_OFF;
    o.background = 0;
    slsm_db *db = NULL;
    if (slsm_open(base, &o, &db) != LSM_OK) {
        slsm_close(db); /* a failed open still hands back a handle, for its message */
        return 0;
    }
    read_store(db);
    (void)slsm_integrity_check(db);
    if (slsm_put(db, "fuzz", 4, "value", 5) == LSM_OK && slsm_flush(db) == LSM_OK)
        (void)slsm_compact(db);
    read_store(db);
    if (slsm_close(db) != LSM_OK)
        abort(); /* no cursor is open: close cannot refuse */
    return 0;
}
