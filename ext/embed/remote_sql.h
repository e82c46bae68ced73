/*
** ext/embed (remote): what the SQL binding files of the remote half share: the connection's
** registry of clients (temp.rembed_clients), reference-counted because functions, modules and
** virtual table instances all point at it and SQLite destroys them in no fixed order.
*/
#ifndef STRATA_EMBED_REMOTE_SQL_H
#define STRATA_EMBED_REMOTE_SQL_H

#include "common/register_sql.h"
#include "common/sqlite_ext.h"
#include "embed/remote_client.h"

/* Most clients one connection may register. */
#define REMBED_MAX_CLIENTS 1000
/* Most texts one rembed_each call accepts. */
#define REMBED_MAX_EACH 1000000

typedef struct rembed_entry {
    sqlite3_int64 id; /* rowid in temp.rembed_clients */
    rembed_client *client;
} rembed_entry;

typedef struct rembed_registry {
    int refs;
    rembed_entry *entries;
    int n, cap;
    sqlite3_int64 next_id;
} rembed_registry;

/* A registry holding one reference, its creator's; NULL when out of memory. */
rembed_registry *rembed_registry_new(void);
void rembed_registry_ref(void *r);
/* xDestroy of every function and module holding r. */
void rembed_registry_unref(void *r);

/* Index of the entry named name or with rowid id (name NULL), -1 when absent. */
int rembed_registry_find(const rembed_registry *r, const char *name, sqlite3_int64 id);

/* What the remote half registers; the functions' and modules' user data is a registry. */
extern const strata_function rembed_functions[];
extern const size_t rembed_nfunctions;
extern const strata_module rembed_modules[];
extern const size_t rembed_nmodules;
extern const sqlite3_module rembed_clients_module; /* remote_clients_sql.c */
extern const sqlite3_module rembed_each_module;    /* remote_each_sql.c */

#endif
