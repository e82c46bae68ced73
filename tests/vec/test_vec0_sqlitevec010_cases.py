"""sqlite-vec 0.1.10-alpha.3's own test cases for its ANN indexes, where the syntax overlaps,
run against strata (issue #21). Each case of its tests/test-rescore.py, test-rescore-mutations.py,
test-ivf.py, test-ivf-quantization.py, test-ivf-mutations.py, test-diskann.py, the index parts of
test-auxiliary.py and test-loadable.py (`indexed by flat()`), and the declaration cases of
test-unit.c is either here, asserting strata's answer (numpy's exact one for a query, the
documented error for a refusal), or in the groups below that do not apply. Where strata differs
on purpose, the test says so and docs/vec.md ("Approximate search") says it too.

Not applicable, one line per group of cases:
- Shadow tables by name and content (t_rescore_chunks00, t_rescore_vectors00, t_ivf_cells00,
  t_ivf_rowid_map00, t_ivf_vectors00, t_vectors00, t_diskann_nodes00, t_info's
  diskann_medoid_00 and ivf_trained_0, cell blob sizes, neighbor_ids/neighbors_validity
  layouts, syrupy snapshots of shadow rows): strata's layout is its own (docs/vec.md,
  Storage); what those cases check through them (rows in or out of clusters, counts after
  deletes, tables dropped with the table) is checked here through strata's tables.
- Graph internals seen through those tables (bidirectional edges after two inserts, no node
  naming a deleted row, the medoid moving when it is deleted, NULL when the graph empties):
  strata keeps a deleted node as a tombstone until 'optimize' (FreshDiskANN) and moves its
  entry node as the graph grows; what users see (deleted rows never returned, every live row
  reachable) is tested here, and the graph rows are checked in test_vec0_ann.py.
- `UPDATE t_info SET value = 42 WHERE key = 'diskann_medoid_00'` (writing a shadow table by
  hand): strata has no such key.
- test-unit.c's tests of internal C functions (quantizers, candidate lists, visited sets,
  pruning, node sizes) and tests/fuzz/*.c: internal APIs; strata's own are tests/vec/unit_*.c
  and its fuzz regressions.
- `ORDER BY distance LIMIT n` instead of `k = n`: Debian 12's SQLite 3.40 cannot hand LIMIT to a
  virtual table; the cases run here with `k = n`, and the LIMIT form has its own test under a
  newer SQLite (test_vec0.py::test_limit_form_on_newer_sqlite; here for an indexed table).
- sqlite3.Row access by column name and `exec()` returning {"error": ...}: test harness only.
- IVF being compiled out unless SQLITE_VEC_EXPERIMENTAL_IVF_ENABLE: strata always has it.
"""

import json
import re
import sqlite3
import struct

import numpy as np
import pytest

import helpers

CLUSTER_CHUNKS = 1 << 32  # an ivf cluster's chunks have ids from here on (docs/vec.md, Storage)


def f32(values):
    return struct.pack(f"{len(values)}f", *values)


def knn(db, q, k, table="t", col="emb", where=""):
    sql = f"select rowid, distance from {table} where {col} match ? and k = ? {where}"
    return db.execute(sql, (f32(q) if not isinstance(q, bytes) else q, k)).fetchall()


def exact(rows, q, k, metric="l2"):
    """numpy's k nearest of {rowid: vector}, ties by rowid: [(rowid, distance)]."""
    ids = np.array(sorted(rows))
    x = np.array([rows[i] for i in ids], dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if metric == "cosine":
        d = 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    else:
        d = np.sqrt(((x - q) ** 2).sum(1))
    order = np.lexsort((ids, d))[:k]
    return [(int(ids[i]), float(d[i])) for i in order]


def assert_exact(got, want):
    assert [r[0] for r in got] == [r[0] for r in want]
    np.testing.assert_allclose([r[1] for r in got], [r[1] for r in want], rtol=1e-5, atol=1e-5)


def fill(db, rows, table="t", col="emb"):
    db.execute("begin")
    db.executemany(f"insert into {table}(rowid, {col}) values (?, ?)",
                   [(rid, f32(v)) for rid, v in rows.items()])
    db.execute("commit")


def gauss(seed, n, d, start=1):
    rng = np.random.default_rng(seed)
    return {start + i: rng.normal(size=d).astype(np.float32).tolist() for i in range(n)}


def in_clusters(db, table="t"):
    """(rows in ivf clusters, rows not yet assigned to one)."""
    inside, outside = db.execute(
        f"select coalesce(sum(count) filter (where chunk_id >= {CLUSTER_CHUNKS}), 0), "
        f"coalesce(sum(count) filter (where chunk_id < {CLUSTER_CHUNKS}), 0) from {table}_chunks"
    ).fetchone()
    return inside, outside


RESCORE_BIT = "indexed by rescore(quantizer=bit)"
RESCORE_INT8 = "indexed by rescore(quantizer=int8)"
IVF = "indexed by ivf(nlist=2, nprobe=2)"
DISKANN_BIN = "indexed by diskann(neighbor_quantizer=binary, n_neighbors=8)"
DISKANN_INT8 = "indexed by diskann(neighbor_quantizer=int8, n_neighbors=8)"
INDEXES = [RESCORE_BIT, RESCORE_INT8, IVF, DISKANN_BIN, DISKANN_INT8]


def make(db, decl, dims=8, extra="", table="t"):
    db.execute(f"create virtual table {table} using vec0(emb float[{dims}] {decl}{extra})")


def train(db, decl, table="t"):
    if "ivf" in decl:
        db.execute(f"insert into {table}({table}) values ('compute-centroids')")


# ---- declarations: the same in both ------------------------------------------------------------

ACCEPTED = [  # (dims, declaration): test-rescore, test-ivf*, test-diskann, test-unit, test-loadable
    (128, "indexed by rescore(quantizer=bit)"),
    (128, "indexed by rescore(quantizer=int8)"),
    (128, "indexed by rescore(quantizer=bit, oversample=16)"),
    (128, "distance_metric=cosine indexed by rescore(quantizer=bit)"),
    (8, "indexed by rescore(quantizer=bit, oversample=128)"),
    (100, "indexed by rescore(quantizer=int8)"),
    (8, "INDEXED BY RESCORE(QUANTIZER=INT8)"),
    (4, "indexed by ivf()"),
    (4, "indexed by ivf(nlist=64, nprobe=8)"),
    (4, "distance_metric=cosine indexed by ivf(nlist=16)"),
    (4, "indexed by ivf(nlist=0)"),
    (4, "indexed by ivf(nlist=65536)"),
    (768, "indexed by ivf(nlist=64, quantizer=binary, oversample=10)"),
    (768, "indexed by ivf(nlist=64, quantizer=int8)"),
    (768, "indexed by ivf(quantizer=none)"),
    (768, "distance_metric=cosine indexed by ivf(nlist=128, nprobe=16, quantizer=int8, oversample=4)"),
    (8, "indexed by ivf(nlist=32, nprobe=4, quantizer=int8, oversample=2)"),
    (8, "indexed by ivf(oversample=1)"),
    (16, "indexed by ivf(quantizer=binary)"),
    (128, "indexed by diskann(neighbor_quantizer=binary)"),
    (64, "indexed by diskann(neighbor_quantizer=int8)"),
    (128, "indexed by diskann(neighbor_quantizer=binary, n_neighbors=48, search_list_size=256)"),
    (128, "distance_metric=cosine indexed by diskann(neighbor_quantizer=binary)"),
    (128, "distance_metric=cosine indexed by diskann(neighbor_quantizer=int8)"),
    (128, "indexed by diskann(neighbor_quantizer=binary, search_list_size_search=256, "
          "search_list_size_insert=64)"),
    (128, "indexed by diskann(neighbor_quantizer=binary, search_list_size_search=200)"),
    (128, "indexed by diskann(neighbor_quantizer=binary, n_neighbors=256)"),
    (128, "indexed by DISKANN(NEIGHBOR_QUANTIZER=BINARY)"),
    (13, "indexed by diskann(neighbor_quantizer=int8)"),
    (4, "indexed by flat()"),
    (4, "distance_metric=cosine indexed by flat()"),
]


@pytest.mark.parametrize("dims, decl", ACCEPTED)
def test_accepted_declarations_answer_exactly_on_small_tables(vdb, dims, decl):
    """Each declaration both accept; on 30 rows every index answers as numpy does, and DROP
    TABLE leaves no shadow table behind (test_drop_cleans_up, test_ivf_drop_cleans_up)."""
    make(vdb, decl, dims)
    rows = gauss(dims, 30, dims)
    fill(vdb, rows)
    if "ivf" in decl:  # 30 rows make 2 clusters, whatever nlist says (strata refuses 30 < nlist)
        vdb.execute("insert into t(t) values ('compute-centroids:{\"nlist\": 2}')")
    metric = "cosine" if "cosine" in decl else "l2"
    for q in list(rows.values())[:3]:
        assert_exact(knn(vdb, q, 5), exact(rows, q, 5, metric))
    vdb.execute("insert into t(t) values ('integrity_check')")
    vdb.execute("drop table t")
    assert vdb.execute("select count(*) from sqlite_master").fetchone()[0] == 0


@pytest.mark.parametrize("decl", ["emb int8[4] indexed by flat()", "emb bit[8] indexed by flat()"])
def test_flat_on_int8_and_bit_columns(vdb, decl):
    vdb.execute(f"create virtual table t using vec0({decl})")
    fn = "vec_int8" if "int8" in decl else "vec_bit"
    arg = "'[1, 2, 3, 4]'" if "int8" in decl else "X'0F'"
    vdb.execute(f"insert into t(rowid, emb) values (1, {fn}({arg}))")
    assert vdb.execute(f"select rowid, distance from t where emb match {fn}({arg}) and k = 1"
                       ).fetchall() == [(1, 0.0)]


REFUSED = [  # (declaration, strata's error): refused by both
    ("emb float[128] indexed by rescore(quantizer=float)", "unknown quantizer 'float'"),
    ("emb bit[1024] indexed by rescore(quantizer=bit)", "indexes float32 and float16 columns, not bit"),
    ("emb int8[128] indexed by rescore(quantizer=bit)", "indexes float32 and float16 columns, not int8"),
    ("emb float[128] indexed by rescore(quantizer=bit, oversample=0)", "oversample must be an integer from 1 to 128, got '0'"),
    ("emb float[128] indexed by rescore(quantizer=bit, oversample=999)", "oversample must be an integer from 1 to 128, got '999'"),
    ("emb float[100] indexed by rescore(quantizer=bit)", "dimension divisible by 8 (column 'emb' has 100)"),
    ("emb float[4] indexed by ivf(bogus=1)", "unknown option 'bogus' in ivf(...)"),
    ("emb float[4] indexed by ivf(nlist=4, nprobe=10)", "nprobe (10) is larger than nlist (4)"),
    ("emb float[768] indexed by ivf(quantizer=pq)", "unknown quantizer 'pq' in ivf(...)"),
    ("emb float[12] indexed by ivf(quantizer=binary)", "dimension divisible by 8 (column 'emb' has 12)"),
    ("emb float[4] indexed by ivf(nlist=65537)", "nlist must be an integer from 0 to 65536"),
    ("emb float[768] indexed by ivf(quantizer=none, oversample=10)", "oversample needs a quantizer"),
    ("emb float[128] indexed by diskann(neighbor_quantizer=unknown)", "unknown neighbor_quantizer 'unknown'"),
    ("emb float[128] indexed by diskann(neighbor_quantizer=binary, n_neighbors=512)", "n_neighbors must be an integer from 2 to 256"),
    ("emb bit[128] indexed by diskann(neighbor_quantizer=binary)", "not bit column 'emb'"),
    ("emb float[13] indexed by diskann(neighbor_quantizer=binary)", "dimension divisible by 8 (column 'emb' has 13)"),
    ("emb float[128] indexed by diskann(neighbor_quantizer=binary, search_list_size=128, "
     "search_list_size_search=256)", "takes search_list_size or search_list_size_search"),
    ("emb float[128] indexed by diskann(neighbor_quantizer=binary, search_list_size=128, "
     "search_list_size_insert=64)", "takes search_list_size or search_list_size_search"),
    ("emb float[128] indexed diskann(neighbor_quantizer=binary)", "expected 'indexed by <index>(...)'"),
    ("emb float[128] indexed by hnsw(neighbor_quantizer=binary)", "unknown index 'hnsw'"),
    ("emb float[128] indexed by diskann(neighbor_quantizer=binary, foobar=baz)", "unknown option 'foobar'"),
    ("emb float[4] indexed by unknown()", "unknown index 'unknown' on column 'emb' (flat, rescore, ivf, diskann)"),
    ("emb float[4] indexed by", "expected 'indexed by <index>(...)' on column 'emb'"),
    # sqlite-vec 0.1.10 accepts diskann on int8 columns, then ranks their rows with wrong
    # distances (measured: 148.0 for a row at 269.0); strata indexes float columns only
    ("emb int8[128] indexed by diskann(neighbor_quantizer=int8)", "not int8 column 'emb'"),
]


@pytest.mark.parametrize("decl, message", REFUSED)
def test_refused_declarations(vdb, decl, message):
    with pytest.raises(sqlite3.OperationalError,
                       match="^vec0 constructor error: .*" + re.escape(message)):
        vdb.execute(f"create virtual table t using vec0({decl})")


# ---- declarations: different on purpose -------------------------------------------------------

DEFAULTED = [  # sqlite-vec 0.1.10 requires the quantizer; strata defaults it (docs/vec.md)
    ("indexed by rescore(oversample=8)", 8),
    ("indexed by rescore()", 8),
    ("indexed by diskann()", 8),
    ("indexed by diskann(n_neighbors=72)", 8),
    ("indexed by diskann(neighbor_quantizer=binary, n_neighbors=13)", 8),  # not a multiple of 8
    ("indexed by diskann(neighbor_quantizer=binary, oversample=4)", 8),
    ("indexed by ivf(oversample=10)", 8),  # strata's ivf quantizes to int8 by default
    ("indexed by rescore(quantizer=binary)", 8),
    ("indexed by ivf(quantizer=bit)", 8),
]


@pytest.mark.parametrize("decl, dims", DEFAULTED)
def test_declarations_sqlite_vec_refuses_but_strata_accepts(vdb, decl, dims):
    make(vdb, decl, dims)
    rows = gauss(7, 40, dims)
    fill(vdb, rows)
    train(vdb, decl)
    q = rows[3]
    assert_exact(knn(vdb, q, 5), exact(rows, q, 5))


def test_two_ivf_columns_are_refused(vdb):
    """sqlite-vec 0.1.10 accepts two ivf columns; strata's clusters place each row's chunks,
    so one column per table can have them (docs/vec.md)."""
    with pytest.raises(sqlite3.OperationalError, match="only one vector column can have an ivf"):
        vdb.execute("create virtual table t using vec0(a float[8] indexed by ivf(), "
                    "b float[8] indexed by ivf())")


@pytest.mark.parametrize("decl", [RESCORE_BIT, RESCORE_INT8, "indexed by ivf(nlist=4, nprobe=4)",
                                  DISKANN_BIN])
@pytest.mark.parametrize("column", ["genre text", "user_id integer partition key",
                                    "user_id text partition key"])
def test_metadata_and_partition_columns_with_an_index(vdb, decl, column):
    """test_create_error_with_metadata_column / _partition_key (rescore, ivf, diskann):
    sqlite-vec 0.1.10 refuses them; strata filters inside the search, and the answer is numpy's
    exact one over the allowed rows."""
    name = column.split()[0]
    make(vdb, decl, extra=f", {column}")
    rows = gauss(11, 60, 8)
    value = {i: ("ab"[i % 2] if "text" in column else i % 2) for i in rows}
    vdb.execute("begin")
    vdb.executemany(f"insert into t(rowid, emb, {name}) values (?, ?, ?)",
                    [(i, f32(v), value[i]) for i, v in rows.items()])
    vdb.execute("commit")
    train(vdb, decl)
    want_value = value[2]
    allowed = {i: v for i, v in rows.items() if value[i] == want_value}
    for q in (rows[1], rows[2]):
        got = vdb.execute(f"select rowid, distance from t where emb match ? and k = 5 and {name} = ?",
                          (f32(q), want_value)).fetchall()
        assert_exact(got, exact(allowed, q, 5))


@pytest.mark.parametrize("decl", [IVF, DISKANN_BIN, DISKANN_INT8, RESCORE_INT8])
def test_update_of_an_indexed_vector(vdb, decl):
    """test_ivf_update_vector_blocked / test_diskann_update_vector: sqlite-vec 0.1.10 refuses
    ("UPDATE on vector column ... not supported"); strata moves the row in the index
    (test_update_vector of test-rescore-mutations, the same in both)."""
    make(vdb, decl)
    rows = {1: [1, 0, 0, 0, 0, 0, 0, 0], 2: [0, 1, 0, 0, 0, 0, 0, 0], 3: [0, 0, 1, 0, 0, 0, 0, 0]}
    rows.update(gauss(3, 20, 8, start=10))
    fill(vdb, rows)
    train(vdb, decl)
    rows[1] = [0, 0.9, 0.1, 0, 0, 0, 0, 0]
    vdb.execute("update t set emb = ? where rowid = 1", (f32(rows[1]),))
    for q in ([0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0]):
        assert_exact(knn(vdb, q, 3), exact(rows, q, 3))
    vdb.execute("insert into t(t) values ('integrity_check')")


# ---- KNN cases: the same in both ---------------------------------------------------------------

def axis(i, d=8, scale=1.0):
    v = [0.0] * d
    v[i % d] = scale
    return v


@pytest.mark.parametrize("decl", INDEXES)
def test_basic_queries(vdb, decl):
    """test_knn_basic_*, test_knn_returns_float_distances, test_knn_k_larger_than_n,
    test_single_row_knn, test_knn_empty_table, test_point_query_returns_float."""
    make(vdb, decl)
    assert knn(vdb, axis(0), 5) == []
    vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32([1, 0.5, 0, 0, 0, 0, 0, 0]),))
    assert_exact(knn(vdb, [1, 0.5, 0, 0, 0, 0, 0, 0], 5), [(1, 0.0)])
    rows = {1: [1, 0.5, 0, 0, 0, 0, 0, 0], 2: axis(7), 3: axis(1), 4: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]}
    for rid in (2, 3, 4):
        vdb.execute("insert into t(rowid, emb) values (?, ?)", (rid, f32(rows[rid])))
    train(vdb, decl)
    got = knn(vdb, [1, 0.5, 0, 0, 0, 0, 0, 0], 10)
    assert_exact(got, exact(rows, [1, 0.5, 0, 0, 0, 0, 0, 0], 10))
    assert got[1] == (3, pytest.approx(np.sqrt(1.25)))  # float distances, not quantized ones
    assert len(knn(vdb, axis(2), 100)) == 4
    stored = vdb.execute("select emb from t where rowid = 4").fetchone()[0]
    assert struct.unpack("8f", stored) == pytest.approx(rows[4])


@pytest.mark.parametrize("decl", INDEXES)
def test_deletes_never_come_back(vdb, decl):
    """test_delete_*, test_knn_after_delete(s), test_delete_interleaved_with_knn,
    test_knn_after_delete_all_but_one, test_delete_all_rows(_empty_results),
    test_delete_all_then_reinsert_batch, test_diskann_delete_all_then_insert,
    test_knn_empty_centroids_after_deletes: after each delete the answer is numpy's over the
    rows left."""
    make(vdb, decl)
    rows = gauss(42, 30, 8)
    fill(vdb, rows)
    train(vdb, decl)
    for rid in [5, 10, 15, 20, 25, 1, 2, 3]:
        vdb.execute("delete from t where rowid = ?", (rid,))
        del rows[rid]
        assert_exact(knn(vdb, [0.0] * 8, 10), exact(rows, [0.0] * 8, 10))
    for rid in list(rows):
        if rid != 17:
            vdb.execute("delete from t where rowid = ?", (rid,))
    assert [r[0] for r in knn(vdb, [0.0] * 8, 10)] == [17]
    vdb.execute("delete from t where rowid = 17")
    assert vdb.execute("select count(*) from t").fetchone()[0] == 0
    assert knn(vdb, [0.0] * 8, 5) == []
    fresh = {100 + i: [float(i)] * 8 for i in range(10)}
    fill(vdb, fresh)
    assert_exact(knn(vdb, [0.0] * 8, 5), exact(fresh, [0.0] * 8, 5))
    vdb.execute("delete from t where rowid = 999")  # not there: nothing happens
    assert vdb.execute("select count(*) from t").fetchone()[0] == 10
    vdb.execute("insert into t(t) values ('integrity_check')")


@pytest.mark.parametrize("decl", INDEXES)
def test_delete_then_reinsert_the_same_rowid(vdb, decl):
    """test_delete_then_reinsert_same_rowid, test_insert_after_delete_reuse_rowid,
    test_update_vector_via_delete_insert, test_delete_reinsert_as_update,
    test_diskann_insert_delete_insert_cycle, test_duplicate_rowid_insert_fails."""
    make(vdb, decl)
    rows = {i: [float(i)] * 8 for i in range(1, 11)}
    fill(vdb, rows)
    train(vdb, decl)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed"):
        vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32([99.0] * 8),))
    vdb.execute("delete from t where rowid = 1")
    vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32([200.0] * 8),))
    rows[1] = [200.0] * 8
    assert knn(vdb, [0.0] * 8, 1)[0][0] == 2
    assert_exact(knn(vdb, [199.0] * 8, 3), exact(rows, [199.0] * 8, 3))


@pytest.mark.parametrize("decl", INDEXES)
def test_rowid_in_and_text_primary_key(vdb, decl):
    """test_knn_with_rowid_in, test_delete_with_rowid_in_constraint,
    test_rescore_text_pk_insert_knn_delete, test_diskann_text_pk_insert_knn_delete."""
    make(vdb, decl)
    rows = {i: [float(i)] * 8 for i in range(1, 11)}
    fill(vdb, rows)
    train(vdb, decl)
    for rid in (3, 5, 7):
        vdb.execute("delete from t where rowid = ?", (rid,))
    got = knn(vdb, [1.0] * 8, 5, where="and rowid in (1, 2, 3, 4, 5)")
    assert_exact(got, exact({i: rows[i] for i in (1, 2, 4)}, [1.0] * 8, 5))
    vdb.execute(f"create virtual table p using vec0(id text primary key, emb float[8] {decl})")
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    vdb.executemany("insert into p(id, emb) values (?, ?)",
                    [(name, f32(axis(i))) for i, name in enumerate(names)])
    train(vdb, decl, table="p")
    sql = "select id, distance from p where emb match ? and k = 3"
    assert vdb.execute(sql, (f32(axis(0)),)).fetchall()[0] == ("alpha", 0.0)
    vdb.execute("delete from p where id = 'alpha'")
    got = vdb.execute(sql, (f32(axis(0)),)).fetchall()
    assert [r[0] for r in got] == ["beta", "gamma", "delta"]  # all at sqrt(2): ties by rowid
    assert [r[1] for r in got] == pytest.approx([np.sqrt(2)] * 3)


@pytest.mark.parametrize("decl", INDEXES)
def test_edge_values(vdb, decl):
    """test_zero_vector(s/_insert), test_very_large_values, test_large_values,
    test_diskann_insert_large_values, test_negative_values, test_knn_with_all_identical_vectors,
    test_single_dimension (8 dimensions there too)."""
    make(vdb, decl)
    rows = {1: [0.0] * 8, 2: [1.0] * 8, 3: [1e30] * 8, 4: [1e30, -1e30] * 4,
            5: [-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0],
            6: [-0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8], 7: [0.01] * 8, 8: [-1e6] * 8}
    fill(vdb, rows)
    train(vdb, decl)
    for q in ([0.0] * 8, rows[6], [1e3] * 8):
        assert_exact(knn(vdb, q, 3), exact(rows, q, 3))
    vdb.execute(f"create virtual table same using vec0(emb float[8] {decl})")
    fill(vdb, {i: [3, 1, 4, 1, 5, 9, 2, 6] for i in range(1, 11)}, table="same")
    train(vdb, decl, table="same")
    got = knn(vdb, [3, 1, 4, 1, 5, 9, 2, 6], 10, table="same")
    assert got == [(i, 0.0) for i in range(1, 11)]


@pytest.mark.parametrize("decl", INDEXES)
def test_cosine(vdb, decl):
    """test_knn_cosine, test_knn_int8_cosine, test_diskann_knn_cosine_metric."""
    vdb.execute(f"create virtual table t using vec0(emb float[8] distance_metric=cosine {decl})")
    rows = {1: axis(0), 2: axis(1), 3: [1, 0.1, 0, 0, 0, 0, 0, 0], 4: [0.7, 0.7, 0, 0, 0, 0, 0, 0]}
    fill(vdb, rows)
    train(vdb, decl)
    assert_exact(knn(vdb, axis(0), 4), exact(rows, axis(0), 4, "cosine"))


@pytest.mark.parametrize("decl", INDEXES)
def test_wrong_dimensions_are_errors(vdb, decl):
    """test_diskann_insert_wrong_dimensions, test_diskann_knn_wrong_query_dimensions."""
    make(vdb, decl)
    with pytest.raises(sqlite3.OperationalError, match="expected 8 dimensions"):
        vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32([1.0] * 4),))
    vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32([1.0] * 8),))
    with pytest.raises(sqlite3.OperationalError, match="dimension"):
        knn(vdb, [1.0] * 4, 1)


@pytest.mark.parametrize("decl", [RESCORE_BIT, DISKANN_BIN])
def test_auxiliary_columns(vdb, decl):
    """test-auxiliary.py's rescore and diskann cases, test_create_with_aux_column,
    test_ivf_with_auxiliary_column, test_diskann_create_with_auxiliary_column: KNN returns
    the auxiliary values, UPDATE changes them, DELETE removes them."""
    make(vdb, decl, extra=", +label text, +score float")
    for i, label in enumerate(["red", "green", "blue", "cyan", "pink"]):
        vdb.execute("insert into t(rowid, emb, label, score) values (?, ?, ?, ?)",
                    (i + 1, f32(axis(i)), label, i / 2))
    vdb.execute("update t set label = 'UPDATED' where rowid = 2")
    vdb.execute("delete from t where rowid = 3")
    assert vdb.execute("select rowid, label, score from t order by rowid").fetchall() == [
        (1, "red", 0.0), (2, "UPDATED", 0.5), (4, "cyan", 1.5), (5, "pink", 2.0)]
    got = vdb.execute("select label, distance from t where emb match ? and k = 2",
                      (f32(axis(0)),)).fetchall()
    assert got == [("red", 0.0), ("UPDATED", pytest.approx(np.sqrt(2)))]
    assert vdb.execute("select rowid, value00 from t_auxiliary order by rowid").fetchall() == [
        (1, "red"), (2, "UPDATED"), (4, "cyan"), (5, "pink")]


def test_multiple_vector_columns(vdb):
    """test_multiple_vector_columns: one column with rescore, one without."""
    vdb.execute("create virtual table t using vec0(v1 float[8] indexed by rescore(quantizer=bit), "
                "v2 float[8])")
    vdb.execute("insert into t(rowid, v1, v2) values (1, ?, ?), (2, ?, ?)",
                (f32([1.0] * 8), f32([0.0] * 8), f32([0.0] * 8), f32([1.0] * 8)))
    assert knn(vdb, [1.0] * 8, 1, col="v1")[0][0] == 1
    assert knn(vdb, [1.0] * 8, 1, col="v2")[0][0] == 2


# ---- recall, on the peer's data: exact answers from numpy -------------------------------------

def recall(db, rows, queries, k, table="t"):
    hits = 0
    for q in queries:
        got = {r[0] for r in knn(db, q, k, table=table)}
        hits += len(got & {r for r, _ in exact(rows, q, k)})
    return hits / (k * len(queries))


# The peer's own floors, then strata's recall@10 and sqlite-vec 0.1.10's (AVX build) on the same
# rows and queries, measured by hand: random vectors have few neighbours worth finding, and 16
# or 32 bits per vector rank them coarsely.
@pytest.mark.parametrize("decl, dims, n, floor", [
    # test_knn_recall (0.7): 0.755 / 0.75
    ("indexed by rescore(quantizer=bit, oversample=16)", 32, 1000, 0.7),
    # test_insert_batch_recall (0.6)
    ("indexed by rescore(quantizer=int8, oversample=16)", 16, 150, 0.95),
    # test_diskann_knn_batch_recall (3 of 5): 0.925 / 0.79
    ("indexed by diskann(neighbor_quantizer=binary, n_neighbors=16)", 16, 150, 0.85),
    # test_diskann_insert_large_batch (10 rows come back): 0.665 / 0.555
    ("indexed by diskann(neighbor_quantizer=binary, n_neighbors=16)", 16, 500, 0.6),
    # test_diskann_insert_int8_quantizer_knn
    ("indexed by diskann(neighbor_quantizer=int8, n_neighbors=8)", 16, 30, 1.0),
])
def test_recall_on_gaussian_vectors(vdb, decl, dims, n, floor):
    make(vdb, decl, dims)
    rows = gauss(n + dims, n, dims)
    fill(vdb, rows)
    queries = list(gauss(1, 20, dims).values())
    assert recall(vdb, rows, queries, 10) >= floor


def test_diskann_top1_finds_every_row(vdb):
    """test_diskann_knn_recall_after_inserts (>= 80 %), test_diskann_delete_preserves_graph_
    connectivity and _after_many_deletes, test_diskann_knn_after_heavy_churn,
    test_diskann_delete_reinsert_cycle_knn: every live row is its own nearest neighbour."""
    make(vdb, "indexed by diskann(neighbor_quantizer=binary, n_neighbors=16)")
    rows = gauss(200, 50, 8)
    fill(vdb, rows)
    assert all(knn(vdb, v, 1)[0][0] == rid for rid, v in rows.items())
    for rid in range(2, 51, 2):
        vdb.execute("delete from t where rowid = ?", (rid,))
        del rows[rid]
    fresh = gauss(321, 25, 8, start=51)
    fill(vdb, fresh)
    rows.update(fresh)
    assert all(knn(vdb, v, 1)[0][0] == rid for rid, v in rows.items())
    for rid in list(rows)[:40]:
        vdb.execute("delete from t where rowid = ?", (rid,))
        del rows[rid]
    assert all(knn(vdb, v, 1)[0][0] == rid for rid, v in rows.items())
    assert_exact(knn(vdb, [0.0] * 8, 10), exact(rows, [0.0] * 8, 10))


@pytest.mark.parametrize("quantizer", ["int8", "binary"])
@pytest.mark.parametrize("change", ["reinsert", "update"])
def test_diskann_identical_vectors_stay_reachable(vdb, quantizer, change):
    """A strata bug found with test_delete_then_reinsert_same_rowid: identical vectors prune to
    one edge each, so re-inserting or updating the one the others point to cut them off, and
    a query returned fewer rows than asked for (2 of 1,200). The search now answers exactly
    when the graph yields fewer than k rows of a table holding more."""
    make(vdb, f"indexed by diskann(neighbor_quantizer={quantizer})")
    same = [0.5, -0.25, 1, 2, -1, 0.5, 0.5, 3]
    rows = {i: same for i in range(1, 301)}
    rows.update({i: [x + (i % 7) * 0.3 for x in same] for i in range(301, 401)})
    fill(vdb, rows)
    rows[1] = [1.0] * 8
    if change == "reinsert":
        vdb.execute("delete from t where rowid = 1")
        vdb.execute("insert into t(rowid, emb) values (1, ?)", (f32(rows[1]),))
    else:
        vdb.execute("update t set emb = ? where rowid = 1", (f32(rows[1]),))
    assert_exact(knn(vdb, same, 350), exact(rows, same, 350))
    assert_exact(knn(vdb, same, 5), exact(rows, same, 5))


def test_oversample_trades_speed_for_recall(vdb):
    """test_oversample_effect, test_runtime_oversample: more candidates never lose recall, and
    setting the declared value back gives the same rows again."""
    make(vdb, "indexed by rescore(quantizer=bit, oversample=2)", 128)
    rows = gauss(200, 200, 128)
    fill(vdb, rows)
    queries = list(gauss(201, 10, 128).values())
    low = [knn(vdb, q, 10) for q in queries]
    r_low = recall(vdb, rows, queries, 10)
    vdb.execute("insert into t(t) values ('oversample=32')")
    r_high = recall(vdb, rows, queries, 10)
    assert r_high >= max(r_low, 0.9)
    vdb.execute("insert into t(t) values ('oversample=2')")
    assert [knn(vdb, q, 10) for q in queries] == low
    assert all(len(r) == 10 for r in low)


# ---- ivf: training and assignment -------------------------------------------------------------

def test_compute_centroids_assigns_every_row(vdb):
    """test_ivf_insert_flat_mode, test_ivf_delete_flat_mode, test_delete_flat_mode_rowid_map_
    count, test_compute_centroids(_recompute), test_ivf_insert_after_training,
    test_ivf_delete_after_training, test_clear_centroids, test_large_batch_with_training."""
    make(vdb, "indexed by ivf(nlist=4)", 4)
    rows = {i: [i % 10, i // 10, 0, 0] for i in range(40)}
    fill(vdb, rows)
    vdb.execute("delete from t where rowid in (0, 2, 4)")
    for rid in (0, 2, 4):
        del rows[rid]
    assert in_clusters(vdb) == (0, 37)
    vdb.execute("insert into t(t) values ('compute-centroids')")
    assert in_clusters(vdb) == (37, 0)
    assert vdb.execute("select count(*) from t_centroids00").fetchone()[0] == 4
    vdb.execute("insert into t(t) values ('compute-centroids')")
    assert vdb.execute("select count(*) from t_centroids00").fetchone()[0] == 4
    assert in_clusters(vdb) == (37, 0)
    vdb.execute("insert into t(rowid, emb) values (100, ?)", (f32([5, 0, 0, 0]),))
    rows[100] = [5, 0, 0, 0]
    vdb.execute("delete from t where rowid = 5")
    del rows[5]
    assert in_clusters(vdb) == (37, 0)
    vdb.execute("insert into t(t) values ('nprobe=4')")
    assert_exact(knn(vdb, [5, 1, 0, 0], 10), exact(rows, [5, 1, 0, 0], 10))
    vdb.execute("insert into t(t) values ('clear-centroids')")
    assert vdb.execute("select count(*) from t_centroids00").fetchone()[0] == 0
    assert in_clusters(vdb) == (0, 37)
    assert_exact(knn(vdb, [5, 1, 0, 0], 10), exact(rows, [5, 1, 0, 0], 10))
    vdb.execute("insert into t(t) values ('integrity_check')")


def test_probing_every_cluster_is_exact(vdb):
    """test_ivf_knn_after_training, test_ivf_recall_nprobe_equals_nlist,
    test_batch_insert_knn_recall, test_knn_correct_distances, test_ivf_knn_k_larger_than_n,
    test_interleaved_ops_correctness, test_knn_after_interleaved_insert_delete,
    test_large_batch_with_training."""
    make(vdb, "indexed by ivf(nlist=8, nprobe=8)", 4)
    rows = {i: [float(i), 0, 0, 0] for i in range(500)}
    fill(vdb, rows)
    vdb.execute("insert into t(t) values ('compute-centroids')")
    fill(vdb, {i: [float(i), 0, 0, 0] for i in range(500, 1000)})
    rows.update({i: [float(i), 0, 0, 0] for i in range(500, 1000)})
    for rid in list(range(0, 50, 2)) + list(range(600, 610)):
        vdb.execute("delete from t where rowid = ?", (rid,))
        del rows[rid]
    assert in_clusters(vdb) == (len(rows), 0)
    for q in ([50.0, 0, 0, 0], [750.0, 0, 0, 0], [25.0, 0, 0, 0], [605.0, 0, 0, 0]):
        assert_exact(knn(vdb, q, 20), exact(rows, q, 20))
    make(vdb, "indexed by ivf(nlist=2, nprobe=2)", 4, table="small")
    fill(vdb, {1: [0, 0, 0, 0], 2: [3, 0, 0, 0], 3: [0, 4, 0, 0]}, table="small")
    vdb.execute("insert into small(small) values ('compute-centroids')")
    assert knn(vdb, [0, 0, 0, 0], 100, table="small") == [(1, 0.0), (2, 3.0), (3, 4.0)]


def test_set_centroid_assign_vectors_and_one_big_cluster(vdb):
    """test_set_centroid_and_assign (nlist=0), test_cell_overflow_many_vectors (more rows in one
    cluster than a chunk holds: 300 here, as strata's cluster chunks hold 128, the peer's cells
    64), test_single_row_compute_centroids."""
    make(vdb, "indexed by ivf(nlist=0)", 4)
    rows = {i: [i, 0, 0, 0] for i in range(20)}
    fill(vdb, rows)
    vdb.execute("insert into t(t, emb) values ('set-centroid:0', ?)", (f32([5, 0, 0, 0]),))
    vdb.execute("insert into t(t, emb) values ('set-centroid:1', ?)", (f32([15, 0, 0, 0]),))
    assert vdb.execute("select count(*) from t_centroids00").fetchone()[0] == 2
    vdb.execute("insert into t(t) values ('assign-vectors')")
    assert in_clusters(vdb) == (20, 0)
    make(vdb, "indexed by ivf(nlist=0)", 4, table="one")
    many = {i: [1.0 + i * 0.001, 0, 0, 0] for i in range(300)}
    fill(vdb, many, table="one")
    vdb.execute("insert into one(one, emb) values ('set-centroid:0', ?)", (f32([1, 0, 0, 0]),))
    vdb.execute("insert into one(one) values ('assign-vectors')")
    assert in_clusters(vdb, "one") == (300, 0)
    assert vdb.execute(f"select count(*) from one_chunks where chunk_id >= {CLUSTER_CHUNKS}"
                       ).fetchone()[0] == 3
    assert_exact(knn(vdb, [1, 0, 0, 0], 300, table="one"), exact(many, [1, 0, 0, 0], 300))
    make(vdb, "indexed by ivf(nlist=1)", 4, table="single")
    vdb.execute("insert into single(rowid, emb) values (1, ?)", (f32([1, 2, 3, 4]),))
    vdb.execute("insert into single(single) values ('compute-centroids')")
    assert in_clusters(vdb, "single") == (1, 0)
    assert knn(vdb, [1, 2, 3, 4], 1, table="single") == [(1, 0.0)]


@pytest.mark.parametrize("decl", ["indexed by ivf(nlist=2, quantizer=int8, oversample=4)",
                                  "indexed by ivf(nlist=2, quantizer=binary, oversample=4)",
                                  "indexed by ivf(nlist=4, quantizer=int8, oversample=1)",
                                  "indexed by ivf(nlist=4, quantizer=int8, oversample=10)"])
def test_quantized_ivf(vdb, decl):
    """test_ivf_int8_insert_and_query, test_ivf_binary_insert_and_query,
    test_ivf_int8_oversample_improves_recall, test_ivf_quantized_delete."""
    make(vdb, decl)
    rows = {i: [(i * 0.1 - 1.0) + j * 0.3 for j in range(8)] for i in range(20)}
    rows.update({i: [i * 0.1, (i * 0.1) % 3, (i * 0.3) % 5, i * 0.01, 1, -1, 0.5, -0.5]
                 for i in range(20, 100)})
    fill(vdb, rows)
    vdb.execute("insert into t(t) values ('compute-centroids')")
    vdb.execute("delete from t where rowid = 5")
    del rows[5]
    assert in_clusters(vdb) == (99, 0)
    vdb.execute(f"insert into t(t) values ('nprobe={2 if 'nlist=2' in decl else 4}')")
    q = [5.0, 1.5, 2.5, 0.5, 1, -1, 0.5, -0.5]
    got = knn(vdb, q, 10)
    want = exact(rows, q, 10)
    assert len(got) == 10
    assert len({r[0] for r in got} & {r[0] for r in want}) >= (7 if "oversample=1)" in decl else 9)
    for rid, d in got:  # distances are exact: rescored from the stored vectors
        assert d == pytest.approx(exact({rid: rows[rid]}, q, 1)[0][1], rel=1e-5)


# ---- commands ---------------------------------------------------------------------------------

def test_search_list_size_commands(vdb):
    """test_diskann_command_search_list_size: search_list_size_search=, search_list_size_insert=
    and search_list_size= at runtime; a longer list never loses recall. sqlite-vec re-ranks every
    node its walk expands with the full vector (recall@5 1.0 here at a list of 256, measured),
    strata the best k x oversample by their binary copies (0.7 at oversample 8): more of them
    reach 0.95 (docs/vec.md)."""
    make(vdb, "indexed by diskann(neighbor_quantizer=binary)", 64)
    rows = gauss(42, 300, 64)
    vdb.execute("insert into t(t) values ('search_list_size_insert=8')")
    fill(vdb, dict(list(rows.items())[:150]))
    vdb.execute("insert into t(t) values ('search_list_size_insert=128')")
    fill(vdb, dict(list(rows.items())[150:]))
    queries = list(gauss(43, 10, 64).values())
    vdb.execute("insert into t(t) values ('search_list_size_search=4')")
    short = recall(vdb, rows, queries, 5)
    vdb.execute("insert into t(t) values ('search_list_size_search=256')")
    long = recall(vdb, rows, queries, 5)
    assert long >= short
    vdb.execute("insert into t(t) values ('oversample=64')")
    assert recall(vdb, rows, queries, 5) >= 0.95
    vdb.execute("insert into t(t) values ('search_list_size=64')")
    vdb.execute("insert into t(emb) values (?)", (f32([0.5] * 64),))
    assert len(knn(vdb, queries[0], 5)) == 5
    vdb.execute("insert into t(t) values ('integrity_check')")


def test_search_list_size_insert_is_used(vdb):
    """search_list_size_insert=N changes the list inserts search the graph with (a list of 1
    builds another graph than the default), and search_list_size=N sets it too, as in the
    declaration and in sqlite-vec."""
    graphs = {}
    for table, cmd in (("a", "search_list_size_insert=1"), ("b", "search_list_size_insert=64"),
                       ("c", "search_list_size=1")):
        make(vdb, "indexed by diskann(neighbor_quantizer=int8, n_neighbors=4, buffer_threshold=0)",
             16, table=table)
        vdb.execute(f"insert into {table}({table}) values (?)", (cmd,))
        fill(vdb, gauss(5, 400, 16), table=table)
        graphs[table] = vdb.execute(f"select group_concat(hex(neighbors)) from {table}_graph00"
                                    ).fetchone()[0]
    assert graphs["a"] != graphs["b"]
    assert graphs["a"] == graphs["c"]


@pytest.mark.parametrize("decl, cmd, message", [
    (RESCORE_BIT, "oversample=0", "vec0: oversample must be an integer from 1 to 128"),
    (RESCORE_BIT, "oversample=-5", "vec0: oversample must be an integer from 1 to 128"),
    (RESCORE_BIT, "not_a_real_command", "vec0: unknown vec0 command 'not_a_real_command'"),
    (DISKANN_BIN, "search_list_size=0", "vec0: search_list_size must be an integer from 1 to 4096"),
    (DISKANN_BIN, "search_list_size=-1", "vec0: search_list_size must be an integer from 1 to 4096"),
    (DISKANN_BIN, "search_list_size_search=0", "vec0: search_list_size_search must be an integer"),
    (DISKANN_BIN, "search_list_size_insert=0", "vec0: search_list_size_insert must be an integer"),
    (IVF, "nprobe=0", "vec0: nprobe must be an integer from 1"),
    (IVF, "compute-centroids", "vec0: compute-centroids: 0 rows cannot make 2 clusters"),
    (IVF, "set-centroid:0", "vec0: set-centroid:0 needs the centroid in column \"emb\""),
    # sqlite-vec 0.1.10 takes any positive number at runtime; strata the declaration's range
    (RESCORE_BIT, "oversample=200", "vec0: oversample must be an integer from 1 to 128"),
    (DISKANN_BIN, "search_list_size=5000", "vec0: search_list_size must be an integer from 1 to 4096"),
    # sqlite-vec 0.1.10 says "unknown vec0 command: 'nprobe=4'" for a table without the index
    (RESCORE_BIT, "nprobe=4", "vec0: nprobe=4: no column of t has an ivf index"),
    (RESCORE_BIT, "search_list_size=8", "vec0: search_list_size=8: no column of t has a diskann"),
    # sqlite-vec 0.1.10 ignores oversample= on a table without a rescore column
    ("", "oversample=4", "vec0: oversample: no column of t has a rescore or quantized ivf index"),
])
def test_command_errors(vdb, decl, cmd, message):
    """test_runtime_oversample_error, test_unknown_command_errors,
    test_diskann_command_search_list_size_error. sqlite-vec's texts differ ("oversample must be
    >= 1", "unknown vec0 command: 'x'"); an unknown command's error contains "unknown vec0
    command" in both (docs/vec.md)."""
    make(vdb, decl)
    with pytest.raises(sqlite3.OperationalError, match="^" + re.escape(message)):
        vdb.execute("insert into t(t) values (?)", (cmd,))


def test_assign_vectors_without_centroids_does_nothing(vdb):
    """sqlite-vec 0.1.10: 'No centroids'. strata: the rows stay out of clusters and every query
    scans them."""
    make(vdb, IVF)
    rows = gauss(9, 10, 8)
    fill(vdb, rows)
    vdb.execute("insert into t(t) values ('assign-vectors')")
    assert in_clusters(vdb) == (0, 10)
    assert_exact(knn(vdb, rows[1], 3), exact(rows, rows[1], 3))


@pytest.mark.parametrize("decl", [RESCORE_BIT, RESCORE_INT8, DISKANN_INT8])
@pytest.mark.parametrize("table, column", [("chunks", "validity"), ("chunkrowids", "rowids")])
def test_corrupt_chunk_rows_are_errors(vdb, decl, table, column):
    """test_corrupt_zeroblob_validity, test_corrupt_truncated_validity_blob (and
    test_corrupt_truncated_node_blob: test_vec0_ann.py's hostile graph rows): a chunk whose
    validity bitmap or slot rowids have the wrong size is an error naming the chunk, not a
    crash. A diskann query reaches rows through the graph and t_rowids, never through those,
    so it still answers; integrity_check reports them."""
    make(vdb, decl)
    fill(vdb, {1: axis(0), 2: axis(1)})
    if "diskann" in decl:
        vdb.execute("insert into t(t) values ('optimize')")  # the rows join the graph
    vdb.execute(f"update t_{table} set {column} = x'00'")
    if "diskann" in decl:
        assert knn(vdb, axis(0), 1) == [(1, 0.0)]
    else:
        with pytest.raises(sqlite3.OperationalError, match="vec0: corrupt chunk 1"):
            knn(vdb, axis(0), 1)
    with pytest.raises(sqlite3.OperationalError, match="chunk 1 has a bad size or bitmap"):
        vdb.execute("insert into t(t) values ('integrity_check')")


def test_vec_debug_lists_the_indexes(vdb):
    """test_vec_debug_contains_rescore; sqlite-vec's conftest reads 'ivf' from the same line."""
    flags = vdb.execute("select vec_debug()").fetchone()[0].split("Build flags:")[1].split("\n")[0]
    assert {"rescore", "ivf", "diskann"} <= set(flags.split())


LIMIT_CODE = """
import json, sys
sys.path.insert(0, 'tests')
import helpers
db = helpers.connect('vec')
out = []
for decl in %r:
    db.execute("drop table if exists t")
    db.execute(f"create virtual table t using vec0(emb float[2] {decl})")
    db.executemany("insert into t(rowid, emb) values (?, ?)", [(i, f'[{i}, 0]') for i in range(1, 21)])
    out.append(db.execute("select rowid, distance from t where emb match '[0, 0]' "
                          "order by distance limit 3").fetchall())
print(json.dumps(out))
"""


def test_limit_form_on_indexed_tables_under_newer_sqlite():
    """The peer's cases query with `ORDER BY distance LIMIT n`: on SQLite 3.41+ that works on
    indexed tables too."""
    newer = helpers.newer_sqlite()
    decls = ["indexed by rescore(quantizer=int8)", "indexed by ivf(nlist=2)",
             "indexed by diskann(neighbor_quantizer=int8)"]
    res = newer.run_python(LIMIT_CODE % (decls,))
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout) == [[[1, 1.0], [2, 2.0], [3, 3.0]]] * 3
