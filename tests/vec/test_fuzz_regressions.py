"""SQL-level regressions of what tests/fuzz/fuzz_vec_vector found (the kernels' own test is
tests/vec/unit_fuzz_regressions.c); numpy in float64 is the oracle."""

import struct

import numpy as np
import pytest

TINY = [2e-36, 1e-37]  # float32 squares underflow to zero
HUGE = [1e20, 1.0]  # float32 squares overflow to inf


def cosine(a, b):
    a, b = np.array(a, dtype=np.float32).astype(np.float64), np.array(b, dtype=np.float32).astype(
        np.float64)
    return 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


@pytest.mark.parametrize("a,b", [([9, 1], TINY), (HUGE, HUGE), ([1, -1], [3e-23, -4e-23])])
def test_cosine_distance_out_of_float_range(vdb, a, b):
    got = vdb.execute("SELECT vec_distance_cosine(?, ?)",
                      (struct.pack(f"<{len(a)}f", *a), struct.pack(f"<{len(b)}f", *b))).fetchone()[0]
    assert got == pytest.approx(cosine(a, b), abs=1e-6)


def test_knn_does_not_rank_a_tiny_vector_first(vdb):
    vdb.execute("CREATE VIRTUAL TABLE v USING vec0(emb float[2] distance_metric=cosine)")
    vdb.execute("INSERT INTO v(rowid, emb) VALUES (1, '[1, 0]'), (2, '[0, 1]'), (3, ?)",
                (struct.pack("<2f", *TINY),))
    rows = vdb.execute("SELECT rowid, distance FROM v WHERE emb MATCH '[0, 1]' AND k = 3").fetchall()
    assert [r[0] for r in rows] == [2, 3, 1]
    assert rows[1][1] == pytest.approx(cosine([0, 1], TINY), abs=1e-6)
