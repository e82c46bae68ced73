/*
** strata: SQLite extensions for LSM storage, JSON Schema, time zones, embeddings and vectors.
**
** Linking dist/libstrata.a into a program that links SQLite itself: register every extension on
** every connection the program opens, before opening any, with
**
**     sqlite3_auto_extension((void (*)(void))sqlite3_strata_init);
**
** or a single extension with its own entry point (sqlite3_vec_init, ...). Link with
** -lsqlite3 -lcjson -licui18n -licuuc -lm (libcurl is opened at run time, on the first remote
** embedding call).
*/
#ifndef STRATA_H
#define STRATA_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

int sqlite3_strata_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
int sqlite3_lsm_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
int sqlite3_jsonschema_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
int sqlite3_timezone_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
int sqlite3_embed_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
int sqlite3_vec_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif
