/*
** A program that links dist/libstrata.a and the system SQLite, registers every extension with
** sqlite3_auto_extension, and checks that each one answers on a new connection.
*/
#include "common/version.h"
#include "host_sql.h"
#include "strata.h"
#include "unit.h"

static void test_auto_extension_registers_everything(void) {
    CHECK_EQ_INT(sqlite3_auto_extension((void (*)(void))sqlite3_strata_init), SQLITE_OK);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    static const char *const fns[] = {"strata_version", "lsm_version", "jsonschema_version",
                                      "timezone_version", "embed_version"};
    char sql[128], out[256];
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        snprintf(sql, sizeof sql, "SELECT %s()", fns[i]);
        CHECK_EQ_STR(host_query_text(db, sql, out, sizeof out), STRATA_VERSION);
    }
    /* vec_version() answers the sqlite-vec release vec implements (docs/vec.md) */
    CHECK_EQ_STR(host_query_text(db, "SELECT vec_version()", out, sizeof out), "v0.1.9");
    sqlite3_close(db);
    sqlite3_reset_auto_extension();
}

int main(void) {
    RUN(test_auto_extension_registers_everything);
    return unit_report("host_auto_extension");
}
