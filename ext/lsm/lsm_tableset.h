/*
** lsm_tableset: which table files make up the database, level by level (LevelDB calls this a
** Version), and the manifest file that records it.
**
** A table set is immutable and reference counted: cursors keep the set they started with, so a
** flush or compaction never pulls a file from under a reader. A file is removed from disk when
** the last set holding it goes away after a compaction made it obsolete.
**
** Level 0 holds flushed memtables, newest first, possibly overlapping. Levels 1.. hold files
** with disjoint key ranges sorted by smallest key.
**
** Manifest (the database file itself, replaced atomically: written to "<name>-tmp", fsynced,
** renamed over "<name>", directory fsynced):
**     8 bytes magic "STRATLSM", fixed32 format 1, fixed64 next file number,
**     fixed64 flushed sequence (every commit up to it is in the tables), fixed32 file count,
**     per file: byte level, varint number, varint size, varint entries, varint smallest length,
**     smallest internal key, varint largest length, largest internal key;
**     fixed32 masked CRC-32C of all the bytes before it.
*/
#ifndef STRATA_LSM_TABLESET_H
#define STRATA_LSM_TABLESET_H

#include "lsm/lsm_iter.h"
#include "lsm/lsm_table.h"

#include <stddef.h>
#include <stdint.h>

#define LSM_LEVELS 7

typedef struct lsm_fmeta {
    uint64_t number, size, nentries;
    uint8_t *smallest, *largest; /* internal keys */
    size_t nsmallest, nlargest;
    int refs;
    int obsolete; /* remove the file when the last reference goes */
    /* Reads this file may cost before it is compacted down (lsm_engine_charge_read): a read
    ** that had to look here and then in another file charges this one, the first. */
    int64_t read_budget;
    char *path;
    lsm_table *table; /* opened on first use */
} lsm_fmeta;

typedef struct lsm_tableset {
    int refs;
    int n[LSM_LEVELS];
    lsm_fmeta **files[LSM_LEVELS];
} lsm_tableset;

/* Path of table `number` of the database at base: "<base>-000123.sst" (malloc'd). */
char *lsm_table_path(const char *base, uint64_t number);

/* Takes over smallest/largest. NULL when out of memory (and frees them). */
lsm_fmeta *lsm_fmeta_new(const char *base, uint64_t number, uint64_t size, uint64_t nentries,
                         uint8_t *smallest, size_t nsmallest, uint8_t *largest, size_t nlargest);
void lsm_fmeta_ref(lsm_fmeta *f);
void lsm_fmeta_unref(lsm_fmeta *f);
int lsm_fmeta_table(lsm_fmeta *f, lsm_table **t);
/* An iterator over the file's table holding a reference to it; bounds as in lsm_table_iter. */
int lsm_fmeta_iter(lsm_fmeta *f, const lsm_bounds *bounds, lsm_iter **out);
/* Does the file's user-key range intersect [lo, hi] (user keys; NULL = unbounded)? */
int lsm_fmeta_overlaps(const lsm_fmeta *f, const uint8_t *lo, size_t nlo, const uint8_t *hi,
                       size_t nhi);

lsm_tableset *lsm_tableset_new(void);
void lsm_tableset_ref(lsm_tableset *v);
void lsm_tableset_unref(lsm_tableset *v);
/* A copy of v without the files in `drop` and with `add` placed at add_level. */
lsm_tableset *lsm_tableset_edit(const lsm_tableset *v, lsm_fmeta **drop, int ndrop, lsm_fmeta **add,
                                int nadd, int add_level);
uint64_t lsm_tableset_level_bytes(const lsm_tableset *v, int level);
/* Level >= 1: index of the only file that may hold user key k (the first whose largest key is
** >= k), or n[level] when none can. */
int lsm_tableset_find_file(const lsm_tableset *v, int level, const uint8_t *k, size_t nk);
/* How many files a lookup of user key k has to consult (counting stops at 2), and the first of
** them, newest level first. */
int lsm_tableset_lookup_files(const lsm_tableset *v, const uint8_t *k, size_t nk, lsm_fmeta **first,
                              int *first_level);

/* Concatenating iterator over the files of one sorted level (1..), holding references; bounds
** (NULL = none) go to each file's iterator. */
lsm_iter *lsm_level_iter_new(lsm_fmeta **files, int n, const lsm_bounds *bounds);

/* Writes the manifest of v (fsynced, then renamed over path, then the directory fsynced, when
** sync is set). *published is set once the rename is done: a failure after it (the directory
** fsync) leaves the new manifest in place, but maybe not durable. */
int lsm_manifest_write(const char *path, const char *tmp_path, const lsm_tableset *v,
                       uint64_t next_file, uint64_t flushed_seq, int sync, int *published);
int lsm_manifest_read(const char *path, const char *base, lsm_tableset **v, uint64_t *next_file,
                      uint64_t *flushed_seq);

#endif
