/*
** The registry guard: who may change a connection's registries from SQL.
**
** Three registries are connection state that reaches the network, files or other queries'
** answers: embedding clients (temp.rembed_clients), local models (temp.lembed_models) and
** registered JSON schemas (jsonschema_register). A host such as Datasette runs SQL written by
** anonymous visitors (SELECT and WITH statements, which can write the temp schema) on pooled
** connections, so SQL alone must not be able to change them there. The rule:
**
**   SQL may change the registries  <=>  an admin session is open
**                                       or (strata_lock() was never called and the connection
**                                           can write its main database: not read-only, not
**                                           query_only)
**
**   strata_lock()    closes the registries of the connection for good (1). The Datasette plugin
**                    calls it after applying its configuration.
**   strata_locked()  1 when SQL may not change the registries now, else 0.
**   CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()
**                    opens an admin session until DROP TABLE temp.strata_admin. Only a CREATE
**                    statement reaches xCreate: visitor SQL (SELECT/WITH) and a database file's
**                    schema (which SQLite connects, never creates) cannot open one.
**
** The first strata library loaded on a connection registers the guard; later ones find it and
** ask it through SQL, so several strata libraries on one connection obey one lock.
*/
#ifndef STRATA_GUARD_SQL_H
#define STRATA_GUARD_SQL_H

#include "common/register_sql.h"

/* Registers strata_lock(), strata_locked() and strata_admin on db unless they are there. */
int strata_guard_register(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

/* NULL when SQL may change db's registries now; otherwise why not, as a static text that
** completes "registries are locked on this connection: ...". */
const char *strata_guard_refusal(sqlite3 *db);

#endif
