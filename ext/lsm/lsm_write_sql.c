/*
** ext/lsm: writes to lsm1 tables (xUpdate) and the lsm1_command commands.
**
** Conflicts: a virtual table learns the statement's conflict mode from sqlite3_vtab_on_conflict,
** where a plain INSERT or UPDATE reads as ABORT. As in lsm1, a plain INSERT (or UPDATE onto an
** existing key) replaces the row, and so do OR ABORT and OR REPLACE; OR IGNORE skips the row;
** OR FAIL and OR ROLLBACK raise a constraint error (the module declares constraint support, so
** SQLite then undoes the statement or the transaction as it would for a table).
**
** Keys of writes are strict where lsm1 was lossy: a UINT key must be an integer from 0 to
** 2^63-1 (integral reals and numeric text convert, as INTEGER affinity would), and no key may
** be NULL. lsm1_key and lsm1_value are read-only: writing them is an error.
*/
#include "lsm/lsm_codec.h"
#include "lsm/lsm_vtab_args.h"
#include "lsm/lsm_vtab_sql.h"

#include <math.h>
#include <string.h>

static int bad_uint(lsm_vtab *v, sqlite3_value *val) {
    const char *shown =
        sqlite3_value_type(val) == SQLITE_BLOB ? "a blob" : (const char *)sqlite3_value_text(val);
    return lsm_vtab_error(v, SQLITE_MISMATCH,
                          "UINT key must be an integer from 0 to 9223372036854775807 (got %.60s)",
                          shown ? shown : "?");
}

int lsm_vtab_key_for_write(lsm_vtab *v, sqlite3_value *val, uint8_t *buf, const uint8_t **out,
                           size_t *n) {
    int t = sqlite3_value_type(val);
    if (t == SQLITE_NULL)
        return lsm_vtab_error(v, SQLITE_CONSTRAINT_NOTNULL, "key of %s must not be NULL",
                              v->entry.name);
    if (v->key_type == LSMV_KEY_UINT) {
        sqlite3_value *dup = NULL;
        sqlite3_value *num = val;
        if (t == SQLITE_TEXT) {
            dup = sqlite3_value_dup(val);
            if (dup == NULL)
                return SQLITE_NOMEM;
            t = sqlite3_value_numeric_type(dup);
            num = dup;
        }
        int ok = 0;
        uint64_t x = 0;
        if (t == SQLITE_INTEGER && sqlite3_value_int64(num) >= 0) {
            x = (uint64_t)sqlite3_value_int64(num);
            ok = 1;
        } else if (t == SQLITE_FLOAT) {
            double r = sqlite3_value_double(num);
            if (r >= 0 && r < 9223372036854775808.0 && floor(r) == r) {
                x = (uint64_t)r;
                ok = 1;
            }
        }
        sqlite3_value_free(dup);
        if (!ok)
            return bad_uint(v, val);
        *n = (size_t)lsmc_varint_put(buf, x);
        *out = buf;
        return SQLITE_OK;
    }
    /* TEXT keys store the text of any value, BLOB keys the bytes (text as UTF-8), as lsm1 */
    const void *p = v->key_type == LSMV_KEY_TEXT || t != SQLITE_BLOB
                        ? (const void *)sqlite3_value_text(val)
                        : sqlite3_value_blob(val);
    int nb = sqlite3_value_bytes(val);
    if (p == NULL && nb > 0)
        return SQLITE_NOMEM;
    *out = p ? p : (const uint8_t *)"";
    *n = (size_t)nb;
    return SQLITE_OK;
}

static int encode_values(lsm_vtab *v, sqlite3_value **vals, strbuf *sb) {
    for (int i = 0; i < v->nval; i++) {
        sqlite3_value *x = vals[i];
        switch (sqlite3_value_type(x)) {
            case SQLITE_INTEGER:
                lsmc_put_int(sb, sqlite3_value_int64(x));
                break;
            case SQLITE_FLOAT:
                lsmc_put_double(sb, sqlite3_value_double(x));
                break;
            case SQLITE_TEXT: {
                const unsigned char *p = sqlite3_value_text(x);
                lsmc_put_text(sb, p, (size_t)sqlite3_value_bytes(x));
                if (p == NULL)
                    sb->failed = 1;
                break;
            }
            case SQLITE_BLOB:
                lsmc_put_blob(sb, sqlite3_value_blob(x), (size_t)sqlite3_value_bytes(x));
                break;
            default:
                lsmc_put_null(sb);
                break;
        }
    }
    return sb->failed ? SQLITE_NOMEM : SQLITE_OK;
}

/* ---- commands ------------------------------------------------------------------------------ */

static int run_command(lsm_vtab *v, sqlite3_value *cmd) {
    const char *name = (const char *)sqlite3_value_text(cmd);
    if (name == NULL)
        return SQLITE_NOMEM;
    if (strcmp(name, "salvage") == 0)
        return lsm_vtab_salvage(v);
    int rc = lsm_vtab_ready(v, strcmp(name, "integrity-check") != 0);
    if (rc)
        return rc;
    slsm_db *kv = v->entry.kv;
    if (strcmp(name, "flush") == 0)
        rc = slsm_flush(kv);
    else if (strcmp(name, "checkpoint") == 0)
        rc = slsm_checkpoint(kv);
    else if (strcmp(name, "compact") == 0)
        rc = slsm_compact(kv);
    else if (strcmp(name, "integrity-check") == 0)
        rc = slsm_integrity_check(kv);
    else
        return lsm_vtab_error(v, SQLITE_ERROR,
                              "unknown command '%.60s' (expected checkpoint, flush, compact, "
                              "integrity-check or salvage)",
                              name);
    if (rc == LSM_CORRUPT)
        return lsm_vtab_error(v, SQLITE_CORRUPT, "integrity-check of %s failed: %s", v->entry.name,
                              slsm_errmsg(kv));
    return rc ? lsm_vtab_engine_error(v, rc, name) : SQLITE_OK;
}

/* ---- xUpdate ------------------------------------------------------------------------------- */

/* 1 when key exists, 0 when not, -1 (error set) when the lookup failed. */
static int key_exists(lsm_vtab *v, const uint8_t *k, size_t nk, int *rc) {
    const void *val;
    size_t nval;
    int erc = slsm_get(v->entry.kv, k, nk, &val, &nval);
    if (erc == LSM_OK)
        return 1;
    if (erc == LSM_NOTFOUND)
        return 0;
    *rc = lsm_vtab_engine_error(v, erc, "read failed");
    return -1;
}

/* OR IGNORE, OR FAIL and OR ROLLBACK refuse to overwrite an existing key. */
static int check_conflict(lsm_vtab *v, const uint8_t *k, size_t nk) {
    int mode = sqlite3_vtab_on_conflict(v->db);
    if (mode != SQLITE_IGNORE && mode != SQLITE_FAIL && mode != SQLITE_ROLLBACK)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    int exists = key_exists(v, k, nk, &rc);
    if (exists < 0)
        return rc;
    if (!exists)
        return SQLITE_OK;
    if (mode == SQLITE_IGNORE)
        return SQLITE_CONSTRAINT_PRIMARYKEY; /* SQLite skips the row */
    return lsm_vtab_error(v, SQLITE_CONSTRAINT_PRIMARYKEY, "UNIQUE constraint failed: %s key",
                          v->entry.name);
}

/* lsm1_key and lsm1_value may only pass through unchanged (an UPDATE reads them back). */
static int check_hidden(lsm_vtab *v, sqlite3_value **argv, const uint8_t *old_key, size_t nold) {
    sqlite3_value *k = argv[2 + LSMV_COL_KEY(v)], *val = argv[2 + LSMV_COL_VALUE(v)];
    int rc = SQLITE_OK;
    if (!sqlite3_value_nochange(k) && sqlite3_value_type(k) != SQLITE_NULL) {
        int same = old_key && (size_t)sqlite3_value_bytes(k) == nold &&
                   (nold == 0 || memcmp(sqlite3_value_blob(k), old_key, nold) == 0);
        if (!same)
            rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK && !sqlite3_value_nochange(val) && sqlite3_value_type(val) != SQLITE_NULL) {
        const void *cur;
        size_t ncur;
        int same = old_key && slsm_get(v->entry.kv, old_key, nold, &cur, &ncur) == LSM_OK &&
                   (size_t)sqlite3_value_bytes(val) == ncur &&
                   (ncur == 0 || memcmp(sqlite3_value_blob(val), cur, ncur) == 0);
        if (!same)
            rc = SQLITE_ERROR;
    }
    if (rc)
        return lsm_vtab_error(v, rc, "lsm1_key and lsm1_value are read-only");
    return SQLITE_OK;
}

int lsm_vtab_update(sqlite3_vtab *tab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid) {
    (void)rowid;
    lsm_vtab *v = (lsm_vtab *)tab;
    uint8_t oldbuf[LSMC_VARINT_MAX], newbuf[LSMC_VARINT_MAX];
    const uint8_t *oldk = NULL, *newk;
    size_t nold = 0, nnew;
    int rc;
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
        rc = lsm_vtab_key_for_write(v, argv[0], oldbuf, &oldk, &nold);
        if (rc)
            return rc;
    }
    int is_command = argc == v->nval + 6 &&
                     !sqlite3_value_nochange(argv[2 + LSMV_COL_COMMAND(v)]) &&
                     sqlite3_value_type(argv[2 + LSMV_COL_COMMAND(v)]) != SQLITE_NULL;
    if (!is_command) {
        rc = lsm_vtab_ready(v, 1);
        if (rc)
            return rc;
    }
    if (argc == 1) {
        rc = slsm_delete(v->entry.kv, oldk, nold);
        return rc ? lsm_vtab_engine_error(v, rc, "delete failed") : SQLITE_OK;
    }
    if (argc != v->nval + 6)
        return lsm_vtab_error(v, SQLITE_INTERNAL, "unexpected xUpdate arguments");
    sqlite3_value *cmd = argv[2 + LSMV_COL_COMMAND(v)];
    if (!sqlite3_value_nochange(cmd) && sqlite3_value_type(cmd) != SQLITE_NULL) {
        if (oldk)
            return lsm_vtab_error(v, SQLITE_ERROR, "lsm1_command only works in an INSERT");
        for (int i = 2; i < argc; i++)
            if (i != 2 + LSMV_COL_COMMAND(v) && sqlite3_value_type(argv[i]) != SQLITE_NULL)
                return lsm_vtab_error(v, SQLITE_ERROR,
                                      "an INSERT with lsm1_command may not set other columns");
        return run_command(v, cmd);
    }
    rc = check_hidden(v, argv, oldk, nold);
    if (rc == SQLITE_OK)
        rc = lsm_vtab_key_for_write(v, argv[2], newbuf, &newk, &nnew);
    if (rc)
        return rc;
    int moved = oldk == NULL || nold != nnew || memcmp(oldk, newk, nnew) != 0;
    if (moved) {
        rc = check_conflict(v, newk, nnew);
        if (rc)
            return rc;
    }
    strbuf *sb = &v->row;
    strbuf_reset(sb);
    rc = encode_values(v, argv + 3, sb);
    int erc = LSM_OK;
    if (rc == SQLITE_OK && oldk && moved)
        erc = slsm_delete(v->entry.kv, oldk, nold);
    if (rc == SQLITE_OK && erc == LSM_OK)
        erc = slsm_put(v->entry.kv, newk, nnew, sb->data ? sb->data : "", sb->len);
    if (sb->cap > (1u << 20)) /* keep a small buffer between rows, not the largest ever */
        strbuf_free(sb);
    if (rc)
        return rc;
    return erc ? lsm_vtab_engine_error(v, erc, "write failed") : SQLITE_OK;
}
