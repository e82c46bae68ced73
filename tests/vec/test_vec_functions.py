"""vec scalar functions and vec_each: numpy as the oracle for values, exact error texts."""

import json
import math
import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

import helpers


def f32(v):
    return np.asarray(v, dtype=np.float32).tobytes()


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def test_constructors_and_subtypes(vdb):
    assert one(vdb, "select vec_f32('[1, 2.5, -3e0]')") == f32([1, 2.5, -3])
    assert one(vdb, "select vec_f32(?)", f32([4, 5])) == f32([4, 5])
    assert one(vdb, "select vec_int8('[-128, 0, 127]')") == bytes([0x80, 0, 0x7F])
    assert one(vdb, "select vec_bit(x'F0')") == b"\xf0"
    assert one(vdb, "select vec_f16('[1.5, -2]')") == np.asarray([1.5, -2], np.float16).tobytes()
    assert one(vdb, "select vec_f16(vec_f32('[0.1]'))") == np.asarray([0.1], np.float16).tobytes()
    assert one(vdb, "select vec_type(vec_f32('[1]'))") == "float32"
    assert one(vdb, "select vec_type(vec_int8('[1]'))") == "int8"
    assert one(vdb, "select vec_type(vec_bit(x'01'))") == "bit"
    assert one(vdb, "select vec_type(vec_f16('[1]'))") == "float16"
    assert one(vdb, "select vec_type(x'00000000')") == "float32"
    assert one(vdb, "select vec_length(vec_bit(x'0102'))") == 16
    assert one(vdb, "select vec_length('[1,2,3]')") == 3


def test_subtype_numbers(vdb):
    try:
        vdb.execute("select subtype(1)")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no subtype() function")
    got = vdb.execute("select subtype(vec_f32('[1]')), subtype(vec_int8('[1]')), "
                      "subtype(vec_bit(x'01')), subtype(vec_f16('[1]'))").fetchone()
    assert got == (223, 225, 224, 226)


def test_null_in_null_out(vdb):
    for fn in ["vec_f32(NULL)", "vec_length(NULL)", "vec_to_json(NULL)",
               "vec_distance_l2(NULL, '[1]')", "vec_add('[1]', NULL)", "vec_slice(NULL, 0, 1)",
               "vec_quantize_int8(NULL, 'unit')", "vec_normalize(NULL)"]:
        assert one(vdb, f"select {fn}") is None, fn


@pytest.mark.parametrize("sql, message", [
    ("select vec_f32('[1,2')", "vec_f32: invalid JSON vector: expected ',' or ']' at offset 4"),
    ("select vec_f32('[1,2] x')", "vec_f32: invalid JSON vector: unexpected text after ']' at offset 6"),
    ("select vec_f32('[]')", "vec_f32: zero-length vectors are not supported"),
    ("select vec_f32('[1e40]')", "vec_f32: float32 vector element 0 is out of range: 1e40"),
    ("select vec_f32(x'0102')",
     "vec_f32: invalid float32 vector BLOB length: must be divisible by 4, found 2"),
    ("select vec_f32(x'0000c07f')", "vec_f32: invalid float32 vector: element 0 is not a finite number"),
    ("select vec_f32(1)", "vec_f32: expected a vector as a BLOB or JSON text, found INTEGER"),
    ("select vec_int8('[1.5]')", "vec_int8: int8 vector element 0 is not an integer: 1.5"),
    ("select vec_int8('[300]')", "vec_int8: int8 vector element 0 is out of range [-128, 127]: 300"),
    ("select vec_bit('[1]')", "vec_bit: bit vectors are built from a BLOB (8 dimensions per byte)"),
    ("select vec_distance_l2('[1]', '[1,2]')",
     "vec_distance_l2: vector dimension mismatch: the first vector has 1 dimensions, the second has 2"),
    ("select vec_distance_l2(vec_int8('[1]'), '[1]')",
     "vec_distance_l2: vector type mismatch: the first vector is int8, the second is float32"),
    ("select vec_distance_l2(vec_bit(x'01'), vec_bit(x'01'))",
     "vec_distance_l2: cannot compute l2 distance between two bit vectors"),
    ("select vec_distance_hamming('[1]', '[1]')",
     "vec_distance_hamming: hamming distance needs bit vectors, got float32"),
    ("select vec_add(vec_int8('[100]'), vec_int8('[100]'))", "vec_add: int8 overflow at element 0 (200)"),
    ("select vec_normalize(vec_int8('[1]'))",
     "vec_normalize: only float32 and float16 vectors can be normalized, got int8"),
    ("select vec_slice('[1,2,3]', 2, 1)", "vec_slice: start index (2) must be less than end index (1)"),
    ("select vec_slice('[1,2,3]', -1, 2)", "vec_slice: start index must not be negative, got -1"),
    ("select vec_slice('[1,2,3]', 0, 5)",
     "vec_slice: end index 5 is greater than the number of dimensions (3)"),
    ("select vec_slice(vec_bit(x'F001'), 1, 16)",
     "vec_slice: start and end of a bit vector slice must be multiples of 8"),
    ("select vec_quantize_int8('[1]', 'x')", "vec_quantize_int8: the 2nd argument must be 'unit'"),
    ("select vec_quantize_binary('[1,2]')",
     "vec_quantize_binary: binary quantization needs a length divisible by 8, got 2"),
])
def test_errors(vdb, sql, message):
    with pytest.raises(sqlite3.OperationalError) as e:
        vdb.execute(sql).fetchall()
    assert str(e.value) == message


def test_to_json_and_each(vdb):
    assert one(vdb, "select vec_to_json('[1.5, 2]')") == "[1.500000,2.000000]"
    assert one(vdb, "select vec_to_json(vec_int8('[1,-2]'))") == "[1,-2]"
    assert one(vdb, "select vec_to_json(vec_bit(x'F001'))") == "[0,0,0,0,1,1,1,1,1,0,0,0,0,0,0,0]"
    assert vdb.execute("select rowid, value from vec_each('[1,2]')").fetchall() == [(0, 1.0), (1, 2.0)]
    assert vdb.execute("select value from vec_each(vec_int8('[3,-4]'))").fetchall() == [(3,), (-4,)]
    # bits in the same order as vec_to_json (least significant first)
    assert [r[0] for r in vdb.execute("select value from vec_each(vec_bit(x'F0'))")] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert vdb.execute("select count(*) from vec_each(NULL)").fetchone()[0] == 0


def test_arithmetic_against_numpy(vdb):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 37)).astype(np.float32)
    assert one(vdb, "select vec_add(?, ?)", a.tobytes(), b.tobytes()) == (a + b).tobytes()
    assert one(vdb, "select vec_sub(?, ?)", a.tobytes(), b.tobytes()) == (a - b).tobytes()
    got = np.frombuffer(one(vdb, "select vec_normalize(?)", a.tobytes()), np.float32)
    np.testing.assert_allclose(got, a / np.linalg.norm(a), rtol=1e-6)
    assert one(vdb, "select vec_slice(?, 3, 9)", a.tobytes()) == a[3:9].tobytes()
    assert one(vdb, "select vec_slice(vec_bit(x'F001'), 8, 16)") == b"\x01"
    assert one(vdb, "select vec_normalize('[0,0]')") == f32([0, 0])


def test_quantize(vdb):
    assert one(vdb, "select hex(vec_quantize_int8('[-1,0,1,0.5,1.5,-2]', 'unit'))") == "80007E3F7F80"
    assert one(vdb, "select vec_quantize_binary('[1,1,1,1,-1,-1,-1,-1]')") == b"\x0f"
    x = np.random.default_rng(2).normal(size=64).astype(np.float32)
    want = np.packbits(x > 0, bitorder="little").tobytes()
    assert one(vdb, "select vec_quantize_binary(?)", x.tobytes()) == want


def test_distances_against_numpy(vdb):
    rng = np.random.default_rng(3)
    for dims in [1, 7, 16, 33, 384, 1031]:
        a, b = rng.normal(size=(2, dims)).astype(np.float32)
        row = vdb.execute("select vec_distance_l2(?1, ?2), vec_distance_l1(?1, ?2), "
                          "vec_distance_cosine(?1, ?2), vec_distance_dot(?1, ?2)",
                          (a.tobytes(), b.tobytes())).fetchone()
        want = [np.linalg.norm(a - b), np.abs(a - b).sum(),
                1 - a.dot(b) / (np.linalg.norm(a) * np.linalg.norm(b)), -a.dot(b)]
        np.testing.assert_allclose(row, want, rtol=1e-4, atol=1e-4)
        i, j = rng.integers(-128, 128, size=(2, dims)).astype(np.int8)
        row = vdb.execute("select vec_distance_l2(vec_int8(?1), vec_int8(?2)), "
                          "vec_distance_l1(vec_int8(?1), vec_int8(?2)), "
                          "vec_distance_dot(vec_int8(?1), vec_int8(?2))",
                          (i.tobytes(), j.tobytes())).fetchone()
        ii, jj = i.astype(np.int64), j.astype(np.int64)
        np.testing.assert_allclose(row, [math.sqrt(((ii - jj) ** 2).sum()), np.abs(ii - jj).sum(),
                                         -(ii * jj).sum()], rtol=1e-5)
        bits = rng.integers(0, 256, size=(2, (dims + 7) // 8), dtype=np.uint8)
        ham = one(vdb, "select vec_distance_hamming(vec_bit(?), vec_bit(?))",
                  bits[0].tobytes(), bits[1].tobytes())
        assert ham == np.unpackbits(bits[0] ^ bits[1]).sum()
    assert one(vdb, "select vec_distance_l2('[0,0]', '[3,4]')") == 5.0
    assert one(vdb, "select vec_distance_cosine('[0,0]', '[1,1]')") is None


@pytest.mark.parametrize("cap", ["scalar", "avx2"])
def test_capped_kernels_agree(cap):
    """The same distances under STRATA_CPU=scalar / avx2 as with the best kernels."""
    code = ("import sys, json; sys.path.insert(0, 'tests'); import helpers, numpy as np;"
            "db = helpers.connect('vec'); rng = np.random.default_rng(5);"
            "a, b = rng.normal(size=(2, 389)).astype(np.float32);"
            "i, j = rng.integers(-128, 128, size=(2, 389)).astype(np.int8);"
            "print(json.dumps([db.execute('select vec_distance_l2(?1,?2), vec_distance_l1(?1,?2),"
            " vec_distance_cosine(?1,?2), vec_distance_dot(?1,?2), vec_distance_l2(vec_int8(?3),"
            " vec_int8(?4)), vec_distance_cosine(vec_f16(vec_f32(?1)), vec_f16(vec_f32(?2))), vec_debug()',"
            " (a.tobytes(), b.tobytes(), i.tobytes(), j.tobytes())).fetchone()]))")
    out = {}
    for c in [cap, None]:
        env = dict(os.environ)
        env.pop("STRATA_CPU", None)
        if c:
            env["STRATA_CPU"] = c
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, cwd=helpers.ROOT, check=True)
        out[c] = json.loads(res.stdout)[0]
    assert f"Kernels: {cap}" in out[cap][-1] or (cap == "avx2" and "scalar" in out[cap][-1])
    np.testing.assert_allclose(out[cap][:-1], out[None][:-1], rtol=1e-4)


PEER_EXPRESSIONS = [
    "vec_f32('[1, 2.5, -3]')", "vec_int8('[-128, 5, 127]')", "vec_bit(x'F00F')",
    "vec_length('[1,2,3]')", "vec_length(vec_bit(x'0102'))", "vec_type(vec_int8('[1]'))",
    "vec_to_json('[1.5, 2, -0.25]')", "vec_to_json(vec_bit(x'F001'))",
    "vec_to_json(vec_int8('[1,-2]'))", "vec_add('[1,2]', '[3,4]')", "vec_sub('[1,2]', '[3,5]')",
    "vec_normalize('[3,4]')", "vec_slice('[1,2,3,4]', 1, 3)", "vec_slice(vec_bit(x'F001'), 8, 16)",
    "vec_distance_l2('[0,0]', '[3,4]')", "vec_distance_l1('[0,0]', '[3,4]')",
    "vec_distance_cosine('[1,2]', '[4,6]')", "vec_distance_hamming(vec_bit(x'F0'), vec_bit(x'0F'))",
    "vec_distance_cosine(vec_int8('[1,2]'), vec_int8('[4,6]'))",
    "vec_distance_l2(vec_int8('[1,2]'), vec_int8('[4,6]'))",
    "vec_quantize_binary('[1,1,1,1,-1,-1,-1,-1]')",
    "vec_quantize_int8('[-1,-0.99,-0.5,-0.1,0,0.001,0.1,0.5,0.9,0.99,1,1.5,-2]', 'unit')",
]


@pytest.mark.parametrize("expr", PEER_EXPRESSIONS)
def test_same_as_peer(vdb, peer, expr):
    ours = one(vdb, f"select {expr}")
    theirs = one(peer, f"select {expr}")
    if isinstance(theirs, float) or isinstance(ours, float):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)
    else:
        assert ours == theirs


def test_random_distances_same_as_peer(vdb, peer):
    rng = np.random.default_rng(11)
    for dims in [3, 16, 100, 384]:
        a, b = rng.normal(size=(2, dims)).astype(np.float32)
        sql = ("select vec_distance_l2(?1, ?2), vec_distance_l1(?1, ?2), "
               "vec_distance_cosine(?1, ?2)")
        ours = vdb.execute(sql, (a.tobytes(), b.tobytes())).fetchone()
        theirs = peer.execute(sql, (a.tobytes(), b.tobytes())).fetchone()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_element_limit_applies_to_blobs(vdb):
    """2^20 elements is the limit of every vector input, BLOB as well as JSON (issue #16: a
    400 MB zeroblob went through vec_to_json for 52 s and 2 GB)."""
    limit = 1 << 20
    assert one(vdb, "select vec_length(zeroblob(?))", 4 * limit) == limit
    assert one(vdb, "select vec_length(vec_int8(zeroblob(?)))", limit) == limit
    assert one(vdb, "select vec_length(vec_bit(zeroblob(?)))", limit // 8) == limit
    for sql, arg, fn in [
            ("select vec_length(zeroblob(?))", 50_000_000, "vec_length"),
            ("select vec_to_json(zeroblob(?))", 400_000_000, "vec_to_json"),
            ("select vec_length(zeroblob(?))", 4 * limit + 4, "vec_length"),
            ("select vec_int8(zeroblob(?))", limit + 1, "vec_int8"),
            ("select vec_bit(zeroblob(?))", limit // 8 + 1, "vec_bit"),
            ("select vec_f16(zeroblob(?))", 2 * limit + 2, "vec_f16"),
            ("select vec_distance_l2(zeroblob(?), zeroblob(?))", 4 * limit + 4, "vec_distance_l2"),
            ("select count(*) from vec_each(zeroblob(?))", 4 * limit + 4, "vec_each")]:
        args = (arg, arg) if sql.count("?") == 2 else (arg,)
        with pytest.raises(sqlite3.OperationalError,
                           match=f"^{fn}: vector has more than {limit} elements"):
            vdb.execute(sql, args).fetchall()
    with pytest.raises(sqlite3.OperationalError, match="vector has more than"):
        vdb.execute("select vec_length(?)", ("[" + "0," * limit + "0]",)).fetchall()
    vdb.execute("create virtual table v using vec0(emb float[4])")
    with pytest.raises(sqlite3.OperationalError, match="vector has more than"):
        vdb.execute("select rowid from v where emb match zeroblob(?) and k = 1",
                    (4 * limit + 4,)).fetchall()


def test_version_is_sqlite_vec_compatible(vdb, peer):
    """vec_version() answers what sqlite-vec 0.1.9 answers (code gates features on it), and
    vec_debug() starts with the same four keys; strata's own version follows (issue #19)."""
    assert one(vdb, "select vec_version()") == one(peer, "select vec_version()") == "v0.1.9"
    ours = one(vdb, "select vec_debug()").split("\n")
    theirs = one(peer, "select vec_debug()").split("\n")
    assert [line.split(":")[0] for line in ours[:4]] == [line.split(":")[0] for line in theirs]
    assert ours[0] == theirs[0] == "Version: v0.1.9"
    assert f"Strata version: {helpers.VERSION}" in ours
