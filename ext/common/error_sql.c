/*
** SQL error helpers (see error_sql.h).
*/
#include "common/error_sql.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/* Messages quote arguments, which may hold any bytes: invalid UTF-8 is spelled \xNN. */
static char *escape_invalid_utf8(char *msg) {
    const unsigned char *s = (const unsigned char *)msg;
    size_t n = strlen(msg), i = 0;
    size_t len;
    while (i < n && (len = strata_utf8_sequence(s + i, n - i)) > 0)
        i += len;
    if (i == n)
        return msg;
    char *out = sqlite3_malloc64(4 * (sqlite3_uint64)n + 1);
    if (out != NULL)
        strata_utf8_escape(s, n, out);
    sqlite3_free(msg);
    return out;
}

static char *vformat_error(const char *fn, const char *fmt, va_list ap) {
    char *detail = sqlite3_vmprintf(fmt, ap);
    if (detail == NULL)
        return NULL;
    char *msg = sqlite3_mprintf("%s: %s", fn, detail);
    sqlite3_free(detail);
    return msg ? escape_invalid_utf8(msg) : NULL;
}

void strata_result_error(sqlite3_context *ctx, const char *fn, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat_error(fn, fmt, ap);
    va_end(ap);
    if (msg == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_error(ctx, msg, -1);
    sqlite3_free(msg);
}

char *strata_vmprintf_error(const char *fn, const char *fmt, va_list ap) {
    return vformat_error(fn, fmt, ap);
}

char *strata_mprintf_error(const char *fn, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat_error(fn, fmt, ap);
    va_end(ap);
    return msg;
}
