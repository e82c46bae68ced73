/*
** tz_status: how the timezone engine reports failure (the engine convention of
** docs/developing.md): a function that can fail returns a tz_status and writes the problem into
** the caller's buffer err[errlen] (TZ_ERR_SIZE holds any message; NULL, 0 asks for none). The
** status tells the kinds apart that the SQL binding treats differently.
*/
#ifndef STRATA_TZ_STATUS_H
#define STRATA_TZ_STATUS_H

typedef enum tz_status {
    TZ_OK = 0,
    TZ_ERROR = -1,        /* bad input (malformed text or data, out of range): err says what */
    TZ_NOMEM = -2,        /* out of memory */
    TZ_UNKNOWN_ZONE = -3, /* no such time zone */
} tz_status;

/* A caller's error buffer of this size holds any message of the engine. */
#define TZ_ERR_SIZE 256

#endif
