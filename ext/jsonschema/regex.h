/*
** regex: ECMA-262 regular expressions (pattern, patternProperties, format "regex") on ICU.
**
** JSON Schema patterns follow ECMA-262. ICU's engine is close; the differences that matter are
** translated: \d \w \s and their negations use ECMA's (ASCII digits and word characters, ECMA's
** whitespace set), '.' excludes only ECMA line terminators, '$' means end of input, [] and [^]
** mean "nothing" and "anything", \u{...} becomes \x{...}, and '[' inside a class is literal.
** Unicode property escapes (\p{Letter}, \p{L}, \p{Script=Greek}) are ICU's own.
** A match that runs past a step limit is an error, so a hostile pattern cannot stall SQL.
*/
#ifndef STRATA_JSONSCHEMA_REGEX_H
#define STRATA_JSONSCHEMA_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct js_regex js_regex;

/* Compiles the ECMA pattern src[0..n). NULL on error with a message in err (size errn). */
js_regex *js_regex_compile(const char *src, size_t n, char *err, size_t errn);
void js_regex_free(js_regex *re);
/* 1 when the pattern matches somewhere in s[0..n), 0 when not, -1 when the match failed
** (time limit, out of memory). */
int js_regex_search(js_regex *re, const char *s, size_t n);
/* Whether src is a pattern this engine accepts (format "regex"). */
bool js_regex_valid(const char *src, size_t n);

#endif
