/*
** conn_sql: per-connection state of the jsonschema SQL binding: the schema registry and the LRU
** cache of compiled schemas. Shared by extension.c (scalar functions) and tables_sql.c
** (table-valued functions). Binding code: uses SQLite's allocator and error helpers.
*/
#ifndef STRATA_JSONSCHEMA_CONN_SQL_H
#define STRATA_JSONSCHEMA_CONN_SQL_H

#include "common/register_sql.h"
#include "common/sqlite_ext.h"
#include "common/strbuf.h"
#include "jsonschema/validator.h"

#include <stdint.h>

/* Compiled schemas kept per connection. */
#define JS_CACHE_SIZE 64
/* ... and at most this much memory for them (the newest is kept even if larger). */
#define JS_CACHE_MAX_BYTES ((size_t)64 << 20)
/* Registry bounds: entries and total bytes of schema text. */
#define JS_REGISTRY_MAX 10000
#define JS_REGISTRY_MAX_BYTES ((size_t)64 << 20)

typedef struct js_cache_entry {
    char *text; /* schema text */
    size_t len;
    uint64_t hash;
    js_options opts;
    js_schema *schema;
    struct js_cache_entry *prev, *next; /* most recently used first */
    size_t bytes;                       /* text and compiled schema */
} js_cache_entry;

typedef struct js_reg_entry {
    char *uri;
    char *text;
    size_t len;
} js_reg_entry;

typedef struct js_conn {
    int refs;
    js_cache_entry *head, *tail;
    int ncache;
    uint64_t generation; /* bumped whenever a cache entry is freed */
    size_t cache_bytes;
    js_reg_entry *reg;
    int nreg, capreg;
    size_t reg_bytes;
} js_conn;

js_conn *js_conn_new(void);
/* Takes one reference (void * for strata_group). */
void js_conn_ref(void *c);
/* Drops one reference (sqlite3 destructor signature). */
void js_conn_unref(void *c);

/* Parses an options JSON object; on error writes a sqlite3_malloc'd message to *err. */
int js_parse_options(const char *text, size_t len, js_options *out, char **err);
/* The compiled schema for text and opts from the cache, compiling on a miss. NULL on error
** with a sqlite3_malloc'd message (NULL when out of memory) in *err. The schema stays owned by
** the cache and valid until the next call on c or a registry change. */
js_schema *js_conn_schema(js_conn *c, const char *text, size_t len, const js_options *opts,
                          char **err);
/* The same, also returning the cache entry (for auxdata: valid while c->generation holds). */
js_schema *js_conn_schema_entry(js_conn *c, const char *text, size_t len, const js_options *opts,
                                char **err, js_cache_entry **entry);
/* Replaces or adds a registry entry and empties the cache. SQLITE_OK, or an error code with a
** sqlite3_malloc'd message. */
int js_conn_register(js_conn *c, const char *uri, const char *text, size_t len, char **err);

/* Reads (schema, doc, options) the way every function does: opts from argv[2] if present.
** Returns SQLITE_OK, or an error with a message. */
int js_read_options(sqlite3_value *v, js_options *opts, char **err);

/* The JSON text of a function argument: a BLOB holding JSONB (SQLite 3.45+) is converted into
** buf (the caller frees it); anything else is read as text, as SQLite's JSON functions read a
** BLOB that is not JSONB. SQLITE_OK with *text and *len; SQLITE_MISMATCH for malformed JSONB
** (*why: a static "malformed JSONB: ..." message); SQLITE_NOMEM. */
int js_value_json(sqlite3_value *v, strbuf *buf, const char **text, size_t *len, const char **why);

/* The jsonschema_errors and jsonschema_registry modules, whose client data is a js_conn. */
extern const strata_module js_table_modules[];
extern const size_t js_table_nmodules;

#endif
