"""Random garbage through the parsers (JSON vectors, BLOBs, vec0 declarations, KNN arguments):
every call must end in a result or a clean SQL error, never a crash (run under ASan too)."""

import random
import sqlite3

import helpers

ALPHABET = "[]{},.-+eE0123456789 \t\n\"'abcxyzNaInf_=()+%\\\x00\u00e9"


def garbage(rng, n):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, n)))


def test_json_and_blob_garbage(vdb):
    rng = random.Random(1)
    fns = ["vec_f32", "vec_int8", "vec_f16", "vec_length", "vec_to_json", "vec_normalize",
           "vec_quantize_binary"]
    for _ in range(3000):
        fn = rng.choice(fns)
        arg = garbage(rng, 30) if rng.random() < 0.6 else bytes(
            rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
        try:
            vdb.execute(f"select {fn}(?)", (arg,)).fetchall()
        except sqlite3.Error as e:
            assert str(e).startswith(fn + ":"), (fn, arg, str(e))
    for _ in range(500):
        a = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 4, 8, 12, 3])))
        b = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 4, 8, 12, 3])))
        for fn in ["vec_distance_l2", "vec_distance_cosine", "vec_add", "vec_distance_hamming"]:
            try:
                vdb.execute(f"select {fn}(?, ?), {fn}(vec_bit(?), vec_bit(?))", (a, b, a, b)).fetchall()
            except sqlite3.Error:
                pass


def test_declaration_garbage(vdb):
    rng = random.Random(2)
    pieces = ["emb", "float[4]", "int8[2]", "bit[8]", "text", "integer", "partition", "primary",
              "key", "+", "distance_metric=cosine", "chunk_size=8", "[", "]", "=", "\"q\"", "f16[3]",
              "boolean", ",", "-1", "99999999999999999999"]
    made = 0
    for i in range(800):
        args = ", ".join(" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
                         for _ in range(rng.randint(1, 4)))
        try:
            vdb.execute(f"create virtual table g{i} using vec0({args})")
            made += 1
            vdb.execute(f"select * from g{i}").fetchall()
            vdb.execute(f"drop table g{i}")
        except sqlite3.Error as e:
            assert "vec0" in str(e) or "syntax error" in str(e) or "malformed" in str(e) or \
                "unrecognized token" in str(e), (args, str(e))
    assert made > 0


def test_knn_argument_garbage(vdb):
    vdb.execute("create virtual table v using vec0(a float[2], b int8[2], c bit[8], m text)")
    vdb.execute("insert into v(rowid, a, b, c, m) values (1, '[1,2]', vec_int8('[1,2]'), "
                "vec_bit(x'01'), 'x')")
    rng = random.Random(3)
    values = [None, 1, -1, 2.5, "", "[1,2]", "[1,2,3]", b"", b"\x00" * 8, b"\x00" * 2, "x" * 100,
              10 ** 18, float("nan")]
    for _ in range(600):
        col = rng.choice("abc")
        q, k, m = rng.choice(values), rng.choice(values), rng.choice(values)
        try:
            vdb.execute(f"select rowid, distance from v where {col} match ? and k = ? and m = ?",
                        (q, k, m)).fetchall()
        except sqlite3.Error as e:
            assert str(e).startswith("vec0:"), (col, q, k, m, str(e))
