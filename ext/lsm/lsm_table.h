/*
** lsm_table: immutable sorted table files (".sst").
**
** Layout: data blocks, the bloom filter block, the index block, then a 48-byte footer.
** Every block is followed by a 5-byte trailer: a type byte (0 = stored as is) and the masked
** CRC-32C of the block and type byte. The index block maps the last internal key of each data
** block to varint(offset) varint(length). Footer: fixed64 filter offset, filter length, index
** offset, index length, entry count, then fixed32 masked CRC of those 40 bytes, fixed32 magic.
**
** Readers map the file. The footer, index and filter are checked when the table opens and a
** data block the first time it is read, so corruption is reported (LSM_CORRUPT), never
** returned as data.
*/
#ifndef STRATA_LSM_TABLE_H
#define STRATA_LSM_TABLE_H

#include "lsm/lsm_block.h"
#include "lsm/lsm_iter.h"

#include <stddef.h>
#include <stdint.h>

#define LSM_TABLE_MAGIC 0x4c534d54u /* "TMSL" */
#define LSM_TABLE_FOOTER 48

typedef struct lsm_table_builder {
    int fd;
    char *path;
    int rc;
    uint64_t offset;
    size_t block_size;
    int bits_per_key;
    lsm_block_builder data, index;
    uint32_t *hashes;
    size_t nhashes, caphashes;
    uint8_t *first, *last;
    size_t nfirst, nlast, caplast;
    uint64_t nentries;
    strbuf out; /* pending bytes, written in large chunks */
} lsm_table_builder;

int lsm_table_builder_open(lsm_table_builder *b, const char *path, size_t block_size,
                           int bits_per_key);
/* Internal keys in increasing order. Errors stick and are returned by finish. */
int lsm_table_builder_add(lsm_table_builder *b, const uint8_t *ikey, size_t nk, const uint8_t *val,
                          size_t nv);
/* Current file size estimate. */
uint64_t lsm_table_builder_size(const lsm_table_builder *b);
/* Completes the file (fsync when sync); on failure the file is removed. Frees b either way,
** except first/last which the caller takes over on success (smallest/largest keys). */
int lsm_table_builder_finish(lsm_table_builder *b, int sync, uint64_t *size);
void lsm_table_builder_abandon(lsm_table_builder *b);

typedef struct lsm_table lsm_table;

int lsm_table_open(const char *path, lsm_table **out);
void lsm_table_close(lsm_table *t);
uint64_t lsm_table_entries(const lsm_table *t);

/* Newest entry of ukey with tag <= max_tag. Returns LSM_OK with *found 0/1, or an error. */
int lsm_table_get(lsm_table *t, const uint8_t *ukey, size_t nk, uint64_t max_tag, uint32_t hash,
                  int *found, uint64_t *tag, const uint8_t **val, size_t *nv);

/* Iterator over the table; release(arg) runs when it is destroyed (the owner's reference).
** bounds (NULL = none; must outlive the iterator): next and prev stop instead of loading a
** block wholly above bounds->hi or below bounds->lo. */
lsm_iter *lsm_table_iter(lsm_table *t, const lsm_bounds *bounds, void (*release)(void *),
                         void *arg);

/* Reads every block and checks checksums and key order; message in lsm_file_errmsg(). */
int lsm_table_verify(lsm_table *t);

#endif
