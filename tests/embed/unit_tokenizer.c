/*
** Unit tests of the local tokenizers: BERT basic pre-tokenization (offsets, punctuation, CJK,
** lowercasing, accent stripping), the vocabulary map and WordPiece with a tiny vocabulary.
*/
#include "embed/local_strmap.h"
#include "embed/tokenizer.h"
#include "embed/tokenizer_basic.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

static char *word(const lembed_wordlist *wl, size_t i, char *buf, size_t cap) {
    snprintf(buf, cap, "%.*s", (int)wl->words[i].len, wl->buf + wl->words[i].off);
    return buf;
}

static void test_basic_split(void) {
    lembed_wordlist wl;
    lembed_wordlist_init(&wl);
    const char *text = "Héllo, WORLD!\t東京x";
    CHECK_EQ_INT(lembed_basic_split(text, strlen(text),
                                    LEMBED_SPLIT_LOWER | LEMBED_SPLIT_STRIP_ACCENTS, &wl),
                 0);
    char b[64];
    CHECK_EQ_INT(wl.count, 7);
    CHECK_EQ_STR(word(&wl, 0, b, sizeof(b)), "hello");
    CHECK_EQ_INT(wl.words[0].src_start, 0);
    CHECK_EQ_INT(wl.words[0].src_end, 6); /* é is two bytes */
    CHECK_EQ_STR(word(&wl, 1, b, sizeof(b)), ",");
    CHECK(wl.words[1].punct);
    CHECK_EQ_STR(word(&wl, 2, b, sizeof(b)), "world");
    CHECK_EQ_STR(word(&wl, 3, b, sizeof(b)), "!");
    CHECK_EQ_STR(word(&wl, 4, b, sizeof(b)), "東");
    CHECK_EQ_STR(word(&wl, 5, b, sizeof(b)), "京");
    CHECK_EQ_STR(word(&wl, 6, b, sizeof(b)), "x");
    /* Without flags: case and accents kept; NUL and controls dropped without splitting. */
    const char ctl[] = "Ab\0c\x07"
                       "D";
    CHECK_EQ_INT(lembed_basic_split(ctl, sizeof(ctl) - 1, 0, &wl), 0);
    CHECK_EQ_INT(wl.count, 1);
    CHECK_EQ_STR(word(&wl, 0, b, sizeof(b)), "AbcD");
    /* Final sigma, as Python's str.lower(). */
    const char *greek = "ΣΑΣ";
    CHECK_EQ_INT(lembed_basic_split(greek, strlen(greek), LEMBED_SPLIT_LOWER, &wl), 0);
    CHECK_EQ_STR(word(&wl, 0, b, sizeof(b)), "σας");
    /* Invalid UTF-8 is dropped. */
    CHECK_EQ_INT(lembed_basic_split("a\xff\xfe"
                                    "b",
                                    4, 0, &wl),
                 0);
    CHECK_EQ_STR(word(&wl, 0, b, sizeof(b)), "ab");
    lembed_wordlist_free(&wl);
}

static void test_strmap(void) {
    lembed_strmap m;
    lembed_strmap_init(&m);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CHECK(lembed_strmap_put(&m, key, strlen(key), i));
    }
    CHECK(lembed_strmap_put(&m, "k7", 2, 99)); /* first value wins */
    CHECK_EQ_INT(lembed_strmap_get(&m, "k7", 2), 7);
    CHECK_EQ_INT(lembed_strmap_get(&m, "k4999", 5), 4999);
    CHECK_EQ_INT(lembed_strmap_get(&m, "nope", 4), -1);
    size_t n;
    CHECK(lembed_strmap_key(&m, 12, &n) != NULL);
    CHECK_EQ_INT(n, 3);
    CHECK(memcmp(lembed_strmap_key(&m, 12, &n), "k12", 3) == 0);
    CHECK(lembed_strmap_key(&m, 5000, &n) == NULL);
    lembed_strmap_free(&m);
}

static lembed_vocab tiny_vocab(void) {
    /* GGUF form: U+2581 starts a word, bare pieces continue one; type 3 = control. */
    static const char *const toks[] = {"[PAD]",
                                       "[UNK]",
                                       "[CLS]",
                                       "[SEP]",
                                       "\xE2\x96\x81un",
                                       "aff",
                                       "able",
                                       "\xE2\x96\x81"
                                       "a",
                                       "\xE2\x96\x81,"};
    static const int types[] = {3, 3, 3, 3, 1, 1, 1, 1, 1};
    lembed_vocab v;
    lembed_vocab_init(&v);
    CHECK(lembed_vocab_reserve(&v, 9));
    for (int i = 0; i < 9; i++)
        CHECK(lembed_vocab_set_gguf(&v, i, toks[i], strlen(toks[i]), types[i]));
    v.cls_id = 2;
    v.sep_id = 3;
    v.unk_id = 1;
    lembed_vocab_find_literals(&v);
    return v;
}

static void test_wordpiece(void) {
    lembed_vocab v = tiny_vocab();
    lembed_wordlist wl;
    lembed_tokens t;
    lembed_wordlist_init(&wl);
    lembed_tokens_init(&t);
    const char *text = "Unaffable, a xyz [SEP] a";
    CHECK_EQ_INT(lembed_tokenize(&v, text, strlen(text), 100, &wl, &t), 0);
    static const int32_t want[] = {2, 4, 5, 6, 8, 7, 1, 3, 7, 3};
    CHECK_EQ_INT(t.count, 10);
    for (size_t i = 0; i < t.count && i < 10; i++)
        CHECK_EQ_INT(t.ids[i], want[i]);
    CHECK_EQ_INT(t.src_start[1], 0);
    CHECK_EQ_INT(t.src_end[3], 9);
    CHECK_EQ_STR(lembed_vocab_piece(&v, 5), "##aff");
    CHECK_EQ_STR(lembed_vocab_piece(&v, 4), "un");
    CHECK(lembed_vocab_piece(&v, 9) == NULL);
    CHECK(!t.truncated);
    CHECK_EQ_INT(lembed_tokenize(&v, text, strlen(text), 4, &wl, &t), 0);
    CHECK_EQ_INT(t.count, 4);
    CHECK(t.truncated);
    CHECK_EQ_INT(t.ids[3], 3);
    lembed_tokens_free(&t);
    lembed_wordlist_free(&wl);
    lembed_vocab_free(&v);
}

int main(void) {
    RUN(test_basic_split);
    RUN(test_strmap);
    RUN(test_wordpiece);
    return unit_report("unit_tokenizer");
}
