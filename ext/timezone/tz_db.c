/*
** tz_db: locating, reading and caching zones of the system zoneinfo directory.
**
** The cache is an open-addressing hash table of retained zones behind one mutex. It holds at
** most TZ_DB_CACHE_MAX zones; when full it releases all of them at once (zones still used by a
** caller live on until released). The zone list is built once by walking the directory.
*/
#include "timezone/tz_db.h"
#include "common/hash.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS (TZ_DB_CACHE_MAX * 2)
#define NAMES_MAX 8192
#define WALK_DEPTH 4

static pthread_mutex_t db_mutex = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *cache[SLOTS];
static size_t cache_count;
static char db_dir[4096];
static char db_version[32];
static bool version_read;
static tz_db_name *names;
static char **name_strings; /* every string names[] points into, for freeing */
static size_t names_count, strings_count;

static void init_dir_locked(void) {
    if (db_dir[0] != '\0')
        return;
    const char *env = getenv("TZDIR");
    snprintf(db_dir, sizeof db_dir, "%s",
             env != NULL && env[0] != '\0' && strlen(env) < sizeof db_dir - 300
                 ? env
                 : "/usr/share/zoneinfo");
}

const char *tz_db_dir(void) {
    pthread_mutex_lock(&db_mutex);
    init_dir_locked();
    pthread_mutex_unlock(&db_mutex);
    return db_dir;
}

const char *tz_db_version(void) {
    pthread_mutex_lock(&db_mutex);
    init_dir_locked();
    if (!version_read) {
        char path[4200], line[128];
        snprintf(path, sizeof path, "%s/tzdata.zi", db_dir);
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(line, sizeof line, f) != NULL && strncmp(line, "# version ", 10) == 0) {
                size_t n = strcspn(line + 10, "\r\n ");
                if (n > 0 && n < sizeof db_version) {
                    memcpy(db_version, line + 10, n);
                    db_version[n] = '\0';
                }
            }
            fclose(f);
        }
        version_read = true;
    }
    pthread_mutex_unlock(&db_mutex);
    return db_version[0] ? db_version : NULL;
}

/* ---- names ----------------------------------------------------------------------------------- */

/* A name safe to join to the directory: components of [A-Za-z0-9_+-.] not starting with '.'. */
static bool safe_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > TZ_NAME_MAX)
        return false;
    bool start = true;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/') {
            if (start)
                return false;
            start = true;
            continue;
        }
        if (start && (c == '.' || c == '-'))
            return false;
        if (!(isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.'))
            return false;
        start = false;
    }
    return !start;
}

/* Not zones: the default rule file and the system's own zone. */
static bool excluded_name(const char *s) {
    return strcmp(s, "posixrules") == 0 || strcmp(s, "localtime") == 0;
}

static bool has_tzif_magic(const char *path) {
    char magic[4];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, magic, 4);
    close(fd);
    return n == 4 && memcmp(magic, "TZif", 4) == 0;
}

typedef struct name_vec {
    char **v;
    size_t n, cap;
    bool failed;
} name_vec;

static void vec_push(name_vec *vec, const char *s) {
    if (vec->failed || vec->n >= NAMES_MAX)
        return;
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 256;
        char **nv = realloc(vec->v, cap * sizeof *nv);
        if (nv == NULL) {
            vec->failed = true;
            return;
        }
        vec->v = nv;
        vec->cap = cap;
    }
    char *copy = strdup(s);
    if (copy == NULL) {
        vec->failed = true;
        return;
    }
    vec->v[vec->n++] = copy;
}

static void walk(const char *rel, int depth, name_vec *vec) {
    char path[4400];
    snprintf(path, sizeof path, "%s%s%s", db_dir, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[600];
        int len = snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        if (len <= 0 || (size_t)len >= sizeof child || !safe_name(child))
            continue;
        if (depth == 0 && (strcmp(child, "right") == 0 || strcmp(child, "posix") == 0))
            continue;
        char full[4400 + 600];
        snprintf(full, sizeof full, "%s/%s", db_dir, child);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < WALK_DEPTH)
                walk(child, depth + 1, vec);
        } else if (S_ISREG(st.st_mode) && !excluded_name(child) && has_tzif_magic(full)) {
            vec_push(vec, child);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const tz_db_name *)a)->name, ((const tz_db_name *)b)->name);
}

static tz_db_name *find_name(const char *s) {
    tz_db_name key = {s, NULL, NULL};
    return names ? bsearch(&key, names, names_count, sizeof *names, cmp_name) : NULL;
}

/* Reads "L target link" lines of tzdata.zi into the targets of the list. */
static void read_links(name_vec *strings) {
    char path[4200], line[512];
    snprintf(path, sizeof path, "%s/tzdata.zi", db_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char target[256], link[256];
        if (line[0] != 'L' || sscanf(line, "L %255s %255s", target, link) != 2)
            continue;
        tz_db_name *n = find_name(link);
        tz_db_name *t = find_name(target);
        if (n != NULL && t != NULL)
            n->target = t->name;
    }
    fclose(f);
    (void)strings;
}

/* Reads country codes: zone.tab ("CC coords Zone") then zone1970.tab ("CC,CC coords Zone"). */
static void read_countries(const char *file, name_vec *strings) {
    char path[4200], line[1024];
    snprintf(path, sizeof path, "%s/%s", db_dir, file);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char codes[256], coords[64], zone[256];
        if (line[0] == '#' || sscanf(line, "%255s %63s %255s", codes, coords, zone) != 3)
            continue;
        tz_db_name *n = find_name(zone);
        if (n == NULL || n->country != NULL)
            continue;
        vec_push(strings, codes);
        if (!strings->failed && strings->n > 0 && strcmp(strings->v[strings->n - 1], codes) == 0)
            n->country = strings->v[strings->n - 1];
    }
    fclose(f);
}

static void free_vec(name_vec *v) {
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
}

static bool load_names_locked(void) {
    if (names != NULL)
        return true;
    init_dir_locked();
    name_vec vec = {0};
    walk("", 0, &vec);
    if (vec.failed) {
        free_vec(&vec);
        return false;
    }
    qsort(vec.v, vec.n, sizeof *vec.v, cmp_str);
    tz_db_name *list = calloc(vec.n + 1, sizeof *list);
    if (list == NULL) {
        free_vec(&vec);
        return false;
    }
    for (size_t i = 0; i < vec.n; i++)
        list[i].name = list[i].target = vec.v[i];
    names = list;
    names_count = vec.n;
    read_links(&vec);
    read_countries("zone.tab", &vec);
    read_countries("zone1970.tab", &vec);
    name_strings = vec.v;
    strings_count = vec.n;
    return true;
}

const tz_db_name *tz_db_names(size_t *count) {
    pthread_mutex_lock(&db_mutex);
    bool ok = load_names_locked();
    *count = ok ? names_count : 0;
    pthread_mutex_unlock(&db_mutex);
    return ok ? names : NULL;
}

/* ---- zone cache ------------------------------------------------------------------------------ */

static uint64_t hash_name(const char *s) {
    return strata_fnv1a(s, strlen(s));
}

static tz_zone *cache_find_locked(const char *name) {
    for (uint64_t i = hash_name(name) % SLOTS;; i = (i + 1) % SLOTS) {
        if (cache[i] == NULL)
            return NULL;
        if (strcmp(cache[i]->name, name) == 0)
            return cache[i];
    }
}

static void cache_clear_locked(void) {
    for (size_t i = 0; i < SLOTS; i++) {
        tz_zone_release(cache[i]);
        cache[i] = NULL;
    }
    cache_count = 0;
}

static void cache_put_locked(tz_zone *z) {
    if (cache_count >= TZ_DB_CACHE_MAX)
        cache_clear_locked();
    uint64_t i = hash_name(z->name) % SLOTS;
    while (cache[i] != NULL)
        i = (i + 1) % SLOTS;
    tz_zone_retain(z);
    cache[i] = z;
    cache_count++;
}

bool tz_db_parse_fixed(const char *s, int32_t *out) {
    int sign, h, m = 0, sec = 0;
    const char *p = s;
    if (*p != '+' && *p != '-')
        return false;
    sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return false;
    h = (p[0] - '0') * 10 + (p[1] - '0');
    p += 2;
    bool colon = *p == ':';
    if (*p != '\0') {
        p += colon;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return false;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p != '\0') {
            if (colon ? *p != ':' : !isdigit((unsigned char)*p))
                return false;
            p += colon;
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0')
                return false;
            sec = (p[0] - '0') * 10 + (p[1] - '0');
        }
    }
    if (h > 23 || m > 59 || sec > 59)
        return false;
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

/* Reads and parses the TZif file of a safe name into *out. TZ_UNKNOWN_ZONE when there is no
** such regular file (no message: the caller words it with the name asked for). */
static tz_status load_file_locked(const char *name, tz_zone **out) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", db_dir, name);
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TZ_UNKNOWN_ZONE;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZ_DB_FILE_MAX) {
        close(fd);
        return TZ_UNKNOWN_ZONE;
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(size ? size : 1);
    if (buf == NULL) {
        close(fd);
        return TZ_NOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    tz_status rc = tz_zone_from_tzif(name, buf, got, out, NULL, 0);
    free(buf);
    return rc;
}

/* The zone of a safe name from the cache or its file, under db_mutex. */
static tz_status get_file_zone_locked(const char *name, tz_zone **out) {
    init_dir_locked();
    tz_zone *z = cache_find_locked(name);
    if (z != NULL) {
        tz_zone_retain(z);
        *out = z;
        return TZ_OK;
    }
    bool fresh = true;
    tz_status rc = load_file_locked(name, &z);
    if (rc == TZ_UNKNOWN_ZONE && load_names_locked()) {
        /* Zone IDs are case-insensitive: find the spelling on disk. */
        for (size_t i = 0; i < names_count; i++) {
            if (strcasecmp(names[i].name, name) == 0) {
                z = cache_find_locked(names[i].name);
                if (z == NULL) {
                    rc = load_file_locked(names[i].name, &z);
                } else {
                    tz_zone_retain(z);
                    fresh = false;
                    rc = TZ_OK;
                }
                break;
            }
        }
    }
    if (z != NULL && fresh)
        cache_put_locked(z);
    *out = z;
    return rc;
}

tz_status tz_db_get(const char *name, tz_zone **out, char *err, size_t errlen) {
    int32_t fixed;
    tz_status rc;
    *out = NULL;
    bool is_utc = strcasecmp(name, "UTC") == 0 || strcasecmp(name, "Z") == 0;
    if (is_utc || tz_db_parse_fixed(name, &fixed)) {
        char norm[16];
        if (is_utc) {
            snprintf(norm, sizeof norm, "UTC");
        } else {
            int a = fixed < 0 ? -fixed : fixed;
            int n = snprintf(norm, sizeof norm, "%c%02d:%02d", fixed < 0 ? '-' : '+', a / 3600,
                             a / 60 % 60);
            if (a % 60)
                snprintf(norm + n, sizeof norm - (size_t)n, ":%02d", a % 60);
        }
        /* Cached like files, so a column of offsets does not allocate a zone per row. */
        pthread_mutex_lock(&db_mutex);
        tz_zone *z = cache_find_locked(norm);
        if (z != NULL) {
            tz_zone_retain(z);
        } else {
            z = tz_zone_new_fixed(norm, is_utc ? 0 : fixed, norm);
            if (z != NULL)
                cache_put_locked(z);
        }
        pthread_mutex_unlock(&db_mutex);
        *out = z;
        rc = z != NULL ? TZ_OK : TZ_NOMEM;
    } else if (!safe_name(name) || excluded_name(name)) {
        rc = TZ_UNKNOWN_ZONE;
    } else {
        pthread_mutex_lock(&db_mutex);
        rc = get_file_zone_locked(name, out);
        pthread_mutex_unlock(&db_mutex);
    }
    if (rc == TZ_UNKNOWN_ZONE)
        snprintf(err, errlen, "unknown time zone '%.80s'", name);
    else if (rc == TZ_ERROR)
        snprintf(err, errlen, "time zone '%.80s' has unreadable TZif data", name);
    else if (rc == TZ_NOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}

void tz_db_reset(void) {
    pthread_mutex_lock(&db_mutex);
    cache_clear_locked();
    for (size_t i = 0; i < strings_count; i++)
        free(name_strings[i]);
    free(name_strings);
    free(names);
    names = NULL;
    name_strings = NULL;
    names_count = strings_count = 0;
    db_dir[0] = '\0';
    version_read = false;
    db_version[0] = '\0';
    pthread_mutex_unlock(&db_mutex);
}
