/*
** jsonb: SQLite's binary JSON (JSONB, SQLite 3.45+) read as JSON text, so documents and schemas
** stored with jsonb() validate like their text. Plain C, no SQLite: the format is SQLite's
** documented on-disk format (doc/jsonb.md in SQLite's sources), read here without its library,
** so a JSONB column validates under any SQLite version, Debian 12's 3.40.1 included.
**
** An element is a header (type in the low 4 bits of the first byte; the payload size in the high
** 4 bits, or in the 1, 2, 4 or 8 big-endian bytes that follow) and a payload. Numbers and strings
** keep their text; JSON5 spellings (hexadecimal integers, ".5", JSON5 escapes) are turned into
** JSON the way SQLite's json() turns them.
*/
#ifndef STRATA_JSONSCHEMA_JSONB_H
#define STRATA_JSONSCHEMA_JSONB_H

#include "common/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum jsonb_kind {
    JSONB_NOT = 0,      /* not JSONB: read the BLOB as JSON text, as SQLite does */
    JSONB_YES = 1,      /* JSONB by SQLite's test */
    JSONB_IF_VALID = 2, /* short and starts like JSON text ({, [ or a digit): JSONB only if it
                        ** decodes, as SQLite decides for such BLOBs */
} jsonb_kind;

/* SQLite's test of a BLOB argument: the outer element's header is well formed, its payload fills
** the BLOB exactly, and null, true and false have no payload. */
jsonb_kind jsonb_detect(const unsigned char *b, size_t n);

/* Appends the JSON text of the JSONB value b[0..n) to out. False when it is malformed (*why
** says how: "malformed JSONB: ...", a static string) or out of memory (out->failed). Nesting is
** bounded like the text parser's. */
bool jsonb_to_json(const unsigned char *b, size_t n, strbuf *out, const char **why);

#endif
