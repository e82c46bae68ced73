/*
** ext/embed (remote): noticing sqlite3_interrupt() while an HTTP request or a retry's wait runs
** (see remote_cancel_sql.h).
**
** SQLite 3.41 added sqlite3_is_interrupted(). The baseline, Debian 12's 3.40.1, lacks it, so it
** is looked up at run time: through the routines table of a loadable extension, which 3.41
** extended by that one entry after 3.40's last one. On older SQLite a call asks SQLite itself: a
** statement started while sqlite3_interrupt() is in force fails with SQLITE_INTERRUPT (as the
** documentation of sqlite3_interrupt() promises, until no statement is running), so stepping a
** trivial "SELECT 1" answers the question at a cost of microseconds.
*/
#include "embed/remote_cancel_sql.h"

#include <stddef.h>
#include <time.h>

typedef int (*is_interrupted_fn)(sqlite3 *);

#if !defined(SQLITE_CORE) && !defined(sqlite3_is_interrupted) &&                                   \
    SQLITE_VERSION_NUMBER >= 3040000 && SQLITE_VERSION_NUMBER < 3041000
/* The routines table of 3.41 and later begins with 3.40's (these headers) and continues with
** is_interrupted. Read only after sqlite3_libversion_number() says the running SQLite has it. */
typedef struct routines_3_41 {
    sqlite3_api_routines v3_40;
    int (*is_interrupted)(sqlite3 *);
} routines_3_41;
#define ROUTINES_TABLE_EXTENDED 1
#endif

static is_interrupted_fn resolve_is_interrupted(void) {
    if (sqlite3_libversion_number() < 3041000)
        return NULL;
#if defined(sqlite3_is_interrupted) || (defined(SQLITE_CORE) && SQLITE_VERSION_NUMBER >= 3041000)
    return sqlite3_is_interrupted;
#elif defined(ROUTINES_TABLE_EXTENDED)
    return ((const routines_3_41 *)sqlite3_api)->is_interrupted;
#else
    return NULL;
#endif
}

/* SQLite before 3.41: a statement started now fails with SQLITE_INTERRUPT when the connection
** was interrupted (the flag stays set while the calling statement runs). */
static int probe_interrupted(sqlite3 *db) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT 1", -1, &stmt, NULL);
    if (rc == SQLITE_OK && stmt != NULL)
        rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_INTERRUPT;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stop(void *arg) {
    rembed_interrupt *rc = arg;
    if (rc->is_interrupted)
        return rc->is_interrupted(rc->db) != 0;
    /* A probe costs a prepared statement: at most one per poll interval, and none in a call's
    ** first interval, so quick requests (most of them) never pay for one. */
    long long now = now_ms();
    if (now < rc->next_probe_ms)
        return 0;
    rc->next_probe_ms = now + REMBED_HTTP_POLL_MS;
    return probe_interrupted(rc->db);
}

void rembed_interrupt_init(rembed_interrupt *rc, sqlite3 *db) {
    rc->db = db;
    rc->is_interrupted = resolve_is_interrupted();
    rc->next_probe_ms = now_ms() + REMBED_HTTP_POLL_MS;
    rc->cancel.stop = stop;
    rc->cancel.arg = rc;
}

const char *rembed_interrupt_method(void) {
    return resolve_is_interrupted() ? "sqlite3_is_interrupted"
                                    : "a probe statement (SQLite < 3.41)";
}
