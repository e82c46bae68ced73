/*
** unit_engine: the jsonschema engine without SQLite: exact numbers, the parser's policies,
** URI resolution, compile errors and validation through the C API.
*/
#include "jsonschema/jv.h"
#include "jsonschema/validator.h"
#include "jsonschema/uri.h"
#include "unit.h"

#include <stdlib.h>

static jv *parse(arena *a, const char *s) {
    return jv_parse(a, s, strlen(s), NULL);
}

static int num_cmp(const char *x, const char *y) {
    arena a;
    arena_init(&a);
    jv *p = parse(&a, x), *q = parse(&a, y);
    int r = jv_num_cmp(&p->u.num, &q->u.num);
    arena_free(&a);
    return r;
}

static bool multiple(const char *x, const char *y) {
    arena a;
    arena_init(&a);
    jv *p = parse(&a, x), *q = parse(&a, y);
    bool r = jv_num_multiple_of(&p->u.num, &q->u.num);
    arena_free(&a);
    return r;
}

static void test_numbers(void) {
    CHECK_EQ_INT(num_cmp("1", "1.0"), 0);
    CHECK_EQ_INT(num_cmp("100", "1e2"), 0);
    CHECK_EQ_INT(num_cmp("-0", "0"), 0);
    CHECK_EQ_INT(num_cmp("9007199254740993", "9007199254740992"), 1);
    CHECK_EQ_INT(num_cmp("-2", "-10"), 1);
    CHECK_EQ_INT(num_cmp("0.001", "0.0009"), 1);
    CHECK_EQ_INT(num_cmp("1e-400", "0"), 1);
    CHECK(multiple("19.99", "0.01"));
    CHECK(multiple("0.0075", "0.0001"));
    CHECK(!multiple("0.00751", "0.0001"));
    CHECK(multiple("1e308", "0.5"));
    CHECK(!multiple("1e308", "0.123456789"));
    CHECK(multiple("0", "7"));
    CHECK(!multiple("4.5", "3"));
}

static void test_parser_policies(void) {
    arena a;
    arena_init(&a);
    jv_error e;
    CHECK(jv_parse(&a, "{\"a\":1,\"a\":2}", 13, &e) == NULL);
    CHECK_EQ_STR(e.msg, "duplicate key in object");
    CHECK(jv_parse(&a, "[1] x", 5, &e) == NULL);
    CHECK(jv_parse(&a, "01", 2, &e) == NULL);
    CHECK(jv_parse(&a, "1.", 2, &e) == NULL);
    CHECK(jv_parse(&a, "\"\t\"", 3, &e) == NULL);
    jv *s = jv_parse(&a, "\"a\\u0000b\"", 10, &e);
    CHECK(s != NULL && s->n == 3 && s->u.str[1] == '\0');
    jv *lone = jv_parse(&a, "\"\\ud800\"", 8, &e);
    CHECK(lone != NULL && lone->n == 3 && jv_utf8_length(lone->u.str, lone->n) == 1);
    jv *pair = jv_parse(&a, "\"\\ud83d\\ude00\"", 14, &e);
    CHECK(pair != NULL && pair->n == 4);
    char deep[2100];
    memset(deep, '[', 1050);
    memset(deep + 1050, ']', 1050);
    CHECK(jv_parse(&a, deep, 2100, &e) == NULL);
    CHECK_EQ_STR(e.msg, "nesting deeper than 1000 levels");
    arena_free(&a);
}

static void check_resolve(const char *base, const char *ref, const char *expected) {
    char *r = uri_resolve(base, ref);
    CHECK_EQ_STR(r, expected);
    free(r);
}

static void test_uri(void) {
    check_resolve("http://a/b/c/d;p?q", "g", "http://a/b/c/g");
    check_resolve("http://a/b/c/d;p?q", "../g", "http://a/b/g");
    check_resolve("http://a/b/c/d;p?q", "../../../g", "http://a/g");
    check_resolve("http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s");
    check_resolve("http://a/b/c/d;p?q", "//g", "http://g");
    check_resolve("http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y");
    check_resolve("http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/");
    check_resolve("http://x/y.json", "#", "http://x/y.json");
    check_resolve("urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed", "#/$defs/a",
                  "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/a");
    check_resolve("", "#foo", "#foo");
}

static void test_validate_api(void) {
    char err[JS_ERR_SIZE];
    const char *text = "{\"type\":\"object\",\"required\":[\"id\"]}";
    js_schema *s = js_compile(text, strlen(text), NULL, NULL, NULL, err, sizeof err);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK_EQ_INT(js_check(s, "{\"id\":1}", 8, NULL, NULL, 0), JS_VALID);
    CHECK_EQ_INT(js_check(s, "{}", 2, NULL, NULL, 0), JS_INVALID);
    CHECK_EQ_INT(js_check(s, "{", 1, NULL, err, sizeof err), JS_BAD_DOCUMENT);
    CHECK_EQ_STR(err, "expected a string key in object at offset 1");
    /* A small buffer gets the start of the message, terminated. */
    char small[11];
    CHECK_EQ_INT(js_check(s, "{", 1, NULL, small, sizeof small), JS_BAD_DOCUMENT);
    CHECK_EQ_STR(small, "expected a");
    js_errors errs;
    js_errors_init(&errs);
    CHECK_EQ_INT(js_check(s, "[]", 2, &errs, NULL, 0), JS_INVALID);
    CHECK_EQ_INT(errs.n, 1);
    if (errs.n == 1)
        CHECK_EQ_STR(errs.items[0].keyword_location, "/type");
    js_errors_free(&errs);
    CHECK_EQ_INT(js_schema_draft(s), JS_DRAFT2020);
    js_schema_free(s);

    text = "{\"$ref\":\"#/nowhere\"}";
    s = js_compile(text, strlen(text), NULL, NULL, NULL, err, sizeof err);
    CHECK(s == NULL);
    CHECK_EQ_STR(err, "cannot resolve $ref '#/nowhere': no such location (at #)");

    js_options o = {.draft = JS_DRAFT4, .format = JS_FORMAT_DEFAULT};
    text = "{\"maximum\":3,\"exclusiveMaximum\":true}";
    s = js_compile(text, strlen(text), &o, NULL, NULL, err, sizeof err);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(js_check(s, "3", 1, NULL, NULL, 0), JS_INVALID);
        CHECK_EQ_INT(js_check(s, "2.9", 3, NULL, NULL, 0), JS_VALID);
        js_schema_free(s);
    }
}

int main(void) {
    RUN(test_numbers);
    RUN(test_parser_policies);
    RUN(test_uri);
    RUN(test_validate_api);
    return unit_report("unit_engine");
}
