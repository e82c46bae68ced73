/*
** UTF-8 validation for text that crosses into SQL results and error messages.
**
** sqlite3_value_text() hands back a BLOB's bytes unchanged, so an argument can carry invalid
** UTF-8 into a message; hosts that decode text strictly (Python's sqlite3) then fail with a
** decoding error instead of the SQL error. Plain C, no SQLite.
*/
#ifndef STRATA_UTF8_H
#define STRATA_UTF8_H

#include <stddef.h>

/* Length in bytes of the well-formed UTF-8 sequence at s[0..n): 1-4, or 0 when s does not
** start with one (a stray continuation byte, an overlong form, a surrogate, a code point past
** U+10FFFF, or a sequence cut short). */
size_t strata_utf8_sequence(const unsigned char *s, size_t n);

/* Writes s[0..n) to out with every byte outside a well-formed sequence spelled \xNN, and
** returns the length written (at most 4 * n; out must hold 4 * n + 1 bytes, NUL included). */
size_t strata_utf8_escape(const unsigned char *s, size_t n, char *out);

#endif
