/*
** lsm_status: the status codes every engine function returns. The numbers match SQLite's
** result codes of the same meaning (and lsm1's), so the SQL binding passes them through.
*/
#ifndef STRATA_LSM_STATUS_H
#define STRATA_LSM_STATUS_H

enum {
    LSM_OK = 0,
    LSM_ERROR = 1,
    LSM_BUSY = 5,
    LSM_NOMEM = 7,
    LSM_READONLY = 8,
    LSM_IOERR = 10,
    LSM_CORRUPT = 11,
    LSM_NOTFOUND = 12,
    LSM_FULL = 13,
    LSM_CANTOPEN = 14,
    LSM_CONSTRAINT = 19,
    LSM_MISUSE = 21,
    LSM_RANGE = 25
};

#endif
