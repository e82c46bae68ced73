/*
** strbuf: a growable byte string for building text (JSON, messages, SQL) in engine code.
**
** Plain C (malloc), usable without SQLite. An allocation failure or a size past the limit sets
** `failed` and turns every later append into a no-op, so callers check once at the end.
*/
#ifndef STRATA_STRBUF_H
#define STRATA_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* No strbuf grows past this; a larger result is a failure, not an OOM kill. */
#define STRBUF_MAX ((size_t)1 << 30)

typedef struct strbuf {
    char *data; /* NUL-terminated while !failed and data != NULL */
    size_t len;
    size_t cap;
    bool failed;
} strbuf;

void strbuf_init(strbuf *sb);
void strbuf_free(strbuf *sb);
/* Empties the buffer but keeps its memory; clears `failed`. */
void strbuf_reset(strbuf *sb);

bool strbuf_reserve(strbuf *sb, size_t extra);
void strbuf_append(strbuf *sb, const void *bytes, size_t n);
void strbuf_append_str(strbuf *sb, const char *s);
void strbuf_append_char(strbuf *sb, char c);
void strbuf_appendf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void strbuf_append_json_string(strbuf *sb, const char *s, size_t n);

/* Hands the buffer (malloc'd, NUL-terminated) to the caller and leaves sb empty.
** NULL if the buffer failed. */
char *strbuf_take(strbuf *sb, size_t *len_out);

#endif
