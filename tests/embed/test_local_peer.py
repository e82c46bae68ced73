"""ext/embed's local models vs sqlite-lembed (npm sqlite-lembed-linux-x64, llama.cpp inside) on
the same generated GGUF files: same token ids, vectors within tolerance, and the SQL surface a
sqlite-lembed user relies on."""

import json
import sqlite3

import numpy as np
import pytest

import helpers
import local_gguf as G
import local_vocab

# llama.cpp's WordPiece does not strip accents (Hugging Face does) and has no 100-character
# limit, so the shared corpus avoids accents and very long words.
CORPUS = ["alex garcia", "i like strawberries", "The QUICK brown fox; jumps over 13 lazy dogs!",
          "hello world, this is a test of the embedding model.", "東京 tokyo",
          "price: $1,234.56 (50% off)", "don't stop believing", "email me: a.b@example.com",
          "supercalifragilisticexpialidocious", "a", "unaffable people run fast"]
TOLERANCE = {"F32": 0.9999, "F16": 0.9999, "Q8_0": 0.999}


@pytest.fixture(scope="module")
def peer_path():
    try:
        pkg = helpers.peers.npm_package("sqlite-lembed-linux-x64")
        return str(helpers.peers.find_file(pkg, "lembed0.so"))[:-3]
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"sqlite-lembed unavailable: {e}")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small-vocabulary models for vectors (the peer takes seconds per call with a 30k
    vocabulary), a real-vocabulary one for token ids."""
    folder = tmp_path_factory.mktemp("peer")
    w = G.random_bert(np.random.default_rng(11))
    out = {}
    for name, t in [("F32", G.GGML_F32), ("F16", G.GGML_F16), ("Q8_0", G.GGML_Q8_0)]:
        out[name] = folder / f"tiny-{name}.gguf"
        G.write_bert(out[name], w, t)
    out["vocab"] = folder / "real-vocab.gguf"
    local_vocab.write_real_vocab_bert(out["vocab"], G.GGML_F32, d=32, ctx=64)
    return out


def peer_connection(peer_path):
    if helpers.ASAN:
        pytest.skip("the peer's llama.cpp is not built for the sanitizer runtime")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(peer_path)
    return conn


REGISTER = "INSERT INTO temp.lembed_models(name, model) SELECT 'default', lembed_model_from_file(?)"


def test_same_token_ids_as_sqlite_lembed(db, peer_path, files):
    peer = peer_connection(peer_path)
    peer.execute(REGISTER, (str(files["vocab"]),))
    db.execute(REGISTER, (str(files["vocab"]),))
    for text in CORPUS:
        ours = json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json('default', ?)", text))
        theirs = json.loads(helpers.scalar(peer, "SELECT lembed_tokenize_json('default', ?)",
                                           text))
        assert ours == theirs, text
    peer.close()


# One text per type: llama.cpp's threads spin-wait, which costs seconds per call on a busy
# 2-vCPU machine (measured: 2-3 s for a 2-layer, 64-wide model).
SMALL_TEXTS = {"F32": "hello worlds, unaffable!", "F16": "the cat sat on the mat",
               "Q8_0": "run fast, run slow: the river bank has money"}


@pytest.mark.parametrize("type_name", ["F32", "F16", "Q8_0"])
def test_same_vectors_as_sqlite_lembed(db, peer_path, files, type_name):
    peer = peer_connection(peer_path)
    peer.execute(REGISTER, (str(files[type_name]),))
    db.execute(REGISTER, (str(files[type_name]),))
    for text in [SMALL_TEXTS[type_name]]:
        assert helpers.scalar(db, "SELECT lembed_tokenize_json('default', ?)", text) == \
            helpers.scalar(peer, "SELECT lembed_tokenize_json('default', ?)", text)
        a = np.frombuffer(helpers.scalar(db, "SELECT lembed(?)", text), dtype=np.float32)
        b = np.frombuffer(helpers.scalar(peer, "SELECT lembed(?)", text), dtype=np.float32)
        assert a.shape == b.shape == (64,)
        assert a @ b >= TOLERANCE[type_name], text
    peer.close()


def test_peer_crashes_are_our_errors(db, files, tmp_path):
    # sqlite-lembed aborts on a plain-text path and says only "SQL logic error" for a missing
    # file; we accept the path and name the file.
    db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('m', ?)", (str(files["F32"]),))
    missing = tmp_path / "nope.gguf"
    with pytest.raises(sqlite3.OperationalError, match=f"cannot open '{missing}'"):
        db.execute("INSERT INTO temp.lembed_models(name, model) "
                   "SELECT 'x', lembed_model_from_file(?)", (str(missing),))


def test_nomic_bert_same_vectors_as_sqlite_lembed(db, peer_path, tmp_path):
    path = tmp_path / "nomic.gguf"
    G.write_nomic(path, G.random_nomic(np.random.default_rng(3)), G.GGML_F32)
    peer = peer_connection(peer_path)
    peer.execute(REGISTER, (str(path),))
    db.execute(REGISTER, (str(path),))
    text = "hello worlds, unaffable! run fast"
    a = np.frombuffer(helpers.scalar(db, "SELECT lembed(?)", text), dtype=np.float32)
    b = np.frombuffer(helpers.scalar(peer, "SELECT lembed(?)", text), dtype=np.float32)
    assert a @ b >= 0.9999
    peer.close()
