/*
** Include this, not <sqlite3ext.h>, in every SQL binding file (extension.c, *_sql.c).
**
** One .so holds several binding files but exactly one definition of the sqlite3_api pointer
** (ext/common/sqlite_api_sql.c). Under SQLITE_CORE (the static library) the pointer does not
** exist and sqlite3_* calls go straight to the linked SQLite.
*/
#ifndef STRATA_SQLITE_EXT_H
#define STRATA_SQLITE_EXT_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3

/* Entry points are the only symbols a strata .so exports. */
#define STRATA_EXPORT __attribute__((visibility("default")))

/* Flags for pure functions: same output for same input, safe in views, triggers, CHECK. */
#define STRATA_PURE (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
/* Flags for functions that touch files or the network: never callable from schema objects. */
#define STRATA_DIRECT (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* SQLITE_RESULT_SUBTYPE arrived in 3.45 (Debian 12 has 3.40.1); the value is stable. */
#ifndef SQLITE_RESULT_SUBTYPE
#define SQLITE_RESULT_SUBTYPE 0x001000000
#endif
#ifndef SQLITE_SUBTYPE
#define SQLITE_SUBTYPE 0x000100000
#endif

#endif
