/*
** ext/embed (remote): the cancel callback of rembed() and rembed_each(): a call stops, with
** SQLITE_INTERRUPT, once sqlite3_interrupt() has been called on its connection.
*/
#ifndef STRATA_EMBED_REMOTE_CANCEL_SQL_H
#define STRATA_EMBED_REMOTE_CANCEL_SQL_H

#include "common/sqlite_ext.h"
#include "embed/remote_http.h"

typedef struct rembed_interrupt {
    rembed_cancel cancel; /* what the engine calls */
    sqlite3 *db;
    int (*is_interrupted)(sqlite3 *); /* sqlite3_is_interrupted (3.41+), or NULL */
    long long next_probe_ms;          /* before 3.41: no probe statement before this time */
} rembed_interrupt;

/* Fills rc for a call running on db; pass &rc->cancel to the engine. */
void rembed_interrupt_init(rembed_interrupt *rc, sqlite3 *db);

/* How interrupts are noticed with the running SQLite, for rembed_debug(). */
const char *rembed_interrupt_method(void);

#endif
