/*
** local_tokenizer: WordPiece encoding (see local_tokenizer.h).
*/
#include "embed/local_tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

void lembed_vocab_init(lembed_vocab *v) {
    memset(v, 0, sizeof(*v));
    lembed_strmap_init(&v->map);
    v->cls_id = v->sep_id = v->unk_id = v->pad_id = -1;
    for (int k = 0; k < 5; k++)
        v->literal_ids[k] = -1;
    v->split_flags = LEMBED_SPLIT_LOWER | LEMBED_SPLIT_STRIP_ACCENTS;
}

void lembed_vocab_free(lembed_vocab *v) {
    if (v->pieces)
        for (int32_t i = 0; i < v->n; i++)
            free(v->pieces[i]);
    free(v->pieces);
    free(v->control);
    lembed_strmap_free(&v->map);
    lembed_vocab_init(v);
}

bool lembed_vocab_reserve(lembed_vocab *v, int32_t n) {
    if (n <= 0 || n > (1 << 24))
        return false;
    v->pieces = calloc((size_t)n, sizeof(*v->pieces));
    v->control = calloc((size_t)n, 1);
    if (!v->pieces || !v->control)
        return false;
    v->n = n;
    return true;
}

bool lembed_vocab_set_gguf(lembed_vocab *v, int32_t id, const char *piece, size_t len,
                           int token_type) {
    if (id < 0 || id >= v->n || len > 4096)
        return false;
    static const char phantom[] = "\xE2\x96\x81"; /* U+2581 */
    bool control = token_type == 3;
    bool start = len >= 3 && memcmp(piece, phantom, 3) == 0;
    size_t hn = control ? len : start ? len - 3 : len + 2;
    char *hf = malloc(hn + 1);
    if (!hf)
        return false;
    if (control || start)
        memcpy(hf, control ? piece : piece + 3, hn);
    else {
        hf[0] = hf[1] = '#';
        memcpy(hf + 2, piece, len);
    }
    hf[hn] = '\0';
    free(v->pieces[id]);
    v->pieces[id] = hf;
    v->control[id] = control;
    if (!control && hn > 0 && !(hn == 2 && !start))
        return lembed_strmap_put(&v->map, hf, hn, id);
    return true;
}

const char *lembed_vocab_piece(const lembed_vocab *v, int64_t id) {
    if (id < 0 || id >= v->n || !v->pieces[id])
        return NULL;
    return v->pieces[id];
}

void lembed_tokens_init(lembed_tokens *t) {
    memset(t, 0, sizeof(*t));
}

void lembed_tokens_free(lembed_tokens *t) {
    free(t->ids);
    free(t->src_start);
    free(t->src_end);
    lembed_tokens_init(t);
}

static bool tokens_push(lembed_tokens *t, int32_t id, uint32_t s, uint32_t e) {
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int32_t *ids = realloc(t->ids, cap * sizeof(*ids));
        if (!ids)
            return false;
        t->ids = ids;
        uint32_t *ss = realloc(t->src_start, cap * sizeof(*ss));
        if (!ss)
            return false;
        t->src_start = ss;
        uint32_t *ee = realloc(t->src_end, cap * sizeof(*ee));
        if (!ee)
            return false;
        t->src_end = ee;
        t->cap = cap;
    }
    t->ids[t->count] = id;
    t->src_start[t->count] = s;
    t->src_end[t->count] = e;
    t->count++;
    return true;
}

/* Greedy longest-match WordPiece of one word; appends ids to pieces (at most 101 pieces since a
** word has at most 100 characters). Returns the number of pieces, or 0 when the word cannot be
** covered (the caller emits [UNK]). */
static int wordpiece(const lembed_vocab *v, const char *w, size_t n, int32_t *pieces) {
    int32_t nchars = 0;
    for (int32_t i = 0; i < (int32_t)n; nchars++) {
        UChar32 c;
        U8_NEXT(w, i, (int32_t)n, c);
        (void)c;
        if (nchars > LEMBED_WORDPIECE_MAX_CHARS)
            return 0;
    }
    if (nchars > LEMBED_WORDPIECE_MAX_CHARS)
        return 0;
    char key[2 + 4 * (LEMBED_WORDPIECE_MAX_CHARS + 1)];
    int count = 0;
    size_t start = 0;
    while (start < n) {
        size_t end = n;
        int32_t found = -1;
        while (end > start) {
            size_t kn = 0;
            if (start > 0) {
                key[0] = key[1] = '#';
                kn = 2;
            }
            memcpy(key + kn, w + start, end - start);
            kn += end - start;
            found = lembed_strmap_get(&v->map, key, kn);
            if (found >= 0)
                break;
            int32_t e = (int32_t)end;
            U8_BACK_1((const uint8_t *)w, (int32_t)start, e);
            end = (size_t)e;
        }
        if (found < 0)
            return 0;
        pieces[count++] = found;
        start = end;
    }
    return count;
}

void lembed_vocab_find_literals(lembed_vocab *v) {
    static const char *const names[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int k = 0; k < 5; k++) {
        v->literal_ids[k] = -1;
        for (int32_t i = 0; i < v->n; i++)
            if (v->control[i] && v->pieces[i] && strcmp(v->pieces[i], names[k]) == 0) {
                v->literal_ids[k] = i;
                break;
            }
    }
}

/* The special token spelled at text[0..], or -1; *len receives its length. */
static int32_t literal_at(const lembed_vocab *v, const char *text, size_t n, size_t *len) {
    for (int k = 0; k < 5; k++) {
        int32_t id = v->literal_ids[k];
        if (id < 0)
            continue;
        size_t pn = strlen(v->pieces[id]);
        if (pn <= n && memcmp(text, v->pieces[id], pn) == 0) {
            *len = pn;
            return id;
        }
    }
    return -1;
}

/* Tokens that still fit before [SEP]. */
static size_t room_left(const lembed_tokens *out, size_t max_tokens) {
    return out->count + 1 < max_tokens ? max_tokens - 1 - out->count : 0;
}

/* Appends the pieces of text[start, end) (no special tokens inside); last_end tracks the end
** of the last token. Every word gives at least one token, so once room_left + 1 words are
** split the text is cut within them: the rest is not split at all, and a word of more than
** LEMBED_WORDPIECE_MAX_CHARS characters (one [UNK] whatever follows) is not kept whole. The
** work is bounded by the context, not the text, and the tokens are the same. */
static int encode_segment(const lembed_vocab *v, const char *text, size_t start, size_t end,
                          size_t max_tokens, lembed_wordlist *wl, lembed_tokens *out,
                          uint32_t *last_end) {
    size_t room = room_left(out, max_tokens);
    size_t max_words = room < SIZE_MAX ? room + 1 : room;
    if (lembed_basic_split_bounded(text + start, end - start, v->split_flags, max_words,
                                   LEMBED_WORDPIECE_MAX_CHARS + 1, wl) != 0)
        return -1;
    int32_t pieces[LEMBED_WORDPIECE_MAX_CHARS + 1];
    for (size_t i = 0; i < wl->count && !out->truncated; i++) {
        const lembed_word *w = &wl->words[i];
        int k = wordpiece(v, wl->buf + w->off, w->len, pieces);
        if (k == 0) {
            pieces[0] = v->unk_id;
            k = 1;
        }
        for (int j = 0; j < k; j++) {
            if (out->count + 1 >= max_tokens) {
                out->truncated = true;
                break;
            }
            if (!tokens_push(out, pieces[j], (uint32_t)start + w->src_start,
                             (uint32_t)start + w->src_end))
                return -1;
            *last_end = (uint32_t)start + w->src_end;
        }
    }
    return 0;
}

int lembed_tokenize(const lembed_vocab *v, const char *text, size_t n, size_t max_tokens,
                    lembed_wordlist *wl, lembed_tokens *out) {
    out->count = 0;
    out->truncated = false;
    if (max_tokens < 2)
        max_tokens = 2;
    if (n > LEMBED_SPLIT_MAX_INPUT)
        return -1;
    if (!tokens_push(out, v->cls_id, 0, 0))
        return -1;
    uint32_t last_end = 0;
    size_t seg = 0, i = 0;
    /* '[' characters of the current segment that start no special token: each is a word of
    ** its own, so once they outnumber the room left the text is cut before the next literal,
    ** and the search for literals can stop. */
    size_t brackets = 0;
    while (i < n) {
        const char *b = memchr(text + i, '[', n - i);
        if (b == NULL)
            break;
        i = (size_t)(b - text);
        size_t len;
        int32_t id = literal_at(v, text + i, n - i, &len);
        if (id < 0) {
            if (++brackets > room_left(out, max_tokens))
                break;
            i++;
            continue;
        }
        if (encode_segment(v, text, seg, i, max_tokens, wl, out, &last_end) != 0)
            return -1;
        if (out->truncated)
            break;
        if (out->count + 1 >= max_tokens) {
            out->truncated = true;
            break;
        }
        if (!tokens_push(out, id, (uint32_t)i, (uint32_t)(i + len)))
            return -1;
        last_end = (uint32_t)(i + len);
        i += len;
        seg = i;
        brackets = 0;
    }
    if (!out->truncated && encode_segment(v, text, seg, n, max_tokens, wl, out, &last_end) != 0)
        return -1;
    if (!tokens_push(out, v->sep_id, last_end, last_end))
        return -1;
    return 0;
}
