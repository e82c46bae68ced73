/*
** Unit tests for ext/common/utf8, against Python's strict UTF-8 decoder's verdicts (the host
** that failed on invalid bytes in messages) written out by hand.
*/
#include "common/utf8.h"
#include "unit.h"

#define SEQ(bytes) strata_utf8_sequence((const unsigned char *)(bytes), sizeof(bytes) - 1)

static void test_well_formed_sequences(void) {
    CHECK_EQ_INT(SEQ("A"), 1);
    CHECK_EQ_INT(SEQ("\xC2\x80"), 2);         /* U+0080 */
    CHECK_EQ_INT(SEQ("\xDF\xBF"), 2);         /* U+07FF */
    CHECK_EQ_INT(SEQ("\xE0\xA0\x80"), 3);     /* U+0800 */
    CHECK_EQ_INT(SEQ("\xED\x9F\xBF"), 3);     /* U+D7FF */
    CHECK_EQ_INT(SEQ("\xEE\x80\x80"), 3);     /* U+E000 */
    CHECK_EQ_INT(SEQ("\xF0\x90\x80\x80"), 4); /* U+10000 */
    CHECK_EQ_INT(SEQ("\xF4\x8F\xBF\xBF"), 4); /* U+10FFFF */
}

static void test_ill_formed_sequences(void) {
    CHECK_EQ_INT(SEQ("\x80"), 0);             /* stray continuation */
    CHECK_EQ_INT(SEQ("\xC0\x80"), 0);         /* overlong NUL */
    CHECK_EQ_INT(SEQ("\xC1\xBF"), 0);         /* overlong */
    CHECK_EQ_INT(SEQ("\xE0\x9F\xBF"), 0);     /* overlong */
    CHECK_EQ_INT(SEQ("\xED\xA0\x80"), 0);     /* surrogate U+D800 */
    CHECK_EQ_INT(SEQ("\xF0\x8F\xBF\xBF"), 0); /* overlong */
    CHECK_EQ_INT(SEQ("\xF4\x90\x80\x80"), 0); /* past U+10FFFF */
    CHECK_EQ_INT(SEQ("\xF5\x80\x80\x80"), 0);
    CHECK_EQ_INT(SEQ("\xFF"), 0);
    CHECK_EQ_INT(SEQ("\xE2\x82"), 0);     /* cut short */
    CHECK_EQ_INT(SEQ("\xE2\x28\xA1"), 0); /* bad continuation */
}

static void test_escape(void) {
    char out[64];
    const char *in = "a\xFF\xC3\xA9\xE2\x82!";
    CHECK_EQ_INT(strata_utf8_escape((const unsigned char *)in, 7, out), 16);
    CHECK_EQ_STR(out, "a\\xFF\xC3\xA9\\xE2\\x82!");
    CHECK_EQ_INT(strata_utf8_escape((const unsigned char *)"", 0, out), 0);
    CHECK_EQ_STR(out, "");
}

int main(void) {
    RUN(test_well_formed_sequences);
    RUN(test_ill_formed_sequences);
    RUN(test_escape);
    return unit_report("unit_utf8");
}
