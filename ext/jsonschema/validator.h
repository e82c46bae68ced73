/*
** validator: the public engine API of ext/jsonschema (plain C, no SQLite): compiled JSON
** schemas, and documents checked against them.
**
**   char err[JS_ERR_SIZE];
**   js_schema *s = js_compile(text, len, &opts, lookup, ctx, err, sizeof err);  once per schema
**   js_check(s, doc, doclen, NULL, err, sizeof err)       yes/no, per document
**   js_check(s, doc, doclen, &errs, err, sizeof err)      with "basic" output units
**
** Failures are reported the engine way (docs/developing.md): a status, and the problem written
** into the caller's buffer, err[errlen] (JS_ERR_SIZE holds any; NULL, 0 asks for none).
**
** A compiled schema is a tree of js_node with every $ref, $dynamicRef and $recursiveRef already
** resolved to a node, every pattern compiled and every property name hashed; validation never
** looks at schema text again. A js_schema is not thread-safe (it owns ICU regex objects and a
** scratch arena); give each thread or connection its own.
*/
#ifndef STRATA_JSONSCHEMA_VALIDATOR_H
#define STRATA_JSONSCHEMA_VALIDATOR_H

#include "common/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* A caller's error buffer of this size holds any message of the engine. */
#define JS_ERR_SIZE 1024

typedef enum js_draft {
    JS_DRAFT_DEFAULT = 0,
    JS_DRAFT4 = 4,
    JS_DRAFT6 = 6,
    JS_DRAFT7 = 7,
    JS_DRAFT2019 = 2019,
    JS_DRAFT2020 = 2020,
} js_draft;

typedef enum js_format_mode {
    JS_FORMAT_DEFAULT = 0, /* assert in drafts 4-7, annotate in 2019-09 and 2020-12 */
    JS_FORMAT_ANNOTATE = 1,
    JS_FORMAT_ASSERT = 2,
} js_format_mode;

/* contentEncoding, contentMediaType and contentSchema: annotations in every draft unless asked
** (draft 7 makes asserting them optional, 2019-09 and 2020-12 annotations; ajv and most
** validators never assert them, and real documents rely on that). */
typedef enum js_content_mode {
    JS_CONTENT_DEFAULT = 0, /* annotate */
    JS_CONTENT_ANNOTATE = 1,
    JS_CONTENT_ASSERT = 2,
} js_content_mode;

/* What jsonschema_validate returns (js_check_output): this extension's list of errors (NULL
** when valid), or one of the output formats of JSON Schema 2019-09/2020-12. */
typedef enum js_output_format {
    JS_OUTPUT_LIST = 0,
    JS_OUTPUT_FLAG,
    JS_OUTPUT_BASIC,
    JS_OUTPUT_DETAILED,
    JS_OUTPUT_VERBOSE,
} js_output_format;

typedef struct js_options {
    js_draft draft; /* used when the schema has no $schema (DEFAULT: 2020-12) */
    js_format_mode format;
    js_content_mode content;
    js_output_format output; /* not part of what a schema compiles to */
} js_options;

/* Returns the text of a schema registered under uri (no fragment), or NULL. */
typedef const char *(*js_lookup_fn)(void *ctx, const char *uri, size_t *len);

typedef struct js_schema js_schema;

/* Compiles text[0..len). On failure returns NULL with the problem in err ("out of memory"
** included). The schema copies text; lookup is only called during this call. */
js_schema *js_compile(const char *text, size_t len, const js_options *opts, js_lookup_fn lookup,
                      void *lookup_ctx, char *err, size_t errlen);
void js_schema_free(js_schema *s);
/* Bytes the compiled schema holds (its arena; ICU regex objects not counted). */
size_t js_schema_memory(const js_schema *s);
/* The draft the root schema was compiled as. */
js_draft js_schema_draft(const js_schema *s);

/* One error in the JSON Schema "basic" output shape. */
typedef struct js_error {
    char *instance_location;
    char *keyword_location;
    char *absolute_keyword_location;
    char *message;
} js_error;

typedef struct js_errors {
    js_error *items;
    size_t n, cap;
    size_t limit; /* stop collecting after this many (0: 1000) */
} js_errors;

void js_errors_init(js_errors *e);
void js_errors_free(js_errors *e);
/* Appends an error with empty locations (a document that is not JSON); false when out of
** memory. */
bool js_errors_add_document_error(js_errors *e, const char *problem);

typedef enum js_result {
    JS_VALID = 1,
    JS_INVALID = 0,
    JS_BAD_DOCUMENT = -1, /* the document is not JSON; err says why */
    JS_FAILED = -2,       /* validation could not finish (depth, regex limit, memory) */
} js_result;

/* Validates doc[0..len). errs may be NULL (stop at the first failure). err receives the problem
** of JS_BAD_DOCUMENT and JS_FAILED. */
js_result js_check(js_schema *s, const char *doc, size_t len, js_errors *errs, char *err,
                   size_t errlen);

/* Validates doc[0..len) and appends the result to out as JSON text in `format`: for
** JS_OUTPUT_LIST the errors (nothing when valid), for the others the whole output, valid or not.
** A document that is not JSON gives an invalid output with that one error. Returns like
** js_check; after JS_FAILED, out holds nothing useful. */
js_result js_check_output(js_schema *s, const char *doc, size_t len, js_output_format format,
                          strbuf *out, char *err, size_t errlen);
/* Appends the output of a document that is not JSON (problem says why) in `format`. */
void js_write_document_error(js_output_format format, const char *problem, strbuf *out);

/* The text of a built-in meta-schema for uri (no fragment), or NULL. */
const char *js_builtin_schema(const char *uri, size_t *len);
/* The meta-schema URI of a draft. */
const char *js_draft_uri(js_draft d);
/* Parses "4", "draft4", "2019-09", "2020-12", a meta-schema URI ... into a draft; 0 if unknown. */
js_draft js_draft_parse(const char *s, size_t n);

#endif
