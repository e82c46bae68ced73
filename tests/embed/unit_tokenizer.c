/*
** Unit tests of the local tokenizers: BERT basic pre-tokenization (offsets, punctuation, CJK,
** lowercasing, accent stripping), the vocabulary map and WordPiece with a tiny vocabulary.
*/
#include "embed/local_strmap.h"
#include "embed/local_tokenizer.h"
#include "embed/local_tokenizer_basic.h"
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unicode/utf8.h>

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

/* The words of a bounded split are the unbounded split's first words, with the same byte
** ranges; a word cut at max_word_chars keeps its prefix. */
static bool same_words(const lembed_wordlist *full, const lembed_wordlist *cut, size_t max_words,
                       uint32_t max_chars) {
    size_t want = max_words && full->count > max_words ? max_words : full->count;
    if (cut->count != want)
        return false;
    for (size_t i = 0; i < want; i++) {
        const lembed_word *a = &full->words[i], *b = &cut->words[i];
        if (a->src_start != b->src_start || a->src_end != b->src_end || a->punct != b->punct ||
            b->len > a->len || memcmp(full->buf + a->off, cut->buf + b->off, b->len) != 0)
            return false;
        int32_t chars = 0;
        for (int32_t k = 0; k < (int32_t)b->len; chars++)
            U8_FWD_1(cut->buf + b->off, k, (int32_t)b->len);
        if (b->len < a->len && (uint32_t)chars != max_chars)
            return false;
    }
    return true;
}

/* Past the characters it keeps, the bounded split decides where a word ends without
** normalizing most code points: every code point, after a word already long enough, must end
** (or not end, or vanish from) the word exactly as normalizing it does. */
static void test_bounded_split_every_code_point(void) {
    lembed_wordlist full, cut;
    lembed_wordlist_init(&full);
    lembed_wordlist_init(&cut);
    static const unsigned flag_sets[] = {LEMBED_SPLIT_LOWER | LEMBED_SPLIT_STRIP_ACCENTS,
                                         LEMBED_SPLIT_LOWER, 0};
    int failures = 0;
    for (size_t f = 0; f < 3; f++) {
        for (UChar32 c = 0x80; c <= 0x10FFFF && failures < 5; c++) {
            if (U_IS_SURROGATE(c))
                continue;
            char text[32];
            int32_t n = 0;
            text[n++] = 'x';
            text[n++] = 'y';
            U8_APPEND_UNSAFE(text, n, c);
            text[n++] = 'z';
            U8_APPEND_UNSAFE(text, n, c);
            text[n++] = '.';
            CHECK_EQ_INT(lembed_basic_split(text, (size_t)n, flag_sets[f], &full), 0);
            CHECK_EQ_INT(lembed_basic_split_bounded(text, (size_t)n, flag_sets[f], 0, 1, &cut), 0);
            if (!same_words(&full, &cut, 0, 1)) {
                failures++;
                CHECK(!"bounded split differs");
                fprintf(stderr, "  code point U+%04X, flags %u\n", (unsigned)c, flag_sets[f]);
            }
        }
    }
    lembed_wordlist_free(&full);
    lembed_wordlist_free(&cut);
}

/* Pseudo-random text from pieces that exercise the tokenizer: vocabulary words, unknown and
** over-long words, literals, stray brackets, punctuation, accents, sigma, controls, CJK. */
static size_t random_text(unsigned *state, char *out, size_t cap) {
    static const char *const pieces[] = {"unaffable", "a",        ",",     " ",     "  ",  "\t",
                                         "[",         "[SEP]",    "[CLS]", "[MASK", "xyz", "é",
                                         "Σ",         "ΑΣ ",      "\x07",  "東",    "un",  "able",
                                         "!",         "\xcc\x81", "[[",    "]",     "AFF"};
    size_t n = 0;
    unsigned count = 1 + (*state >> 7) % 60;
    for (unsigned k = 0; k < count; k++) {
        *state = *state * 1103515245u + 12345u;
        unsigned r = (*state >> 8) % 40;
        const char *p = r < sizeof pieces / sizeof pieces[0] ? pieces[r] : NULL;
        char longword[260];
        if (p == NULL) { /* a word over the WordPiece limit, sometimes with accents inside */
            size_t len = 95 + (*state >> 20) % 40, j = 0;
            for (size_t i = 0; i < len; i++) {
                if (i % 17 == 16)
                    j += (size_t)snprintf(longword + j, sizeof longword - j, "é");
                else
                    longword[j++] = (char)('a' + i % 3);
            }
            longword[j] = '\0';
            p = longword;
        }
        size_t pn = strlen(p);
        if (n + pn >= cap)
            break;
        memcpy(out + n, p, pn);
        n += pn;
    }
    return n;
}

/* A context cut short gives the first tokens of the whole text, whatever the text: the work
** stops early, the answer does not change. */
static void test_truncation_matches_the_whole(void) {
    lembed_vocab v = tiny_vocab();
    lembed_wordlist wl;
    lembed_tokens whole, cut;
    lembed_wordlist_init(&wl);
    lembed_tokens_init(&whole);
    lembed_tokens_init(&cut);
    static const size_t limits[] = {2, 3, 4, 5, 6, 8, 13, 32, 64};
    unsigned state = 7;
    char text[4096];
    int failures = 0;
    for (int t = 0; t < 3000 && failures < 5; t++) {
        size_t n = random_text(&state, text, sizeof text);
        CHECK_EQ_INT(lembed_tokenize(&v, text, n, SIZE_MAX, &wl, &whole), 0);
        for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
            size_t max = limits[k];
            CHECK_EQ_INT(lembed_tokenize(&v, text, n, max, &wl, &cut), 0);
            bool ok;
            if (whole.count <= max) {
                ok = !cut.truncated && cut.count == whole.count &&
                     memcmp(cut.ids, whole.ids, whole.count * sizeof(int32_t)) == 0 &&
                     memcmp(cut.src_start, whole.src_start, whole.count * sizeof(uint32_t)) == 0 &&
                     memcmp(cut.src_end, whole.src_end, whole.count * sizeof(uint32_t)) == 0;
            } else {
                size_t keep = max - 1;
                uint32_t end = keep > 1 ? whole.src_end[keep - 1] : 0;
                ok = cut.truncated && cut.count == max &&
                     memcmp(cut.ids, whole.ids, keep * sizeof(int32_t)) == 0 &&
                     memcmp(cut.src_start, whole.src_start, keep * sizeof(uint32_t)) == 0 &&
                     memcmp(cut.src_end, whole.src_end, keep * sizeof(uint32_t)) == 0 &&
                     cut.ids[keep] == v.sep_id && cut.src_start[keep] == end &&
                     cut.src_end[keep] == end;
            }
            if (!ok) {
                failures++;
                CHECK(!"truncated tokens differ from the whole text's");
                fprintf(stderr, "  max_tokens %zu, text '%.*s'\n", max, (int)n, text);
            }
        }
    }
    lembed_tokens_free(&whole);
    lembed_tokens_free(&cut);
    lembed_wordlist_free(&wl);
    lembed_vocab_free(&v);
}

/* max_words stops the split once that many words are complete. */
static void test_bounded_split_words(void) {
    lembed_wordlist full, cut;
    lembed_wordlist_init(&full);
    lembed_wordlist_init(&cut);
    const char *text = "one, two Σ three  東京 four";
    unsigned flags = LEMBED_SPLIT_LOWER | LEMBED_SPLIT_STRIP_ACCENTS;
    CHECK_EQ_INT(lembed_basic_split(text, strlen(text), flags, &full), 0);
    for (size_t max = 1; max <= full.count + 1; max++) {
        for (uint32_t chars = 1; chars <= 6; chars++) {
            CHECK_EQ_INT(lembed_basic_split_bounded(text, strlen(text), flags, max, chars, &cut),
                         0);
            CHECK(same_words(&full, &cut, max, chars));
        }
    }
    lembed_wordlist_free(&full);
    lembed_wordlist_free(&cut);
}

int main(void) {
    RUN(test_basic_split);
    RUN(test_bounded_split_words);
    RUN(test_bounded_split_every_code_point);
    RUN(test_strmap);
    RUN(test_wordpiece);
    RUN(test_truncation_matches_the_whole);
    return unit_report("unit_tokenizer");
}
