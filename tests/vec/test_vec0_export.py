"""The 'export-sqlite-vec:' command writes a copy of a vec0 table in sqlite-vec 0.1.9's layout:
sqlite-vec's own binary (npm, 0.1.9) must read every row, answer the same KNN queries and keep
writing the table (issue #19)."""

import re
import sqlite3

import numpy as np
import pytest

import helpers

DECL = ("id text primary key, user integer partition key, emb float[8] distance_metric=cosine, "
        "half float16[4], b bit[16], genre text, score float, ok boolean, n integer, +note, "
        "+extra integer, chunk_size=8")
COLS = "id, user, emb, half, b, genre, score, ok, n, note, extra"


def fill(db, rows=90, seed=5):
    rng = np.random.default_rng(seed)
    db.execute(f"create virtual table docs using vec0({DECL})")
    db.execute("begin")
    for i in range(rows):
        db.execute(f"insert into docs({COLS}) values (?, ?, ?, vec_f16(vec_f32(?)), vec_bit(?), ?, ?, ?, ?, "
                   "?, ?)",
                   (f"k{i}", i % 4, rng.normal(size=8).astype(np.float32).tobytes(),
                    rng.normal(size=4).astype(np.float32).tobytes(),
                    rng.integers(0, 256, 2, dtype=np.uint8).tobytes(),
                    "genre-" + "x" * (i % 17), float(i) / 3, i % 2, i * 1000,
                    None if i % 5 == 0 else f"note {i}", i))
    db.execute("commit")
    db.execute("delete from docs where id in ('k3', 'k40', 'k41')")
    db.execute("update docs set genre = 'changed genre, long enough' where id = 'k8'")
    return rng


def peer_connect(peer_path, path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(peer_path)
    return conn


def rows(conn, table):
    got = conn.execute(f"select {COLS} from {table} order by id").fetchall()
    return [r[:3] + (np.frombuffer(r[3], np.float32).tobytes(),) + r[4:] for r in got]


def test_export_is_read_and_written_by_sqlite_vec(tmp_path, peer_path):
    path = str(tmp_path / "x.db")
    db = helpers.connect("vec", database=path)
    rng = fill(db)
    db.execute("insert into docs(docs) values ('export-sqlite-vec:docs_sv')")
    want = db.execute(f"select id, user, emb, vec_f32(half), b, genre, score, ok, n, note, extra "
                      "from docs order by id").fetchall()
    assert len(want) == 87
    queries = [rng.normal(size=8).astype(np.float32).tobytes() for _ in range(4)]
    filters = ["", " and user = 2", " and ok = 1 and score > 5", " and genre = 'genre-xxx'",
               " and user = 1 and n >= 20000"]
    knn = {(q, f): db.execute(f"select id, distance from docs where emb match ? and k = 7{f}",
                              (q,)).fetchall() for q in queries for f in filters}
    assert rows(db, "docs_sv") == want  # strata reads its export as a sqlite-vec table
    db.close()

    peer = peer_connect(peer_path, path)
    assert peer.execute("select vec_version()").fetchone()[0] == "v0.1.9"
    assert rows(peer, "docs_sv") == want
    for (q, f), expected in knn.items():
        got = peer.execute(f"select id, distance from docs_sv where emb match ? and k = 7{f}",
                           (q,)).fetchall()
        assert [r[0] for r in got] == [r[0] for r in expected], f
        np.testing.assert_allclose([r[1] for r in got], [r[1] for r in expected], atol=1e-5)
    got = peer.execute("select id from docs_sv where b match vec_bit(x'ffff') and k = 3 "
                       "and user = 0").fetchall()
    assert len(got) == 3
    # sqlite-vec keeps writing it: a new row lands in the partition's last chunk or a new one
    peer.execute(f"insert into docs_sv({COLS}) values ('new', 2, ?, ?, vec_bit(x'0000'), 'g', "
                 "1.5, 1, 7, 'n', 1)", (queries[0], np.zeros(4, np.float32).tobytes()))
    peer.execute("delete from docs_sv where id = 'k10'")
    assert peer.execute("select id from docs_sv where emb match ? and k = 1 and user = 2",
                        (queries[0],)).fetchall() == [("new",)]
    assert peer.execute("select count(*) from docs_sv").fetchone()[0] == 87
    peer.close()


def test_export_into_an_attached_file_under_the_same_name(tmp_path, peer_path):
    db = helpers.connect("vec", database=str(tmp_path / "a.db"))
    fill(db, rows=20)
    db.execute("attach ? as out", (str(tmp_path / "shared.db"),))
    db.execute("insert into docs(docs) values ('export-sqlite-vec:out.docs')")
    want = rows(db, "main.docs")
    db.close()
    peer = peer_connect(peer_path, str(tmp_path / "shared.db"))
    assert [r[0] for r in rows(peer, "docs")] == [r[0] for r in want]
    peer.close()


def test_export_of_an_empty_table_and_plain_rowids(peer_path, tmp_path):
    path = str(tmp_path / "e.db")
    db = helpers.connect("vec", database=path)
    db.execute("create virtual table e using vec0(v int8[4])")
    db.execute("insert into e(e) values ('export-sqlite-vec:e2')")
    db.execute("create virtual table r using vec0(v float[2] distance_metric=l1, chunk_size=16)")
    db.executemany("insert into r(rowid, v) values (?, ?)",
                   [(i * 7 + 3, f"[{i}, {-i}]") for i in range(50)])
    db.execute("insert into r(r) values ('export-sqlite-vec:r2')")
    db.close()
    peer = peer_connect(peer_path, path)
    assert peer.execute("select count(*) from e2").fetchone()[0] == 0
    peer.execute("insert into e2(rowid, v) values (1, vec_int8('[1,2,3,4]'))")
    got = peer.execute("select rowid, distance from r2 where v match '[10, -10]' and k = 3"
                       ).fetchall()
    assert got[0] == (73, 0.0) and sorted(got[1:]) == [(66, 2.0), (80, 2.0)]  # a tie
    assert peer.execute("select max(rowid) from r2").fetchone()[0] == 346
    peer.close()


@pytest.mark.parametrize("decl, command, message", [
    ("v float[2] distance_metric=dot", "export-sqlite-vec:t2", "sqlite-vec has no dot metric"),
    ('"my col" float[2]', "export-sqlite-vec:t2", "plain column names"),
    ("_v float[2]", "export-sqlite-vec:t2", "plain column names"),
    ("v float[2]", "export-sqlite-vec:", re.escape("expected 'export-sqlite-vec:[schema.]table'")),
    ("v float[2]", "export-sqlite-vec:nodb.t2", 'unknown database "nodb"'),
    ("v float[2]", "export-sqlite-vec:t", "already exists"),
    ("v float[2], +a", "export-sqlite-vec:t2", "holds values of several types"),
])
def test_export_refuses_what_sqlite_vec_cannot_hold(vdb, decl, command, message):
    vdb.execute(f"create virtual table t using vec0({decl})")
    if "+a" in decl:
        vdb.execute("insert into t(v, a) values ('[1, 2]', 1), ('[1, 2]', 'text')")
    with pytest.raises(sqlite3.OperationalError, match=message):
        vdb.execute("insert into t(t) values (?)", (command,))
    assert vdb.execute("select count(*) from sqlite_master where name = 't2'").fetchone()[0] == 0


@pytest.mark.parametrize("index", ["ivf(nlist=4)", "diskann(neighbor_quantizer=int8)",
                                   "rescore(quantizer=bit)"])
def test_export_of_an_indexed_table(tmp_path, peer_path, index):
    """The copy is a flat sqlite-vec table holding every row, wherever the index put it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 16)).astype(np.float32)
    path = str(tmp_path / "i.db")
    db = helpers.connect("vec", database=path)
    db.execute(f"create virtual table v using vec0(emb float[16] indexed by {index})")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(500)])
    if "ivf" in index:
        db.execute("insert into v(v) values ('compute-centroids')")
    db.execute("insert into v(v) values ('export-sqlite-vec:v2')")
    db.close()
    peer = peer_connect(peer_path, path)
    assert peer.execute("select count(*) from v2").fetchone()[0] == 500
    got = [r[0] for r in peer.execute("select rowid from v2 where emb match ? and k = 5",
                                       (x[7].tobytes(),))]
    assert got == list(np.argsort(((x - x[7]) ** 2).sum(1))[:5] + 1)
    peer.close()
