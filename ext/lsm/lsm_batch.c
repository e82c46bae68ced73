/*
** lsm_batch: encoding and walking write batches (see lsm_batch.h).
*/
#include "lsm/lsm_batch.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"

#include <string.h>

void lsm_batch_init(lsm_batch *b) {
    strbuf_init(&b->buf);
    b->count = 0;
}

void lsm_batch_free(lsm_batch *b) {
    strbuf_free(&b->buf);
    b->count = 0;
}

void lsm_batch_clear(lsm_batch *b) {
    lsm_batch_truncate(b, LSM_BATCH_HEADER, 0);
    /* an open batch numbers its ops from 0 (a transaction's overlay relies on it) until it is
    ** sealed; clear the sequence number the last commit left in the header */
    if (b->buf.len >= LSM_BATCH_HEADER)
        lsm_put_fixed64((uint8_t *)b->buf.data + LSM_WAL_HEADER, 0);
}

void lsm_batch_truncate(lsm_batch *b, size_t len, uint32_t count) {
    if (b->buf.len > len) {
        b->buf.len = len;
        b->buf.data[len] = 0;
    }
    b->count = count;
    if (b->buf.len >= LSM_BATCH_HEADER)
        lsm_put_fixed32((uint8_t *)b->buf.data + LSM_WAL_HEADER + 8, count);
}

int lsm_batch_add(lsm_batch *b, int type, const uint8_t *k, size_t nk, const uint8_t *v,
                  size_t nv) {
    if (b->buf.failed)
        strbuf_reset(&b->buf);
    if (b->buf.len < LSM_BATCH_HEADER) {
        uint8_t zero[LSM_BATCH_HEADER] = {0};
        strbuf_append(&b->buf, zero, sizeof zero);
    }
    size_t before = b->buf.len;
    uint8_t hdr[24], *p = hdr;
    *p++ = (uint8_t)type;
    p = lsm_put_varint(p, nk);
    strbuf_append(&b->buf, hdr, (size_t)(p - hdr));
    strbuf_append(&b->buf, k, nk);
    if (type == LSM_TYPE_PUT) {
        p = lsm_put_varint(hdr, nv);
        strbuf_append(&b->buf, hdr, (size_t)(p - hdr));
        strbuf_append(&b->buf, v, nv);
    }
    if (b->buf.failed || b->buf.len - LSM_WAL_HEADER > LSM_WAL_MAX_RECORD) {
        /* keep what was there: the transaction stays usable after a refused write */
        int full = !b->buf.failed;
        b->buf.failed = 0;
        if (b->buf.data && b->buf.len >= before) {
            b->buf.len = before;
            b->buf.data[before] = 0;
        }
        return full ? LSM_FULL : LSM_NOMEM;
    }
    b->count++;
    lsm_put_fixed32((uint8_t *)b->buf.data + LSM_WAL_HEADER + 8, b->count);
    return LSM_OK;
}

const uint8_t *lsm_batch_seal(lsm_batch *b, uint64_t seq, int type, const uint8_t *trailer,
                              size_t ntrailer, size_t *n) {
    if (ntrailer) {
        strbuf_append(&b->buf, trailer, ntrailer);
        if (b->buf.failed) {
            b->buf.failed = 0;
            return NULL;
        }
    }
    uint8_t *d = (uint8_t *)b->buf.data;
    lsm_put_fixed64(d + LSM_WAL_HEADER, seq);
    lsm_put_fixed32(d + LSM_WAL_HEADER + 8, b->count);
    lsm_wal_header(d, type, d + LSM_WAL_HEADER, b->buf.len - LSM_WAL_HEADER);
    *n = b->buf.len;
    return d;
}

void lsm_batch_untrail(lsm_batch *b, size_t ntrailer) {
    if (ntrailer && b->buf.len >= LSM_BATCH_HEADER + ntrailer) {
        b->buf.len -= ntrailer;
        b->buf.data[b->buf.len] = 0;
    }
}

uint64_t lsm_batch_payload_seq(const uint8_t *payload) {
    return lsm_get_fixed64(payload);
}

uint32_t lsm_batch_payload_count(const uint8_t *payload) {
    return lsm_get_fixed32(payload + 8);
}

int lsm_batch_walk(const uint8_t *payload, size_t n, uint32_t skip, lsm_batch_fn fn, void *arg) {
    if (n < 12)
        return LSM_CORRUPT;
    uint64_t seq = lsm_get_fixed64(payload);
    uint32_t count = lsm_get_fixed32(payload + 8);
    const uint8_t *p = payload + 12, *end = payload + n;
    for (uint32_t i = 0; i < count; i++) {
        if (p >= end)
            return LSM_CORRUPT;
        int type = *p++;
        uint64_t nk, nv = 0;
        if (type != LSM_TYPE_PUT && type != LSM_TYPE_DELETE)
            return LSM_CORRUPT;
        p = lsm_get_varint_max(p, end, LSM_MAX_KEY_BYTES, &nk);
        if (p == NULL || (uint64_t)(end - p) < nk)
            return LSM_CORRUPT;
        const uint8_t *k = p, *v = NULL;
        p += nk;
        if (type == LSM_TYPE_PUT) {
            p = lsm_get_varint_max(p, end, (uint64_t)(end - p), &nv);
            if (p == NULL || (uint64_t)(end - p) < nv)
                return LSM_CORRUPT;
            v = p;
            p += nv;
        }
        if (i >= skip) {
            int rc = fn(arg, seq + i, type, k, (size_t)nk, v, (size_t)nv);
            if (rc)
                return rc;
        }
    }
    return p == end ? LSM_OK : LSM_CORRUPT;
}
