"""ANN indexes of vec0 (INDEXED BY rescore(...) / ivf(...), sqlite-vec 0.1.10's syntax): recall
floors against numpy's exact answers on fixed seeds, exact distances, writes, transactions,
filters and commands (issue #21)."""

import re
import sqlite3
import struct
import subprocess
import sys

import numpy as np
import pytest

import helpers

N, D = 3000, 32


def lowrank(seed=11, n=N, d=D, q=40):
    """Vectors with neighbours worth finding: 8 latent dimensions plus noise."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(8, d))
    x = (rng.normal(size=(n, 8)) @ w + 0.3 * rng.normal(size=(n, d))).astype(np.float32)
    qs = (rng.normal(size=(q, 8)) @ w + 0.3 * rng.normal(size=(q, d))).astype(np.float32)
    return x, qs


def exact(x, ids, q, k=10, metric="l2"):
    if metric == "cosine":
        d = 1 - (x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    else:
        d = np.sqrt(((x.astype(np.float64) - q) ** 2).sum(1))
    order = np.lexsort((ids, d))[:k]
    return ids[order], d[order]


def make(db, decl, x, table="v", extra=""):
    db.execute(f"create virtual table {table} using vec0(emb float[{D}] {decl}{extra})")
    db.execute("begin")
    db.executemany(f"insert into {table}(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(len(x))])
    db.execute("commit")


def recall(db, x, qs, sql="select rowid, distance from v where emb match ? and k = 10",
           metric="l2", ids=None):
    ids = np.arange(1, len(x) + 1) if ids is None else ids
    hits = 0
    for q in qs:
        got = db.execute(sql, (q.tobytes(),)).fetchall()
        want, dist = exact(x, ids, q, metric=metric)
        hits += len(set(r[0] for r in got) & set(want.tolist()))
        # distances are exact: rescored from the stored vectors
        for rowid, d in got:
            i = int(np.nonzero(ids == rowid)[0][0])
            want_d = exact(x[i:i + 1], ids[i:i + 1], q, k=1, metric=metric)[1][0]
            assert d == pytest.approx(want_d, rel=1e-4, abs=1e-4)
    return hits / (10 * len(qs))


@pytest.mark.parametrize("decl, floor", [
    ("indexed by flat()", 1.0),
    ("indexed by rescore(quantizer=int8)", 0.99),
    ("indexed by rescore(quantizer=int8, oversample=2)", 0.95),
    ("indexed by rescore(quantizer=bit, oversample=32)", 0.95),
    ("indexed by rescore(quantizer=bit, oversample=8)", 0.7),
])
def test_rescore_recall(vdb, decl, floor):
    x, qs = lowrank()
    make(vdb, decl, x)
    assert recall(vdb, x, qs) >= floor
    vdb.execute("insert into v(v) values ('integrity_check')")


@pytest.mark.parametrize("decl, floor", [
    ("indexed by diskann(neighbor_quantizer=int8)", 0.99),
    ("indexed by diskann(neighbor_quantizer=int8, n_neighbors=16, search_list_size=32)", 0.97),
    ("indexed by diskann(neighbor_quantizer=binary, search_list_size=128)", 0.6),
])
def test_diskann_recall(vdb, decl, floor):
    x, qs = lowrank()
    make(vdb, decl, x)
    assert recall(vdb, x, qs) >= floor
    vdb.execute("insert into v(v) values ('search_list_size=8')")
    small = recall(vdb, x, qs)
    vdb.execute("insert into v(v) values ('search_list_size=256')")
    assert recall(vdb, x, qs) >= max(floor, small)
    vdb.execute("insert into v(v) values ('integrity_check')")
    # every row is a graph node or waits in the buffer (buffer_threshold's default)
    assert vdb.execute("select (select count(*) from v_graph00) + "
                       "(select count(*) from v_graphbuffer00)").fetchone()[0] == N


def test_diskann_deletes_and_reinserts_keep_recall(tmp_path):
    """10 % of rows deleted and inserted again: recall holds (deleted nodes stay as
    tombstones), and another connection sees every change."""
    x, qs = lowrank(seed=14)
    path = str(tmp_path / "g.db")
    db = helpers.connect("vec", database=path)
    make(db, "indexed by diskann(neighbor_quantizer=int8)", x)
    other = helpers.connect("vec", database=path)
    assert recall(other, x, qs) >= 0.99
    gone = np.random.default_rng(2).choice(N, N // 10, replace=False) + 1
    db.execute("begin")
    for rid in gone:
        db.execute("delete from v where rowid = ?", (int(rid),))
    db.execute("commit")
    keep = np.setdiff1d(np.arange(1, N + 1), gone)
    assert recall(other, x[keep - 1], qs, ids=keep) >= 0.98
    db.execute("begin")
    for rid in gone:
        db.execute("insert into v(rowid, emb) values (?, ?)", (int(rid), x[rid - 1].tobytes()))
    db.execute("commit")
    db.execute("insert into v(v) values ('integrity_check')")
    assert recall(other, x, qs) >= 0.98
    assert recall(db, x, qs) >= 0.98
    other.close()
    db.close()


@pytest.mark.parametrize("column, value", [
    ("neighbors", b"\xff" * 11),                    # a varint longer than 64 bits
    ("neighbors", b"\x02\xff"),                      # the blob ends inside a varint
    ("neighbors", b"\x02" + b"\x01" * 400),          # more neighbours than a list holds
    ("code", b"\x00" * 3),                           # a code of the wrong size
])
def test_diskann_hostile_graph_rows_are_errors(tmp_path, column, value):
    """A stranger's database file whose graph table holds malformed rows: a query names the
    node, never crashes or reads past the blob."""
    x, qs = lowrank(seed=15, n=300)
    path = str(tmp_path / "g.db")
    db = helpers.connect("vec", database=path)
    make(db, "indexed by diskann(neighbor_quantizer=int8, buffer_threshold=0)", x)
    db.close()
    plain = sqlite3.connect(path)
    plain.execute(f"update v_graph00 set {column} = ? where rowid = 7", (value,))
    plain.commit()
    plain.close()
    db = helpers.connect("vec", database=path)
    with pytest.raises(sqlite3.OperationalError, match="corrupt graph node 7 of column \"emb\""):
        db.execute("select rowid from v where emb match ? and k = 5", (qs[0].tobytes(),)).fetchall()
    db.close()


def varint_list(blob):
    """graph_format 2's neighbour list: sorted rowids, the first zigzag, then gaps."""
    out, x, shift, prev = [], 0, 0, 0
    for b in blob:
        x |= (b & 0x7F) << shift
        shift += 7
        if b & 0x80:
            continue
        prev = ((x >> 1) ^ -(x & 1)) if not out else prev + x
        out.append(prev)
        x, shift = 0, 0
    return out


def test_diskann_reads_tables_of_the_first_graph_format(tmp_path):
    """Tables written before graph_format 2 hold an int64 per neighbour: they search as
    before, and a list longer than a node can hold is an error naming the node."""
    x, qs = lowrank(seed=16)
    path = str(tmp_path / "g.db")
    db = helpers.connect("vec", database=path)
    make(db, "indexed by diskann(neighbor_quantizer=int8)", x)
    before = recall(db, x, qs)
    db.close()
    plain = sqlite3.connect(path)
    assert plain.execute("delete from v_info where key = 'graph_format'").rowcount == 1
    for rowid, blob in plain.execute("select rowid, neighbors from v_graph00").fetchall():
        ids = varint_list(blob)
        plain.execute("update v_graph00 set neighbors = ? where rowid = ?",
                      (struct.pack(f"<{len(ids)}q", *ids), rowid))
    plain.commit()
    db = helpers.connect("vec", database=path)
    assert recall(db, x, qs) == before >= 0.99
    db.close()
    plain.execute("update v_graph00 set neighbors = ? where rowid = 7",
                  (struct.pack("<400q", *range(1, 401)),))
    plain.commit()
    plain.close()
    db = helpers.connect("vec", database=path)
    with pytest.raises(sqlite3.OperationalError, match="corrupt graph node 7 of column \"emb\""):
        db.execute("select rowid from v where emb match ? and k = 5", (qs[0].tobytes(),)).fetchall()
    db.close()


def test_diskann_optimize_drops_tombstones_and_keeps_recall(tmp_path):
    """Rounds of churn (10 % of rows deleted, as many new ones inserted), each followed by
    'optimize': the tombstones leave the graph, the nodes that pointed to them are reconnected
    to the tombstones' neighbours, and recall against numpy stays high throughout."""
    pool, qs = lowrank(seed=15, n=2 * N)
    path = str(tmp_path / "c.db")
    db = helpers.connect("vec", database=path)
    make(db, "indexed by diskann(neighbor_quantizer=int8)", pool[:N])
    live = {i + 1: pool[i] for i in range(N)}
    rng = np.random.default_rng(3)
    fresh = N
    for _ in range(4):
        gone = rng.choice(sorted(live), N // 10, replace=False)
        db.execute("begin")
        for rid in gone:
            db.execute("delete from v where rowid = ?", (int(rid),))
            del live[int(rid)]
        for _ in range(N // 10):
            fresh += 1
            db.execute("insert into v(rowid, emb) values (?, ?)",
                       (fresh, pool[fresh - 1].tobytes()))
            live[fresh] = pool[fresh - 1]
        db.execute("commit")
        db.execute("insert into v(v) values ('optimize')")
        assert db.execute("select count(*), sum(deleted) from v_graph00").fetchone() == (N, 0)
        db.execute("insert into v(v) values ('integrity_check')")
        ids = np.array(sorted(live))
        assert recall(db, np.array([live[i] for i in ids]), qs, ids=ids) >= 0.98
    # the optimized graph on disk is what another connection loads
    other = helpers.connect("vec", database=path)
    assert recall(other, np.array([live[i] for i in ids]), qs, ids=ids) >= 0.98
    other.close()
    db.close()


def test_rescore_cosine_and_float16(vdb):
    x, qs = lowrank(seed=3)
    vdb.execute(f"create virtual table v using vec0(emb float16[{D}] distance_metric=cosine "
                "indexed by rescore(quantizer=int8))")
    x16 = x.astype(np.float16)
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, emb) values (?, vec_f16(?))",
                    [(i + 1, x16[i].tobytes()) for i in range(N)])
    vdb.execute("commit")
    assert recall(vdb, x16.astype(np.float32), qs, metric="cosine") >= 0.98


def test_ivf_recall_training_and_probes(vdb):
    x, qs = lowrank(seed=5)
    make(vdb, "indexed by ivf(nlist=32, nprobe=8)", x)
    before = recall(vdb, x, qs)  # not trained: every row is scanned
    assert before >= 0.99
    vdb.execute("insert into v(v) values ('compute-centroids')")
    assert vdb.execute("select count(*) from v_centroids00").fetchone()[0] == 32
    # every row now lives in a chunk of its cluster (chunk ids from 1 << 32 on)
    assert vdb.execute("select count(*) from v_chunks where chunk_id < 4294967296").fetchone()[0] == 0
    vdb.execute("insert into v(v) values ('integrity_check')")
    r8 = recall(vdb, x, qs)
    assert r8 >= 0.95
    vdb.execute("insert into v(v) values ('nprobe=2')")
    r2 = recall(vdb, x, qs)
    vdb.execute("insert into v(v) values ('nprobe=32')")
    assert recall(vdb, x, qs) >= 0.99  # every cluster probed: only quantization is left
    assert r2 < r8
    assert vdb.execute("select count(*) from v").fetchone()[0] == N


def test_ivf_without_quantizer_and_with_binary(vdb):
    x, qs = lowrank(seed=6)
    make(vdb, "indexed by ivf(nlist=16, nprobe=16, quantizer=none)", x)
    vdb.execute("insert into v(v) values ('compute-centroids:{\"nlist\": 16, \"seed\": 3}')")
    assert recall(vdb, x, qs) == 1.0  # all clusters, exact vectors
    make(vdb, "indexed by ivf(nlist=16, nprobe=16, quantizer=binary, oversample=32)", x,
         table="b")
    vdb.execute("insert into b(b) values ('compute-centroids')")
    assert recall(vdb, x, qs, sql="select rowid, distance from b where emb match ? and k = 10") >= 0.9


def train(db, decl, table="v"):
    if "ivf" in decl:
        db.execute(f"insert into {table}({table}) values ('compute-centroids')")


@pytest.mark.parametrize("decl", ["indexed by ivf(nlist=16, nprobe=16)",
                                  "indexed by diskann(neighbor_quantizer=int8)"])
def test_index_follows_writes(vdb, decl):
    """Inserts after training land in their cluster, updates move rows between clusters (ivf)
    or get new neighbours (diskann), deletes and INSERT OR REPLACE keep the index consistent."""
    x, qs = lowrank(seed=7, n=2000)
    vdb.execute(f"create virtual table v using vec0(emb float[{D}] {decl}, tag integer)")
    vdb.executemany("insert into v(rowid, emb, tag) values (?, ?, ?)",
                    [(i + 1, x[i].tobytes(), i % 5) for i in range(1000)])
    train(vdb, decl)
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, emb, tag) values (?, ?, ?)",
                    [(i + 1, x[i].tobytes(), i % 5) for i in range(1000, 2000)])
    rng = np.random.default_rng(1)
    model = {i + 1: x[i] for i in range(2000)}
    for rid in rng.choice(np.arange(1, 2001), 200, replace=False):
        vdb.execute("delete from v where rowid = ?", (int(rid),))
        del model[int(rid)]
    for rid in rng.choice(sorted(model), 200, replace=False):
        newv = -model[int(rid)]  # far away: most likely another cluster
        vdb.execute("update v set emb = ? where rowid = ?", (newv.tobytes(), int(rid)))
        model[int(rid)] = newv
    for rid in list(model)[:50]:
        newv = model[rid] + 0.1
        vdb.execute("insert or replace into v(rowid, emb, tag) values (?, ?, 0)",
                    (rid, newv.tobytes()))
        model[rid] = newv
    vdb.execute("commit")
    vdb.execute("insert into v(v) values ('integrity_check')")
    if "ivf" in decl:
        assert vdb.execute("select count(*) from v_chunks where chunk_id < 4294967296"
                           ).fetchone()[0] == 0
    ids = np.array(sorted(model))
    xs = np.array([model[i] for i in ids])
    assert recall(vdb, xs, qs, ids=ids) >= 0.99
    vdb.execute("insert into v(v) values ('optimize')")
    vdb.execute("insert into v(v) values ('integrity_check')")
    assert recall(vdb, xs, qs, ids=ids) >= 0.99


INDEXES = ["indexed by ivf(nlist=8, nprobe=8)", "indexed by diskann(neighbor_quantizer=int8)",
           "indexed by rescore(quantizer=int8)"]


@pytest.mark.parametrize("decl", INDEXES)
def test_index_follows_rollback_and_savepoints(tmp_path, decl):
    x, qs = lowrank(seed=8, n=1500)
    path = str(tmp_path / "t.db")
    db = helpers.connect("vec", database=path)
    make(db, decl, x[:1000])
    train(db, decl)
    state = ("select group_concat(hex(centroid)) from v_centroids00" if "ivf" in decl else
             "select count(*), sum(deleted), group_concat(hex(neighbors)) from v_graph00"
             if "diskann" in decl else "select group_concat(hex(codes)) from v_codechunks00")
    before = db.execute(state).fetchone()
    db.execute("begin")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1000, 1500)])
    # this connection's cache now holds the new rows: after the rollback it must not
    assert recall(db, x, qs[:5]) >= 0.9
    db.execute("savepoint s")
    db.execute("delete from v where rowid <= 500")
    if "ivf" in decl:
        db.execute("insert into v(v) values ('compute-centroids:{\"nlist\": 4}')")
    db.execute("rollback to s")
    db.execute("release s")
    db.execute("rollback")
    assert db.execute(state).fetchone() == before
    db.execute("insert into v(v) values ('integrity_check')")
    assert recall(db, x[:1000], qs) >= 0.99
    db.close()
    # a second connection sees the same index
    other = helpers.connect("vec", database=path)
    assert recall(other, x[:1000], qs) >= 0.99
    other.close()


def test_diskann_savepoint_rollback_keeps_earlier_changes(tmp_path):
    """The graph's changes are written when a savepoint begins: ROLLBACK TO undoes only what
    came after it, and the transaction's earlier inserts and deletes commit with their nodes."""
    x, qs = lowrank(seed=16, n=1600)
    path = str(tmp_path / "s.db")
    db = helpers.connect("vec", database=path)
    make(db, "indexed by diskann(neighbor_quantizer=int8, buffer_threshold=0)", x[:1000])
    db.execute("begin")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1000, 1400)])
    db.execute("delete from v where rowid <= 100")
    db.execute("savepoint s")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1400, 1600)])
    db.execute("delete from v where rowid > 1300")
    db.execute("rollback to s")
    db.execute("release s")
    db.execute("commit")
    db.execute("insert into v(v) values ('integrity_check')")
    assert db.execute("select count(*), sum(deleted) from v_graph00").fetchone() == (1400, 100)
    ids = np.arange(101, 1401)
    assert recall(db, x[100:1400], qs, ids=ids) >= 0.98
    db.close()
    other = helpers.connect("vec", database=path)
    assert recall(other, x[100:1400], qs, ids=ids) >= 0.98
    other.close()


def test_diskann_failed_statement_keeps_the_loaded_graph(tmp_path):
    """A failed statement changes no node, so the connection keeps its graph in memory
    (reloading it cost 8 s at a million rows). To see which graph answers, a row of t_graph00
    is damaged behind the cache's back, its version unchanged: a reloaded graph reports it, the
    kept one answers. A rolled-back transaction whose savepoint flushed nodes took the table's
    version back, so the next query reloads, and meets the damage."""
    x, qs = lowrank(seed=17, n=1100)
    db = helpers.connect("vec", database=str(tmp_path / "f.db"))
    make(db, "indexed by diskann(neighbor_quantizer=int8, buffer_threshold=0)", x[:1000])
    assert recall(db, x[:1000], qs) >= 0.95  # loads the graph
    db.execute("update v_graph00 set code = x'00' where rowid = 5")
    with pytest.raises(sqlite3.Error):  # the rowid exists
        db.execute("insert into v(rowid, emb) values (1, ?)", (x[0].tobytes(),))
    assert recall(db, x[:1000], qs) >= 0.95
    db.execute("begin")
    db.execute("insert into v(rowid, emb) values (1001, ?)", (x[1000].tobytes(),))
    db.execute("savepoint s")  # writes the changed nodes and a new graph_version
    db.execute("rollback")
    with pytest.raises(sqlite3.OperationalError, match="corrupt graph node 5"):
        db.execute("select rowid from v where emb match ? and k = 10", (qs[0].tobytes(),))
    db.close()


@pytest.mark.parametrize("decl", INDEXES)
def test_index_survives_kill_9(tmp_path, decl):
    x, qs = lowrank(seed=9, n=1200)
    path = str(tmp_path / "k.db")
    db = helpers.connect("vec", database=path)
    make(db, decl, x[:1000])
    train(db, decl)
    db.close()
    child = f"""
import sys, os, numpy as np
sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})
import helpers
x = np.frombuffer(bytes.fromhex(sys.stdin.read()), dtype=np.float32).reshape(-1, {D})
db = helpers.connect("vec", database={path!r})
db.execute("begin")
for i, v in enumerate(x):
    db.execute("insert into v(rowid, emb) values (?, ?)", (5000 + i, v.tobytes()))
db.execute("update v set emb = ? where rowid = 1", (x[0].tobytes(),))
os.kill(os.getpid(), 9)
"""
    proc = subprocess.run([sys.executable, "-c", child], input=x[1000:].tobytes().hex(),
                          text=True, capture_output=True)
    assert proc.returncode == -9, proc.stderr
    db = helpers.connect("vec", database=path)
    db.execute("insert into v(v) values ('integrity_check')")
    assert db.execute("select count(*) from v").fetchone()[0] == 1000
    assert recall(db, x[:1000], qs) >= 0.99
    db.close()


@pytest.mark.parametrize("decl", ["indexed by ivf(nlist=40, nprobe=8)",
                                  "indexed by diskann(neighbor_quantizer=int8)"])
def test_filters_inside_the_search(vdb, decl):
    """Metadata and partition filters apply while searching: k rows come back and they are
    the nearest allowed ones; a selective filter falls back to the exact scan."""
    n = 12000  # so that a 10 % filter leaves more rows than the exact fallback takes
    x, qs = lowrank(seed=10, n=n)
    vdb.execute(f"create virtual table v using vec0(part integer partition key, emb float[{D}] "
                f"{decl}, cat integer)")
    cats = np.arange(n) % 100
    parts = np.arange(n) % 4
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, part, emb, cat) values (?, ?, ?, ?)",
                    [(i + 1, int(parts[i]), x[i].tobytes(), int(cats[i])) for i in range(n)])
    vdb.execute("commit")
    train(vdb, decl)
    ids = np.arange(1, n + 1)
    for where, mask, floor in [("cat < 10", cats < 10, 0.95),   # 10 %
                               ("cat < 7", cats < 7, 0.95),      # 7 %
                               ("cat = 7", cats == 7, 1.0),      # 1 %: exact fallback
                               ("cat < 40", cats < 40, 0.95),    # 40 %
                               ("part = 2", parts == 2, 0.95),
                               ("part = 1 and cat < 50", (parts == 1) & (cats < 50), 0.95),
                               ("rowid in (5, 9, 400, 2000, 11999)",
                                np.isin(ids, [5, 9, 400, 2000, 11999]), 1.0)]:
        hits = total = 0
        for q in qs[:20]:
            got = [r[0] for r in vdb.execute(
                f"select rowid from v where emb match ? and k = 10 and {where}", (q.tobytes(),))]
            want = exact(x[mask], ids[mask], q)[0].tolist()
            assert len(got) == len(want), where
            hits += len(set(got) & set(want))
            total += len(want)
        assert hits / total >= floor, where


def test_distance_bounds_are_exact_with_an_index(vdb):
    x, qs = lowrank(seed=12)
    make(vdb, "indexed by rescore(quantizer=bit, oversample=1)", x)
    q = qs[0]
    want_ids, want_d = exact(x, np.arange(1, N + 1), q, k=20)
    got = vdb.execute("select rowid from v where emb match ? and k = 10 and distance > ?",
                      (q.tobytes(), float(want_d[9]))).fetchall()
    assert [r[0] for r in got] == want_ids[10:20].tolist()


def test_set_centroid_assign_and_clear(vdb):
    x, qs = lowrank(seed=13, n=1000)
    make(vdb, "indexed by ivf(nprobe=2)", x)
    for i in range(4):
        vdb.execute("insert into v(v, emb) values (?, ?)", (f"set-centroid:{i}", x[i * 10].tobytes()))
    assert vdb.execute("select count(*) from v_chunks where chunk_id >= 4294967296").fetchone()[0] == 0
    vdb.execute("insert into v(v) values ('assign-vectors')")
    assert vdb.execute("select count(*) from v_chunks where chunk_id < 4294967296").fetchone()[0] == 0
    vdb.execute("insert into v(v) values ('integrity_check')")
    assert recall(vdb, x, qs) >= 0.5
    vdb.execute("insert into v(v) values ('clear-centroids')")
    assert vdb.execute("select count(*) from v_centroids00").fetchone()[0] == 0
    assert vdb.execute("select count(*) from v_chunks where chunk_id >= 4294967296").fetchone()[0] == 0
    assert recall(vdb, x, qs) >= 0.99


@pytest.mark.parametrize("decl, message", [
    ("emb float[8] indexed by hnsw()", "unknown index 'hnsw'"),
    ("emb float[8] indexed by rescore(quantizer=int4)", "unknown quantizer 'int4'"),
    ("emb float[8] indexed by rescore(colour=red)", "unknown option 'colour'"),
    ("emb float[8] indexed by rescore(oversample=0)", "oversample must be an integer from 1"),
    ("emb float[12] indexed by rescore(quantizer=bit)", "divisible by 8"),
    ("emb int8[8] indexed by rescore(quantizer=int8)", "float32 and float16 columns"),
    ("emb float[8] indexed by ivf(nlist=4, nprobe=8)", "nprobe (8) is larger than nlist (4)"),
    ("emb float[8] indexed by ivf(quantizer=int8 nprobe=3)", "expected ',' or ')'"),
    ("emb float[8] indexed by ivf(), e2 float[8] indexed by ivf()", "only one vector column"),
    ("emb float[8] indexed by diskann(neighbor_quantizer=pq)", "unknown neighbor_quantizer 'pq'"),
    ("emb float[8] indexed by diskann(n_neighbors=1)", "n_neighbors must be an integer from 2"),
    ("emb float[8] indexed by diskann(search_list_size=0)", "search_list_size must be an integer"),
    ("emb float[8] indexed by diskann(nprobe=3)", "unknown option 'nprobe'"),
    ("emb float[8] indexed flat()", "expected 'indexed by"),
])
def test_declaration_errors(vdb, decl, message):
    with pytest.raises(sqlite3.OperationalError, match=re.escape(message)):
        vdb.execute(f"create virtual table t using vec0({decl})")


def test_command_errors(vdb):
    vdb.execute("create virtual table f using vec0(emb float[8])")
    vdb.execute("create virtual table r using vec0(emb float[8] indexed by rescore(quantizer=int8))")
    vdb.execute("create virtual table i using vec0(emb float[8] indexed by ivf(nlist=4))")
    for table, cmd, message in [
            ("f", "oversample=4", "no column of f has a rescore"),
            ("f", "nprobe=4", "no column of f has an ivf index"),
            ("r", "compute-centroids", "no column of r has an ivf index"),
            ("r", "search_list_size=8", "no column of r has a diskann index"),
            ("r", "oversample=0", "oversample must be an integer from 1 to 128"),
            ("i", "nprobe=x", "nprobe must be an integer"),
            ("i", "compute-centroids", "0 rows cannot make 4 clusters"),
            ("i", "set-centroid:3", "needs the centroid in column \"emb\""),
            ("i", "set-centroid:-1", "set-centroid:N needs N from 0")]:
        with pytest.raises(sqlite3.OperationalError, match=message):
            vdb.execute(f"insert into {table}({table}) values (?)", (cmd,))


def test_index_tables_are_shadow_tables_and_follow_renames(vdb):
    x, _ = lowrank(n=300)
    make(vdb, "indexed by ivf(nlist=4)", x)
    vdb.execute("insert into v(v) values ('compute-centroids')")
    names = {r[0] for r in vdb.execute("select name from sqlite_master where name like 'v_%'")}
    assert {"v_codechunks00", "v_centroids00"} <= names
    vdb.execute("alter table v rename to w")
    vdb.execute("insert into w(w) values ('integrity_check')")
    assert vdb.execute("select count(*) from w where emb match ? and k = 5",
                       (x[0].tobytes(),)).fetchone()[0] == 5
    vdb.execute("drop table w")
    assert vdb.execute("select count(*) from sqlite_master").fetchone()[0] == 0


@pytest.mark.parametrize("table, column, block", [
    ("v_vectorchunks00", "vectors", "block 0 of vector column 00 in chunk 1"),
    ("v_codechunks00", "codes", "code block 0 of vector column 00 in chunk 1"),
])
def test_integrity_check_names_a_bad_block(vdb, table, column, block):
    vdb.execute("create virtual table v using vec0(emb float[8] indexed by rescore(quantizer=int8))")
    vdb.executemany("insert into v(rowid, emb) values (?, ?)",
                    [(i, np.full(8, i, np.float32).tobytes()) for i in range(1, 4)])
    vdb.execute("insert into v(v) values ('integrity_check')")
    vdb.execute(f"update {table} set {column} = zeroblob(3)")
    with pytest.raises(sqlite3.OperationalError, match=f"integrity_check: {block} is the wrong size"):
        vdb.execute("insert into v(v) values ('integrity_check')")
    vdb.execute(f"delete from {table}")
    with pytest.raises(sqlite3.OperationalError, match=f"integrity_check: {block} is missing"):
        vdb.execute("insert into v(v) values ('integrity_check')")
