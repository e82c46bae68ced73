/*
** lsm_tableset: file metadata, table sets, the level iterator and the manifest (see
** lsm_tableset.h).
*/
#include "lsm/lsm_tableset.h"
#include "lsm/lsm_coding.h"
#include "lsm/lsm_crc32c.h"
#include "lsm/lsm_file.h"
#include "lsm/lsm_format.h"
#include "lsm/lsm_status.h"

#include "common/strbuf.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_MAGIC "STRATLSM"
/* Smallest entry: level, three one-byte varints, two keys of a length byte and an 8-byte tag. */
#define MANIFEST_MIN_ENTRY 22

char *lsm_table_path(const char *base, uint64_t number) {
    size_t n = strlen(base) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s-%06llu.sst", base, (unsigned long long)number);
    return p;
}

lsm_fmeta *lsm_fmeta_new(const char *base, uint64_t number, uint64_t size, uint64_t nentries,
                         uint8_t *smallest, size_t nsmallest, uint8_t *largest, size_t nlargest) {
    lsm_fmeta *f = calloc(1, sizeof *f);
    char *path = lsm_table_path(base, number);
    if (f == NULL || path == NULL) {
        free(f);
        free(path);
        free(smallest);
        free(largest);
        return NULL;
    }
    f->number = number;
    f->size = size;
    f->nentries = nentries;
    f->smallest = smallest;
    f->nsmallest = nsmallest;
    f->largest = largest;
    f->nlargest = nlargest;
    f->refs = 1;
    f->path = path;
    /* LevelDB's estimate: a wasted lookup in a file costs about as much as compacting 40 KiB
    ** of it (compaction rewrites each byte ~25 times over the levels); allowing one per 16 KiB
    ** errs on the side of merging late. At least 100. */
    f->read_budget = (int64_t)(size / 16384);
    if (f->read_budget < 100)
        f->read_budget = 100;
    return f;
}

/* Reference counts are atomic: the background thread takes and drops references to files and
** table sets while it merges without the engine mutex. */
void lsm_fmeta_ref(lsm_fmeta *f) {
    __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void lsm_fmeta_unref(lsm_fmeta *f) {
    if (f == NULL)
        return;
    int left = __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
    assert(left >= 0); /* one unref per reference, as LevelDB's FileMetaData asserts */
    if (left > 0)
        return;
    lsm_table_close(f->table);
    if (f->obsolete)
        lsm_file_remove(f->path);
    free(f->smallest);
    free(f->largest);
    free(f->path);
    free(f);
}

/* Tables open on first use, from reader threads and the background thread alike. */
static pthread_mutex_t table_open_mu = PTHREAD_MUTEX_INITIALIZER;

int lsm_fmeta_table(lsm_fmeta *f, lsm_table **t) {
    lsm_table *open = __atomic_load_n(&f->table, __ATOMIC_ACQUIRE);
    if (open == NULL) {
        int rc = LSM_OK;
        pthread_mutex_lock(&table_open_mu);
        if (f->table == NULL)
            rc = lsm_table_open(f->path, &open);
        else
            open = f->table;
        if (rc == LSM_OK)
            __atomic_store_n(&f->table, open, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&table_open_mu);
        if (rc)
            return rc;
    }
    *t = open;
    return LSM_OK;
}

static void release_fmeta(void *arg) {
    lsm_fmeta_unref(arg);
}

int lsm_fmeta_iter(lsm_fmeta *f, const lsm_bounds *bounds, lsm_iter **out) {
    lsm_table *t;
    int rc = lsm_fmeta_table(f, &t);
    if (rc)
        return rc;
    *out = lsm_table_iter(t, bounds, release_fmeta, f);
    if (*out == NULL)
        return LSM_NOMEM;
    lsm_fmeta_ref(f);
    return LSM_OK;
}

int lsm_fmeta_overlaps(const lsm_fmeta *f, const uint8_t *lo, size_t nlo, const uint8_t *hi,
                       size_t nhi) {
    if (hi && lsm_ukey_cmp(f->smallest, f->nsmallest - LSM_TAG_BYTES, hi, nhi) > 0)
        return 0;
    if (lo && lsm_ukey_cmp(f->largest, f->nlargest - LSM_TAG_BYTES, lo, nlo) < 0)
        return 0;
    return 1;
}

lsm_tableset *lsm_tableset_new(void) {
    lsm_tableset *v = calloc(1, sizeof *v);
    if (v)
        v->refs = 1;
    return v;
}

void lsm_tableset_ref(lsm_tableset *v) {
    __atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
}

void lsm_tableset_unref(lsm_tableset *v) {
    if (v == NULL)
        return;
    int left = __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL);
    assert(left >= 0); /* LevelDB's Version::Unref asserts the same */
    if (left > 0)
        return;
    for (int l = 0; l < LSM_LEVELS; l++) {
        for (int i = 0; i < v->n[l]; i++)
            lsm_fmeta_unref(v->files[l][i]);
        free(v->files[l]);
    }
    free(v);
}

uint64_t lsm_tableset_level_bytes(const lsm_tableset *v, int level) {
    assert(level >= 0 && level < LSM_LEVELS);
    uint64_t total = 0;
    for (int i = 0; i < v->n[level]; i++)
        total += v->files[level][i]->size;
    return total;
}

int lsm_tableset_find_file(const lsm_tableset *v, int level, const uint8_t *k, size_t nk) {
    /* Only levels 1.. are sorted and disjoint; level 0's tables may overlap. */
    assert(level >= 1 && level < LSM_LEVELS);
    int lo = 0, hi = v->n[level];
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        const lsm_fmeta *f = v->files[level][mid];
        if (lsm_ukey_cmp(f->largest, f->nlargest - LSM_TAG_BYTES, k, nk) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int lsm_tableset_lookup_files(const lsm_tableset *v, const uint8_t *k, size_t nk, lsm_fmeta **first,
                              int *first_level) {
    int count = 0;
    for (int l = 0; l < LSM_LEVELS && count < 2; l++) {
        int lo = 0, hi = v->n[l];
        if (l > 0) {
            lo = lsm_tableset_find_file(v, l, k, nk);
            hi = lo < hi ? lo + 1 : lo;
        }
        for (int i = lo; i < hi && count < 2; i++) {
            lsm_fmeta *f = v->files[l][i];
            if (!lsm_fmeta_overlaps(f, k, nk, k, nk))
                continue;
            if (count++ == 0) {
                *first = f;
                *first_level = l;
            }
        }
    }
    return count;
}

static int cmp_newest_first(const void *a, const void *b) {
    const lsm_fmeta *x = *(lsm_fmeta *const *)a, *y = *(lsm_fmeta *const *)b;
    return x->number < y->number ? 1 : x->number > y->number ? -1 : 0;
}

static int cmp_smallest(const void *a, const void *b) {
    const lsm_fmeta *x = *(lsm_fmeta *const *)a, *y = *(lsm_fmeta *const *)b;
    return lsm_ikey_cmp(x->smallest, x->nsmallest, y->smallest, y->nsmallest);
}

lsm_tableset *lsm_tableset_edit(const lsm_tableset *v, lsm_fmeta **drop, int ndrop, lsm_fmeta **add,
                                int nadd, int add_level) {
    assert(nadd == 0 || (add_level >= 0 && add_level < LSM_LEVELS));
    lsm_tableset *nv = lsm_tableset_new();
    if (nv == NULL)
        return NULL;
    for (int l = 0; l < LSM_LEVELS; l++) {
        int cap = (v ? v->n[l] : 0) + (l == add_level ? nadd : 0);
        if (cap == 0)
            continue;
        nv->files[l] = malloc((size_t)cap * sizeof(lsm_fmeta *));
        if (nv->files[l] == NULL) {
            lsm_tableset_unref(nv);
            return NULL;
        }
        for (int i = 0; v && i < v->n[l]; i++) {
            lsm_fmeta *f = v->files[l][i];
            int dropped = 0;
            for (int d = 0; d < ndrop && !dropped; d++)
                dropped = drop[d] == f;
            if (!dropped) {
                lsm_fmeta_ref(f);
                nv->files[l][nv->n[l]++] = f;
            }
        }
        if (l == add_level)
            for (int i = 0; i < nadd; i++) {
                lsm_fmeta_ref(add[i]);
                nv->files[l][nv->n[l]++] = add[i];
            }
        qsort(nv->files[l], (size_t)nv->n[l], sizeof(lsm_fmeta *),
              l == 0 ? cmp_newest_first : cmp_smallest);
    }
    return nv;
}

/* ---- level iterator ----------------------------------------------------------------------- */

typedef struct level_iter {
    lsm_iter base;
    lsm_fmeta **files;
    int n, cur;
    lsm_iter *it;
    const lsm_bounds *bounds;
} level_iter;

static void lv_sync(level_iter *li) {
    li->base.valid = li->it && li->it->valid;
    if (li->it && li->it->rc && !li->base.rc)
        li->base.rc = li->it->rc;
    if (li->base.rc)
        li->base.valid = 0;
    if (li->base.valid) {
        li->base.key = li->it->key;
        li->base.klen = li->it->klen;
        li->base.val = li->it->val;
        li->base.vlen = li->it->vlen;
    }
}

/* Opens file i (or none when out of range); 0 on failure or out of range. */
static int lv_open(level_iter *li, int i) {
    if (li->it && li->cur == i)
        return 1;
    lsm_iter_destroy(li->it);
    li->it = NULL;
    li->cur = i;
    if (i < 0 || i >= li->n)
        return 0;
    int rc = lsm_fmeta_iter(li->files[i], li->bounds, &li->it);
    if (rc) {
        li->base.rc = rc;
        return 0;
    }
    return 1;
}

static void lv_forward(level_iter *li) {
    while (li->it && !li->it->valid && !li->it->rc && !li->base.rc) {
        if (!lv_open(li, li->cur + 1))
            break;
        li->it->vt->first(li->it);
    }
    lv_sync(li);
}

static void lv_backward(level_iter *li) {
    while (li->it && !li->it->valid && !li->it->rc && !li->base.rc) {
        if (!lv_open(li, li->cur - 1))
            break;
        li->it->vt->last(li->it);
    }
    lv_sync(li);
}

static void lv_first(lsm_iter *b) {
    level_iter *li = (level_iter *)b;
    if (lv_open(li, 0))
        li->it->vt->first(li->it);
    lv_forward(li);
}

static void lv_last(lsm_iter *b) {
    level_iter *li = (level_iter *)b;
    if (lv_open(li, li->n - 1))
        li->it->vt->last(li->it);
    lv_backward(li);
}

static void lv_seek(lsm_iter *b, const uint8_t *ik, size_t n) {
    level_iter *li = (level_iter *)b;
    int lo = 0, hi = li->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        lsm_fmeta *f = li->files[mid];
        if (lsm_ikey_cmp(f->largest, f->nlargest, ik, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lv_open(li, lo))
        li->it->vt->seek(li->it, ik, n);
    else
        li->base.valid = 0;
    lv_forward(li);
}

static void lv_next(lsm_iter *b) {
    level_iter *li = (level_iter *)b;
    li->it->vt->next(li->it);
    lv_forward(li);
}

static void lv_prev(lsm_iter *b) {
    level_iter *li = (level_iter *)b;
    li->it->vt->prev(li->it);
    lv_backward(li);
}

static void lv_destroy(lsm_iter *b) {
    level_iter *li = (level_iter *)b;
    lsm_iter_destroy(li->it);
    for (int i = 0; i < li->n; i++)
        lsm_fmeta_unref(li->files[i]);
    free(li->files);
    free(li);
}

static const lsm_iter_vt level_vt = {lv_first, lv_last, lv_seek, lv_next, lv_prev, lv_destroy};

lsm_iter *lsm_level_iter_new(lsm_fmeta **files, int n, const lsm_bounds *bounds) {
    level_iter *li = calloc(1, sizeof *li);
    if (li == NULL)
        return NULL;
    li->files = malloc((size_t)(n ? n : 1) * sizeof *files);
    if (li->files == NULL) {
        free(li);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        lsm_fmeta_ref(files[i]);
        li->files[i] = files[i];
    }
    li->n = n;
    li->cur = -1;
    li->bounds = bounds;
    li->base.vt = &level_vt;
    return &li->base;
}

/* ---- manifest ----------------------------------------------------------------------------- */

int lsm_manifest_write(const char *path, const char *tmp_path, const lsm_tableset *v,
                       uint64_t next_file, uint64_t flushed_seq, int sync, int *published) {
    *published = 0;
    strbuf sb;
    strbuf_init(&sb);
    uint8_t w[32], *p;
    strbuf_append(&sb, MANIFEST_MAGIC, 8);
    lsm_put_fixed32(w, 1);
    lsm_put_fixed64(w + 4, next_file);
    lsm_put_fixed64(w + 12, flushed_seq);
    uint32_t count = 0;
    for (int l = 0; l < LSM_LEVELS; l++)
        count += (uint32_t)v->n[l];
    lsm_put_fixed32(w + 20, count);
    strbuf_append(&sb, w, 24);
    for (int l = 0; l < LSM_LEVELS; l++)
        for (int i = 0; i < v->n[l]; i++) {
            const lsm_fmeta *f = v->files[l][i];
            p = w;
            *p++ = (uint8_t)l;
            p = lsm_put_varint(p, f->number);
            p = lsm_put_varint(p, f->size);
            p = lsm_put_varint(p, f->nentries);
            strbuf_append(&sb, w, (size_t)(p - w));
            p = lsm_put_varint(w, f->nsmallest);
            strbuf_append(&sb, w, (size_t)(p - w));
            strbuf_append(&sb, f->smallest, f->nsmallest);
            p = lsm_put_varint(w, f->nlargest);
            strbuf_append(&sb, w, (size_t)(p - w));
            strbuf_append(&sb, f->largest, f->nlargest);
        }
    if (sb.failed) {
        strbuf_free(&sb);
        return LSM_NOMEM;
    }
    lsm_put_fixed32(w, lsm_crc_mask(lsm_crc32c(sb.data, sb.len)));
    strbuf_append(&sb, w, 4);
    if (sb.failed) {
        strbuf_free(&sb);
        return LSM_NOMEM;
    }
    int fd;
    int rc = lsm_file_open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, &fd);
    if (rc == LSM_OK) {
        rc = lsm_file_write(fd, tmp_path, sb.data, sb.len);
        if (rc == LSM_OK && sync)
            rc = lsm_file_sync(fd, tmp_path);
        lsm_file_close(fd);
        if (rc == LSM_OK) {
            rc = lsm_file_rename(tmp_path, path, 0);
            if (rc == LSM_OK) {
                /* from here on the new manifest is the one the file system shows */
                *published = 1;
                if (sync)
                    rc = lsm_file_sync_dir(path);
            }
        }
        if (rc != LSM_OK && !*published)
            lsm_file_remove(tmp_path);
    }
    strbuf_free(&sb);
    return rc;
}

static int manifest_corrupt(const char *path, const char *why) {
    lsm_file_set_errmsg("%s: corrupt manifest (%s)", path, why);
    return LSM_CORRUPT;
}

static uint8_t *read_key(const uint8_t **pp, const uint8_t *end, size_t *n) {
    uint64_t len;
    const uint8_t *p = lsm_get_varint_max(*pp, end, LSM_MAX_KEY_BYTES + LSM_TAG_BYTES, &len);
    if (p == NULL || len < LSM_TAG_BYTES || (uint64_t)(end - p) < len)
        return NULL;
    uint8_t *k = malloc((size_t)len);
    if (k == NULL)
        return NULL;
    memcpy(k, p, (size_t)len);
    *pp = p + len;
    *n = (size_t)len;
    return k;
}

int lsm_manifest_read(const char *path, const char *base, lsm_tableset **out, uint64_t *next_file,
                      uint64_t *flushed_seq) {
    *out = NULL;
    uint8_t *data;
    size_t n;
    int rc = lsm_file_read_all(path, (size_t)1 << 30, &data, &n);
    if (rc)
        return rc;
    if (n < 36 || memcmp(data, MANIFEST_MAGIC, 8) != 0) {
        free(data);
        return manifest_corrupt(path, "not a strata lsm database");
    }
    if (lsm_crc_mask(lsm_crc32c(data, n - 4)) != lsm_get_fixed32(data + n - 4)) {
        free(data);
        return manifest_corrupt(path, "checksum mismatch");
    }
    if (lsm_get_fixed32(data + 8) != 1) {
        free(data);
        return manifest_corrupt(path, "unknown format version");
    }
    *next_file = lsm_get_fixed64(data + 12);
    *flushed_seq = lsm_get_fixed64(data + 20);
    uint32_t count = lsm_get_fixed32(data + 28);
    const uint8_t *p = data + 32, *end = data + n - 4;
    /* the count comes from the file: no more entries than its bytes can hold, checked before
    ** anything is allocated for them */
    if (count > (size_t)(end - p) / MANIFEST_MIN_ENTRY) {
        free(data);
        return manifest_corrupt(path, "file count larger than the manifest can hold");
    }
    lsm_fmeta **files = calloc(count ? count : 1, sizeof *files);
    int *levels = calloc(count ? count : 1, sizeof *levels);
    if (files == NULL || levels == NULL) {
        free(files);
        free(levels);
        free(data);
        return LSM_NOMEM;
    }
    uint32_t got = 0;
    for (; got < count; got++) {
        uint64_t number, size, nentries;
        if (p >= end || *p >= LSM_LEVELS) {
            rc = manifest_corrupt(path, "level");
            break;
        }
        levels[got] = *p++;
        p = lsm_get_varint(p, end, &number);
        if (p)
            p = lsm_get_varint(p, end, &size);
        if (p)
            p = lsm_get_varint(p, end, &nentries);
        size_t ns = 0, nl = 0;
        uint8_t *s = p ? read_key(&p, end, &ns) : NULL;
        uint8_t *l = s ? read_key(&p, end, &nl) : NULL;
        if (l == NULL || number >= *next_file) {
            free(s);
            free(l);
            rc = manifest_corrupt(path, "file entry");
            break;
        }
        files[got] = lsm_fmeta_new(base, number, size, nentries, s, ns, l, nl);
        if (files[got] == NULL) {
            rc = LSM_NOMEM;
            break;
        }
    }
    if (rc == LSM_OK && p != end)
        rc = manifest_corrupt(path, "trailing bytes");
    lsm_tableset *v = NULL;
    if (rc == LSM_OK) {
        lsm_tableset *empty = lsm_tableset_new();
        v = empty;
        for (int l = 0; l < LSM_LEVELS && v; l++) {
            lsm_fmeta *add[1];
            for (uint32_t i = 0; i < got && v; i++) {
                if (levels[i] != l)
                    continue;
                add[0] = files[i];
                lsm_tableset *nv = lsm_tableset_edit(v, NULL, 0, add, 1, l);
                lsm_tableset_unref(v);
                v = nv;
            }
        }
        if (v == NULL)
            rc = LSM_NOMEM;
    }
    for (uint32_t i = 0; i < got; i++)
        lsm_fmeta_unref(files[i]);
    free(files);
    free(levels);
    free(data);
    *out = v;
    return rc;
}
