/*
** Unit tests of the lsm1 encodings (lsm_codec.c) and the CREATE VIRTUAL TABLE argument parser
** (lsm_vtab_args.c): varint boundaries and round trips, known lsm1 bytes, value fields of
** every type, malformed values, and argument errors.
*/
#include "lsm/lsm_codec.h"
#include "lsm/lsm_vtab_args.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>

static void check_varint(uint64_t x, const char *hex) {
    uint8_t buf[LSMC_VARINT_MAX];
    int n = lsmc_varint_put(buf, x);
    char got[2 * LSMC_VARINT_MAX + 1];
    for (int i = 0; i < n; i++)
        snprintf(got + 2 * i, 3, "%02X", buf[i]);
    CHECK_EQ_STR(got, hex);
    uint64_t back = 0;
    CHECK_EQ_INT(lsmc_varint_get(buf, (size_t)n, &back), n);
    CHECK(back == x);
    CHECK_EQ_INT(lsmc_varint_get(buf, (size_t)n - 1, &back), 0); /* truncated */
}

static void test_varint_boundaries(void) {
    check_varint(0, "00");
    check_varint(240, "F0");
    check_varint(241, "F101");
    check_varint(300, "F13C");
    check_varint(2287, "F8FF");
    check_varint(2288, "F90000");
    check_varint(67823, "F9FFFF");
    check_varint(67824, "FA0108F0");
    check_varint(16777215, "FAFFFFFF");
    check_varint(16777216, "FB01000000");
    check_varint(123456789, "FB075BCD15");
    check_varint(UINT64_C(4294967295), "FBFFFFFFFF");
    check_varint(UINT64_C(4294967296), "FC0100000000");
    check_varint(UINT64_C(1) << 40, "FD010000000000");
    check_varint(UINT64_C(1) << 48, "FE01000000000000");
    check_varint(UINT64_C(1) << 56, "FF0100000000000000");
    check_varint(UINT64_MAX, "FFFFFFFFFFFFFFFFFF");
}

static void test_varint_order(void) {
    /* memcmp order of the encodings is numeric order */
    uint64_t prev_x = 0;
    uint8_t prev[LSMC_VARINT_MAX];
    int nprev = lsmc_varint_put(prev, 0);
    for (uint64_t x = 1; x < (UINT64_C(1) << 62); x = x * 3 / 2 + 1) {
        uint8_t cur[LSMC_VARINT_MAX];
        int n = lsmc_varint_put(cur, x);
        int m = n < nprev ? n : nprev;
        int c = memcmp(prev, cur, (size_t)m);
        CHECK(c < 0 || (c == 0 && nprev < n));
        memcpy(prev, cur, (size_t)n);
        nprev = n;
        prev_x = x;
    }
    CHECK(prev_x > 0);
}

static void test_known_value_bytes(void) {
    strbuf sb;
    strbuf_init(&sb);
    lsmc_put_int(&sb, 11);
    lsmc_put_int(&sb, 22);
    lsmc_put_int(&sb, 33);
    CHECK_EQ_INT(sb.len, 3);
    CHECK(memcmp(sb.data, "\x42\x84\xC6", 3) == 0); /* lsm1: X'4284C6' */
    strbuf_reset(&sb);
    lsmc_put_int(&sb, -1);
    lsmc_put_null(&sb);
    lsmc_put_text(&sb, "hi", 2);
    lsmc_put_blob(&sb, "\x00\xff", 2);
    CHECK_EQ_INT(sb.len, 9);
    CHECK(memcmp(sb.data,
                 "\x07\x01\x05\x0F"
                 "hi"
                 "\x10\x00\xff",
                 9) == 0);
    strbuf_free(&sb);
}

static void test_value_round_trip(void) {
    const int64_t ints[] = {0, 40, 41, -1, -41, 1000000, INT64_MAX, INT64_MIN};
    const double reals[] = {0.5, -0.0, 1e308, -3.25};
    strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        lsmc_put_int(&sb, ints[i]);
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        lsmc_put_double(&sb, reals[i]);
    lsmc_put_text(&sb, "", 0);
    lsmc_put_null(&sb);
    CHECK(!sb.failed);
    size_t pos = 0;
    lsmc_field f;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        CHECK_EQ_INT(lsmc_field_next((const uint8_t *)sb.data, sb.len, &pos, &f), LSMC_OK);
        CHECK_EQ_INT(f.type, LSMC_INTEGER);
        CHECK(f.i == ints[i]);
    }
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        CHECK_EQ_INT(lsmc_field_next((const uint8_t *)sb.data, sb.len, &pos, &f), LSMC_OK);
        CHECK_EQ_INT(f.type, LSMC_FLOAT);
        CHECK(f.d == reals[i] && signbit(f.d) == signbit(reals[i]));
    }
    CHECK_EQ_INT(lsmc_field_next((const uint8_t *)sb.data, sb.len, &pos, &f), LSMC_OK);
    CHECK_EQ_INT(f.type, LSMC_TEXT);
    CHECK_EQ_INT(f.len, 0);
    CHECK_EQ_INT(lsmc_field_next((const uint8_t *)sb.data, sb.len, &pos, &f), LSMC_OK);
    CHECK_EQ_INT(f.type, LSMC_NULL);
    CHECK_EQ_INT(lsmc_field_next((const uint8_t *)sb.data, sb.len, &pos, &f), LSMC_END);
    strbuf_free(&sb);
}

static void test_malformed_values(void) {
    lsmc_field f;
    size_t pos;
    /* a TEXT of 5 bytes with 2 present; a FLOAT of 3 bytes; an INTEGER with a bad payload;
    ** a NULL with a payload; a truncated type varint */
    const uint8_t *cases[] = {(const uint8_t *)"\x21"
                                               "ab",
                              (const uint8_t *)"\x14"
                                               "abc",
                              (const uint8_t *)"\x0D\xFA\x01",
                              (const uint8_t *)"\x0B"
                                               "a",
                              (const uint8_t *)"\xF9\x01"};
    const size_t lens[] = {3, 4, 3, 2, 2};
    for (int i = 0; i < 5; i++) {
        pos = 0;
        CHECK_EQ_INT(lsmc_field_next(cases[i], lens[i], &pos, &f), LSMC_MALFORMED);
    }
    pos = 0;
    CHECK_EQ_INT(lsmc_field_next((const uint8_t *)"", 0, &pos, &f), LSMC_END);
}

static int parse(const char *const *argv, int argc, lsm_vtab_args *a, char *err) {
    return lsm_vtab_args_parse(argc, argv, a, err, 200);
}

static void test_args(void) {
    lsm_vtab_args a;
    char err[200];
    const char *ok[] = {
        "lsm1", "main", "t",         "'my ''file''.lsm'",   "id",
        "uint", "a",    "b INTEGER", "durability = 'full'", "memtable_bytes=131072"};
    CHECK_EQ_INT(parse(ok, 10, &a, err), 0);
    CHECK_EQ_STR(a.filename, "my 'file'.lsm");
    CHECK_EQ_INT(a.key_type, LSMV_KEY_UINT);
    CHECK_EQ_INT(a.nval, 2);
    CHECK_EQ_STR(a.val_decl[1], "b INTEGER");
    CHECK_EQ_INT(a.opt.durability, SLSM_DURABILITY_FULL);
    CHECK_EQ_INT(a.opt.memtable_bytes, 131072);
    lsm_vtab_args_free(&a);

    const char *bad_type[] = {"lsm1", "main", "t", "f", "k", "REAL", "v"};
    CHECK_EQ_INT(parse(bad_type, 7, &a, err), -1);
    CHECK_EQ_STR(err, "key type should be UINT, TEXT or BLOB (got 'REAL')");
    lsm_vtab_args_free(&a);

    const char *big[] = {"lsm1", "main", "t", "f",
                         "k",    "TEXT", "v", "l0_trigger=99999999999999999999"};
    CHECK_EQ_INT(parse(big, 8, &a, err), -1);
    CHECK_EQ_STR(err, "l0_trigger must be an integer from 2 to 64 (got '99999999999999999999')");
    lsm_vtab_args_free(&a);

    const char *empty[] = {"lsm1", "main", "t", "''", "k", "TEXT", "v"};
    CHECK_EQ_INT(parse(empty, 7, &a, err), -1);
    CHECK_EQ_STR(err, "empty filename");
    lsm_vtab_args_free(&a);

    const char *missing[] = {"lsm1", "main", "t", "f"};
    CHECK_EQ_INT(parse(missing, 4, &a, err), -1);
    CHECK_EQ_STR(err, "key (argument 2) missing");
    lsm_vtab_args_free(&a);
}

int main(void) {
    RUN(test_varint_boundaries);
    RUN(test_varint_order);
    RUN(test_known_value_bytes);
    RUN(test_value_round_trip);
    RUN(test_malformed_values);
    RUN(test_args);
    return unit_report("unit_lsm_codec");
}
