/*
** SQL error helpers (see error_sql.h).
*/
#include "common/error_sql.h"

#include <stdarg.h>
#include <stddef.h>

static char *vformat_error(const char *fn, const char *fmt, va_list ap) {
    char *detail = sqlite3_vmprintf(fmt, ap);
    if (detail == NULL)
        return NULL;
    char *msg = sqlite3_mprintf("%s: %s", fn, detail);
    sqlite3_free(detail);
    return msg;
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

char *strata_mprintf_error(const char *fn, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat_error(fn, fmt, ap);
    va_end(ap);
    return msg;
}
