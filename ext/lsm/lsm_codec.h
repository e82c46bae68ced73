/*
** lsm_codec: the byte encodings of SQLite's lsm1 virtual table, so our lsm1_key and lsm1_value
** columns are byte-for-byte those of lsm1. Plain C, no SQLite.
**
** Keys: a TEXT key is its UTF-8 bytes, a BLOB key its bytes, a UINT key the SQLite4
** order-preserving varint (memcmp order = numeric order):
**
**   x <= 240           1 byte   x
**   x <= 2287          2 bytes  241 + (x-240)/256, (x-240)%256
**   x <= 67823         3 bytes  249, (x-2288)/256, (x-2288)%256
**   x < 2^24           4 bytes  250, x as 3 big-endian bytes
**   x < 2^32 ... 2^64  5..9     251..255, x as 4..8 big-endian bytes
**
** Values: every value column in turn, as varint(T) then a payload. T%6 is the type: 0 an
** integer 0..40 held in T/6 (no payload); 1 INTEGER, payload varint(2x) for x >= 0 or
** varint(2(-1-x)+1) for x < 0; 2 REAL, 8 bytes IEEE-754 little-endian (lsm1 wrote native order,
** which is this on x86 and ARM); 3 TEXT; 4 BLOB; 5 NULL. For types 1..5, T/6 is the payload
** length. Row (11, 22, 33) is X'4284C6'.
*/
#ifndef STRATA_LSM_CODEC_H
#define STRATA_LSM_CODEC_H

#include "common/strbuf.h"

#include <stddef.h>
#include <stdint.h>

/* Field types of the value encoding (the numbers are SQLite's type codes, as in lsm1). */
enum { LSMC_INTEGER = 1, LSMC_FLOAT = 2, LSMC_TEXT = 3, LSMC_BLOB = 4, LSMC_NULL = 5 };

#define LSMC_VARINT_MAX 9

/* Writes x as a SQLite4 varint into out (LSMC_VARINT_MAX bytes); returns its length. */
int lsmc_varint_put(uint8_t *out, uint64_t x);
/* Reads a varint from the n bytes at p; returns its length, or 0 when p is truncated. */
int lsmc_varint_get(const uint8_t *p, size_t n, uint64_t *x);

/* Appenders of one value field. A failed append sets sb->failed. */
void lsmc_put_null(strbuf *sb);
void lsmc_put_int(strbuf *sb, int64_t v);
void lsmc_put_double(strbuf *sb, double v);
void lsmc_put_text(strbuf *sb, const void *p, size_t n);
void lsmc_put_blob(strbuf *sb, const void *p, size_t n);

typedef struct lsmc_field {
    int type;            /* LSMC_* */
    int64_t i;           /* LSMC_INTEGER */
    double d;            /* LSMC_FLOAT */
    const uint8_t *data; /* LSMC_TEXT, LSMC_BLOB */
    size_t len;
} lsmc_field;

enum { LSMC_OK = 0, LSMC_END = 1, LSMC_MALFORMED = 2 };

/* Decodes the field at *pos of the n-byte value p and advances *pos. LSMC_END at the end of
** the value, LSMC_MALFORMED when the field runs past the end or has an impossible size. */
int lsmc_field_next(const uint8_t *p, size_t n, size_t *pos, lsmc_field *f);

#endif
