/*
** local_tokenizer_basic: BERT basic pre-tokenization with ICU (see local_tokenizer_basic.h).
**
** The work is done one input code point at a time so that every output word knows which bytes
** of the input it covers. Lowercasing a single code point is context-free except for capital
** sigma, whose final form is chosen here the way Python's str.lower() chooses it.
*/
#include "embed/local_tokenizer_basic.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utf16.h>

void lembed_wordlist_init(lembed_wordlist *wl) {
    memset(wl, 0, sizeof(*wl));
}

void lembed_wordlist_free(lembed_wordlist *wl) {
    free(wl->buf);
    free(wl->words);
    lembed_wordlist_init(wl);
}

static bool is_whitespace(UChar32 c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return true;
    return c >= 0x80 && u_charType(c) == U_SPACE_SEPARATOR;
}

static bool is_control(UChar32 c) {
    if (c == '\t' || c == '\n' || c == '\r')
        return false;
    if (c < 0x80)
        return c < 0x20 || c == 0x7F;
    switch (u_charType(c)) {
        case U_CONTROL_CHAR:
        case U_FORMAT_CHAR:
        case U_UNASSIGNED:
        case U_PRIVATE_USE_CHAR:
        case U_SURROGATE:
            return true;
        default:
            return false;
    }
}

static bool is_punct(UChar32 c) {
    if (c < 0x80) /* the ranges hold every ASCII character of category P* */
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
               (c >= 123 && c <= 126);
    int32_t mask = U_GET_GC_MASK(c);
    return (mask & U_GC_P_MASK) != 0;
}

static bool is_cjk(UChar32 c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* State of the word being built. */
typedef struct splitter {
    lembed_wordlist *wl;
    bool open; /* a word is in progress */
    bool failed;
    bool full;               /* max_words words are complete: stop */
    size_t max_words;        /* 0: no limit */
    uint32_t max_word_chars; /* 0: no limit */
    uint32_t open_chars;     /* code points kept of the open word */
} splitter;

static bool buf_put(lembed_wordlist *wl, const char *s, size_t n) {
    if (wl->buf_len + n + 1 > wl->buf_cap) {
        size_t cap = wl->buf_cap ? wl->buf_cap : 256;
        while (cap < wl->buf_len + n + 1)
            cap *= 2;
        if (cap > ((size_t)1 << 32))
            return false;
        char *b = realloc(wl->buf, cap);
        if (!b)
            return false;
        wl->buf = b;
        wl->buf_cap = cap;
    }
    memcpy(wl->buf + wl->buf_len, s, n);
    wl->buf_len += n;
    wl->buf[wl->buf_len] = '\0';
    return true;
}

static lembed_word *word_new(splitter *sp, size_t src_start) {
    lembed_wordlist *wl = sp->wl;
    if (wl->count == wl->cap) {
        size_t cap = wl->cap ? wl->cap * 2 : 64;
        lembed_word *w = realloc(wl->words, cap * sizeof(*w));
        if (!w) {
            sp->failed = true;
            return NULL;
        }
        wl->words = w;
        wl->cap = cap;
    }
    lembed_word *w = &wl->words[wl->count++];
    w->off = (uint32_t)wl->buf_len;
    w->len = 0;
    w->src_start = w->src_end = (uint32_t)src_start;
    w->punct = false;
    return w;
}

static void put_cp(splitter *sp, UChar32 c, bool own_word, bool punct, size_t s, size_t e) {
    char utf8[4];
    int32_t n = 0;
    UBool err = false;
    U8_APPEND(utf8, n, 4, c, err);
    if (err)
        return;
    if (own_word)
        sp->open = false;
    if (!sp->open && sp->max_words && sp->wl->count >= sp->max_words) {
        sp->full = true; /* the words wanted are complete */
        return;
    }
    if (!sp->open)
        sp->open_chars = 0;
    lembed_word *w = sp->open ? &sp->wl->words[sp->wl->count - 1] : word_new(sp, s);
    if (!w)
        return;
    w->src_end = (uint32_t)e;
    w->punct = punct;
    sp->open = !own_word;
    if (sp->max_word_chars && sp->open_chars >= sp->max_word_chars)
        return; /* long enough for the caller: the rest only moves the word's end */
    if (!buf_put(sp->wl, utf8, (size_t)n)) {
        sp->failed = true;
        return;
    }
    sp->open_chars++;
    w->len += (uint32_t)n;
}

/* True when the open word has as many characters as the caller keeps. */
static bool overlong(const splitter *sp) {
    return sp->open && sp->max_word_chars && sp->open_chars >= sp->max_word_chars;
}

/* An ASCII byte that continues a word: printable, not space, not punctuation. */
static bool ascii_word_char(unsigned char c) {
    return c > 0x20 && c < 0x7F && !is_punct(c);
}

enum { MAY_END, EXTENDS, DROPPED };

/* What a code point (not whitespace, control or CJK) does to an open word, when that can be told
** without normalizing it: normalized, a letter or mark gives letters and marks (lowercase maps
** letters to letters; canonical decompositions of letters and marks are letters and marks),
** and a code point without a canonical decomposition gives itself or its lowercase, so it is
** punctuation only if it is punctuation. Only punctuation ends a word. A nonspacing mark gives
** nonspacing marks, which stripping drops. MAY_END: normalize to know. */
static int cannot_end_word(UChar32 c, unsigned flags) {
    if (c < 0x80)
        return is_punct(c) ? MAY_END : EXTENDS;
    int8_t type = u_charType(c);
    if (type == U_NON_SPACING_MARK && (flags & LEMBED_SPLIT_STRIP_ACCENTS))
        return DROPPED;
    if (U_MASK(type) & (U_GC_L_MASK | U_GC_M_MASK))
        return EXTENDS;
    if (!is_punct(c) && u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE) != U_DT_CANONICAL)
        return EXTENDS;
    return MAY_END;
}

/* Lowercases (and maybe decomposes and strips) one code point into out; returns the count. */
static int normalize_cp(UChar32 c, unsigned flags, bool final_sigma, UChar32 *out, int max) {
    if (c < 0x80) {
        out[0] = (flags & LEMBED_SPLIT_LOWER) && c >= 'A' && c <= 'Z' ? c + 32 : c;
        return 1;
    }
    UChar src[4], low[16], nfd[64];
    int32_t sn = 0;
    UBool err = false;
    U16_APPEND(src, sn, 4, c, err);
    (void)err;
    const UChar *cur = src;
    int32_t cn = sn;
    UErrorCode ec = U_ZERO_ERROR;
    if (flags & LEMBED_SPLIT_LOWER) {
        if (c == 0x03A3 && final_sigma) {
            low[0] = 0x03C2;
            cn = 1;
        } else {
            cn = u_strToLower(low, 16, src, sn, "", &ec);
            if (U_FAILURE(ec) || cn > 16)
                return 0;
        }
        cur = low;
    }
    if (flags & LEMBED_SPLIT_STRIP_ACCENTS) {
        ec = U_ZERO_ERROR;
        const UNormalizer2 *nf = unorm2_getNFDInstance(&ec);
        if (U_FAILURE(ec))
            return 0;
        int32_t nn = unorm2_normalize(nf, cur, cn, nfd, 64, &ec);
        if (U_FAILURE(ec) || nn > 64)
            return 0;
        cur = nfd;
        cn = nn;
    }
    int count = 0;
    for (int32_t i = 0; i < cn && count < max;) {
        UChar32 d;
        U16_NEXT(cur, i, cn, d);
        if ((flags & LEMBED_SPLIT_STRIP_ACCENTS) && u_charType(d) == U_NON_SPACING_MARK)
            continue;
        out[count++] = d;
    }
    return count;
}

/* Python's Final_Sigma: preceded by a cased letter and not followed by one (case-ignorable
** characters in between are skipped). */
static bool sigma_is_final(const char *t, size_t n, size_t s, size_t e) {
    bool before = false, after = false;
    for (int32_t i = (int32_t)s; i > 0;) {
        UChar32 c;
        U8_PREV(t, 0, i, c);
        if (c < 0 || !u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE)) {
            before = c >= 0 && u_hasBinaryProperty(c, UCHAR_CASED);
            break;
        }
    }
    for (int32_t i = (int32_t)e; i < (int32_t)n;) {
        UChar32 c;
        U8_NEXT(t, i, (int32_t)n, c);
        if (c < 0 || !u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE)) {
            after = c >= 0 && u_hasBinaryProperty(c, UCHAR_CASED);
            break;
        }
    }
    return before && !after;
}

int lembed_basic_split(const char *text, size_t n, unsigned flags, lembed_wordlist *wl) {
    return lembed_basic_split_bounded(text, n, flags, 0, 0, wl);
}

int lembed_basic_split_bounded(const char *text, size_t n, unsigned flags, size_t max_words,
                               uint32_t max_word_chars, lembed_wordlist *wl) {
    wl->buf_len = 0;
    wl->count = 0;
    if (n > LEMBED_SPLIT_MAX_INPUT)
        return -1;
    splitter sp = {wl, false, false, false, max_words, max_word_chars, 0};
    for (int32_t i = 0; i < (int32_t)n && !sp.failed && !sp.full;) {
        if (overlong(&sp)) {
            /* A run of ASCII letters and digits only moves the end of a word not kept. */
            int32_t j = i;
            while (j < (int32_t)n && ascii_word_char((unsigned char)text[j]))
                j++;
            if (j > i) {
                wl->words[wl->count - 1].src_end = (uint32_t)j;
                i = j;
                continue;
            }
        }
        size_t s = (size_t)i;
        UChar32 c;
        U8_NEXT(text, i, (int32_t)n, c);
        size_t e = (size_t)i;
        if (c <= 0 || c == 0xFFFD || is_control(c))
            continue;
        if (is_whitespace(c)) {
            sp.open = false;
            continue;
        }
        if (is_cjk(c)) {
            put_cp(&sp, c, true, false, s, e);
            continue;
        }
        if (overlong(&sp)) {
            /* Past what the caller keeps, only where the word ends matters: skip normalizing
            ** characters that cannot end it. A nonspacing mark that stripping drops does not
            ** even extend it. */
            int kind = cannot_end_word(c, flags);
            if (kind == DROPPED)
                continue;
            if (kind == EXTENDS) {
                wl->words[wl->count - 1].src_end = (uint32_t)e;
                continue;
            }
        }
        UChar32 outs[16];
        bool fs = c == 0x03A3 && (flags & LEMBED_SPLIT_LOWER) && sigma_is_final(text, n, s, e);
        int k = normalize_cp(c, flags, fs, outs, 16);
        for (int j = 0; j < k; j++) {
            bool p = is_punct(outs[j]);
            put_cp(&sp, outs[j], p, p, s, e);
        }
    }
    return sp.failed ? -1 : 0;
}
