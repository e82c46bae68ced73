/*
** node: the compiled form of a schema, shared by compile.c (which builds it) and validate.c
** (which runs it). Not part of the public API.
*/
#ifndef STRATA_JSONSCHEMA_NODE_H
#define STRATA_JSONSCHEMA_NODE_H

#include "jsonschema/arena.h"
#include "jsonschema/jv.h"
#include "jsonschema/regex.h"
#include "jsonschema/validator.h"

#include <stdint.h>

/* Bounds on validation: nested schema evaluations (refs included) per document. */
#define JS_MAX_EVAL_DEPTH 4000

enum {
    JT_NULL = 1 << 0,
    JT_BOOLEAN = 1 << 1,
    JT_OBJECT = 1 << 2,
    JT_ARRAY = 1 << 3,
    JT_NUMBER = 1 << 4,
    JT_STRING = 1 << 5,
    JT_INTEGER = 1 << 6,
};

typedef struct js_node js_node;
typedef struct js_resource js_resource;

typedef struct js_danchor {
    const char *name;
    const jv *src;
    js_node *node;
} js_danchor;

/* A schema resource: a document root or a subschema with its own $id. */
struct js_resource {
    char *uri; /* absolute, no fragment; "" for a root without $id */
    const jv *root;
    js_node *root_node;
    js_draft draft;
    bool recursive_anchor;
    bool no_validation;    /* its meta-schema leaves out the validation vocabulary */
    bool format_assertion; /* its meta-schema lists the format-assertion vocabulary */
    js_danchor *danchors;
    uint32_t ndanchors, capdanchors;
    js_resource *alias_of;  /* a registration URI that differs from the document's $id */
    const char *ignored_id; /* drafts 4-7: the root's $id, ignored because $ref is beside it */
    js_resource *next;
};

typedef struct js_prop {
    const char *key;
    uint32_t klen;
    js_node *node;
} js_prop;

typedef struct js_patprop {
    js_regex *re;
    js_node *node;
    const char *src; /* pattern text, for error locations */
    uint32_t srclen;
} js_patprop;

typedef struct js_dep {
    const char *key;
    uint32_t klen;
    const jv *names; /* dependentRequired: array of strings */
    js_node *node;   /* dependentSchemas */
} js_dep;

typedef struct js_list {
    js_node **items;
    uint32_t n;
} js_list;

enum { JS_KIND_TRUE, JS_KIND_FALSE, JS_KIND_OBJECT };

struct js_node {
    uint8_t kind;
    bool ref_overrides; /* draft <= 7: $ref ignores its siblings */
    bool unique;
    bool format_assert;
    bool has_const;
    js_draft draft;
    uint32_t types;
    const jv *src;
    js_resource *res;
    const char *ptr; /* JSON Pointer of this node inside res, for absoluteKeywordLocation */

    js_node *ref;
    js_node *dynref;
    const char *dyn_name; /* $dynamicRef resolved dynamically by this anchor name */
    js_node *recref;
    bool rec_dynamic;

    const jv *enum_;
    const jv *const_;
    const jv_num *multiple_of, *maximum, *minimum, *ex_maximum, *ex_minimum;
    const char *max_kw, *min_kw; /* "maximum" for draft-4 boolean exclusiveMaximum */
    int64_t max_length, min_length, max_items, min_items, max_props, min_props;
    int64_t max_contains, min_contains;
    js_regex *pattern;
    int format;
    /* contentEncoding "base64", contentMediaType "application/json" and contentSchema, set only
    ** when content assertion is on. */
    bool content_base64, content_json;
    js_node *content_schema;

    js_list prefix; /* prefixItems, or array-form items before 2020-12 */
    const char *prefix_kw;
    js_node *items; /* for indexes past prefix */
    const char *items_kw;
    js_node *contains;
    const jv *required;

    js_prop *props;
    uint32_t nprops;
    uint32_t *prop_slots; /* open-addressing index of props (1-based), or NULL when few */
    uint32_t prop_mask;
    js_patprop *patprops;
    uint32_t npatprops;
    js_node *additional;
    js_dep *dep_req;
    uint32_t ndep_req;
    const char *dep_req_kw;
    js_dep *dep_sch;
    uint32_t ndep_sch;
    const char *dep_sch_kw;
    js_node *property_names;
    js_node *if_, *then_, *else_, *not_;
    js_list all_of, any_of, one_of;
    js_node *uneval_props, *uneval_items;
};

struct js_schema {
    arena mem; /* everything compiled: texts, trees, nodes, resources */
    js_node *root;
    js_resource *resources;
    js_regex **regexes; /* owned ICU objects, freed with the schema */
    size_t nregex, capregex;
    arena scratch; /* per-validation: the document tree and annotation marks */
    js_options opts;
};

uint64_t js_hash(const char *s, size_t n);
/* The prop of node named key, or NULL. */
const js_prop *js_node_prop(const js_node *node, const char *key, uint32_t klen);

/* Formats (format.c). */
int js_format_id(const char *name, size_t n, js_draft draft); /* 0: unknown, always valid */
/* RFC 4648 base64 into out (n bytes suffice); the decoded length, or -1 when malformed. */
long js_base64_decode(const char *s, size_t n, char *out);
bool js_format_check(int id, const char *s, size_t n);

#endif
