/*
** lsm_file: the only place the engine touches the file system. Every call returns an LSM_*
** status (ENOSPC -> LSM_FULL, other errors -> LSM_IOERR) with a message naming the file and the
** errno text (lsm_file_errmsg), so no I/O error is ever ignored or reported without its cause.
**
** Tests fail operations on demand through lsm_fault_set: after N more matching operations,
** each further one fails with the chosen errno (once or for good), and a failing write can first
** write part of its buffer, as a full disk does.
*/
#ifndef STRATA_LSM_FILE_H
#define STRATA_LSM_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    LSM_FAULT_WRITE = 1,
    LSM_FAULT_SYNC = 2,
    LSM_FAULT_READ = 4, /* reads of logs and the manifest, and the mapping of a table */
    LSM_FAULT_OPEN = 8,
    LSM_FAULT_RENAME = 16,
    LSM_FAULT_TRUNCATE = 32,
    LSM_FAULT_ALL = 63
};
enum { LSM_FAULT_ONCE = 1, LSM_FAULT_SHORT = 2 };

/* Arms fault injection: ops is a mask of LSM_FAULT_*, `after` operations succeed first, then
** operations fail with errno `err`. ops == 0 disarms. Process-wide, thread-safe. */
void lsm_fault_set(int ops, long after, int err, int flags);
/* How many injected failures happened since the last lsm_fault_set. */
long lsm_fault_count(void);
/* How many operations of the kinds in ops (a mask) the armed fault layer has seen since the
** last lsm_fault_set, failed ones included; only kinds that call armed are counted. Arming
** with a huge `after` counts a workload's operations without failing any. */
long lsm_fault_calls(int ops);

/* Message of the last failed call in this thread ("write /x/y-log: No space left on device"). */
const char *lsm_file_errmsg(void);
/* Records a message for a non-errno failure (corruption found by the caller). */
void lsm_file_set_errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int lsm_file_open(const char *path, int oflags, int *fd_out);
int lsm_file_close(int fd);
/* Writes all n bytes at the current position (retrying short writes). */
int lsm_file_write(int fd, const char *path, const void *buf, size_t n);
int lsm_file_sync(int fd, const char *path);
int lsm_file_truncate(int fd, const char *path, off_t size);
/* Moves the write position of fd to `at`. */
int lsm_file_seek(int fd, const char *path, off_t at);
/* Size of the file at path; LSM_NOTFOUND if absent. */
int lsm_file_size(const char *path, uint64_t *size);
/* Reads a whole file into a malloc'd buffer (limit bytes at most). LSM_NOTFOUND if absent. */
int lsm_file_read_all(const char *path, size_t limit, uint8_t **buf, size_t *n);
/* rename() then fsync of the directory holding `to` (when sync is set). */
int lsm_file_rename(const char *from, const char *to, int sync);
int lsm_file_sync_dir(const char *path);
/* unlink(); a missing file is not an error. */
int lsm_file_remove(const char *path);
/* Maps a whole read-only file; *size 0 gives a NULL map. */
int lsm_file_map(const char *path, const uint8_t **map, size_t *size);
void lsm_file_unmap(const uint8_t *map, size_t size);
/* Advisory lock (exclusive, or shared with `shared`) held until fd is closed; LSM_BUSY if
** another process holds a conflicting one. */
int lsm_file_lock(int fd, const char *path, int shared);
/* Identity of an open file (device and inode), to share one engine per file in a process. */
int lsm_file_identity(int fd, uint64_t *dev, uint64_t *ino);

/* Calls fn(arg, name) for every entry of the directory holding path (not "." / ".."). */
int lsm_file_list_dir(const char *path, void (*fn)(void *, const char *), void *arg);
/* The directory part of path ("." when there is none) and the file name part. */
int lsm_file_split(const char *path, char *dir, size_t cap, const char **name);
#endif
