/*
** db_bench: a db_bench-style single-threaded driver for strata's LSM engine, LevelDB and
** RocksDB (benchmarks only; run by bench/lsm/bench_engine.py).
**
**   db_bench ENGINE DIR N        ENGINE = strata | leveldb | rocksdb
**   db_bench ENGINE DIR N big    the large load (space and write amplification)
**
** Keys are "%016llu" (16 bytes), values 100 bytes. Phases, each on a fresh database except the
** reads, which use the database fillrandom left:
**   fillseq     N puts in key order, one per commit
**   fillbatch   N puts in key order, 1000 per transaction (write batch)
**   fillrandom  N puts in random order, one per commit
**   seekfresh   N/10 seeks to random keys, each reading the next 100 entries, right after
**               the database is reopened (its shape as the load left it)
**   readrandom  N gets of random keys (about 63% exist)
**   seekrandom  seekfresh again, after the gets (engines that compact on reads, as LevelDB
**               and strata do, may have reshaped the database by then)
** Every engine runs with its defaults and without fsync per commit (strata: durability NORMAL;
** peers: sync=false). Prints "phase seconds" lines, then "disk_bytes" (after fillrandom) and
** "rss_kib" (peak resident set). fillrandom also prints the put latency (each put with its
** commit) as "put_p999_us" and "put_max_us".
**
** The "big" mode loads N puts, 1000 per batch: a permutation of N/2 distinct keys, then another
** permutation of the same keys (50% overwrites), closes, and prints "big_load" (seconds),
** "big_disk_bytes" (files after close), "big_live_bytes" (N/2 x (key + value)) and
** "big_write_bytes" (bytes the process wrote through write(2), /proc/self/io wchar, all threads
** included).
*/

#include "lsm/lsm_engine.h"

#include <dirent.h>
#include <leveldb/c.h>
#include <rocksdb/c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define KEY_BYTES 16
#define VALUE_BYTES 100
#define BATCH 1000
#define SCAN 100

/* One engine behind four operations; a handle is opened per phase. */
typedef struct bench_ops {
    void *(*open)(const char *dir);
    void (*close)(void *h);
    void (*put)(void *h, const char *k, const char *v, int batch_end, int batch_begin);
    int (*get)(void *h, const char *k);
    int (*scan)(void *h, const char *k, int n);
} bench_ops;

static void die(const char *what, const char *msg) {
    fprintf(stderr, "db_bench: %s: %s\n", what, msg ? msg : "failed");
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void make_key(char *buf, uint64_t i) {
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%016llu", (unsigned long long)i);
    memcpy(buf, tmp, KEY_BYTES);
}

/* ---- strata ---- */
static void *s_open(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/db", dir);
    slsm_db *db = NULL;
    if (slsm_open(path, NULL, &db) != LSM_OK)
        die("slsm_open", db ? slsm_errmsg(db) : NULL);
    return db;
}
static void s_close(void *h) {
    if (slsm_close(h) != LSM_OK)
        die("slsm_close", NULL);
}
static void s_put(void *h, const char *k, const char *v, int batch_end, int batch_begin) {
    if (batch_begin && slsm_begin(h, 1) != LSM_OK)
        die("slsm_begin", slsm_errmsg(h));
    if (slsm_put(h, k, KEY_BYTES, v, VALUE_BYTES) != LSM_OK)
        die("slsm_put", slsm_errmsg(h));
    if (batch_end && slsm_commit(h, 0) != LSM_OK)
        die("slsm_commit", slsm_errmsg(h));
}
static int s_get(void *h, const char *k) {
    const void *v;
    size_t nv;
    int rc = slsm_get(h, k, KEY_BYTES, &v, &nv);
    if (rc != LSM_OK && rc != LSM_NOTFOUND)
        die("slsm_get", slsm_errmsg(h));
    return rc == LSM_OK;
}
static int s_scan(void *h, const char *k, int n) {
    slsm_cursor *c;
    int got = 0;
    if (slsm_cursor_open(h, &c) != LSM_OK)
        die("slsm_cursor_open", slsm_errmsg(h));
    slsm_cursor_seek(c, k, KEY_BYTES, SLSM_SEEK_GE);
    while (got < n && slsm_cursor_valid(c)) {
        got++;
        slsm_cursor_next(c);
    }
    slsm_cursor_close(c);
    return got;
}

/* ---- LevelDB ---- */
typedef struct ldb {
    leveldb_t *db;
    leveldb_options_t *o;
    leveldb_writeoptions_t *w;
    leveldb_readoptions_t *r;
    leveldb_writebatch_t *b;
} ldb;
static void *l_open(const char *dir) {
    ldb *h = calloc(1, sizeof *h);
    char *err = NULL;
    if (!h)
        die("calloc", NULL);
    h->o = leveldb_options_create();
    leveldb_options_set_create_if_missing(h->o, 1);
    h->db = leveldb_open(h->o, dir, &err);
    if (err)
        die("leveldb_open", err);
    h->w = leveldb_writeoptions_create();
    h->r = leveldb_readoptions_create();
    h->b = leveldb_writebatch_create();
    return h;
}
static void l_close(void *p) {
    ldb *h = p;
    leveldb_close(h->db);
    leveldb_writebatch_destroy(h->b);
    leveldb_readoptions_destroy(h->r);
    leveldb_writeoptions_destroy(h->w);
    leveldb_options_destroy(h->o);
    free(h);
}
static void l_put(void *p, const char *k, const char *v, int batch_end, int batch_begin) {
    ldb *h = p;
    char *err = NULL;
    (void)batch_begin;
    leveldb_writebatch_put(h->b, k, KEY_BYTES, v, VALUE_BYTES);
    if (!batch_end)
        return;
    leveldb_write(h->db, h->w, h->b, &err);
    if (err)
        die("leveldb_write", err);
    leveldb_writebatch_clear(h->b);
}
static int l_get(void *p, const char *k) {
    ldb *h = p;
    char *err = NULL;
    size_t n;
    char *v = leveldb_get(h->db, h->r, k, KEY_BYTES, &n, &err);
    if (err)
        die("leveldb_get", err);
    leveldb_free(v);
    return v != NULL;
}
static int l_scan(void *p, const char *k, int n) {
    ldb *h = p;
    int got = 0;
    leveldb_iterator_t *it = leveldb_create_iterator(h->db, h->r);
    for (leveldb_iter_seek(it, k, KEY_BYTES); got < n && leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t nv;
        (void)leveldb_iter_value(it, &nv);
        got++;
    }
    leveldb_iter_destroy(it);
    return got;
}

/* ---- RocksDB ---- */
typedef struct rdb {
    rocksdb_t *db;
    rocksdb_options_t *o;
    rocksdb_writeoptions_t *w;
    rocksdb_readoptions_t *r;
    rocksdb_writebatch_t *b;
} rdb;
static void *r_open(const char *dir) {
    rdb *h = calloc(1, sizeof *h);
    char *err = NULL;
    if (!h)
        die("calloc", NULL);
    h->o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(h->o, 1);
    h->db = rocksdb_open(h->o, dir, &err);
    if (err)
        die("rocksdb_open", err);
    h->w = rocksdb_writeoptions_create();
    h->r = rocksdb_readoptions_create();
    h->b = rocksdb_writebatch_create();
    return h;
}
static void r_close(void *p) {
    rdb *h = p;
    rocksdb_close(h->db);
    rocksdb_writebatch_destroy(h->b);
    rocksdb_readoptions_destroy(h->r);
    rocksdb_writeoptions_destroy(h->w);
    rocksdb_options_destroy(h->o);
    free(h);
}
static void r_put(void *p, const char *k, const char *v, int batch_end, int batch_begin) {
    rdb *h = p;
    char *err = NULL;
    (void)batch_begin;
    rocksdb_writebatch_put(h->b, k, KEY_BYTES, v, VALUE_BYTES);
    if (!batch_end)
        return;
    rocksdb_write(h->db, h->w, h->b, &err);
    if (err)
        die("rocksdb_write", err);
    rocksdb_writebatch_clear(h->b);
}
static int r_get(void *p, const char *k) {
    rdb *h = p;
    char *err = NULL;
    size_t n;
    char *v = rocksdb_get(h->db, h->r, k, KEY_BYTES, &n, &err);
    if (err)
        die("rocksdb_get", err);
    rocksdb_free(v);
    return v != NULL;
}
static int r_scan(void *p, const char *k, int n) {
    rdb *h = p;
    int got = 0;
    rocksdb_iterator_t *it = rocksdb_create_iterator(h->db, h->r);
    for (rocksdb_iter_seek(it, k, KEY_BYTES); got < n && rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t nv;
        (void)rocksdb_iter_value(it, &nv);
        got++;
    }
    rocksdb_iter_destroy(it);
    return got;
}

static const bench_ops OPS[] = {
    {s_open, s_close, s_put, s_get, s_scan},
    {l_open, l_close, l_put, l_get, l_scan},
    {r_open, r_close, r_put, r_get, r_scan},
};

/* Sum of the sizes of the regular files directly in dir. */
static unsigned long long dir_bytes(const char *dir) {
    unsigned long long total = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        die("opendir", dir);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (unsigned long long)st.st_size;
    }
    closedir(d);
    return total;
}

static void wipe(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        die("opendir", dir);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        remove(path);
    }
    closedir(d);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *lat; /* per-put latency in seconds, when not NULL */
static size_t nlat;

/* fill: order 0 = sequential, 1 = random; batch = puts per commit. Returns seconds. */
static double fill(const bench_ops *ops, const char *dir, uint64_t n, int random, int batch) {
    char key[KEY_BYTES], value[VALUE_BYTES];
    wipe(dir);
    void *h = ops->open(dir);
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(key, random ? rnd() % n : i);
        for (int j = 0; j < VALUE_BYTES; j++)
            value[j] = (char)('a' + (rnd() >> 59));
        double p0 = lat ? now() : 0;
        ops->put(h, key, value, (i + 1) % (uint64_t)batch == 0 || i + 1 == n,
                 i % (uint64_t)batch == 0 && batch > 1);
        if (lat)
            lat[nlat++] = now() - p0;
    }
    ops->close(h); /* closing is part of the cost: it may flush */
    return now() - t0;
}

/* N/10 seeks to random keys, each reading up to SCAN entries: prints "<phase> seconds" and
** "<phase>_entries". */
static void seeks(const bench_ops *ops, void *h, uint64_t n, const char *phase) {
    char key[KEY_BYTES];
    uint64_t entries = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n / 10; i++) {
        make_key(key, rnd() % n);
        entries += (uint64_t)ops->scan(h, key, SCAN);
    }
    printf("%s %.6f\n", phase, now() - t0);
    printf("%s_entries %llu\n", phase, (unsigned long long)entries);
}

/* Bytes this process passed to write(2) so far (all threads). */
static unsigned long long wchar(void) {
    FILE *f = fopen("/proc/self/io", "r");
    char line[256];
    unsigned long long v = 0;
    if (!f)
        die("fopen", "/proc/self/io");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int big(const bench_ops *ops, const char *dir, uint64_t n) {
    char key[KEY_BYTES], value[VALUE_BYTES];
    uint64_t m = n / 2, mul[2] = {2654435761ull, 40503ull};
    for (int p = 0; p < 2; p++)
        while (gcd(mul[p] % m, m) != 1)
            mul[p]++;
    wipe(dir);
    unsigned long long w0 = wchar();
    void *h = ops->open(dir);
    double t0 = now();
    for (uint64_t i = 0; i < 2 * m; i++) {
        uint64_t j = i < m ? i : i - m;
        make_key(key, (j * (mul[i >= m] % m) + 7) % m);
        for (int b = 0; b < VALUE_BYTES; b++)
            value[b] = (char)('a' + (rnd() >> 59));
        ops->put(h, key, value, (i + 1) % BATCH == 0 || i + 1 == 2 * m, i % BATCH == 0);
    }
    ops->close(h);
    printf("big_load %.6f\n", now() - t0);
    printf("big_disk_bytes %llu\n", dir_bytes(dir));
    printf("big_live_bytes %llu\n", (unsigned long long)m * (KEY_BYTES + VALUE_BYTES));
    printf("big_write_bytes %llu\n", wchar() - w0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("rss_kib %ld\n", ru.ru_maxrss);
    wipe(dir);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "big") == 0)) {
        fprintf(stderr, "usage: db_bench strata|leveldb|rocksdb DIR N\n");
        return 2;
    }
    const char *names[] = {"strata", "leveldb", "rocksdb"};
    const bench_ops *ops = NULL;
    for (int i = 0; i < 3; i++)
        if (strcmp(argv[1], names[i]) == 0)
            ops = &OPS[i];
    if (!ops)
        die("unknown engine", argv[1]);
    const char *dir = argv[2];
    uint64_t n = strtoull(argv[3], NULL, 10);
    if (n < 100)
        die("N", "must be at least 100");
    mkdir(dir, 0755);
    char key[KEY_BYTES];
    if (argc == 5)
        return big(ops, dir, n);

    printf("fillseq %.6f\n", fill(ops, dir, n, 0, 1));
    printf("fillbatch %.6f\n", fill(ops, dir, n, 0, BATCH));
    lat = malloc(n * sizeof *lat);
    if (!lat)
        die("malloc", NULL);
    nlat = 0;
    printf("fillrandom %.6f\n", fill(ops, dir, n, 1, 1));
    qsort(lat, nlat, sizeof *lat, cmp_double);
    printf("put_p999_us %.1f\n", lat[(nlat * 999) / 1000] * 1e6);
    printf("put_max_us %.1f\n", lat[nlat - 1] * 1e6);
    free(lat);
    lat = NULL;
    printf("disk_bytes %llu\n", dir_bytes(dir));
    fflush(stdout);

    /* Reads on the fillrandom database, reopened. Its keys are the ~63% of [0, n) that the
    ** random fill drew; lookups draw from all of [0, n), as LevelDB's db_bench does. */
    void *h = ops->open(dir);
    seeks(ops, h, n, "seekfresh");
    uint64_t found = 0;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        make_key(key, rnd() % n);
        found += (uint64_t)ops->get(h, key);
    }
    printf("readrandom %.6f\n", now() - t0);
    printf("readrandom_found %llu\n", (unsigned long long)found);
    seeks(ops, h, n, "seekrandom");
    ops->close(h);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("rss_kib %ld\n", ru.ru_maxrss);
    wipe(dir);
    return 0;
}
