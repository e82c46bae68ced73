/*
** The one definition of sqlite3_api in each .so (see sqlite_ext.h).
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

/* Keeps the translation unit non-empty under SQLITE_CORE, where the macro expands to nothing. */
typedef int strata_sqlite_api_unit;
