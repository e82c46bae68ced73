/*
** Registering an extension's SQL functions and modules on a connection: all or nothing, and at
** most once per connection.
**
** An init function that fails halfway leaves SQLite holding functions whose library it is about
** to unload, and the next call or the connection's close jumps into unmapped memory. So every
** entry point loads through strata_load(), which follows three rules:
**
**  1. A part that a strata library of the same version registered on this connection already
**     (dist/strata.so loaded after dist/vec.so, or one file loaded twice) is left as it is, so
**     the registries it holds (clients, models, schemas) survive the second load. The part's
**     probe, an SQL expression, tells: it answers 1 only when our own functions are there.
**  2. SQLite cannot replace (nor delete) a function while a statement runs on the connection:
**     when one does, every function and module the library would replace is checked first, and
**     an existing one is an error that names it, before anything is registered.
**  3. Any other failure (out of memory) undoes what the load registered.
**
** strata_load() calls each part's register function twice with a loader: a first pass that
** only checks (rules 1 and 2), then one that registers. A register function builds its part
** and hands it to strata_register() the same way in both passes.
**
** Functions and modules of one group share a reference-counted state: each registration takes
** a reference, released by SQLite when the function or module goes. The caller keeps its own
** reference and releases it after the call, whatever the outcome.
*/
#ifndef STRATA_REGISTER_SQL_H
#define STRATA_REGISTER_SQL_H

#include "common/sqlite_ext.h"

#include <stddef.h>

typedef void (*strata_sql_fn)(sqlite3_context *ctx, int argc, sqlite3_value **argv);

typedef struct strata_function {
    const char *name;
    int nargs; /* -1: any number */
    int flags; /* STRATA_PURE, STRATA_DIRECT, ... */
    strata_sql_fn fn;
    const void *data; /* sqlite3_user_data() when the group has no shared state */
} strata_function;

typedef struct strata_module {
    const char *name;
    const sqlite3_module *module;
    const void *data; /* the module's client data when the group has no shared state */
} strata_module;

typedef struct strata_group {
    const strata_function *functions;
    size_t nfunctions;
    const strata_module *modules;
    size_t nmodules;
    void *state;                /* user data of every function and module, or NULL */
    void (*ref)(void *state);   /* takes a reference (required with a state) */
    void (*unref)(void *state); /* drops one; the last frees the state */
} strata_group;

typedef struct strata_part {
    const char *name;  /* "vec": errors read "vec: ..." */
    const char *probe; /* SQL expression that is 1 when this part is registered already */
    const strata_group *groups;
    size_t ngroups;
} strata_part;

#define STRATA_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Most groups one load registers (strata.so: every part of every extension). */
#define STRATA_LOAD_MAX_GROUPS 16

typedef struct strata_loader {
    int checking; /* first pass: check only */
    size_t ndone; /* groups registered so far, to undo on failure */
    strata_group done[STRATA_LOAD_MAX_GROUPS];
} strata_loader;

/* What each extension provides: builds its part(s) and calls strata_register(). */
typedef int (*strata_register_fn)(sqlite3 *db, strata_loader *ld, char **pzErrMsg);

/* The body of every entry point: checks every part, then registers them, or nothing.
** SQLITE_OK, or an error code with "<part>: ..." in *pzErrMsg (if not NULL). */
int strata_load(sqlite3 *db, const strata_register_fn *parts, size_t nparts, char **pzErrMsg);

/* Checks or registers one part, as ld's pass says (see above). */
int strata_register(sqlite3 *db, strata_loader *ld, const strata_part *part, char **pzErrMsg);

/* A function answering STRATA_VERSION: every part has one (<name>_version). */
void strata_version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv);

#endif
