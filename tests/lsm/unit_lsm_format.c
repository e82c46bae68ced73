/*
** Unit tests of the lsm building blocks: varints, CRC-32C, bloom filters, blocks, skiplist,
** write batches and the log.
*/
#include "lsm/lsm_batch.h"
#include "lsm/lsm_block.h"
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_skiplist.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_wal.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <fcntl.h>

static void test_varint(void) {
    uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, 1ull << 32, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t buf[10];
        uint8_t *end = lsm_put_varint(buf, vals[i]);
        CHECK_EQ_INT(end - buf, lsm_varint_len(vals[i]));
        uint64_t v = 0;
        CHECK(lsm_get_varint(buf, end, &v) == end);
        CHECK(v == vals[i]);
        /* truncated input is refused, never over-read */
        CHECK(lsm_get_varint(buf, end - 1, &v) == NULL || end - buf == 1);
    }
    uint8_t bad[11];
    memset(bad, 0xff, sizeof bad);
    uint64_t v;
    CHECK(lsm_get_varint(bad, bad + sizeof bad, &v) == NULL);
}

static void test_crc(void) {
    /* the standard CRC-32C check value */
    CHECK_EQ_INT(lsm_crc32c("123456789", 9), 0xe3069283u);
    CHECK_EQ_INT(lsm_crc32c("", 0), 0);
    uint8_t buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(lsm_crc32c_extend(lsm_crc32c(buf, 333), buf + 333, 667), lsm_crc32c(buf, 1000));
    CHECK(lsm_crc_mask(1) != 1);
}

static void test_bloom(void) {
    enum { N = 10000 };
    uint32_t *h = malloc(N * sizeof *h);
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "key%d", i);
        h[i] = lsm_bloom_hash((uint8_t *)key, (size_t)n);
    }
    strbuf f;
    strbuf_init(&f);
    lsm_bloom_build(h, N, 10, &f);
    CHECK(!f.failed);
    int fn = 0, fp = 0;
    for (int i = 0; i < N; i++)
        fn += !lsm_bloom_may_contain((uint8_t *)f.data, f.len, h[i]);
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "other%d", i);
        fp += lsm_bloom_may_contain((uint8_t *)f.data, f.len,
                                    lsm_bloom_hash((uint8_t *)key, (size_t)n));
    }
    CHECK_EQ_INT(fn, 0);
    CHECK(fp < N * 3 / 100);
    /* malformed filters never exclude */
    CHECK(lsm_bloom_may_contain((const uint8_t *)"", 0, 1));
    strbuf_free(&f);
    free(h);
}

static void ikey(uint8_t *out, size_t *n, int i, uint64_t seq) {
    int len = snprintf((char *)out, 32, "key%06d", i);
    lsm_put_fixed64(out + len, lsm_make_tag(seq, LSM_TYPE_PUT));
    *n = (size_t)len + 8;
}

static void test_block(void) {
    lsm_block_builder b;
    lsm_block_builder_init(&b, 16);
    uint8_t k[40];
    size_t nk;
    for (int i = 0; i < 500; i += 2) {
        ikey(k, &nk, i, 1);
        lsm_block_builder_add(&b, k, nk, k, 9);
    }
    size_t n;
    const uint8_t *data = lsm_block_builder_finish(&b, &n);
    CHECK(data != NULL);
    lsm_block_iter it = {0};
    CHECK_EQ_INT(lsm_block_iter_init(&it, data, n), LSM_OK);
    int count = 0;
    for (lsm_block_iter_first(&it); it.valid; lsm_block_iter_next(&it))
        count++;
    CHECK_EQ_INT(count, 250);
    count = 0;
    for (lsm_block_iter_last(&it); it.valid; lsm_block_iter_prev(&it))
        count++;
    CHECK_EQ_INT(count, 250);
    ikey(k, &nk, 101, 1);
    lsm_block_iter_seek(&it, k, nk);
    CHECK(it.valid && memcmp(it.key, "key000102", 9) == 0);
    lsm_block_iter_prev(&it);
    CHECK(it.valid && memcmp(it.key, "key000100", 9) == 0);
    ikey(k, &nk, 999, 1);
    lsm_block_iter_seek(&it, k, nk);
    CHECK(!it.valid && it.rc == LSM_OK);
    /* garbage restart arrays and entries are reported, never followed */
    uint8_t *copy = malloc(n);
    memcpy(copy, data, n);
    lsm_put_fixed32(copy + n - 4, 100000);
    CHECK_EQ_INT(lsm_block_iter_init(&it, copy, n), LSM_CORRUPT);
    memcpy(copy, data, n);
    copy[0] = 0x7f; /* shared prefix longer than the previous key */
    CHECK_EQ_INT(lsm_block_iter_init(&it, copy, n), LSM_OK);
    lsm_block_iter_first(&it);
    CHECK(!it.valid && it.rc == LSM_CORRUPT);
    lsm_block_iter_free(&it);
    free(copy);
    lsm_block_builder_free(&b);
}

static void test_skiplist(void) {
    lsm_skiplist *sl = lsm_skiplist_new();
    for (int i = 0; i < 1000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%03d", (i * 37) % 1000);
        CHECK_EQ_INT(lsm_skiplist_add(sl, (uint8_t *)k, (size_t)n, lsm_make_tag((uint64_t)i + 1, 1),
                                      (uint8_t *)k, (size_t)n),
                     LSM_OK);
    }
    /* a second version of k005 at a later sequence */
    CHECK_EQ_INT(lsm_skiplist_add(sl, (const uint8_t *)"k005", 4, lsm_make_tag(2000, 0), NULL, 0),
                 LSM_OK);
    uint64_t tag;
    const uint8_t *v;
    size_t nv;
    CHECK(lsm_skiplist_get(sl, (const uint8_t *)"k005", 4, UINT64_MAX, &tag, &v, &nv));
    CHECK_EQ_INT(tag >> 8, 2000);
    CHECK(
        lsm_skiplist_get(sl, (const uint8_t *)"k005", 4, lsm_make_tag(1999, 0xff), &tag, &v, &nv));
    CHECK(tag >> 8 < 2000 && nv == 4);
    CHECK(!lsm_skiplist_get(sl, (const uint8_t *)"k0050", 5, UINT64_MAX, &tag, &v, &nv));
    lsm_iter *it = lsm_skiplist_iter(sl);
    lsm_skiplist_unref(sl); /* the iterator keeps it alive */
    int count = 0, ordered = 1;
    uint8_t prev[32];
    size_t nprev = 0;
    for (it->vt->first(it); it->valid; it->vt->next(it)) {
        if (count && lsm_ikey_cmp(prev, nprev, it->key, it->klen) >= 0)
            ordered = 0;
        memcpy(prev, it->key, it->klen);
        nprev = it->klen;
        count++;
    }
    CHECK_EQ_INT(count, 1001);
    CHECK(ordered);
    count = 0;
    for (it->vt->last(it); it->valid; it->vt->prev(it))
        count++;
    CHECK_EQ_INT(count, 1001);
    lsm_iter_destroy(it);
}

typedef struct collected {
    int n;
    uint64_t first_seq;
    char keys[64][16];
} collected;

static int collect_op(void *arg, uint64_t seq, int type, const uint8_t *k, size_t nk,
                      const uint8_t *v, size_t nv) {
    collected *c = arg;
    if (c->n == 0)
        c->first_seq = seq;
    if (c->n < 64 && nk < 16) {
        memcpy(c->keys[c->n], k, nk);
        c->keys[c->n][nk] = 0;
    }
    c->n++;
    return LSM_OK;
}

static int collect_record(void *arg, int type, const uint8_t *payload, size_t n) {
    if (type == LSM_REC_END)
        return LSM_OK;
    return lsm_batch_walk(payload, n, 0, collect_op, arg);
}

static void test_batch_and_wal(void) {
    lsm_batch b;
    lsm_batch_init(&b);
    CHECK_EQ_INT(lsm_batch_add(&b, LSM_TYPE_PUT, (const uint8_t *)"a", 1, (const uint8_t *)"1", 1),
                 0);
    CHECK_EQ_INT(lsm_batch_add(&b, LSM_TYPE_DELETE, (const uint8_t *)"b", 1, NULL, 0), 0);
    size_t len = b.buf.len;
    CHECK_EQ_INT(lsm_batch_add(&b, LSM_TYPE_PUT, (const uint8_t *)"c", 1, (const uint8_t *)"3", 1),
                 0);
    lsm_batch_truncate(&b, len, 2); /* a savepoint rolled back */
    size_t n;
    const uint8_t *rec = lsm_batch_seal(&b, 42, LSM_REC_COMMIT, NULL, 0, &n);
    const char *path = test_path("wal-test");
    int fd;
    CHECK_EQ_INT(lsm_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, &fd), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, rec, n), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, rec, n), LSM_OK);
    /* a torn third record: only half of it reached the file */
    CHECK_EQ_INT(lsm_file_write(fd, path, rec, n / 2), LSM_OK);
    lsm_file_close(fd);
    collected c = {0};
    lsm_wal_scan scan;
    CHECK_EQ_INT(lsm_wal_replay(path, collect_record, &c, &scan), LSM_OK);
    CHECK_EQ_INT(c.n, 4);
    CHECK_EQ_INT(c.first_seq, 42);
    CHECK_EQ_STR(c.keys[0], "a");
    CHECK_EQ_STR(c.keys[1], "b");
    CHECK_EQ_INT(scan.valid_end, 2 * n);
    CHECK_EQ_INT(scan.size, 2 * n + n / 2);
    CHECK_EQ_INT(scan.damage, 1); /* a torn tail: nothing intact after it */
    /* a flipped bit in the second record ends replay after the first; the third (torn) record
    ** is not intact, so the damage is still a torn tail */
    uint8_t *data;
    size_t size;
    CHECK_EQ_INT(lsm_file_read_all(path, 1 << 20, &data, &size), LSM_OK);
    data[n + n / 2] ^= 0x10;
    CHECK_EQ_INT(lsm_file_open(path, O_WRONLY | O_TRUNC, &fd), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, data, size), LSM_OK);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(lsm_wal_replay(path, collect_record, &c, &scan), LSM_OK);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(scan.valid_end, n);
    CHECK_EQ_INT(scan.damage, 1);
    /* ... but once a whole record follows, the log is damaged in the middle */
    CHECK_EQ_INT(lsm_file_truncate(fd, path, (off_t)(2 * n)), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, rec, n), LSM_OK);
    lsm_file_close(fd);
    free(data);
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(lsm_wal_replay(path, collect_record, &c, &scan), LSM_OK);
    CHECK_EQ_INT(c.n, 2);
    CHECK_EQ_INT(scan.valid_end, n);
    CHECK_EQ_INT(scan.damage, 2);
    CHECK_EQ_INT(scan.records_after, 1);
    /* a missing log is an empty one */
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(lsm_wal_replay(test_path("no-such-log"), collect_record, &c, &scan), LSM_OK);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(scan.damage, 0);
    /* malformed payloads are corruption */
    uint8_t junk[20] = {0};
    lsm_put_fixed32(junk + 8, 3);
    CHECK_EQ_INT(lsm_batch_walk(junk, sizeof junk, 0, collect_op, &c), LSM_CORRUPT);
    lsm_batch_free(&b);
}

static void test_file_faults(void) {
    const char *path = test_path("fault-file");
    int fd;
    CHECK_EQ_INT(lsm_file_open(path, O_WRONLY | O_CREAT | O_TRUNC, &fd), LSM_OK);
    lsm_fault_set(LSM_FAULT_WRITE, 1, 28 /* ENOSPC */, LSM_FAULT_SHORT);
    CHECK_EQ_INT(lsm_file_write(fd, path, "abcd", 4), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, "efgh", 4), LSM_FULL);
    CHECK(strstr(lsm_file_errmsg(), "No space left") != NULL);
    CHECK(strstr(lsm_file_errmsg(), "fault-file") != NULL);
    lsm_fault_set(LSM_FAULT_SYNC, 0, 5 /* EIO */, LSM_FAULT_ONCE);
    CHECK_EQ_INT(lsm_file_sync(fd, path), LSM_IOERR);
    CHECK_EQ_INT(lsm_file_sync(fd, path), LSM_OK);
    CHECK_EQ_INT(lsm_fault_count(), 1);
    lsm_fault_set(0, 0, 0, 0);
    lsm_file_close(fd);
    uint8_t *data;
    size_t n;
    CHECK_EQ_INT(lsm_file_read_all(path, 100, &data, &n), LSM_OK);
    CHECK_EQ_INT(n, 6); /* the short write left half its bytes */
    free(data);
}

int main(void) {
    RUN(test_varint);
    RUN(test_crc);
    RUN(test_bloom);
    RUN(test_block);
    RUN(test_skiplist);
    RUN(test_batch_and_wal);
    RUN(test_file_faults);
    return unit_report("unit_lsm_format");
}
