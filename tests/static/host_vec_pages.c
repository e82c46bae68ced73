/*
** How many pages a KNN query reads from a file-backed vec0 table, counted by a VFS shim that
** wraps the default VFS and counts xRead calls on the main database file.
**
** Without arguments (the test): a 20,000 x 64 diskann table with a page cache of 16 pages, so
** every page a query needs is read from the file. The first query reads the graph into memory
** (every page of T_graph); later ones read only their candidates' rows and vectors: a bounded
** number of pages, under a tenth of the table's (the flat scan of the same data reads every vector
** page, which shows the counter counts).
**
** With arguments, it measures a table someone built:
**   host_vec_pages DB QUERIES DIMS [COMMAND...]
** runs each float32 query of the file QUERIES (DIMS floats each) as `select rowid from v where
** emb match ? and k = 10` on table v of DB (after `insert into v(v) values (COMMAND)` for each
** COMMAND) and prints the pages the first query read and the median of the others.
*/
#include "strata.h"
#include "unit.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the counting VFS ---------------------------------------------------------------------- */

typedef struct counted_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same allocation */
    int main_db;
} counted_file;

static sqlite3_vfs *real_vfs;
static long page_reads;

static int c_close(sqlite3_file *f) {
    return ((counted_file *)f)->real->pMethods->xClose(((counted_file *)f)->real);
}
static int c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
    counted_file *c = (counted_file *)f;
    if (c->main_db)
        page_reads++;
    return c->real->pMethods->xRead(c->real, buf, n, off);
}
static int c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
    return ((counted_file *)f)->real->pMethods->xWrite(((counted_file *)f)->real, buf, n, off);
}
static int c_truncate(sqlite3_file *f, sqlite3_int64 size) {
    return ((counted_file *)f)->real->pMethods->xTruncate(((counted_file *)f)->real, size);
}
static int c_sync(sqlite3_file *f, int flags) {
    return ((counted_file *)f)->real->pMethods->xSync(((counted_file *)f)->real, flags);
}
static int c_size(sqlite3_file *f, sqlite3_int64 *size) {
    return ((counted_file *)f)->real->pMethods->xFileSize(((counted_file *)f)->real, size);
}
static int c_lock(sqlite3_file *f, int lock) {
    return ((counted_file *)f)->real->pMethods->xLock(((counted_file *)f)->real, lock);
}
static int c_unlock(sqlite3_file *f, int lock) {
    return ((counted_file *)f)->real->pMethods->xUnlock(((counted_file *)f)->real, lock);
}
static int c_reserved(sqlite3_file *f, int *out) {
    return ((counted_file *)f)->real->pMethods->xCheckReservedLock(((counted_file *)f)->real, out);
}
static int c_control(sqlite3_file *f, int op, void *arg) {
    return ((counted_file *)f)->real->pMethods->xFileControl(((counted_file *)f)->real, op, arg);
}
static int c_sector(sqlite3_file *f) {
    return ((counted_file *)f)->real->pMethods->xSectorSize(((counted_file *)f)->real);
}
static int c_device(sqlite3_file *f) {
    return ((counted_file *)f)->real->pMethods->xDeviceCharacteristics(((counted_file *)f)->real);
}

/* version 1 methods: no shared memory (the tests use rollback journals) and no mmap, so every
** page comes through xRead */
static const sqlite3_io_methods counted_methods = {
    .iVersion = 1,
    .xClose = c_close,
    .xRead = c_read,
    .xWrite = c_write,
    .xTruncate = c_truncate,
    .xSync = c_sync,
    .xFileSize = c_size,
    .xLock = c_lock,
    .xUnlock = c_unlock,
    .xCheckReservedLock = c_reserved,
    .xFileControl = c_control,
    .xSectorSize = c_sector,
    .xDeviceCharacteristics = c_device,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out) {
    counted_file *c = (counted_file *)f;
    c->real = (sqlite3_file *)(c + 1);
    c->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    int rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out);
    c->base.pMethods = rc == SQLITE_OK && c->real->pMethods ? &counted_methods : NULL;
    return rc;
}

static sqlite3_vfs counted_vfs;

static void register_counting_vfs(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    counted_vfs = *real_vfs;
    counted_vfs.zName = "counted";
    counted_vfs.szOsFile = (int)sizeof(counted_file) + real_vfs->szOsFile;
    counted_vfs.xOpen = c_open;
    sqlite3_vfs_register(&counted_vfs, 0);
}

/* ---- queries ------------------------------------------------------------------------------- */

static sqlite3 *open_db(const char *path) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "counted") !=
        SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    char *err = NULL;
    if (sqlite3_vec_init(db, &err, NULL) != SQLITE_OK) {
        fprintf(stderr, "vec: %s\n", err ? err : "?");
        sqlite3_free(err);
    }
    return db;
}

static int exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return rc;
}

static long int_query(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    long out = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        out = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return out;
}

/* Pages read by one KNN query of q (dims floats) on table t; -1 on error. */
static long pages_of_query(sqlite3 *db, const char *t, const float *q, int dims) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE emb MATCH ? AND k = 10", t);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_blob(st, 1, q, dims * (int)sizeof *q, SQLITE_STATIC);
    long before = page_reads;
    int rows = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        rows++;
    long n = page_reads - before;
    if (rc != SQLITE_DONE || rows != 10) {
        fprintf(stderr, "query: %s (%d rows)\n", sqlite3_errmsg(db), rows);
        n = -1;
    }
    sqlite3_finalize(st);
    return n;
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the test ------------------------------------------------------------------------------ */

#define ROWS 20000
#define DIMS 64

static uint64_t rng = 99;
static float next_gauss(void) {
    /* the sum of 4 uniforms: close enough to a normal for clustered test data */
    float s = 0;
    for (int i = 0; i < 4; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        s += (float)((rng >> 40) & 0xffff) / 65536.0f - 0.5f;
    }
    return s;
}

/* low-rank data (8 latent dimensions plus noise): graph search has neighbours to find */
static void fill_rows(sqlite3 *db, const char *table, const float *basis) {
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s(rowid, emb) VALUES (?, ?)", table);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    float v[DIMS];
    for (int r = 0; r < ROWS; r++) {
        float z[8];
        for (int i = 0; i < 8; i++)
            z[i] = next_gauss();
        for (int d = 0; d < DIMS; d++) {
            v[d] = 0.2f * next_gauss();
            for (int i = 0; i < 8; i++)
                v[d] += z[i] * basis[i * DIMS + d];
        }
        sqlite3_bind_int64(st, 1, r + 1);
        sqlite3_bind_blob(st, 2, v, (int)sizeof v, SQLITE_TRANSIENT);
        CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static void test_diskann_query_reads_few_pages(void) {
    char path[] = "/tmp/strata_vec_pages_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    sqlite3 *db = open_db(path);
    CHECK(db != NULL);
    float basis[8 * DIMS];
    for (int i = 0; i < 8 * DIMS; i++)
        basis[i] = next_gauss();
    CHECK_EQ_INT(exec(db, "CREATE VIRTUAL TABLE g USING vec0(emb float[64] INDEXED BY "
                          "diskann(neighbor_quantizer=int8));"
                          "CREATE VIRTUAL TABLE f USING vec0(emb float[64]); BEGIN"),
                 SQLITE_OK);
    uint64_t seed = rng;
    fill_rows(db, "g", basis);
    rng = seed; /* the same rows in the flat table */
    fill_rows(db, "f", basis);
    CHECK_EQ_INT(exec(db, "COMMIT"), SQLITE_OK);
    sqlite3_close(db);

    db = open_db(path);
    CHECK(db != NULL);
    /* 16 pages of cache: a page read twice by a query is (nearly always) read twice */
    CHECK_EQ_INT(exec(db, "PRAGMA cache_size = 16"), SQLITE_OK);
    long graph = int_query(db, "SELECT count(*) FROM dbstat WHERE name = 'g_graph00'");
    long vectors = int_query(db, "SELECT count(*) FROM dbstat WHERE name = 'f_vectorchunks00'");
    long g_pages = int_query(db, "SELECT count(*) FROM dbstat WHERE name LIKE 'g\\_%' ESCAPE '\\'");
    if (graph < 0) /* a SQLite without dbstat: the sizes from the row counts (4 KiB pages) */
        graph = ROWS / 40, vectors = ROWS * DIMS * 4 / 4096, g_pages = graph + vectors;
    float q[DIMS];
    long first = -1, later[20];
    for (int i = 0; i < 21; i++) {
        for (int d = 0; d < DIMS; d++)
            q[d] = next_gauss();
        long n = pages_of_query(db, "g", q, DIMS);
        CHECK(n >= 0);
        if (i == 0)
            first = n;
        else
            later[i - 1] = n;
    }
    qsort(later, 20, sizeof *later, cmp_long);
    long flat = pages_of_query(db, "f", q, DIMS);
    printf("diskann %d x %d: table %ld pages (graph %ld); first query %ld pages, later median "
           "%ld, max %ld; flat scan %ld (vectors %ld)\n",
           ROWS, DIMS, g_pages, graph, first, later[10], later[19], flat, vectors);
    /* the first query loads the graph: every page of it (twice: codes, then neighbours) */
    CHECK(first >= graph);
    /* later ones: the candidates' rows and vectors (40 of them, each a T_rowids lookup and a
    ** walk into a 32 KiB block), about 6 % of the table measured */
    CHECK(later[10] * 10 < g_pages);
    CHECK(later[19] * 8 < g_pages);
    /* the counter counts: the flat scan reads every vector page */
    CHECK(flat >= vectors);
    sqlite3_close(db);
    unlink(path);
}

/* ---- measuring a table ------------------------------------------------------------------ */

static int measure(int argc, char **argv) {
    int dims = atoi(argv[3]);
    FILE *f = fopen(argv[2], "rb");
    if (dims <= 0 || dims > 8192 || f == NULL) {
        fprintf(stderr, "usage: host_vec_pages DB QUERIES DIMS [COMMAND...]\n");
        if (f)
            fclose(f);
        return 2;
    }
    float *q = malloc((size_t)dims * sizeof *q);
    long *pages = malloc(1000 * sizeof *pages);
    double *ms = malloc(1000 * sizeof *ms);
    sqlite3 *db = open_db(argv[1]);
    int n = 0, status = db && q && pages && ms ? 0 : 1;
    for (int i = 4; status == 0 && i < argc; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "INSERT INTO v(v) VALUES ('%s')", argv[i]);
        status = exec(db, sql) != SQLITE_OK;
    }
    long pc = db ? int_query(db, "PRAGMA page_count") : -1;
    while (status == 0 && n < 1000 && fread(q, sizeof *q, (size_t)dims, f) == (size_t)dims) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pages[n] = pages_of_query(db, "v", q, dims);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms[n] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        status = pages[n++] < 0;
    }
    if (status == 0 && n > 1) {
        qsort(pages + 1, (size_t)n - 1, sizeof *pages, cmp_long);
        qsort(ms + 1, (size_t)n - 1, sizeof *ms, cmp_double);
        printf("%s: %ld pages in the file; first query read %ld pages in %.1f ms, the next %d a "
               "median of %ld (max %ld) in %.2f ms\n",
               argv[1], pc, pages[0], ms[0], n - 1, pages[1 + (n - 1) / 2], pages[n - 1],
               ms[1 + (n - 1) / 2]);
    }
    fclose(f);
    free(q);
    free(pages);
    free(ms);
    sqlite3_close(db);
    return status;
}

int main(int argc, char **argv) {
    register_counting_vfs();
    if (argc >= 4)
        return measure(argc, argv);
    RUN(test_diskann_query_reads_few_pages);
    return unit_report("host_vec_pages");
}
