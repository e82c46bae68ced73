/*
** Unit tests for ext/common/strbuf.
*/
#include "common/strbuf.h"
#include "unit.h"

#include <stdlib.h>

static void test_append_and_take(void) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append_str(&sb, "abc");
    strbuf_append_char(&sb, '-');
    strbuf_appendf(&sb, "%d/%s", 42, "x");
    CHECK_EQ_STR(sb.data, "abc-42/x");
    CHECK_EQ_INT(sb.len, 8);
    size_t len = 0;
    char *s = strbuf_take(&sb, &len);
    CHECK_EQ_STR(s, "abc-42/x");
    CHECK_EQ_INT(len, 8);
    CHECK(sb.data == NULL && sb.len == 0);
    free(s);
}

static void test_growth_past_initial_capacity(void) {
    strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 10000; i++)
        strbuf_append(&sb, "0123456789", 10);
    CHECK_EQ_INT(sb.len, 100000);
    CHECK(!sb.failed);
    CHECK(sb.data[99999] == '9' && sb.data[100000] == '\0');
    strbuf_free(&sb);
}

static void test_json_string_escapes(void) {
    strbuf sb;
    strbuf_init(&sb);
    const char in[] = "a\"b\\c\nd\x01\0e";
    strbuf_append_json_string(&sb, in, sizeof in - 1);
    CHECK_EQ_STR(sb.data, "\"a\\\"b\\\\c\\nd\\u0001\\u0000e\"");
    strbuf_free(&sb);
}

static void test_limit_sets_failed(void) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append_str(&sb, "x");
    CHECK(!strbuf_reserve(&sb, STRBUF_MAX));
    CHECK(sb.failed);
    strbuf_append_str(&sb, "more");
    CHECK_EQ_INT(sb.len, 1);
    CHECK(strbuf_take(&sb, NULL) == NULL);
    strbuf_reset(&sb);
    strbuf_free(&sb);
}

static void test_take_of_empty_is_empty_string(void) {
    strbuf sb;
    strbuf_init(&sb);
    char *s = strbuf_take(&sb, NULL);
    CHECK(s != NULL && s[0] == '\0');
    free(s);
}

int main(void) {
    RUN(test_append_and_take);
    RUN(test_growth_past_initial_capacity);
    RUN(test_json_string_escapes);
    RUN(test_limit_sets_failed);
    RUN(test_take_of_empty_is_empty_string);
    return unit_report("unit_strbuf");
}
