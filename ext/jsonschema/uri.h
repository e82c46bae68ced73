/*
** uri: RFC 3986 reference resolution for $id and $ref, and JSON Pointer fragments.
*/
#ifndef STRATA_JSONSCHEMA_URI_H
#define STRATA_JSONSCHEMA_URI_H

#include <stdbool.h>
#include <stddef.h>

/* ref resolved against base (either may be ""), malloc'd; NULL when out of memory. An empty
** fragment ("x#") is dropped. Non-hierarchical bases (urn:, tag:) take fragment-only refs. */
char *uri_resolve(const char *base, const char *ref);
/* Length of uri without its fragment (the position of '#', or strlen). */
size_t uri_base_len(const char *uri);
/* Percent-decodes s[0..n) into out (which holds n + 1 bytes); returns the decoded length. */
size_t uri_percent_decode(const char *s, size_t n, char *out);
/* Whether the string has a scheme ("x:..."). */
bool uri_has_scheme(const char *s);

#endif
