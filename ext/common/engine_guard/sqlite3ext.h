/*
** Engine files (everything in ext/ but extension.c and *_sql.c) are plain C that builds and
** unit-tests without SQLite. The Makefile puts this folder first on their include path, so an
** engine file that includes <sqlite3ext.h> fails to compile instead of quietly depending on SQLite.
*/
#error "engine code must not include <sqlite3ext.h>: SQLite code goes in a *_sql.c file"
