/*
** Unit tests of table files: build, point lookups through the bloom filter, iteration both
** ways, and corruption detection (flipped bytes, truncation) without crashes.
*/
#include "lsm/lsm_bloom.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"
#include "lsm/lsm_table.h"
#include "lsm_test_util.h"
#include "unit.h"

#include <fcntl.h>

enum { N = 5000 };

static size_t make_key(uint8_t *out, int i, uint64_t seq, int type) {
    int len = snprintf((char *)out, 32, "user%07d", i);
    lsm_put_fixed64(out + len, lsm_make_tag(seq, type));
    return (size_t)len + 8;
}

static const char *build(const char *name) {
    const char *path = test_path(name);
    lsm_table_builder b;
    CHECK_EQ_INT(lsm_table_builder_open(&b, path, 1024, 10), LSM_OK);
    uint8_t k[40];
    char v[64];
    for (int i = 0; i < N; i += 2) {
        /* two versions of every key: the newer one first */
        size_t nk = make_key(k, i, 100, LSM_TYPE_PUT);
        int nv = snprintf(v, sizeof v, "new-%d", i);
        lsm_table_builder_add(&b, k, nk, (uint8_t *)v, (size_t)nv);
        nk = make_key(k, i, 50, (i % 10) ? LSM_TYPE_PUT : LSM_TYPE_DELETE);
        nv = snprintf(v, sizeof v, "old-%d", i);
        lsm_table_builder_add(&b, k, nk, (uint8_t *)v, (size_t)nv);
    }
    uint64_t size;
    CHECK_EQ_INT(lsm_table_builder_finish(&b, 1, &size), LSM_OK);
    CHECK(size > 0);
    free(b.first);
    free(b.last);
    return path;
}

static void test_lookup_and_scan(void) {
    const char *path = build("t1.sst");
    lsm_table *t;
    CHECK_EQ_INT(lsm_table_open(path, &t), LSM_OK);
    CHECK_EQ_INT(lsm_table_entries(t), N);
    int found;
    uint64_t tag;
    const uint8_t *v;
    size_t nv;
    char key[32];
    for (int i = 0; i < N; i++) {
        int nk = snprintf(key, sizeof key, "user%07d", i);
        int rc = lsm_table_get(t, (uint8_t *)key, (size_t)nk, UINT64_MAX,
                               lsm_bloom_hash((uint8_t *)key, (size_t)nk), &found, &tag, &v, &nv);
        CHECK_EQ_INT(rc, LSM_OK);
        CHECK_EQ_INT(found, i % 2 == 0);
        if (found && i % 2 == 0)
            CHECK(tag >> 8 == 100 && nv > 4 && memcmp(v, "new-", 4) == 0);
    }
    /* an older snapshot sees the older version */
    int nk = snprintf(key, sizeof key, "user%07d", 10);
    CHECK_EQ_INT(lsm_table_get(t, (uint8_t *)key, (size_t)nk, lsm_make_tag(60, 0xff),
                               lsm_bloom_hash((uint8_t *)key, (size_t)nk), &found, &tag, &v, &nv),
                 LSM_OK);
    CHECK(found && tag == lsm_make_tag(50, LSM_TYPE_DELETE));
    lsm_iter *it = lsm_table_iter(t, NULL, NULL, NULL);
    int count = 0;
    for (it->vt->first(it); it->valid; it->vt->next(it))
        count++;
    CHECK_EQ_INT(count, N);
    count = 0;
    for (it->vt->last(it); it->valid; it->vt->prev(it))
        count++;
    CHECK_EQ_INT(count, N);
    uint8_t k[40];
    size_t nik = make_key(k, 1001, UINT64_MAX >> 8, LSM_TYPE_PUT);
    it->vt->seek(it, k, nik);
    CHECK(it->valid && memcmp(it->key, "user0001002", 11) == 0);
    it->vt->prev(it);
    CHECK(it->valid && memcmp(it->key, "user0001000", 11) == 0);
    CHECK_EQ_INT(it->rc, LSM_OK);
    lsm_iter_destroy(it);
    CHECK_EQ_INT(lsm_table_verify(t), LSM_OK);
    lsm_table_close(t);
}

/* User key number of an entry's key ("user%07d"). */
static int key_number(const lsm_iter *it) {
    return atoi((const char *)it->key + 4);
}

/* With bounds, a scan yields every entry inside them exactly as an unbounded scan does, and
** stops within the block where it leaves them instead of reading on to the table's end. */
static void test_bounds(void) {
    const char *path = build("t3.sst");
    lsm_table *t;
    CHECK_EQ_INT(lsm_table_open(path, &t), LSM_OK);
    static const int ranges[][2] = {{0, 0}, {10, 20}, {999, 1400}, {2500, 2501}, {4990, 6000}};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        char lo[16], hi[16];
        snprintf(lo, sizeof lo, "user%07d", ranges[r][0]);
        snprintf(hi, sizeof hi, "user%07d", ranges[r][1]);
        lsm_bounds bd = {(uint8_t *)lo, (uint8_t *)hi, 11, 11};
        lsm_iter *it = lsm_table_iter(t, &bd, NULL, NULL);
        uint8_t k[40];
        size_t nk = make_key(k, ranges[r][0], UINT64_MAX >> 8, LSM_TYPE_PUT);
        int inside = 0, beyond = 0, expect = 0;
        for (int i = ranges[r][0]; i <= ranges[r][1] && i < N; i++)
            expect += i % 2 == 0 ? 2 : 0;
        for (it->vt->seek(it, k, nk); it->valid; it->vt->next(it)) {
            if (key_number(it) <= ranges[r][1])
                inside++;
            else
                beyond++;
        }
        CHECK_EQ_INT(inside, expect);
        CHECK(beyond < 64); /* a 1 KiB block holds about 40 entries */
        inside = beyond = 0;
        for (it->vt->last(it); it->valid && key_number(it) > ranges[r][1]; it->vt->prev(it))
            ;
        for (; it->valid; it->vt->prev(it)) {
            if (key_number(it) >= ranges[r][0])
                inside++;
            else
                beyond++;
        }
        CHECK_EQ_INT(inside, expect);
        CHECK(beyond < 64);
        CHECK_EQ_INT(it->rc, LSM_OK);
        lsm_iter_destroy(it);
    }
    lsm_table_close(t);
}

static void rewrite(const char *path, const uint8_t *data, size_t n) {
    int fd;
    CHECK_EQ_INT(lsm_file_open(path, O_WRONLY | O_TRUNC, &fd), LSM_OK);
    CHECK_EQ_INT(lsm_file_write(fd, path, data, n), LSM_OK);
    lsm_file_close(fd);
}

/* Flips one byte at a time across the whole file: every open, lookup, scan and verify either
** succeeds with correct data or reports LSM_CORRUPT. */
static void test_corruption(void) {
    const char *path = build("t2.sst");
    uint8_t *orig;
    size_t n;
    CHECK_EQ_INT(lsm_file_read_all(path, 1 << 24, &orig, &n), LSM_OK);
    uint8_t *copy = malloc(n);
    int detected = 0, trials = 0;
    for (size_t pos = 0; pos < n; pos += 97) {
        memcpy(copy, orig, n);
        copy[pos] ^= 0x5a;
        rewrite(path, copy, n);
        trials++;
        lsm_table *t;
        int rc = lsm_table_open(path, &t);
        if (rc != LSM_OK) {
            CHECK_EQ_INT(rc, LSM_CORRUPT);
            detected++;
            continue;
        }
        rc = lsm_table_verify(t);
        if (rc == LSM_CORRUPT)
            detected++;
        else
            CHECK_EQ_INT(rc, LSM_OK);
        lsm_iter *it = lsm_table_iter(t, NULL, NULL, NULL);
        int count = 0;
        for (it->vt->first(it); it->valid; it->vt->next(it))
            count++;
        CHECK(it->rc == LSM_CORRUPT || count == N);
        lsm_iter_destroy(it);
        lsm_table_close(t);
    }
    /* every damaged byte is inside a checksummed region */
    CHECK_EQ_INT(detected, trials);
    /* truncations */
    for (size_t len = 0; len < n; len += n / 7 + 1) {
        rewrite(path, orig, len);
        lsm_table *t;
        CHECK_EQ_INT(lsm_table_open(path, &t), LSM_CORRUPT);
    }
    free(copy);
    free(orig);
}

int main(void) {
    RUN(test_lookup_and_scan);
    RUN(test_bounds);
    RUN(test_corruption);
    return unit_report("unit_lsm_table");
}
