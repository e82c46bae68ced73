"""GGUF BERT encoders in ext/embed, checked against a float64 numpy reference of the
forward pass (tests/embed/local_gguf.py) on tiny models with seeded random weights."""

import json
import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

import helpers
import local_gguf as G

TYPES = {"F32": G.GGML_F32, "F16": G.GGML_F16, "BF16": G.GGML_BF16, "Q8_0": G.GGML_Q8_0,
         "Q4_0": G.GGML_Q4_0}
# Against the exact float32 weights; against the weights as stored the bar is 0.9999 for all.
MIN_COSINE = {"F32": 0.9999, "F16": 0.9999, "BF16": 0.999, "Q8_0": 0.999, "Q4_0": 0.95}
TEXTS = ["the cat sat on the mat", "hello worlds, unaffable!", "i like strawberries.",
         "Run fast, run slow: the river bank has money", "a", ""]


@pytest.fixture(scope="module")
def weights():
    return G.random_bert(np.random.default_rng(1))


@pytest.fixture(scope="module")
def model_files(weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert")
    files = {}
    for name, t in TYPES.items():
        files[name] = folder / f"tiny-{name}.gguf"
        G.write_bert(files[name], weights, t)
    files["cls"] = folder / "tiny-cls.gguf"
    G.write_bert(files["cls"], weights, G.GGML_F32, pooling=2)
    return files


def register(db, name, path, options=None):
    db.execute("INSERT INTO temp.lembed_models(name, model, options) "
               "VALUES (?, lembed_model_from_file(?), ?)", (name, str(path), options))


def embed(db, model, text):
    return np.frombuffer(helpers.scalar(db, "SELECT lembed(?, ?)", model, text), dtype=np.float32)


def ids_of(db, model, text):
    return json.loads(helpers.scalar(db, "SELECT lembed_tokenize_json(?, ?)", model, text))


@pytest.mark.parametrize("type_name", list(TYPES))
def test_forward_matches_numpy(db, weights, model_files, type_name):
    register(db, "m", model_files[type_name])
    assert db.execute("SELECT architecture, dimensions, type FROM lembed_models").fetchall() == \
        [("bert", 64, type_name)]
    for text in TEXTS:
        ids = ids_of(db, "m", text)
        got = embed(db, "m", text)
        assert got.shape == (64,) and abs(np.linalg.norm(got) - 1) < 1e-5
        assert got @ G.reference_embedding(weights, ids) >= MIN_COSINE[type_name], text
        stored = G.reference_embedding(weights, ids, stored_type=TYPES[type_name])
        assert got @ stored >= 0.9999, text


def test_cls_pooling(db, weights, model_files):
    register(db, "cls", model_files["cls"])
    ids = ids_of(db, "cls", TEXTS[0])
    assert embed(db, "cls", TEXTS[0]) @ G.reference_embedding(weights, ids, pooling=2) >= 0.9999


def test_each_batches_like_single_calls(db, model_files):
    register(db, "m", model_files["Q8_0"])
    rows = db.execute("SELECT key, text, embedding FROM lembed_each('m', ?)",
                      (json.dumps(TEXTS + [None]),)).fetchall()
    assert [r[1] for r in rows] == TEXTS + [None]
    for key, text, blob in rows[:-1]:
        assert np.allclose(np.frombuffer(blob, dtype=np.float32), embed(db, "m", text), atol=1e-5)
    assert rows[-1][2] is None


def test_tokens_pieces_detokenize(db, model_files):
    register(db, "m", model_files["F32"])
    ids = ids_of(db, "m", "Hello worlds, unaffable!")
    pieces = [helpers.scalar(db, "SELECT lembed_token_to_piece('m', ?)", i) for i in ids]
    assert pieces == ["[CLS]", "hello", "world", "##s", ",", "un", "##aff", "##able", "!", "[SEP]"]
    assert helpers.scalar(db, "SELECT lembed_detokenize('m', ?)", json.dumps(ids)) == \
        "hello worlds , unaffable !"
    assert ids_of(db, "m", "zzz") == [2, 1, 3]  # [CLS] [UNK] [SEP]
    assert helpers.scalar(db, "SELECT lembed_token_score('m', 5)") == 0.0  # WordPiece: no scores
    with pytest.raises(sqlite3.OperationalError, match="lembed_token_score: bad or out-of-range"):
        db.execute("SELECT lembed_token_score('m', 1000)").fetchall()


def test_truncation_and_option(db, weights, model_files):
    register(db, "m", model_files["F32"])
    long_text = " ".join(["cat"] * 200)
    ids = ids_of(db, "m", long_text)
    assert len(ids) == 200 + 2  # lembed_tokenize_json does not truncate
    got = embed(db, "m", long_text)  # the context is 64: cut to 62 words + [CLS] [SEP]
    assert got @ G.reference_embedding(weights, [2] + [6] * 62 + [3]) >= 0.9999
    register(db, "strict", model_files["F32"], '{"truncate": false}')
    with pytest.raises(sqlite3.OperationalError, match="lembed: text is longer than 64 tokens"):
        embed(db, "strict", long_text)
    register(db, "short", model_files["F32"], '{"max_tokens": 8}')
    assert embed(db, "short", long_text) @ G.reference_embedding(weights, [2] + [6] * 6 + [3]) \
        >= 0.9999


def test_chunks_on_token_boundaries(db, model_files):
    register(db, "m", model_files["F32"])
    text = "the cat sat on the mat, hello worlds"
    rows = db.execute("SELECT chunk, text, tokens, start, \"end\" FROM lembed_chunks('m', ?, 4, 1)",
                      (text,)).fetchall()
    assert [r[1] for r in rows] == ["the cat sat on", "on the mat,", ", hello worlds"]
    assert [r[2] for r in rows] == [4, 4, 4]
    for _, t, _, s, e in rows:
        assert text[s:e] == t
    with pytest.raises(sqlite3.OperationalError, match="max_tokens exceeds the model's context"):
        db.execute("SELECT * FROM lembed_chunks('m', 'x', 63)").fetchall()


def test_kernel_levels_agree(model_files, tmp_path):
    """STRATA_CPU=scalar and =avx2 cap the kernels (this machine may have AVX-512 VNNI, which
    the Q8_0 product uses by default); every level must give the same vectors."""
    script = tmp_path / "embed.py"
    script.write_text(
        "import sys, sqlite3\n"
        f"sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})\n"
        "import helpers\n"
        "db = helpers.connect()\n"
        "db.execute(\"INSERT INTO temp.lembed_models(name, model) VALUES ('m', ?)\", (sys.argv[1],))\n"
        "sys.stdout.write(db.execute(\"SELECT hex(lembed('m', 'hello worlds, the cat'))\")"
        ".fetchone()[0])\n")
    out = {}
    for cpu in ("scalar", "avx2", ""):
        env = dict(os.environ, STRATA_CPU=cpu) if cpu else dict(os.environ)
        for name in ("F16", "Q8_0"):
            proc = subprocess.run([sys.executable, str(script), str(model_files[name])],
                                  capture_output=True, text=True, env=env, timeout=120)
            assert proc.returncode == 0, proc.stderr
            out[cpu, name] = np.frombuffer(bytes.fromhex(proc.stdout), dtype=np.float32)
    for name in ("F16", "Q8_0"):
        # Q8_0 quantizes activations to int8 with SIMD (as llama.cpp); the scalar path does not.
        assert out["scalar", name] @ out["", name] >= (0.99999 if name == "F16" else 0.999)
        assert out["avx2", name] @ out["", name] >= 0.99999


def test_default_model_and_subtype(db, model_files):
    register(db, "default", model_files["F32"])
    assert helpers.scalar(db, "SELECT length(lembed('the cat'))") == 64 * 4
    assert helpers.scalar(db, "SELECT lembed('the cat') = lembed('default', 'the cat')") == 1


def test_sqlite_lembed_option_pointers(db, weights, model_files):
    """sqlite-lembed's INSERT form with lembed_model_options()/lembed_context_options() works;
    n_ctx limits the tokens; unknown keys are errors (sqlite-lembed aborted the process)."""
    db.execute("INSERT INTO temp.lembed_models(name, model, model_options, context_options) "
               "SELECT 'm', lembed_model_from_file(?), lembed_model_options('n_gpu_layers', 99), "
               "lembed_context_options('seed', 42, 'n_ctx', 8)", (str(model_files["F32"]),))
    long_text = " ".join(["cat"] * 50)
    assert embed(db, "m", long_text) @ G.reference_embedding(weights, [2] + [6] * 6 + [3]) \
        >= 0.9999
    assert helpers.scalar(db, "SELECT options FROM temp.lembed_models") == '{"max_tokens":8}'
    with pytest.raises(sqlite3.OperationalError,
                       match="lembed_context_options: unknown option 'n_threads'"):
        db.execute("SELECT lembed_context_options('n_threads', 4)").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="lembed_model_options: expected key/value"):
        db.execute("SELECT lembed_model_options('n_gpu_layers')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="give options or context_options"):
        db.execute("INSERT INTO temp.lembed_models(name, model, options, context_options) "
                   "VALUES ('x', ?, '{}', lembed_context_options('n_ctx', 8))",
                   (str(model_files["F32"]),))
    assert helpers.scalar(db, "SELECT lembed_version()") == "v" + helpers.VERSION
    assert "Kernels: " in helpers.scalar(db, "SELECT lembed_debug()")


@pytest.mark.parametrize("type_name", ["F32", "F16", "Q8_0"])
def test_nomic_bert_matches_numpy(db, tmp_path, type_name):
    """nomic-bert (nomic-embed-text): rotary positions, fused Q/K/V, SwiGLU, no biases."""
    w = G.random_nomic(np.random.default_rng(3))
    path = tmp_path / f"nomic-{type_name}.gguf"
    G.write_nomic(path, w, TYPES[type_name])
    register(db, "n", path)
    assert db.execute("SELECT architecture, dimensions FROM lembed_models").fetchall() == \
        [("nomic-bert", 64)]
    for text in TEXTS[:4]:
        ids = ids_of(db, "n", text)
        assert embed(db, "n", text) @ G.reference_nomic(w, ids) >= MIN_COSINE[type_name], text
