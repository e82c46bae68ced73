/*
** fuzz_lsm_manifest: ext/lsm's manifest (the database file that lists the table files) from any
** bytes: header, checksum, per-file entries and their key ranges, then the table set built from
** it asked what a read asks (which files may hold a key), without opening any table.
**
** The manifest's checksum makes random bytes fail early, so the harness fixes the trailing
** CRC-32C of every input: the fuzzer then explores the entries behind it. An input whose last
** byte is odd keeps its own checksum, so the check itself is covered too.
*/
#include "lsm/lsm_coding.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_tableset.h"

#include "fuzz/fuzz_lsm_seal.h"
#include "fuzz/fuzz_util.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size + 4);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    size_t n = size;
    if (n >= 5 && !(data[n - 1] & 1)) {
        n -= 1; /* drop the marker byte, then seal with a valid checksum */
        fuzz_seal_manifest(copy, n);
    }
    const char *path = fuzz_file(0, copy, n);
    lsm_tableset *v;
    uint64_t next_file, flushed_seq;
    if (lsm_manifest_read(path, "/nonexistent/fuzz", &v, &next_file, &flushed_seq) == LSM_OK) {
        for (int l = 0; l < LSM_LEVELS; l++) {
            (void)lsm_tableset_level_bytes(v, l);
            for (int i = 0; i < v->n[l]; i++) {
                const lsm_fmeta *f = v->files[l][i];
                if (f->nsmallest < LSM_TAG_BYTES || f->nlargest < LSM_TAG_BYTES)
                    abort();
                size_t nu = f->nsmallest - LSM_TAG_BYTES;
                lsm_fmeta *first;
                int first_level;
                (void)lsm_tableset_lookup_files(v, f->smallest, nu, &first, &first_level);
                if (l > 0)
                    (void)lsm_tableset_find_file(v, l, f->smallest, nu);
                (void)lsm_fmeta_overlaps(f, f->smallest, nu, NULL, 0);
            }
        }
        lsm_tableset_unref(v);
    }
    free(copy);
    return 0;
}
