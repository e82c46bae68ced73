/*
** A program with functions of its own named like strata's internal ones, linked with
** dist/libstrata.a and the system SQLite: git defines strbuf_init (with another signature than
** ours), and jv_parse is a common name for a JSON parser. libstrata.a exports only the
** sqlite3_*_init entry points, so this program links at all (an exported strbuf_init would be a
** "multiple definition"), its calls reach its own functions, and strata's calls reach strata's.
*/
#include "host_sql.h"
#include "strata.h"
#include "unit.h"

/* git's strbuf, and a strbuf_init with git's signature. */
struct strbuf {
    size_t alloc, len;
    char *buf;
};
static int host_strbuf_init_calls, host_jv_parse_calls;

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_init(struct strbuf *sb, size_t hint) {
    host_strbuf_init_calls++;
    sb->alloc = hint;
    sb->len = 0;
    sb->buf = NULL;
}

int jv_parse(const char *text);
int jv_parse(const char *text) {
    host_jv_parse_calls++;
    return (int)strlen(text);
}

/* tz_format builds its pattern in a strbuf; jsonschema parses both documents with jv_parse. */
static void test_strata_calls_its_own_functions(void) {
    CHECK_EQ_INT(sqlite3_auto_extension((void (*)(void))sqlite3_strata_init), SQLITE_OK);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    char out[256];
    CHECK_EQ_STR(host_query_text(db,
                                 "SELECT tz_format('2024-07-01T12:00Z', 'Europe/Paris',"
                                 " 'yyyy-MM-dd HH:mm xxx')",
                                 out, sizeof out),
                 "2024-07-01 14:00 +02:00");
    CHECK_EQ_STR(host_query_text(db, "SELECT jsonschema_matches('{\"type\": \"integer\"}', '5')",
                                 out, sizeof out),
                 "1");
    CHECK_EQ_STR(host_query_text(db, "SELECT jsonschema_matches('{\"type\": \"integer\"}', '5.5')",
                                 out, sizeof out),
                 "0");
    CHECK_EQ_INT(host_strbuf_init_calls, 0);
    CHECK_EQ_INT(host_jv_parse_calls, 0);
    sqlite3_close(db);
    sqlite3_reset_auto_extension();
}

static void test_program_calls_its_own_functions(void) {
    struct strbuf sb;
    strbuf_init(&sb, 64);
    CHECK_EQ_INT(sb.alloc, 64);
    CHECK_EQ_INT(host_strbuf_init_calls, 1);
    CHECK_EQ_INT(jv_parse("[1, 2]"), 6);
    CHECK_EQ_INT(host_jv_parse_calls, 1);
}

int main(void) {
    RUN(test_strata_calls_its_own_functions);
    RUN(test_program_calls_its_own_functions);
    return unit_report("host_own_symbols");
}
