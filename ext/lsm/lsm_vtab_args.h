/*
** lsm_vtab_args: parses the arguments of CREATE VIRTUAL TABLE t USING lsm1(...). Plain C, no
** SQLite, so the rules are unit-tested on their own.
**
**   lsm1(filename, key, UINT|TEXT|BLOB, v1 [, v2 ...] [, option=value ...])
**
** The filename may be quoted ('x.lsm' or "x.lsm") or bare. Value columns are passed through to
** the declared schema as written ("v INTEGER" is allowed). An argument that starts with a word
** followed by '=' is an engine option:
**
**   durability=off|normal|full   memtable_bytes=N   block_bytes=N   file_bytes=N
**   bloom_bits_per_key=N         l0_trigger=N       level1_bytes=N  compact_steps=N
**   background=0|1               atomic=on|off (commits coordinated with the database file)
*/
#ifndef STRATA_LSM_VTAB_ARGS_H
#define STRATA_LSM_VTAB_ARGS_H

#include "lsm/lsm_engine.h"

#include <stddef.h>

enum { LSMV_KEY_UINT = 1, LSMV_KEY_TEXT = 2, LSMV_KEY_BLOB = 3 };

/* Most value columns a table may declare (SQLite allows 2000 columns in all). */
#define LSMV_MAX_VALUES 1000

typedef struct lsm_vtab_args {
    char *filename;        /* dequoted, malloc'd */
    const char *key_name;  /* argv text, as written */
    const char *key_decl;  /* the key type as written (UINT, text, ...) */
    int key_type;          /* LSMV_KEY_* */
    int nval;              /* value columns */
    const char **val_decl; /* malloc'd array of nval argv pointers */
    slsm_options opt;
    int atomic; /* 1 (default): the table commits exactly when its database file does */
} lsm_vtab_args;

/* argv as SQLite passes it to xCreate/xConnect (argv[0] the module, argv[3] the filename).
** Returns 0, or -1 with a message (without the "module: " prefix) in err. The caller frees
** args with lsm_vtab_args_free in both cases. */
int lsm_vtab_args_parse(int argc, const char *const *argv, lsm_vtab_args *args, char *err,
                        size_t nerr);
void lsm_vtab_args_free(lsm_vtab_args *args);

#endif
