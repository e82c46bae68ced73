"""vec0 virtual table: KNN against numpy brute force, filters, writes, persistence,
transactions, maintenance commands, errors, and the same answers as sqlite-vec."""

import json
import sqlite3

import numpy as np
import pytest

import helpers

N, D = 1500, 24


def data(seed=7, n=N, d=D):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(np.float32), rng.normal(size=(5, d)).astype(np.float32)


def brute(x, q, metric, ids):
    if metric == "l2":
        d = np.sqrt(((x.astype(np.float64) - q) ** 2).sum(1))
    elif metric == "l1":
        d = np.abs(x.astype(np.float64) - q).sum(1)
    elif metric == "cosine":
        d = 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    elif metric == "dot":
        d = -(x.astype(np.float64) @ q)
    order = np.lexsort((ids, d))
    return ids[order], d[order]


def fill(db, table, x, extra=""):
    db.execute("begin")
    db.executemany(f"insert into {table}(rowid, emb{extra}) values (?, ?{',?' * extra.count(',')})",
                   [(i + 1, x[i].tobytes()) for i in range(len(x))] if not extra else [])
    db.execute("commit")


@pytest.mark.parametrize("metric", ["l2", "l1", "cosine", "dot"])
def test_knn_matches_numpy(vdb, metric):
    x, qs = data()
    vdb.execute(f"create virtual table v using vec0(emb float[{D}] distance_metric={metric}, "
                "chunk_size=64)")
    fill(vdb, "v", x)
    ids = np.arange(1, N + 1)
    for q in qs:
        rows = vdb.execute("select rowid, distance from v where emb match ? and k = 10 "
                           "order by distance", (q.tobytes(),)).fetchall()
        want_ids, want_d = brute(x, q, metric, ids)
        assert [r[0] for r in rows] == list(want_ids[:10])
        np.testing.assert_allclose([r[1] for r in rows], want_d[:10], rtol=1e-4, atol=1e-4)


def test_knn_int8_bit_f16(vdb):
    rng = np.random.default_rng(3)
    i8 = rng.integers(-128, 128, size=(300, 32)).astype(np.int8)
    bits = rng.integers(0, 256, size=(300, 8), dtype=np.uint8)
    vdb.execute("create virtual table v using vec0(a int8[32], b bit[64], c float16[32], "
                "chunk_size=16)")
    vdb.execute("begin")
    for i in range(300):
        vdb.execute("insert into v(rowid, a, b, c) values (?, vec_int8(?), vec_bit(?), vec_f16(?))",
                    (i + 1, i8[i].tobytes(), bits[i].tobytes(),
                     i8[i].astype(np.float16).tobytes()))
    vdb.execute("commit")
    q = i8[17].astype(np.int64)
    d = np.sqrt(((i8.astype(np.int64) - q) ** 2).sum(1))
    want = np.lexsort((np.arange(1, 301), d))[:5] + 1
    got = vdb.execute("select rowid from v where a match vec_int8(?) and k = 5",
                      (i8[17].tobytes(),)).fetchall()
    assert [r[0] for r in got] == list(want)
    for expr in ["?", "vec_f32(?)"]:  # float32 input converts for a float16 column
        got = vdb.execute(f"select rowid from v where c match {expr} and k = 5",
                          (i8[17].astype(np.float32).tobytes(),)).fetchall()
        assert [r[0] for r in got] == list(want)
    with pytest.raises(sqlite3.OperationalError, match="expected a float16 vector, got a int8"):
        vdb.execute("select rowid from v where c match vec_int8(?) and k = 5",
                    (i8[17].tobytes(),)).fetchall()
    got = vdb.execute("select rowid from v where c match vec_f16(vec_f32(?)) and k = 5",
                      (i8[17].astype(np.float32).tobytes(),)).fetchall()
    assert [r[0] for r in got] == list(want)
    ham = np.unpackbits(bits ^ bits[40], axis=1).sum(1)
    want = np.lexsort((np.arange(1, 301), ham))[:7] + 1
    got = vdb.execute("select rowid, distance from v where b match vec_bit(?) and k = 7",
                      (bits[40].tobytes(),)).fetchall()
    assert [r[0] for r in got] == list(want)
    assert [r[1] for r in got] == list(ham[want - 1].astype(float))


def make_meta(vdb, x, chunk=32):
    vdb.execute(f"create virtual table v using vec0(user_id integer partition key, "
                f"emb float[{D}], genre text, score float, ok boolean, n integer, +body text, "
                f"chunk_size={chunk})")
    rng = np.random.default_rng(9)
    genres = np.array(["a", "b", "c", "dd"])[rng.integers(0, 4, len(x))]
    score = rng.normal(size=len(x))
    ok = rng.integers(0, 2, len(x))
    n = rng.integers(0, 100, len(x))
    user = rng.integers(0, 3, len(x))
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, user_id, emb, genre, score, ok, n, body) "
                    "values (?,?,?,?,?,?,?,?)",
                    [(i + 1, int(user[i]), x[i].tobytes(), str(genres[i]), float(score[i]),
                      int(ok[i]), int(n[i]), f"body {i + 1}") for i in range(len(x))])
    vdb.execute("commit")
    return dict(genre=genres, score=score, ok=ok, n=n, user=user)


@pytest.mark.parametrize("where, mask", [
    ("genre = 'b'", lambda m: m["genre"] == "b"),
    ("genre != 'b' and score > 0.5", lambda m: (m["genre"] != "b") & (m["score"] > 0.5)),
    ("ok = 1 and n <= 20", lambda m: (m["ok"] == 1) & (m["n"] <= 20)),
    ("genre in ('a', 'dd') and n >= 50", lambda m: np.isin(m["genre"], ["a", "dd"]) & (m["n"] >= 50)),
    ("n in (1, 2, 3, 4, 5, 6, 7)", lambda m: np.isin(m["n"], [1, 2, 3, 4, 5, 6, 7])),
    ("user_id = 2", lambda m: m["user"] == 2),
    ("user_id > 0 and genre = 'c'", lambda m: (m["user"] > 0) & (m["genre"] == "c")),
    ("user_id in (0, 2)", lambda m: np.isin(m["user"], [0, 2])),
    ("user_id in (0, 2) and ok in (1)", lambda m: np.isin(m["user"], [0, 2]) & (m["ok"] == 1)),
    ("rowid in (5, 10, 15, 700, 1400)", lambda m: np.isin(np.arange(1, N + 1), [5, 10, 15, 700, 1400])),
    ("score < -5", lambda m: m["score"] < -5),
])
def test_filtered_knn_matches_numpy(vdb, where, mask):
    x, qs = data()
    meta = make_meta(vdb, x)
    sel = mask(meta)
    ids = np.arange(1, N + 1)[sel]
    for q in qs[:3]:
        rows = vdb.execute(f"select rowid, distance from v where emb match ? and k = 20 and "
                           f"{where}", (q.tobytes(),)).fetchall()
        want_ids, _ = brute(x[sel], q, "l2", ids)
        assert [r[0] for r in rows] == list(want_ids[:20])


def test_columns_of_knn_and_scans(vdb):
    x, qs = data(n=50)
    make_meta(vdb, x)
    row = vdb.execute("select rowid, user_id, genre, typeof(score), ok, n, body, "
                      "vec_to_json(emb) = vec_to_json(?) from v where emb match ? and k = 1",
                      (x[9].tobytes(), x[9].tobytes())).fetchone()
    assert row[0] == 10 and row[6] == "body 10" and row[7] == 1 and row[3] == "real"
    assert vdb.execute("select count(*) from v").fetchone()[0] == 50
    assert vdb.execute("select body from v where rowid = 33").fetchone()[0] == "body 33"
    assert vdb.execute("select emb from v where rowid = 33").fetchone()[0] == x[32].tobytes()
    assert vdb.execute("select rowid from v where rowid = 999").fetchall() == []


def test_text_and_integer_primary_keys(vdb):
    vdb.execute("create virtual table t using vec0(id text primary key, emb float[2])")
    vdb.execute("insert into t(id, emb) values ('x', '[1,0]'), ('y', '[0,1]'), ('z', '[1,1]')")
    assert vdb.execute("select id, distance from t where emb match '[1,0.1]' and k = 2").fetchall() \
        == [("x", pytest.approx(0.1)), ("z", pytest.approx(0.9))]
    assert vdb.execute("select vec_to_json(emb) from t where id = 'y'").fetchone()[0] == "[0.000000,1.000000]"
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE constraint failed on t primary key"):
        vdb.execute("insert into t(id, emb) values ('x', '[5,5]')")
    vdb.execute("insert or replace into t(id, emb) values ('x', '[5,5]')")
    assert vdb.execute("select vec_to_json(emb) from t where id = 'x'").fetchone()[0] == "[5.000000,5.000000]"
    assert vdb.execute("select id from t where emb match '[0,0]' and k = 5 and id in ('x', 'y')").fetchall() \
        == [("y",), ("x",)]
    vdb.execute("create virtual table p using vec0(pid integer primary key, emb float[1])")
    vdb.execute("insert into p(pid, emb) values (42, '[1]')")
    assert vdb.execute("select pid, rowid from p").fetchall() == [(42, 42)]


def test_update_delete_optimize_integrity(vdb):
    x, qs = data(n=200)
    vdb.execute(f"create virtual table v using vec0(emb float[{D}], tag text, +note text, chunk_size=16)")
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, emb, tag, note) values (?, ?, ?, ?)",
                    [(i + 1, x[i].tobytes(), "t%d" % (i % 3), "n") for i in range(200)])
    vdb.execute("commit")
    assert vdb.execute("select count(*) from v_chunks").fetchone()[0] == 13
    vdb.execute("delete from v where rowid % 3 != 0")
    keep = np.arange(1, 201)[np.arange(1, 201) % 3 == 0]
    vdb.execute("insert into v(v) values ('integrity_check')")
    vdb.execute("insert into v(v) values ('optimize')")
    vdb.execute("insert into v(v) values ('integrity_check')")
    assert vdb.execute("select count(*) from v_chunks").fetchone()[0] == 5  # 66 rows / 16
    for q in qs:
        rows = vdb.execute("select rowid from v where emb match ? and k = 10", (q.tobytes(),)).fetchall()
        want, _ = brute(x[keep - 1], q, "l2", keep)
        assert [r[0] for r in rows] == list(want[:10])
    assert vdb.execute("select count(*), min(note) from v").fetchone() == (66, "n")
    # updates: vector, metadata, auxiliary
    vdb.execute("update v set emb = ?, tag = 'new', note = 'changed' where rowid = 3", (qs[0].tobytes(),))
    assert vdb.execute("select rowid, tag, note from v where emb match ? and k = 1",
                       (qs[0].tobytes(),)).fetchone() == (3, "new", "changed")
    vdb.execute("update v set tag = 'only' where rowid = 6")
    assert vdb.execute("select tag, emb from v where rowid = 6").fetchone() == ("only", x[5].tobytes())
    with pytest.raises(sqlite3.OperationalError, match="unknown vec0 command 'vacuum'"):
        vdb.execute("insert into v(v) values ('vacuum')")


def test_deleted_space_is_reused(vdb):
    vdb.execute("create virtual table v using vec0(emb float[1], chunk_size=8)")
    vdb.executemany("insert into v(rowid, emb) values (?, ?)", [(i, f"[{i}]") for i in range(1, 17)])
    vdb.execute("delete from v where rowid in (2, 3)")
    vdb.execute("insert into v(rowid, emb) values (100, '[100]')")
    assert vdb.execute("select chunk_id, chunk_offset from v_rowids where rowid = 100").fetchone() == (1, 1)
    vdb.execute("delete from v where rowid > 8")
    assert vdb.execute("select count(*) from v_chunks").fetchone()[0] == 1


def test_persistence_and_rollback(tmp_path):
    path = str(tmp_path / "v.db")
    x, qs = data(n=100)
    db = helpers.connect("vec", database=path)
    db.execute(f"create virtual table v using vec0(emb float[{D}], g text)")
    db.execute("begin")
    db.executemany("insert into v(rowid, emb, g) values (?, ?, 'a')",
                   [(i + 1, x[i].tobytes()) for i in range(100)])
    db.execute("commit")
    before = db.execute("select rowid, distance from v where emb match ? and k = 5",
                        (qs[0].tobytes(),)).fetchall()
    db.execute("begin")
    db.execute("delete from v where rowid <= 50")
    db.execute("update v set g = 'b'")
    db.execute("insert into v(rowid, emb, g) values (1000, ?, 'c')", (qs[0].tobytes(),))
    db.execute("rollback")
    db.close()
    db = helpers.connect("vec", database=path)
    assert db.execute("select rowid, distance from v where emb match ? and k = 5",
                      (qs[0].tobytes(),)).fetchall() == before
    assert db.execute("select count(*), min(g), max(g) from v").fetchone() == (100, "a", "a")
    db.execute("insert into v(v) values ('integrity_check')")
    db.execute("alter table v rename to w")
    assert db.execute("select count(*) from w where emb match ? and k = 3",
                      (qs[0].tobytes(),)).fetchone()[0] == 3
    db.execute(f"create virtual table v using vec0(emb float[{D}], g text)")  # the old name again
    db.execute("insert into v(rowid, emb, g) values (1, ?, 'z')", (qs[1].tobytes(),))
    assert db.execute("select g from v where emb match ? and k = 1 and g = 'z'",
                      (qs[1].tobytes(),)).fetchall() == [("z",)]
    db.execute("drop table v")
    db.execute("drop table w")
    assert db.execute("select count(*) from sqlite_master").fetchone()[0] == 0
    db.close()


@pytest.mark.parametrize("sql, message", [
    ("create virtual table e using vec0(emb float[2], foo=3)", "vec0 constructor error: unknown table option: foo"),
    ("create virtual table e using vec0(emb float[0])",
     "vec0 constructor error: vector column 'emb' must have 1 to 8192 dimensions, got 0"),
    ("create virtual table e using vec0(emb float8[2])", "vec0 constructor error: unknown vector type 'float8' in 'emb float8[2]'"),
    ("create virtual table e using vec0(g text)", "vec0 constructor error: at least one vector column is required"),
    ("create virtual table e using vec0(b bit[8] distance_metric=l2)",
     "vec0 constructor error: distance_metric is not allowed on bit column 'b' (always hamming)"),
    ("create virtual table e using vec0(emb float[2], chunk_size=7)",
     "vec0 constructor error: chunk_size must be a positive multiple of 8 up to 4096, got '7'"),
    ("select rowid from v where emb match '[1,2]'", "vec0: a LIMIT or 'k = ?' constraint is required on vec0 knn queries"),
    ("select rowid from v where emb match '[1,2]' and k = 4097",
     "vec0: k value in knn query too large, provided 4097 and the limit is 4096"),
    ("select rowid from v where emb match '[1,2,3]' and k = 1",
     "vec0: dimension mismatch for query vector for the \"emb\" column: expected 2 dimensions but received 3"),
    ("select rowid from v where emb match '[1,' and k = 1",
     "vec0: query vector for column \"emb\": invalid JSON vector: expected a number at offset 3"),
    ("insert into v(rowid, emb, g) values (5, '[1,2,3]', 'a')",
     "vec0: dimension mismatch for inserted vector for the \"emb\" column: expected 2 dimensions but received 3"),
    ("insert into v(rowid, emb, g) values (5, '[1,2]', 5)", "vec0: expected text for metadata column \"g\", received INTEGER"),
    ("insert into v(rowid, emb, g) values (5, '[1,2]', NULL)", "vec0: metadata column \"g\" does not accept NULL"),
    ("insert into v(rowid, emb, g) values (5, NULL, 'a')", "vec0: a vector is required for column \"emb\""),
    ("insert into v(rowid, emb, g) values ('x', '[1,2]', 'a')", "vec0: the rowid must be an INTEGER, received TEXT"),
    ("insert into v(rowid, emb, g) values (5, '[1,NaN]', 'a')",
     "vec0: invalid vector for column \"emb\": invalid JSON vector: expected a number at offset 3"),
    ("update v set rowid = 9 where rowid = 1",
     "vec0: changing the rowid or an integer primary key is not supported; delete and insert instead"),
])
def test_errors(vdb, sql, message):
    vdb.execute("create virtual table v using vec0(emb float[2], g text)")
    vdb.execute("insert into v(rowid, emb, g) values (1, '[1,2]', 'a')")
    with pytest.raises(sqlite3.Error) as e:
        vdb.execute(sql).fetchall()
    assert str(e.value) == message
    assert vdb.execute("select count(*) from v").fetchone()[0] == 1


def test_same_knn_as_peer(vdb, peer):
    x, qs = data(seed=21, n=700, d=48)
    for db in (vdb, peer):
        db.execute("create virtual table v using vec0(emb float[48] distance_metric=cosine, "
                   "e2 float[48], cat text, chunk_size=64)")
        db.execute("begin")
        db.executemany("insert into v(rowid, emb, e2, cat) values (?, ?, ?, ?)",
                       [(i + 1, x[i].tobytes(), x[::-1][i].tobytes(), "ab"[i % 2]) for i in range(700)])
        db.execute("commit")
        db.execute("delete from v where rowid between 100 and 180")
        db.execute("update v set e2 = ? where rowid = 5", (qs[4].tobytes(),))
    for q in qs:
        for sql in ["select rowid, distance from v where emb match ? and k = 15",
                    "select rowid, distance from v where e2 match ? and k = 15 and cat = 'b'",
                    "select rowid, distance from v where e2 match ? and k = 15 and cat in ('a')"]:
            ours = vdb.execute(sql, (q.tobytes(),)).fetchall()
            theirs = peer.execute(sql, (q.tobytes(),)).fetchall()
            assert [r[0] for r in ours] == [r[0] for r in theirs]
            np.testing.assert_allclose([r[1] for r in ours], [r[1] for r in theirs], rtol=1e-5, atol=1e-6)
    assert vdb.execute("select rowid, vec_to_json(e2), cat from v order by rowid").fetchall() == \
        peer.execute("select rowid, vec_to_json(e2), cat from v order by rowid").fetchall()


def test_limit_form_needs_newer_sqlite(vdb):
    """`ORDER BY distance LIMIT n` works where SQLite pushes LIMIT into virtual tables (3.41+);
    on older SQLite it is the peer's error, and k = n always works."""
    vdb.execute("create virtual table v using vec0(emb float[1])")
    vdb.execute("insert into v(rowid, emb) values (1, '[1]'), (2, '[2]')")
    if sqlite3.sqlite_version_info < (3, 41, 0):
        with pytest.raises(sqlite3.OperationalError, match="a LIMIT or 'k = \\?' constraint"):
            vdb.execute("select rowid from v where emb match '[0]' order by distance limit 1").fetchall()
    assert vdb.execute("select rowid from v where emb match '[0]' and k = 1").fetchall() == [(1,)]


LIMIT_CODE = """
import json, sqlite3, sys
sys.path.insert(0, 'tests')
import helpers
db = helpers.connect('vec')
db.execute("create virtual table v using vec0(emb float[1], g text)")
db.executemany("insert into v(rowid, emb, g) values (?, ?, ?)",
               [(i, f'[{i}]', 'ab'[i % 2]) for i in range(1, 21)])
out = [sqlite3.sqlite_version_info >= (3, 41, 0)]
for sql in ["select rowid, distance from v where emb match '[0]' order by distance limit 3",
            "select rowid from v where emb match '[0]' and g = 'a' order by distance limit 3",
            "select rowid from v where emb match '[0]' and k = 5 order by distance limit 2",
            "select rowid from v where emb match '[0]' order by distance limit 3 offset 2"]:
    out.append(db.execute(sql).fetchall())
print(json.dumps(out))
"""


def test_limit_form_on_newer_sqlite():
    newer = helpers.newer_sqlite()
    res = newer.run_python(LIMIT_CODE)
    assert res.returncode == 0, res.stderr[-2000:]
    newer_ok, plain, filtered, both, offset = json.loads(res.stdout)
    assert newer_ok
    assert plain == [[1, 1.0], [2, 2.0], [3, 3.0]]
    assert filtered == [[2], [4], [6]]
    assert both == [[1], [2]]
    assert offset == [[3], [4], [5]]


def test_update_with_null_vector_keeps_it(vdb):
    vdb.execute("create virtual table v using vec0(a float[2], b int8[2], tag text)")
    vdb.execute("insert into v(rowid, a, b, tag) values (1, '[1,2]', vec_int8('[3,4]'), 'x')")
    vdb.execute("update v set a = NULL, b = vec_int8('[5,6]'), tag = 'y' where rowid = 1")
    assert vdb.execute("select vec_to_json(a), vec_to_json(b), tag from v").fetchone() == \
        ("[1.000000,2.000000]", "[5,6]", "y")
    with pytest.raises(sqlite3.OperationalError, match="expected a int8 vector, got a float32"):
        vdb.execute("update v set b = vec_f32('[1,2]') where rowid = 1")


def test_shadow_tables_are_protected_in_defensive_mode(tmp_path):
    """xShadowName: with SQLITE_DBCONFIG_DEFENSIVE, SQL cannot write the storage tables."""
    import shutil
    import subprocess
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 shell is not installed")
    script = (f".load {helpers.so_path('vec')}\n"
              "create virtual table v using vec0(emb float[1], m text, +a text);\n"
              "insert into v(rowid, emb, m, a) values (1, '[1]', 'x', 'y');\n"
              ".dbconfig defensive on\n")
    for table in ["v_info", "v_chunks", "v_chunkrowids", "v_rowids", "v_vectorchunks00",
                  "v_auxiliary"]:
        res = subprocess.run(["sqlite3", str(tmp_path / "d.db")],
                             input=script + f"delete from {table};\n", capture_output=True,
                             text=True)
        assert f"table {table} may not be modified" in res.stderr, (table, res.stderr)
        (tmp_path / "d.db").unlink()


@pytest.mark.parametrize("cap", ["scalar", "avx2"])
def test_knn_same_under_capped_kernels(cap):
    code = """
import json, sys
sys.path.insert(0, 'tests')
import helpers, numpy as np
rng = np.random.default_rng(4)
db = helpers.connect('vec')
db.execute("create virtual table v using vec0(a float[37] distance_metric=cosine, b int8[37], "
           "c bit[64], d float16[37] distance_metric=l1, chunk_size=32)")
x = rng.normal(size=(300, 37)).astype(np.float32)
i8 = rng.integers(-128, 128, size=(300, 37)).astype(np.int8)
bits = rng.integers(0, 256, size=(300, 8), dtype=np.uint8)
db.execute("begin")
for i in range(300):
    db.execute("insert into v(rowid, a, b, c, d) values (?, ?, vec_int8(?), vec_bit(?), ?)",
               (i + 1, x[i].tobytes(), i8[i].tobytes(), bits[i].tobytes(), x[i].tobytes()))
db.execute("commit")
out = []
for col, q in [("a", x[3].tobytes()), ("b", "vec_int8"), ("c", "vec_bit"), ("d", x[9].tobytes())]:
    if q == "vec_int8":
        sql, arg = "select rowid, distance from v where b match vec_int8(?) and k = 8", i8[5].tobytes()
    elif q == "vec_bit":
        sql, arg = "select rowid, distance from v where c match vec_bit(?) and k = 8", bits[7].tobytes()
    else:
        sql, arg = f"select rowid, distance from v where {col} match ? and k = 8", q
    out.append(db.execute(sql, (arg,)).fetchall())
print(json.dumps(out))
"""
    import os
    import subprocess
    import sys
    results = {}
    for c in (cap, None):
        env = {k: v for k, v in os.environ.items() if k != "STRATA_CPU"}
        if c:
            env["STRATA_CPU"] = c
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, cwd=helpers.ROOT)
        assert res.returncode == 0, res.stderr[-2000:]
        results[c] = json.loads(res.stdout)
    for capped, best in zip(results[cap], results[None]):
        assert [r[0] for r in capped] == [r[0] for r in best]
        np.testing.assert_allclose([r[1] for r in capped], [r[1] for r in best], rtol=1e-4, atol=1e-5)


def test_partitions_text_keys_int8_bit_same_as_peer(vdb, peer):
    rng = np.random.default_rng(17)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    i8 = rng.integers(-128, 128, size=(400, 16)).astype(np.int8)
    bits = rng.integers(0, 256, size=(400, 4), dtype=np.uint8)
    for db in (vdb, peer):
        db.execute("create virtual table v using vec0(id text primary key, "
                   "user integer partition key, f float[16] distance_metric=l1, q int8[16], "
                   "b bit[32], score float, flag boolean, +note text, chunk_size=16)")
        db.execute("begin")
        for i in range(400):
            db.execute("insert into v(id, user, f, q, b, score, flag, note) values "
                       "(?, ?, ?, vec_int8(?), vec_bit(?), ?, ?, ?)",
                       (f"k{i}", i % 3, x[i].tobytes(), i8[i].tobytes(), bits[i].tobytes(),
                        float(i % 17), i % 2, f"n{i}"))
        db.execute("commit")
        db.execute("delete from v where id in ('k1', 'k2', 'k3', 'k100')")
    queries = [
        ("select id, distance, note from v where f match ? and k = 9 and user = 1", x[0].tobytes()),
        ("select id, distance from v where f match ? and k = 9 and score >= 8 and flag = 1", x[1].tobytes()),
        ("select id, distance from v where q match vec_int8(?) and k = 9 and user != 0", i8[2].tobytes()),
        ("select id, distance from v where b match vec_bit(?) and k = 9 and score < 3", bits[3].tobytes()),
    ]
    for sql, arg in queries:
        ours = vdb.execute(sql, (arg,)).fetchall()
        theirs = peer.execute(sql, (arg,)).fetchall()
        assert len(ours) == len(theirs) == 9
        # equal distances may tie-break differently: compare distances, and ids where distinct
        np.testing.assert_allclose([r[1] for r in ours], [r[1] for r in theirs], rtol=1e-5)
        assert sorted(r[0] for r in ours if [o[1] for o in ours].count(r[1]) == 1) == \
            sorted(r[0] for r in theirs if [t[1] for t in theirs].count(r[1]) == 1)
    assert vdb.execute("select id, user, score, flag, note from v order by id").fetchall() == \
        peer.execute("select id, user, score, flag, note from v order by id").fetchall()


def test_distance_bounds_page_through_results(vdb):
    """`distance > last` (as sqlite-vec's main branch) pages through neighbours k at a time."""
    x, qs = data(n=300)
    vdb.execute(f"create virtual table v using vec0(emb float[{D}], chunk_size=32)")
    fill(vdb, "v", x)
    ids = np.arange(1, 301)
    want_ids, want_d = brute(x, qs[0], "l2", ids)
    got, last = [], -1.0
    for _ in range(4):
        rows = vdb.execute("select rowid, distance from v where emb match ? and k = 5 "
                           "and distance > ?", (qs[0].tobytes(), last)).fetchall()
        got += [r[0] for r in rows]
        last = rows[-1][1]
    assert got == list(want_ids[:20])
    full = vdb.execute("select rowid, distance from v where emb match ? and k = 20",
                       (qs[0].tobytes(),)).fetchall()
    rows = vdb.execute("select rowid from v where emb match ? and k = 50 and distance >= ? "
                       "and distance <= ?", (qs[0].tobytes(), full[3][1], full[7][1])).fetchall()
    assert [r[0] for r in rows] == [r[0] for r in full[3:8]]


def test_auto_rowids_k_zero_empty_and_match_errors(vdb):
    vdb.execute("create virtual table v using vec0(a float[2], b float[2])")
    assert vdb.execute("select rowid from v where a match '[0,0]' and k = 3").fetchall() == []
    cur = vdb.execute("insert into v(a, b) values ('[1,1]', '[2,2]')")
    assert cur.lastrowid == 1
    vdb.execute("insert into v(a, b) values ('[3,3]', '[4,4]')")
    assert [r[0] for r in vdb.execute("select rowid from v")] == [1, 2]
    assert vdb.execute("select rowid from v where a match '[0,0]' and k = 0").fetchall() == []
    with pytest.raises(sqlite3.OperationalError, match="only 1 MATCH operator is allowed"):
        vdb.execute("select rowid from v where a match '[0,0]' and b match '[0,0]' and k = 1")
    with pytest.raises(sqlite3.OperationalError, match="k must not be negative"):
        vdb.execute("select rowid from v where a match '[0,0]' and k = -1").fetchall()


def test_tables_created_by_sqlite_vec_are_read_and_copied(tmp_path, peer_path):
    """A database written by sqlite-vec: strata reads it (scans, lookups, KNN) so the rows can be
    copied into a strata table; writes and metadata filters are refused with a clear message."""
    path = str(tmp_path / "peer.db")
    rng = np.random.default_rng(8)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    bits = rng.integers(0, 256, size=(60, 1), dtype=np.uint8)
    old = sqlite3.connect(path, isolation_level=None)
    old.enable_load_extension(True)
    old.load_extension(peer_path)
    decl = ("p integer partition key, id text primary key, emb float[4], b bit[8], flag boolean, "
            "n integer, f float, t text, +a text, chunk_size=8")
    old.execute(f"create virtual table v using vec0({decl})")
    old.execute("begin")
    for i in range(60):
        old.execute("insert into v(p, id, emb, b, flag, n, f, t, a) values "
                    "(?, ?, ?, vec_bit(?), ?, ?, ?, ?, ?)",
                    (i % 2, f"k{i}", x[i].tobytes(), bits[i].tobytes(), i % 3 == 0, i - 30,
                     i / 4, "t" * (i % 20), None if i % 5 else f"aux{i}"))
    old.execute("commit")
    old.execute("delete from v where id in ('k7', 'k8')")
    cols = "id, p, emb, b, flag, n, f, t, a"
    want_rows = old.execute(f"select {cols} from v order by id").fetchall()
    knn_sql = "select id, distance from v where emb match ? and k = 5 and p = 1"
    want_knn = old.execute(knn_sql, (x[3].tobytes(),)).fetchall()
    old.close()

    db = helpers.connect("vec", database=path)
    assert db.execute(f"select {cols} from v order by id").fetchall() == want_rows
    assert db.execute(f"select {cols} from v where id = 'k13'").fetchall() == \
        [r for r in want_rows if r[0] == "k13"]
    got = db.execute(knn_sql, (x[3].tobytes(),)).fetchall()
    assert [r[0] for r in got] == [r[0] for r in want_knn]
    np.testing.assert_allclose([r[1] for r in got], [r[1] for r in want_knn], rtol=1e-5)
    assert db.execute("select id from v where b match vec_bit(?) and k = 1",
                      (bits[11].tobytes(),)).fetchone()[0] == "k11"
    with pytest.raises(sqlite3.OperationalError, match="cannot write it"):
        db.execute("insert into v(p, id, emb, b, flag, n, f, t) values "
                   "(0, 'new', '[1,2,3,4]', vec_bit(x'00'), 0, 0, 0, '')")
    with pytest.raises(sqlite3.OperationalError, match="cannot rename it"):
        db.execute("alter table v rename to v2")
    with pytest.raises(sqlite3.OperationalError, match="cannot filter it on metadata"):
        db.execute("select id from v where emb match ? and k = 3 and n > 0", (x[0].tobytes(),)).fetchall()
    # the way over: copy into a table created by strata, then drop the old one
    db.execute(f"create virtual table w using vec0({decl})")
    db.execute(f"insert into w({cols}) select {cols} from v")
    db.execute("insert into w(w) values ('integrity_check')")
    assert db.execute(f"select {cols} from w order by id").fetchall() == want_rows
    db.execute("drop table v")
    assert [r[0] for r in db.execute("select name from sqlite_master where name like 'v%'")] == []
    db.close()


def test_attached_and_temp_schemas(vdb):
    vdb.execute("attach ':memory:' as other")
    for schema in ("other", "temp"):
        vdb.execute(f"create virtual table {schema}.v using vec0(emb float[2], g text, +a text)")
        vdb.execute(f"insert into {schema}.v(rowid, emb, g, a) values (1, '[1,1]', 'x', 'y'), "
                    "(2, '[5,5]', 'z', 'w')")
        assert vdb.execute(f"select rowid, a from {schema}.v where emb match '[0,0]' and k = 1 "
                           "and g = 'z'").fetchall() == [(2, "w")]
        vdb.execute(f"delete from {schema}.v where rowid = 1")
        vdb.execute(f"insert into {schema}.v(v) values ('optimize')")
        vdb.execute(f"insert into {schema}.v(v) values ('integrity_check')")
        assert vdb.execute(f"select count(*) from {schema}.v").fetchone()[0] == 1
        vdb.execute(f"drop table {schema}.v")
    assert vdb.execute("select count(*) from sqlite_master").fetchone()[0] == 0


def test_large_rowid_in_list(vdb):
    x, qs = data(n=1000)
    vdb.execute(f"create virtual table v using vec0(emb float[{D}], chunk_size=64)")
    fill(vdb, "v", x)
    wanted = list(range(1, 1001, 3))  # 334 ids
    marks = ",".join("?" * len(wanted))
    rows = vdb.execute(f"select rowid from v where emb match ? and k = 10 and rowid in ({marks})",
                       (qs[0].tobytes(), *wanted)).fetchall()
    ids = np.array(wanted)
    want, _ = brute(x[ids - 1], qs[0], "l2", ids)
    assert [r[0] for r in rows] == list(want[:10])


def test_knn_per_row_of_another_table(vdb):
    vdb.execute("create virtual table v using vec0(emb float[1])")
    vdb.execute("insert into v(rowid, emb) values (1, '[1]'), (2, '[2]'), (3, '[3]')")
    vdb.execute("create table q(id integer primary key, vec text)")
    vdb.execute("insert into q values (1, '[0]'), (2, '[3.2]')")
    rows = vdb.execute("select q.id, v.rowid from q join v on v.emb match q.vec and v.k = 2 "
                       "order by q.id, v.distance").fetchall()
    assert rows == [(1, 1), (1, 2), (2, 3), (2, 2)]
    assert vdb.execute("select q.id, (select rowid from v where emb match q.vec and k = 1) "
                       "from q").fetchall() == [(1, 1), (2, 3)]
    # k from the other table too
    vdb.execute("alter table q add column k integer")
    vdb.execute("update q set k = id")
    rows = vdb.execute("select q.id, v.rowid from q join v on v.emb match q.vec and v.k = q.k "
                       "order by q.id, v.distance").fetchall()
    assert rows == [(1, 1), (2, 3), (2, 2)]


@pytest.mark.parametrize("name, decl", [("embedding", "embedding float[2]"),
                                        ("k", "e float[2]"), ("distance", "e float[2]"),
                                        ("rowid", "e float[2]"), ("id", "id text primary key, e float[2]")])
def test_table_named_like_a_column(vdb, name, decl):
    """sqlite-vec allows a table named after one of its columns; it then has no command column."""
    vdb.execute(f"create virtual table \"{name}\" using vec0({decl})")
    col = "embedding" if name == "embedding" else "e"
    key = "id" if name == "id" else "rowid"
    vdb.execute(f"insert into \"{name}\"({key}, {col}) values ({'1' if key == 'rowid' else repr('a')}, '[1,2]')")
    rows = vdb.execute(f"select {key}, distance from \"{name}\" where {col} match '[1,2]' and k = 1").fetchall()
    assert len(rows) == 1 and rows[0][1] == 0.0


def test_delete_optimize_vacuum_shrinks_the_file(tmp_path):
    path = tmp_path / "s.db"
    db = helpers.connect("vec", database=str(path))
    x, qs = data(n=2000, d=128)
    db.execute("create virtual table v using vec0(emb float[128], chunk_size=64)")
    db.execute("begin")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(2000)])
    db.execute("commit")
    full = path.stat().st_size
    db.execute("delete from v where rowid % 10 != 0")  # leaves 200 rows spread over all chunks
    db.execute("insert into v(v) values ('optimize')")
    db.execute("vacuum")
    assert path.stat().st_size < full / 4
    assert db.execute("select count(*) from v_chunks").fetchone()[0] == 4  # ceil(200 / 64)
    keep = np.arange(10, 2001, 10)
    got = [r[0] for r in db.execute("select rowid from v where emb match ? and k = 5",
                                    (qs[0][:128].tobytes(),))]
    assert got == list(brute(x[keep - 1], qs[0][:128], "l2", keep)[0][:5])
    db.close()


def test_update_text_primary_key(vdb):
    vdb.execute("create virtual table t using vec0(id text primary key, emb float[1], g text)")
    vdb.execute("insert into t(id, emb, g) values ('a', '[1]', 'x'), ('b', '[2]', 'y')")
    vdb.execute("update t set id = 'c' where id = 'a'")
    assert vdb.execute("select id, g from t order by id").fetchall() == [("b", "y"), ("c", "x")]
    assert vdb.execute("select id from t where emb match '[1]' and k = 1").fetchall() == [("c",)]
    with pytest.raises(sqlite3.Error, match="UNIQUE constraint failed"):
        vdb.execute("update t set id = 'b', emb = '[9]' where id = 'c'")
    # a failing statement leaves nothing behind: neither its vector write nor earlier rows
    with pytest.raises(sqlite3.Error, match="UNIQUE constraint failed"):
        vdb.execute("insert into t(id, emb, g) values ('d', '[3]', 'z'), ('b', '[4]', 'w')")
    assert vdb.execute("select id, vec_to_json(emb) from t order by id").fetchall() == \
        [("b", "[2.000000]"), ("c", "[1.000000]")]
    vdb.execute("insert into t(t) values ('integrity_check')")


def test_metadata_filter_is_limited_to_the_partition(vdb):
    """A KNN query with a partition key and a metadata filter reads only the partition's rows
    of the metadata index, not every matching row of the table (issue #21: it collected the
    whole table's matches first). Cost is counted in SQLite VM steps (progress handler)."""
    vdb.execute("create virtual table v using vec0(user integer partition key, emb float[4], "
                "cat integer, chunk_size=32)")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20000, 4)).astype(np.float32)
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, user, emb, cat) values (?, ?, ?, ?)",
                    [(i + 1, i % 100, x[i].tobytes(), i % 10) for i in range(20000)])
    vdb.execute("commit")

    def cost(where):
        steps = [0]

        def tick():
            steps[0] += 1
            return 0
        vdb.set_progress_handler(tick, 100)
        got = vdb.execute(f"select rowid from v where emb match ? and k = 5 and {where}",
                          (x[0].tobytes(),)).fetchall()
        vdb.set_progress_handler(None, 100)
        return steps[0], [r[0] for r in got]

    whole, _ = cost("cat = 3")
    part, got = cost("cat = 3 and user = 13")
    d = np.sqrt(((x - x[0]) ** 2).sum(1))
    ids = np.nonzero((np.arange(20000) % 100 == 13))[0]
    assert got == list(ids[np.argsort(d[ids], kind="stable")][:5] + 1)
    assert part * 2 < whole, (part, whole)
    whole_in, _ = cost("cat in (3, 4)")
    part_in, got_in = cost("cat in (3, 4) and user in (13, 14)")
    assert part_in * 2 < whole_in and len(got_in) == 5, (part_in, whole_in)
