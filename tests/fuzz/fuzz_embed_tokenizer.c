/*
** fuzz_embed_tokenizer: the WordPiece tokenizer (ext/embed local) over a vocabulary and a text
** that both come from the input: basic pre-tokenization (Unicode categories, accents, CJK,
** special tokens typed in the text), greedy longest-match pieces, truncation.
**
** Input: one byte of max_tokens, the vocabulary as newline-separated GGUF-form pieces
** (U+2581 starts a word; a piece "[...]" is a control token), a NUL, then the text.
*/
#include "embed/local_tokenizer.h"

#include "fuzz/fuzz_util.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t max_tokens = 2 + data[0];
    size_t nvocab, ntext;
    const uint8_t *text;
    char *vocab_text = fuzz_split(data + 1, size - 1, &nvocab, &text, &ntext);
    int32_t n = 1;
    for (size_t i = 0; i < nvocab; i++)
        n += vocab_text[i] == '\n';
    lembed_vocab v;
    lembed_vocab_init(&v);
    if (!lembed_vocab_reserve(&v, n))
        abort();
    const char *p = vocab_text;
    for (int32_t id = 0; id < n; id++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int type = len >= 2 && p[0] == '[' && p[len - 1] == ']' ? 3 : 1;
        if (!lembed_vocab_set_gguf(&v, id, p, len, type))
            abort();
        p += len + (end != NULL);
    }
    lembed_vocab_find_literals(&v);
    lembed_wordlist wl;
    lembed_wordlist_init(&wl);
    lembed_tokens t;
    lembed_tokens_init(&t);
    if (lembed_tokenize(&v, (const char *)text, ntext, max_tokens, &wl, &t) == 0) {
        if (t.count > max_tokens || t.count < 2)
            abort();
        for (size_t i = 0; i < t.count; i++) {
            if ((t.ids[i] < 0 || t.ids[i] >= v.n) && t.ids[i] != -1)
                abort();
            if (t.src_start[i] > t.src_end[i] || t.src_end[i] > ntext)
                abort();
            if (t.ids[i] >= 0 && !lembed_vocab_piece(&v, t.ids[i]))
                abort();
        }
    }
    lembed_tokens_free(&t);
    lembed_wordlist_free(&wl);
    lembed_vocab_free(&v);
    free(vocab_text);
    return 0;
}
