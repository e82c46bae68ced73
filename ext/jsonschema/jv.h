/*
** jv: the JSON values ext/jsonschema validates, and their exact parser.
**
** cJSON (the design's first choice) keeps numbers only as doubles, truncates strings at \u0000,
** accepts trailing garbage unless asked, keeps duplicate keys silently and looks keys up
** case-insensitively. A validator needs every one of those facts, so this parser keeps them:
**
**   numbers    the exact decimal value (canonical digits and exponent) beside a double, so
**              const/enum/multipleOf/minimum are exact for big integers and long decimals;
**   strings    length-counted UTF-8; \u0000 is kept; a lone surrogate escape is kept as its
**              3-byte (WTF-8) form and counts as one code point, as SQLite's json_valid accepts it;
**   objects    a duplicate key is a parse error (JSON parsers disagree on which copy wins);
**   garbage    anything but whitespace after the value is a parse error;
**   depth      nesting deeper than JV_MAX_DEPTH is a parse error, never a stack overflow.
**
** All memory comes from one arena. Strings without escapes point into the source text, which
** must therefore outlive the tree.
*/
#ifndef STRATA_JSONSCHEMA_JV_H
#define STRATA_JSONSCHEMA_JV_H

#include "jsonschema/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JV_MAX_DEPTH 1000

typedef enum jv_type {
    JV_NULL,
    JV_FALSE,
    JV_TRUE,
    JV_NUMBER,
    JV_STRING,
    JV_ARRAY,
    JV_OBJECT,
} jv_type;

typedef struct jv jv;
typedef struct jv_member {
    const char *key; /* not NUL-terminated */
    uint32_t klen;
    jv *val;
} jv_member;

/* A number's exact value: (neg ? -1 : 1) * 0.digits * 10^exp. Zero has ndig == 0, neg == 0.
** digits has no leading or trailing zeros. */
typedef struct jv_num {
    double d;
    const char *digits;
    int32_t ndig;
    uint8_t neg;
    uint8_t spelled_float; /* written with a fraction or an exponent (draft 4's "integer") */
    int64_t exp;
} jv_num;

struct jv {
    uint8_t type;
    uint32_t n; /* string: bytes; array: items; object: members */
    union {
        const char *str;
        jv **items;
        jv_member *members;
        jv_num num;
    } u;
};

typedef struct jv_error {
    size_t offset; /* byte offset of the problem */
    char msg[96];
} jv_error;

/* Parses text[0..len) into a tree allocated in a. NULL on error (err filled; an out-of-memory
** error reads "out of memory"). */
jv *jv_parse(arena *a, const char *text, size_t len, jv_error *err);

/* Object member value by exact key, or NULL. Linear: for schemas and small objects. */
jv *jv_get(const jv *obj, const char *key);
jv *jv_getn(const jv *obj, const char *key, size_t klen);

/* JSON Schema equality: numbers by value (1 == 1.0), objects unordered, true != 1. */
bool jv_equal(const jv *a, const jv *b);
/* FNV-1a of n bytes. */
uint64_t jv_bytes_hash(const char *s, size_t n);
/* A hash consistent with jv_equal (equal values hash alike). */
uint64_t jv_hash(const jv *v);
/* -1, 0, 1 comparing two numbers exactly. */
int jv_num_cmp(const jv_num *a, const jv_num *b);
/* True when the number has no fractional part (1.0 and 1e2 are integers). */
bool jv_num_is_int(const jv_num *a);
/* True when a is an integer multiple of b (b > 0); exact for decimals. */
bool jv_num_multiple_of(const jv_num *a, const jv_num *b);
/* The number as a non-negative integer count for limits like maxLength, clamped to INT64_MAX;
** -1 when it is negative or not an integer. */
int64_t jv_num_to_count(const jv_num *a);
/* Code points in a UTF-8 string (continuation bytes are not counted). */
size_t jv_utf8_length(const char *s, size_t n);
/* 0-15 for a hex digit, else -1. */
int jv_hexval(char c);
/* Whether the string s equals the NUL-terminated lit. */
bool jv_str_is(const jv *v, const char *lit);

#endif
