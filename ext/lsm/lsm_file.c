/*
** lsm_file: POSIX file operations with errno mapping and on-demand fault injection.
*/
#include "lsm/lsm_file.h"
#include "lsm/lsm_status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

static _Thread_local char errmsg[512];

/* Atomic throughout: the background thread checks for faults while a test arms them. */
static atomic_int fault_ops;
static atomic_long fault_after;
static atomic_long fault_hits;
static atomic_int fault_errno, fault_flags;
/* operations of each armed kind checked since lsm_fault_set (index: bit number of the kind) */
#define FAULT_KINDS 6
static atomic_long fault_seen[FAULT_KINDS];

void lsm_fault_set(int ops, long after, int err, int flags) {
    atomic_store(&fault_ops, 0);
    atomic_store(&fault_errno, err);
    atomic_store(&fault_flags, flags);
    atomic_store(&fault_after, after);
    atomic_store(&fault_hits, 0);
    for (int i = 0; i < FAULT_KINDS; i++)
        atomic_store(&fault_seen[i], 0);
    atomic_store(&fault_ops, ops);
}

long lsm_fault_count(void) {
    return atomic_load(&fault_hits);
}

long lsm_fault_calls(int ops) {
    long n = 0;
    for (int i = 0; i < FAULT_KINDS; i++)
        if (ops & (1 << i))
            n += atomic_load(&fault_seen[i]);
    return n;
}

static int fault_kind(int op) {
    int i = 0;
    while (i < FAULT_KINDS - 1 && !(op & (1 << i)))
        i++;
    return i;
}

/* True when this operation must fail; sets errno. */
static int fault_now(int op) {
    if (!(atomic_load(&fault_ops) & op))
        return 0;
    atomic_fetch_add(&fault_seen[fault_kind(op)], 1);
    if (atomic_fetch_sub(&fault_after, 1) > 0)
        return 0;
    atomic_fetch_add(&fault_hits, 1);
    if (atomic_load(&fault_flags) & LSM_FAULT_ONCE)
        atomic_store(&fault_ops, 0);
    errno = atomic_load(&fault_errno);
    return 1;
}

const char *lsm_file_errmsg(void) {
    return errmsg;
}

void lsm_file_set_errmsg(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
}

static int fail(const char *what, const char *path, int err) {
    lsm_file_set_errmsg("%s %s: %s", what, path ? path : "?", strerror(err));
    if (err == ENOSPC || err == EDQUOT || err == EFBIG)
        return LSM_FULL;
    if (err == ENOMEM)
        return LSM_NOMEM;
    return LSM_IOERR;
}

int lsm_file_open(const char *path, int oflags, int *fd_out) {
    *fd_out = -1;
    if (fault_now(LSM_FAULT_OPEN))
        return fail("open", path, errno);
    int fd = open(path, oflags | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = fail("open", path, errno);
        return errno == ENOENT ? LSM_NOTFOUND : (rc == LSM_IOERR ? LSM_CANTOPEN : rc);
    }
    *fd_out = fd;
    return LSM_OK;
}

int lsm_file_close(int fd) {
    if (fd >= 0)
        close(fd);
    return LSM_OK;
}

int lsm_file_write(int fd, const char *path, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w;
        if (fault_now(LSM_FAULT_WRITE)) {
            int err = errno;
            if ((atomic_load(&fault_flags) & LSM_FAULT_SHORT) && chunk > 1) {
                /* a full disk accepts part of the buffer before refusing the rest */
                if (write(fd, p, chunk / 2) < 0) {
                    /* the real error wins over the injected one */
                    err = errno;
                }
            }
            return fail("write", path, err);
        }
        w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return fail("write", path, errno);
        }
        if (w == 0)
            return fail("write", path, ENOSPC);
        p += w;
        n -= (size_t)w;
    }
    return LSM_OK;
}

int lsm_file_sync(int fd, const char *path) {
    if (fault_now(LSM_FAULT_SYNC) || fdatasync(fd) != 0)
        return fail("fsync", path, errno);
    return LSM_OK;
}

int lsm_file_truncate(int fd, const char *path, off_t size) {
    if (fault_now(LSM_FAULT_TRUNCATE) || ftruncate(fd, size) != 0)
        return fail("truncate", path, errno);
    if (lseek(fd, size, SEEK_SET) < 0)
        return fail("seek", path, errno);
    return LSM_OK;
}

int lsm_file_seek(int fd, const char *path, off_t at) {
    if (lseek(fd, at, SEEK_SET) < 0)
        return fail("seek", path, errno);
    return LSM_OK;
}

int lsm_file_size(const char *path, uint64_t *size) {
    struct stat st;
    *size = 0;
    if (stat(path, &st) != 0) {
        int rc = fail("stat", path, errno);
        return errno == ENOENT ? LSM_NOTFOUND : rc;
    }
    *size = (uint64_t)st.st_size;
    return LSM_OK;
}

int lsm_file_read_all(const char *path, size_t limit, uint8_t **buf, size_t *n) {
    *buf = NULL;
    *n = 0;
    int fd;
    int rc = lsm_file_open(path, O_RDONLY, &fd);
    if (rc != LSM_OK)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = fail("stat", path, errno);
        close(fd);
        return rc;
    }
    if ((uint64_t)st.st_size > limit) {
        close(fd);
        lsm_file_set_errmsg("%s: file too large (%lld bytes)", path, (long long)st.st_size);
        return LSM_CORRUPT;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (data == NULL) {
        close(fd);
        return LSM_NOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r;
        if (fault_now(LSM_FAULT_READ))
            r = -1;
        else
            r = pread(fd, data + got, size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = fail("read", path, r == 0 ? EIO : errno);
            free(data);
            close(fd);
            return rc;
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = data;
    *n = size;
    return LSM_OK;
}

static int dir_of(const char *path, char *dir, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return snprintf(dir, cap, ".") < (int)cap ? 0 : -1;
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= cap)
        return -1;
    memcpy(dir, path, len);
    dir[len] = 0;
    return 0;
}

int lsm_file_sync_dir(const char *path) {
    char dir[PATH_MAX];
    if (dir_of(path, dir, sizeof dir) != 0)
        return fail("fsync directory of", path, ENAMETOOLONG);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail("open directory", dir, errno);
    int rc = LSM_OK;
    if (fault_now(LSM_FAULT_SYNC) || fsync(fd) != 0)
        rc = fail("fsync directory", dir, errno);
    close(fd);
    return rc;
}

int lsm_file_rename(const char *from, const char *to, int sync) {
    if (fault_now(LSM_FAULT_RENAME) || rename(from, to) != 0)
        return fail("rename", to, errno);
    return sync ? lsm_file_sync_dir(to) : LSM_OK;
}

int lsm_file_remove(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT)
        return fail("remove", path, errno);
    return LSM_OK;
}

int lsm_file_map(const char *path, const uint8_t **map, size_t *size) {
    *map = NULL;
    *size = 0;
    int fd;
    int rc = lsm_file_open(path, O_RDONLY, &fd);
    if (rc != LSM_OK)
        return rc == LSM_NOTFOUND ? LSM_CORRUPT : rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = fail("stat", path, errno);
        close(fd);
        return rc;
    }
    if (st.st_size > 0) {
        /* reading a table is mapping it: an injected read fault fails the map */
        if (fault_now(LSM_FAULT_READ)) {
            rc = fail("mmap", path, errno);
            close(fd);
            return rc;
        }
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            rc = fail("mmap", path, errno);
            close(fd);
            return rc;
        }
        *map = m;
        *size = (size_t)st.st_size;
    }
    close(fd);
    return LSM_OK;
}

void lsm_file_unmap(const uint8_t *map, size_t size) {
    if (map)
        munmap((void *)map, size);
}

int lsm_file_lock(int fd, const char *path, int shared) {
    if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            lsm_file_set_errmsg("%s is locked by another process", path);
            return LSM_BUSY;
        }
        return fail("lock", path, errno);
    }
    return LSM_OK;
}

int lsm_file_identity(int fd, uint64_t *dev, uint64_t *ino) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail("stat", "lock file", errno);
    *dev = (uint64_t)st.st_dev;
    *ino = (uint64_t)st.st_ino;
    return LSM_OK;
}

int lsm_file_split(const char *path, char *dir, size_t cap, const char **name) {
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (dir_of(path, dir, cap) != 0)
        return fail("directory of", path, ENAMETOOLONG);
    return LSM_OK;
}

int lsm_file_list_dir(const char *path, void (*fn)(void *, const char *), void *arg) {
    char dir[PATH_MAX];
    if (dir_of(path, dir, sizeof dir) != 0)
        return fail("list directory of", path, ENAMETOOLONG);
    DIR *d = opendir(dir);
    if (d == NULL)
        return fail("list directory", dir, errno);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
            fn(arg, ent->d_name);
    closedir(d);
    return LSM_OK;
}
