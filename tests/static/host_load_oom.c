/*
** Loading is all or nothing, also when memory runs out: every allocation of sqlite3_strata_init
** fails in turn (once, then from there on), and after each failed load the connection holds
** exactly the functions and modules it held before. Under ASan the C program suite also checks
** that nothing leaks.
*/
#include "strata.h"
#include "unit.h"

#include <stdbool.h>

/* SQLite's allocator, wrapped: when armed, allocation number fail_at fails (and, with
** fail_after, every later one too). */
static sqlite3_mem_methods real;
static long alloc_count, fail_at = -1;
static bool fail_after, failed;

static bool should_fail(void) {
    if (fail_at < 0)
        return false;
    long n = alloc_count++;
    if (n == fail_at || (fail_after && n > fail_at)) {
        failed = true;
        return true;
    }
    return false;
}

static void *wrap_malloc(int n) {
    return should_fail() ? NULL : real.xMalloc(n);
}

static void *wrap_realloc(void *p, int n) {
    return should_fail() ? NULL : real.xRealloc(p, n);
}

static void arm(long at, bool after) {
    alloc_count = 0;
    fail_at = at;
    fail_after = after;
    failed = false;
}

static int count(sqlite3 *db, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

static const char *const FUNCTIONS = "SELECT count(*) FROM pragma_function_list";
static const char *const MODULES = "SELECT count(*) FROM pragma_module_list";

static void run(bool after) {
    int loads_ok = 0;
    for (long at = 0; loads_ok == 0; at++) {
        sqlite3 *db = NULL;
        CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
        int functions = count(db, FUNCTIONS), modules = count(db, MODULES);
        char *err = NULL;
        arm(at, after);
        int rc = sqlite3_strata_init(db, &err, NULL);
        arm(-1, false);
        if (rc == SQLITE_OK) {
            CHECK(count(db, FUNCTIONS) > functions);
            loads_ok++;
        } else {
            CHECK_EQ_INT(count(db, FUNCTIONS), functions);
            CHECK_EQ_INT(count(db, MODULES), modules);
        }
        sqlite3_free(err);
        CHECK_EQ_INT(sqlite3_close(db), SQLITE_OK);
        if (at > 100000) {
            CHECK(!"the load never succeeded");
            break;
        }
    }
}

static void test_out_of_memory_once(void) {
    run(false);
}

static void test_out_of_memory_from_there_on(void) {
    run(true);
}

int main(void) {
    sqlite3_mem_methods wrapped;
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real);
    wrapped = real;
    wrapped.xMalloc = wrap_malloc;
    wrapped.xRealloc = wrap_realloc;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapped) != SQLITE_OK) {
        fprintf(stderr, "host_load_oom: cannot install the allocator\n");
        return 1;
    }
    RUN(test_out_of_memory_once);
    RUN(test_out_of_memory_from_there_on);
    return unit_report("host_load_oom");
}
