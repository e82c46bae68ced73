/*
** All-or-nothing registration of an extension part (see register_sql.h).
*/
#include "common/register_sql.h"
#include "common/error_sql.h"
#include "common/version.h"

#include <stdbool.h>

/* True when a statement of db has started and not finished: SQLite then refuses to replace or
** delete a function (SQLITE_BUSY), which also makes an undo impossible. */
static bool statement_running(sqlite3 *db) {
    for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s != NULL; s = sqlite3_next_stmt(db, s))
        if (sqlite3_stmt_busy(s))
            return true;
    return false;
}

/* A failed probe leaves its error on the connection, and sqlite3_open() fails when an automatic
** extension (sqlite3_auto_extension) returns with an error code set: a statement that prepares
** clears it. */
static void clear_error(sqlite3 *db) {
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2(db, "SELECT 1", -1, &stmt, NULL);
    sqlite3_finalize(stmt);
}

/* 1 when "SELECT <expr>" prepares and answers 1, else 0. */
static bool sql_true(sqlite3 *db, const char *expr) {
    char *sql = sqlite3_mprintf("SELECT %s", expr);
    if (sql == NULL)
        return false;
    sqlite3_stmt *stmt = NULL;
    bool yes = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
               sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
    sqlite3_finalize(stmt);
    sqlite3_free(sql);
    clear_error(db);
    return yes;
}

/* Whether a function of that name and arity (or a module, nargs < -1) exists. Builds without
** the introspection pragmas cannot tell: false, and rule 3 then does what it can. */
static bool exists(sqlite3 *db, const char *name, int nargs, bool module) {
    const char *sql = module ? "SELECT 1 FROM pragma_module_list WHERE name = ?1 COLLATE NOCASE"
                             : "SELECT 1 FROM pragma_function_list WHERE name = ?1 COLLATE NOCASE "
                               "AND narg = ?2";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        clear_error(db);
        return false;
    }
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    if (!module)
        sqlite3_bind_int(stmt, 2, nargs);
    bool found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

/* Rule 2: the first function or module the part would replace while a statement runs. */
static int check_replacements(sqlite3 *db, const strata_part *part, char **pzErrMsg) {
    if (!statement_running(db))
        return SQLITE_OK;
    for (size_t g = 0; g < part->ngroups; g++) {
        const strata_group *grp = &part->groups[g];
        const char *what = NULL, *name = NULL;
        for (size_t i = 0; what == NULL && i < grp->nfunctions; i++)
            if (exists(db, grp->functions[i].name, grp->functions[i].nargs, false))
                what = "function", name = grp->functions[i].name;
        for (size_t i = 0; what == NULL && i < grp->nmodules; i++)
            if (exists(db, grp->modules[i].name, 0, true))
                what = "module", name = grp->modules[i].name;
        if (what != NULL) {
            if (pzErrMsg)
                *pzErrMsg = strata_mprintf_error(
                    part->name,
                    "cannot replace the %s %s while a statement is running on this connection "
                    "(load the extension before running statements, or finish them first)",
                    what, name);
            return SQLITE_BUSY;
        }
    }
    return SQLITE_OK;
}

/* Rule 3: deletes the first nfun functions and nmod modules of grp. Deleting cannot fail here
** unless a statement is running, and then rule 2 made sure only new names were registered:
** they stay, complete with their state, in a library that is never unloaded (-z nodelete). */
static void undo_group(sqlite3 *db, const strata_group *grp, size_t nfun, size_t nmod) {
    for (size_t i = 0; i < nfun; i++)
        sqlite3_create_function_v2(db, grp->functions[i].name, grp->functions[i].nargs,
                                   grp->functions[i].flags, NULL, NULL, NULL, NULL, NULL);
    for (size_t i = 0; i < nmod; i++)
        sqlite3_create_module_v2(db, grp->modules[i].name, NULL, NULL, NULL);
}

/* Registers one group; on failure deletes what it registered. */
static int register_group(sqlite3 *db, const strata_group *grp) {
    int rc = SQLITE_OK;
    size_t i = 0;
    for (; rc == SQLITE_OK && i < grp->nfunctions; i++) {
        const strata_function *f = &grp->functions[i];
        if (grp->state)
            grp->ref(grp->state);
        /* On failure SQLite calls the destructor itself, releasing that reference. */
        rc = sqlite3_create_function_v2(db, f->name, f->nargs, f->flags,
                                        grp->state ? grp->state : (void *)f->data, f->fn, NULL,
                                        NULL, grp->state ? grp->unref : NULL);
    }
    if (rc != SQLITE_OK) {
        undo_group(db, grp, i - 1, 0);
        return rc;
    }
    for (i = 0; rc == SQLITE_OK && i < grp->nmodules; i++) {
        const strata_module *m = &grp->modules[i];
        if (grp->state)
            grp->ref(grp->state);
        rc = sqlite3_create_module_v2(db, m->name, m->module,
                                      grp->state ? grp->state : (void *)m->data,
                                      grp->state ? grp->unref : NULL);
    }
    if (rc != SQLITE_OK)
        undo_group(db, grp, grp->nfunctions, i - 1);
    return rc;
}

int strata_register(sqlite3 *db, strata_loader *ld, const strata_part *part, char **pzErrMsg) {
    if (part->probe && sql_true(db, part->probe))
        return SQLITE_OK; /* rule 1 */
    if (ld->checking)
        return check_replacements(db, part, pzErrMsg);
    for (size_t g = 0; g < part->ngroups; g++) {
        if (ld->ndone == STRATA_LOAD_MAX_GROUPS)
            return SQLITE_INTERNAL; /* a new part needs a larger STRATA_LOAD_MAX_GROUPS */
        int rc = register_group(db, &part->groups[g]);
        if (rc != SQLITE_OK) {
            if (pzErrMsg && *pzErrMsg == NULL)
                *pzErrMsg = strata_mprintf_error(part->name, "cannot register functions: %s",
                                                 sqlite3_errstr(rc));
            return rc;
        }
        ld->done[ld->ndone++] = part->groups[g];
    }
    return SQLITE_OK;
}

int strata_load(sqlite3 *db, const strata_register_fn *parts, size_t nparts, char **pzErrMsg) {
    strata_loader ld = {.checking = 1, .ndone = 0};
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < nparts; i++)
        rc = parts[i](db, &ld, pzErrMsg);
    ld.checking = 0;
    for (size_t i = 0; rc == SQLITE_OK && i < nparts; i++)
        rc = parts[i](db, &ld, pzErrMsg);
    if (rc != SQLITE_OK) {
        for (size_t g = 0; g < ld.ndone; g++)
            undo_group(db, &ld.done[g], ld.done[g].nfunctions, ld.done[g].nmodules);
        if (pzErrMsg && *pzErrMsg == NULL)
            *pzErrMsg =
                strata_mprintf_error("strata", "cannot register functions: %s", sqlite3_errstr(rc));
    }
    return rc;
}

void strata_version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    sqlite3_result_text(ctx, STRATA_VERSION, -1, SQLITE_STATIC);
}
