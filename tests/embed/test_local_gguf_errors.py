"""Corrupt, truncated, hostile and unsupported GGUF files: each gives an error that names the
file and the problem, never a crash (the ASan run checks the reads stay in bounds)."""

import os
import re
import shutil
import sqlite3
import struct
import subprocess

import numpy as np
import pytest

import helpers
import local_gguf as G


@pytest.fixture(scope="module")
def weights():
    return G.random_bert(np.random.default_rng(2), d=32, heads=2, ff=64, layers=1, ctx=16)


def load_error(db, path):
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('m', ?)", (str(path),))
    return str(e.value)


def expect(db, path, problem):
    msg = load_error(db, path)
    assert msg.startswith(f"lembed_models: cannot load '{path}': "), msg
    assert re.search(problem, msg), msg
    assert db.execute("SELECT count(*) FROM temp.lembed_models").fetchone()[0] == 0


def good_file(tmp_path, weights, wtype=G.GGML_F32):
    path = tmp_path / "good.gguf"
    G.write_bert(path, weights, wtype)
    return path


def test_wrong_magic_and_version(db, weights, tmp_path):
    p = tmp_path / "magic.gguf"
    G.write_gguf(p, G.bert_kvs(weights, G.GGML_F32), G.bert_tensors(weights, G.GGML_F32),
                 magic=b"GGML")
    expect(db, p, r"not a GGUF file \(bad magic\)")
    p = tmp_path / "v9.gguf"
    G.write_gguf(p, G.bert_kvs(weights, G.GGML_F32), G.bert_tensors(weights, G.GGML_F32),
                 version=9)
    expect(db, p, "unsupported GGUF version 9")
    p = tmp_path / "binary.bin"
    p.write_bytes(b"\x00\x01binary\x00" * 10)
    expect(db, p, "unknown model format")
    p = tmp_path / "empty.gguf"
    p.write_bytes(b"")
    expect(db, p, "empty file$")


# An empty file is not mapped (its data pointer is NULL); the parser once computed NULL + 0 as
# the end of its input, which clang's UBSan reports (gcc's does not, so make test-asan missed it).
UBSAN_EMPTY_FILE = r"""
#include "embed/local_gguf.h"
#include <stdio.h>
int main(int argc, char **argv) {
    lembed_gguf g;
    char err[512];
    if (lembed_gguf_open(argv[1], &g, err, sizeof err) == 0)
        return 2;
    puts(err);
    return 0;
}
"""


def test_empty_file_under_clang_ubsan(tmp_path):
    clang = shutil.which("clang")
    if clang is None:
        pytest.skip("clang is not installed (its UBSan finds NULL + 0, gcc's does not)")
    driver = tmp_path / "driver.c"
    driver.write_text(UBSAN_EMPTY_FILE)
    exe = tmp_path / "driver"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run([clang, "-std=c11", "-D_GNU_SOURCE", "-Iext", "-g", "-fsanitize=undefined",
                    "-fno-sanitize-recover=all", "-o", str(exe), str(driver),
                    "ext/embed/local_gguf.c", "ext/embed/local_file.c"],
                   check=True, env=env, cwd=helpers.ROOT)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    proc = subprocess.run([str(exe), str(empty)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"cannot load '{empty}': empty file"


def test_truncated_files(db, weights, tmp_path):
    data = good_file(tmp_path, weights).read_bytes()
    for cut, problem in [(len(data) - 7, r"extends past the end of the file \(truncated\?\)"),
                         (len(data) // 2, r"extends past the end"),
                         (300, "truncated"), (20, "file is truncated"),
                         (6, "unsupported GGUF version|file is truncated")]:
        p = tmp_path / f"cut{cut}.gguf"
        p.write_bytes(data[:cut])
        expect(db, p, problem)


def test_huge_counts_and_lengths(db, weights, tmp_path):
    data = bytearray(good_file(tmp_path, weights).read_bytes())
    p = tmp_path / "tensors.gguf"
    p.write_bytes(data[:8] + struct.pack("<Q", 1 << 60) + data[16:])
    expect(db, p, "counts are implausible")
    p = tmp_path / "kvs.gguf"
    p.write_bytes(data[:16] + struct.pack("<Q", (1 << 64) - 1) + data[24:])
    expect(db, p, "counts are implausible")
    # The first key's length (right after the header) claims 2^62 bytes.
    p = tmp_path / "keylen.gguf"
    p.write_bytes(data[:24] + struct.pack("<Q", 1 << 62) + data[32:])
    expect(db, p, "file is truncated")
    # An array that claims more elements than the file could hold.
    kvs = G.bert_kvs(weights, G.GGML_F32) + [("x.big", G.ARRAY, (G.U64, []))]
    p = tmp_path / "array.gguf"
    G.write_gguf(p, kvs, G.bert_tensors(weights, G.GGML_F32))
    raw = bytearray(p.read_bytes())
    at = raw.index(b"x.big") + 5 + 4 + 4
    raw[at:at + 8] = struct.pack("<Q", 1 << 59)
    p.write_bytes(bytes(raw))
    expect(db, p, "array count exceeds the file size")
    # A tensor shape whose element count overflows.
    tensors = G.bert_tensors(weights, G.GGML_F32)
    p = tmp_path / "shape.gguf"
    G.write_gguf(p, G.bert_kvs(weights, G.GGML_F32), tensors)
    raw = bytearray(p.read_bytes())
    at = raw.index(b"token_embd.weight") + len("token_embd.weight") + 4
    raw[at:at + 16] = struct.pack("<QQ", 1 << 39, 1 << 39)
    p.write_bytes(bytes(raw))
    expect(db, p, "implausible shape")


def test_overlapping_and_misaligned_tensors(db, weights, tmp_path):
    tensors = G.bert_tensors(weights, G.GGML_F32)
    kvs = G.bert_kvs(weights, G.GGML_F32)
    p = tmp_path / "good-layout.gguf"
    offsets = G.write_gguf(p, kvs, tensors)
    overlapping = list(offsets)
    overlapping[3] = overlapping[2]  # token_embd_norm.weight on top of token_types.weight
    p = tmp_path / "overlap.gguf"
    G.write_gguf(p, kvs, tensors, offsets=overlapping)
    expect(db, p, "tensors '.*' and '.*' overlap")
    misaligned = list(offsets)
    misaligned[1] += 4
    p = tmp_path / "misaligned.gguf"
    G.write_gguf(p, kvs, tensors, offsets=misaligned)
    expect(db, p, "tensor 'position_embd.weight' is misaligned")
    p = tmp_path / "alignment.gguf"
    G.write_gguf(p, kvs + [("general.alignment", G.U32, 24)], tensors)
    expect(db, p, "bad general.alignment")


def test_unsupported_content(db, weights, tmp_path):
    kvs = G.bert_kvs(weights, G.GGML_F32)
    tensors = G.bert_tensors(weights, G.GGML_F32)
    p = tmp_path / "llama.gguf"
    G.write_gguf(p, [(k, t, "llama" if k == "general.architecture" else v) for k, t, v in kvs],
                 tensors)
    expect(db, p, "unsupported architecture 'llama' \\(supported: bert, nomic-bert\\)")
    p = tmp_path / "missing.gguf"
    G.write_gguf(p, kvs, [t for t in tensors if t[0] != "blk.0.ffn_up.weight"])
    expect(db, p, "missing tensor 'blk.0.ffn_up.weight'")
    p = tmp_path / "shape2.gguf"
    G.write_gguf(p, kvs, [(n, a[:, :16] if n == "blk.0.attn_q.weight" else a, t)
                          for n, a, t in tensors])
    expect(db, p, "tensor 'blk.0.attn_q.weight' has an unexpected shape")
    p = tmp_path / "k-quant.gguf"
    G.write_gguf(p, kvs, tensors)
    raw = bytearray(p.read_bytes())
    at = raw.index(b"blk.0.attn_k.weight") + len("blk.0.attn_k.weight") + 4 + 16
    raw[at:at + 4] = struct.pack("<I", 12)  # Q4_K
    p.write_bytes(bytes(raw))
    expect(db, p, "tensor 'blk.0.attn_k.weight' has unsupported type 12")
    p = tmp_path / "pooling.gguf"
    G.write_gguf(p, [(k, t, 4 if k == "bert.pooling_type" else v) for k, t, v in kvs], tensors)
    expect(db, p, "unsupported bert.pooling_type")
    p = tmp_path / "tokenizer.gguf"
    G.write_gguf(p, [(k, t, "gpt2" if k == "tokenizer.ggml.model" else v) for k, t, v in kvs],
                 tensors)
    expect(db, p, "tokenizer.ggml.model is not 'bert'")
    p = tmp_path / "heads.gguf"
    G.write_gguf(p, [(k, t, 5 if k == "bert.attention.head_count" else v) for k, t, v in kvs],
                 tensors)
    expect(db, p, "bert.embedding_length is not a multiple of the head count")


def test_random_corruption_never_crashes(db, weights, tmp_path):
    """Flip bytes of the header region at random: load or fail cleanly, never crash."""
    data = good_file(tmp_path, weights, G.GGML_Q8_0).read_bytes()
    header_end = data.index(b"layer_output_norm.bias") + 64
    rng = np.random.default_rng(12345)
    p = tmp_path / "fuzz.gguf"
    loaded = 0
    for i in range(150):
        raw = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            raw[int(rng.integers(0, header_end))] = int(rng.integers(0, 256))
        p.write_bytes(bytes(raw))
        try:
            db.execute("INSERT INTO temp.lembed_models(name, model) VALUES ('f', ?)", (str(p),))
        except sqlite3.OperationalError as e:
            assert f"cannot load '{p}'" in str(e)
            continue
        loaded += 1
        db.execute("SELECT lembed('f', 'the cat sat'), lembed_tokenize_json('f', 'x y')").fetchall()
        db.execute("DELETE FROM temp.lembed_models")
    assert loaded < 150
