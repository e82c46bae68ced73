/*
** lsm_table_build: writes a table file (format in lsm_table.h) from sorted internal keys.
*/
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_buffer.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_table.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITE_CHUNK (256 * 1024)

int lsm_table_builder_open(lsm_table_builder *b, const char *path, size_t block_size,
                           int bits_per_key) {
    memset(b, 0, sizeof *b);
    b->fd = -1;
    b->block_size = block_size;
    b->bits_per_key = bits_per_key;
    lsm_block_builder_init(&b->data, 16);
    lsm_block_builder_init(&b->index, 1);
    strbuf_init(&b->out);
    b->path = strdup(path);
    if (b->path == NULL)
        return b->rc = LSM_NOMEM;
    return b->rc = lsm_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, &b->fd);
}

static void flush_out(lsm_table_builder *b) {
    if (b->rc == LSM_OK && b->out.failed)
        b->rc = LSM_NOMEM;
    if (b->rc == LSM_OK && b->out.len)
        b->rc = lsm_file_write(b->fd, b->path, b->out.data, b->out.len);
    strbuf_reset(&b->out);
}

/* Appends a block with its trailer; off and len locate it. */
static void write_block(lsm_table_builder *b, const uint8_t *data, size_t n, uint64_t *off,
                        uint64_t *len) {
    uint8_t trailer[5];
    trailer[0] = 0;
    uint32_t crc = lsm_crc32c_extend(lsm_crc32c(data, n), trailer, 1);
    lsm_put_fixed32(trailer + 1, lsm_crc_mask(crc));
    *off = b->offset;
    *len = n;
    strbuf_append(&b->out, data, n);
    strbuf_append(&b->out, trailer, 5);
    b->offset += n + 5;
    if (b->out.len >= WRITE_CHUNK)
        flush_out(b);
}

static void finish_data_block(lsm_table_builder *b) {
    if (b->data.nentries == 0 || b->rc)
        return;
    size_t n;
    const uint8_t *blk = lsm_block_builder_finish(&b->data, &n);
    if (blk == NULL) {
        b->rc = LSM_NOMEM;
        return;
    }
    uint64_t off, len;
    write_block(b, blk, n, &off, &len);
    uint8_t handle[20], *p = lsm_put_varint(handle, off);
    p = lsm_put_varint(p, len);
    lsm_block_builder_add(&b->index, b->last, b->nlast, handle, (size_t)(p - handle));
    lsm_block_builder_reset(&b->data);
}

static int keep_copy(uint8_t **dst, size_t *ndst, size_t *cap, const uint8_t *src, size_t n) {
    if (!lsm_grow(dst, cap, n))
        return 0;
    memcpy(*dst, src, n);
    *ndst = n;
    return 1;
}

int lsm_table_builder_add(lsm_table_builder *b, const uint8_t *ikey, size_t nk, const uint8_t *val,
                          size_t nv) {
    if (b->rc)
        return b->rc;
    if (b->nentries == 0) {
        size_t cap = 0;
        if (!keep_copy(&b->first, &b->nfirst, &cap, ikey, nk))
            return b->rc = LSM_NOMEM;
    }
    size_t nu = nk - LSM_TAG_BYTES;
    if (b->nentries == 0 || lsm_ukey_cmp(b->last, b->nlast - LSM_TAG_BYTES, ikey, nu) != 0) {
        if (b->nhashes == b->caphashes) {
            size_t cap = b->caphashes ? b->caphashes * 2 : 1024;
            uint32_t *h = realloc(b->hashes, cap * sizeof *h);
            if (h == NULL)
                return b->rc = LSM_NOMEM;
            b->hashes = h;
            b->caphashes = cap;
        }
        b->hashes[b->nhashes++] = lsm_bloom_hash(ikey, nu);
    }
    lsm_block_builder_add(&b->data, ikey, nk, val, nv);
    if (b->data.failed || !keep_copy(&b->last, &b->nlast, &b->caplast, ikey, nk))
        return b->rc = LSM_NOMEM;
    b->nentries++;
    if (lsm_block_builder_size(&b->data) >= b->block_size)
        finish_data_block(b);
    return b->rc;
}

uint64_t lsm_table_builder_size(const lsm_table_builder *b) {
    return b->offset + lsm_block_builder_size(&b->data);
}

static void builder_free(lsm_table_builder *b) {
    lsm_block_builder_free(&b->data);
    lsm_block_builder_free(&b->index);
    strbuf_free(&b->out);
    free(b->hashes);
    b->hashes = NULL;
    if (b->fd >= 0)
        lsm_file_close(b->fd);
    b->fd = -1;
    free(b->path);
    b->path = NULL;
}

void lsm_table_builder_abandon(lsm_table_builder *b) {
    if (b->path)
        lsm_file_remove(b->path);
    builder_free(b);
    free(b->first);
    free(b->last);
    b->first = b->last = NULL;
}

int lsm_table_builder_finish(lsm_table_builder *b, int sync, uint64_t *size) {
    finish_data_block(b);
    uint64_t foff = 0, flen = 0, ioff = 0, ilen = 0;
    if (b->rc == LSM_OK) {
        strbuf filter;
        strbuf_init(&filter);
        lsm_bloom_build(b->hashes, b->nhashes, b->bits_per_key, &filter);
        if (filter.failed)
            b->rc = LSM_NOMEM;
        else
            write_block(b, (const uint8_t *)filter.data, filter.len, &foff, &flen);
        strbuf_free(&filter);
    }
    if (b->rc == LSM_OK) {
        size_t n;
        const uint8_t *idx = lsm_block_builder_finish(&b->index, &n);
        if (idx == NULL)
            b->rc = LSM_NOMEM;
        else
            write_block(b, idx, n, &ioff, &ilen);
    }
    if (b->rc == LSM_OK) {
        uint8_t footer[LSM_TABLE_FOOTER];
        lsm_put_fixed64(footer, foff);
        lsm_put_fixed64(footer + 8, flen);
        lsm_put_fixed64(footer + 16, ioff);
        lsm_put_fixed64(footer + 24, ilen);
        lsm_put_fixed64(footer + 32, b->nentries);
        lsm_put_fixed32(footer + 40, lsm_crc_mask(lsm_crc32c(footer, 40)));
        lsm_put_fixed32(footer + 44, LSM_TABLE_MAGIC);
        strbuf_append(&b->out, footer, sizeof footer);
        b->offset += sizeof footer;
        flush_out(b);
    }
    if (b->rc == LSM_OK && sync)
        b->rc = lsm_file_sync(b->fd, b->path);
    int rc = b->rc;
    if (rc != LSM_OK) {
        lsm_table_builder_abandon(b);
        return rc;
    }
    *size = b->offset;
    builder_free(b);
    return LSM_OK;
}
