/*
** output: validation results as JSON text in the output formats of JSON Schema 2019-09/2020-12
** ("flag", "basic", "detailed", "verbose") and this extension's error list. Shared by validate.c,
** which records results while it validates, and the SQL binding, which writes documents that are
** not JSON. Not part of the public API (validator.h has js_check_output).
**
** Locations are kept as shared path nodes (pnode): the first result under a path segment copies
** it once and every later result under the same prefix points to it, so recording a result costs
** O(1) however deep it is, and location strings are built only when written.
**
** The detailed and verbose formats are a tree (otree) of output units with three kinds:
**   frame    one evaluation of a subschema against one instance location;
**   keyword  an applicator keyword of a frame ("properties", "anyOf", "$ref"...), whose children
**            are the frames it evaluated;
**   leaf     an assertion keyword's result ("type", "required"...), or a boolean subschema.
** Verbose writes every unit; detailed writes the failed ones, drops branches without errors and
** replaces a unit that has no error of its own and one child by that child (the specification's
** condensing rules), keeping the root.
*/
#ifndef STRATA_JSONSCHEMA_OUTPUT_H
#define STRATA_JSONSCHEMA_OUTPUT_H

#include "common/strbuf.h"
#include "jsonschema/node.h"

#include <stdint.h>

typedef struct pnode {
    const struct pnode *up;
    const char *s; /* NULL for an array index */
    uint32_t n;
    uint32_t idx;
    size_t bytes; /* about the length of the pointer up to here (escapes not counted) */
} pnode;

/* Appends "/" and s[0..n) as a JSON Pointer token ('~' and '/' escaped). */
void js_append_token(strbuf *sb, const char *s, size_t n);
/* Appends the JSON Pointer of a kept path (nothing for NULL, the empty path). */
void js_append_path(strbuf *sb, const pnode *p);
/* Appends a keyword's absolute location: its resource's URI, '#', the node's pointer, and kw
** (if any) as one more token. */
void js_append_absolute(strbuf *sb, const js_node *node, const char *kw, size_t kwlen);

#define OU_NONE UINT32_MAX

enum { OU_FRAME, OU_KEYWORD, OU_LEAF };

typedef struct ounit {
    const pnode *kpath, *ipath; /* keyword and instance locations (kw appended to kpath) */
    const js_node *node;        /* for absoluteKeywordLocation */
    const char *kw;             /* keyword token after kpath, or NULL */
    uint32_t kwlen;
    uint32_t kdepth; /* frames: the keyword path's depth, where their keywords start */
    char *error;     /* malloc'd message of a failed assertion, or NULL */
    uint32_t parent, first, last, prev, next;
    uint8_t kind;
    bool valid;
    bool fixed; /* keyword units: valid was set by the keyword, not by its children */
    size_t bytes;
} ounit;

typedef struct otree {
    ounit *u;
    uint32_t n;
    size_t cap;
    size_t bytes; /* about the written size of the units held */
} otree;

void otree_free(otree *t);
/* Frees the units from index `from` on (a subtree that was the last one built). */
void otree_truncate(otree *t, uint32_t from);
/* Appends the tree's root unit in the detailed or the verbose format. */
void otree_write(const otree *t, bool verbose, strbuf *out);

/* Appends a list of errors: the "basic" format's units (with "valid": false) when basic, else
** this extension's list (instanceLocation, keywordLocation, absoluteKeywordLocation, error). */
void js_write_errors(const js_errors *e, bool basic, strbuf *out);

#endif
