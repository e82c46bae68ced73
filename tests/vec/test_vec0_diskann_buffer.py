"""diskann(..., buffer_threshold=N): inserted rows wait in T_graphbufferNN until N of them join
the graph together. Answers over buffered rows are exact (numpy's), with filters; deletes,
updates, rollbacks, savepoints, kill -9, reopening, 'optimize' and a stranger's buffer table
(issue #21)."""

import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

import helpers
from test_vec0_ann import D, exact, lowrank

DISKANN = "indexed by diskann(neighbor_quantizer=int8, buffer_threshold={})"


def make(db, threshold, x, first=1, extra=""):
    db.execute(f"create virtual table v using vec0(emb float[{D}] {DISKANN.format(threshold)}"
               f"{extra})")
    insert(db, x, first)


def insert(db, x, first):
    db.execute("begin")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(first + i, x[i].tobytes()) for i in range(len(x))])
    db.execute("commit")


def counts(db):
    """(graph nodes, buffered rows)."""
    return db.execute("select (select count(*) from v_graph00 where not deleted), "
                      "(select count(*) from v_graphbuffer00)").fetchone()


def buffered(db):
    try:
        return {r[0] for r in db.execute("select rowid from v_graphbuffer00")}
    except sqlite3.OperationalError:  # a table without a buffer
        return set()


def check(db, x, ids, qs, where="", mask=None, floor=0.97):
    """Recall of the KNN answers against numpy's, and exactness over the buffered rows: every
    buffered row among the true k nearest (allowed) rows comes back, at its exact distance."""
    ids = np.asarray(ids)
    keep = np.ones(len(ids), bool) if mask is None else mask
    waiting = buffered(db)
    hits = total = 0
    for q in qs:
        got = db.execute(f"select rowid, distance from v where emb match ? and k = 10{where}",
                         (q.tobytes(),)).fetchall()
        want, dist = exact(x[keep], ids[keep], q)
        got_ids = [r[0] for r in got]
        assert set(got_ids) <= set(ids[keep].tolist())  # filters hold
        hits += len(set(got_ids) & set(want.tolist()))
        total += len(want)
        for rowid, d in zip(want.tolist(), dist):
            if rowid in waiting:
                assert rowid in got_ids, f"buffered row {rowid} missing"
                assert dict(got)[rowid] == pytest.approx(d, rel=1e-4, abs=1e-4)
    assert hits / total >= floor
    return hits / total


def test_rows_wait_until_the_threshold_then_join_together(vdb):
    x, qs = lowrank(seed=21, n=1300)
    make(vdb, 500, x[:499])
    assert counts(vdb) == (0, 499)
    insert(vdb, x[499:500], 500)
    assert counts(vdb) == (500, 0)  # the 500th row flushed the buffer
    insert(vdb, x[500:1300], 501)
    assert counts(vdb) == (1000, 300)
    vdb.execute("insert into v(v) values ('integrity_check')")
    check(vdb, x, np.arange(1, 1301), qs, floor=0.99)


def test_zero_threshold_inserts_at_once(vdb):
    x, qs = lowrank(seed=22, n=600)
    make(vdb, 0, x)
    assert counts(vdb) == (600, 0)
    check(vdb, x, np.arange(1, 601), qs, floor=0.99)


def test_default_threshold_buffers(vdb):
    x, _ = lowrank(seed=23, n=300)
    vdb.execute(f"create virtual table v using vec0(emb float[{D}] indexed by "
                "diskann(neighbor_quantizer=int8))")
    insert(vdb, x, 1)
    assert counts(vdb) == (0, 300)


def test_buffered_rows_are_exact_answers(vdb):
    """Queries near the buffered rows: the graph alone could not return them."""
    x, qs = lowrank(seed=24, n=2400)
    make(vdb, 2000, x)
    assert counts(vdb) == (2000, 400)
    near = x[2000:2040] + 0.01  # each query next to a buffered row
    check(vdb, x, np.arange(1, 2401), near, floor=0.99)
    for i in range(2000, 2010):
        row = vdb.execute("select rowid, distance from v where emb match ? and k = 1",
                          (x[i].tobytes(),)).fetchone()
        assert row == (i + 1, 0.0)


def test_batch_built_graph_recall(vdb):
    """Rows that joined the graph in batches are found as well as rows inserted one by one."""
    x, qs = lowrank(seed=25, n=3000)
    make(vdb, 1000, x)
    assert counts(vdb) == (3000, 0)
    batched = check(vdb, x, np.arange(1, 3001), qs, floor=0.98)
    vdb.execute("drop table v")
    make(vdb, 0, x)
    one_by_one = check(vdb, x, np.arange(1, 3001), qs, floor=0.98)
    assert batched >= one_by_one - 0.02


def test_filters_apply_to_buffered_rows(vdb):
    """Filters leaving half the rows search the graph (and the buffer); a selective one
    scans every allowed row, buffered or not."""
    n = 5000
    x, qs = lowrank(seed=26, n=n)
    vdb.execute(f"create virtual table v using vec0(part integer partition key, emb float[{D}] "
                f"{DISKANN.format(3500)}, cat integer)")
    cats, parts = np.arange(n) % 10, np.arange(n) % 2
    vdb.execute("begin")
    vdb.executemany("insert into v(rowid, part, emb, cat) values (?, ?, ?, ?)",
                    [(i + 1, int(parts[i]), x[i].tobytes(), int(cats[i])) for i in range(n)])
    vdb.execute("commit")
    assert counts(vdb) == (3500, 1500)
    ids = np.arange(1, n + 1)
    near = x[3500:3530] + 0.01
    check(vdb, x, ids, near, " and cat < 5", cats < 5)
    check(vdb, x, ids, near, " and part = 1", parts == 1)
    check(vdb, x, ids, near, " and part = 0 and cat in (1, 2, 3)",
          (parts == 0) & np.isin(cats, [1, 2, 3]))
    # rowid IN: a few graph rows and a few buffered ones
    chosen = [5, 17, 1999, 3501, 4000, 4999]
    mask = np.isin(ids, chosen)
    check(vdb, x, ids, near[:5], f" and rowid in ({','.join(map(str, chosen))})", mask,
          floor=1.0)


def test_delete_and_update_of_buffered_rows(vdb):
    x, qs = lowrank(seed=27, n=1500)
    make(vdb, 1000, x)
    assert counts(vdb) == (1000, 500)
    vdb.execute("delete from v where rowid between 1201 and 1300")
    assert counts(vdb) == (1000, 400)
    # a buffered row's new vector is the one that counts, before and after it joins the graph
    moved = x[3] + 0.001
    vdb.execute("update v set emb = ? where rowid = 1400", (moved.tobytes(),))
    x2 = x.copy()
    x2[1399] = moved
    keep = np.ones(1500, bool)
    keep[1200:1300] = False
    ids = np.arange(1, 1501)
    check(vdb, x2, ids, qs, mask=keep)
    assert vdb.execute("select rowid from v where emb match ? and k = 2 order by rowid",
                       (x[3].tobytes(),)).fetchall() == [(4,), (1400,)]
    vdb.execute("insert into v(v) values ('integrity_check')")
    vdb.execute("insert into v(v) values ('optimize')")  # also empties the buffer
    assert counts(vdb) == (1400, 0)
    vdb.execute("insert into v(v) values ('integrity_check')")
    check(vdb, x2, ids, qs, mask=keep)
    assert vdb.execute("select rowid from v where emb match ? and k = 2 order by rowid",
                       (x[3].tobytes(),)).fetchall() == [(4,), (1400,)]


def test_replaced_graph_row_waits_in_the_buffer(vdb):
    """INSERT OR REPLACE of a row in the graph leaves a tombstone and buffers the new row."""
    x, qs = lowrank(seed=28, n=1100)
    make(vdb, 1000, x)
    vdb.execute("insert or replace into v(rowid, emb) values (5, ?)", (x[700].tobytes(),))
    assert 5 in buffered(vdb)
    rows = vdb.execute("select rowid from v where emb match ? and k = 3",
                       (x[700].tobytes(),)).fetchall()
    assert sorted(r[0] for r in rows)[:2] == [5, 701] and len(set(rows)) == 3
    vdb.execute("insert into v(v) values ('integrity_check')")
    vdb.execute("insert into v(v) values ('optimize')")
    vdb.execute("insert into v(v) values ('integrity_check')")
    assert counts(vdb) == (1100, 0)


def test_rollback_and_savepoints(tmp_path):
    x, qs = lowrank(seed=29, n=1800)
    path = str(tmp_path / "r.db")
    db = helpers.connect("vec", database=path)
    make(db, 400, x[:1000])
    before = counts(db)
    assert before == (800, 200)
    db.execute("begin")  # crosses two flushes, then rolls back
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1000, 1700)])
    assert len(buffered(db)) == 100  # the graph's nodes are written at commit
    db.execute("rollback")
    assert counts(db) == before
    db.execute("insert into v(v) values ('integrity_check')")
    check(db, x[:1000], np.arange(1, 1001), qs)
    db.execute("begin")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1000, 1100)])
    db.execute("savepoint s")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1100, 1500)])  # a flush
    db.execute("delete from v where rowid <= 50")
    db.execute("rollback to s")
    db.execute("release s")
    db.executemany("insert into v(rowid, emb) values (?, ?)",
                   [(i + 1, x[i].tobytes()) for i in range(1100, 1150)])
    db.execute("commit")
    assert counts(db) == (800, 350)
    db.execute("insert into v(v) values ('integrity_check')")
    check(db, x[:1150], np.arange(1, 1151), qs)
    db.close()
    other = helpers.connect("vec", database=path)  # reopened: the buffer is still there
    check(other, x[:1150], np.arange(1, 1151), qs)
    insert(other, x[1150:1200], 1151)  # the count goes on from the stored buffer
    assert counts(other) == (1200, 0)
    other.execute("insert into v(v) values ('integrity_check')")
    other.close()


def test_two_connections_see_each_others_buffer(tmp_path):
    x, qs = lowrank(seed=30, n=700)
    path = str(tmp_path / "c.db")
    a = helpers.connect("vec", database=path)
    b = helpers.connect("vec", database=path)
    make(a, 300, x[:100])
    insert(b, x[100:250], 101)  # b counts the buffer a filled
    insert(a, x[250:300], 251)  # a must not trust a count from before b wrote
    assert counts(a) == (300, 0)
    insert(b, x[300:700], 301)
    assert counts(b) == (600, 100)
    check(a, x, np.arange(1, 701), qs)
    a.execute("insert into v(v) values ('integrity_check')")
    a.close()
    b.close()


CHILD = """
import os, sys, numpy as np
sys.path.insert(0, {tests!r})
import helpers
first = int(sys.argv[1])
x = np.frombuffer(bytes.fromhex(sys.stdin.read()), dtype=np.float32).reshape(-1, {d})
db = helpers.connect("vec", database={path!r})
print("ready", flush=True)
if sys.argv[2] == "loop":  # one row per transaction, over and over, until killed
    while True:
        for i, v in enumerate(x):
            db.execute("insert or replace into v(rowid, emb) values (?, ?)",
                       (first + i, v.tobytes()))
else:  # a transaction whose inserts flushed the buffer, killed before it commits
    db.execute("begin")
    for i, v in enumerate(x):
        db.execute("insert into v(rowid, emb) values (?, ?)", (first + i, v.tobytes()))
    os.kill(os.getpid(), 9)
"""


def run_child(path, x, first, mode, kill_after=None):
    child = CHILD.format(tests=str(helpers.ROOT / "tests"), d=D, path=path)
    proc = subprocess.Popen([sys.executable, "-c", child, str(first), mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    proc.stdin.write(x.tobytes().hex())
    proc.stdin.close()
    assert proc.stdout.readline().strip() == "ready"
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -9
    proc.stdout.close()


def check_reopened(path, x, qs, threshold):
    """Rowid r holds x[r - 1]: the reopened file is consistent and answers exactly."""
    db = helpers.connect("vec", database=path)
    db.execute("insert into v(v) values ('integrity_check')")
    ids = np.array([r[0] for r in db.execute("select rowid from v order by rowid")])
    graph, waiting = counts(db)
    assert graph + waiting == len(ids) and waiting < threshold
    check(db, x[ids - 1], ids, qs)
    db.close()
    return len(ids)


def test_kill_9_during_flushes(tmp_path):
    """A writer inserting one row per transaction, the buffer flushing every 20 rows, killed
    at a random moment, three times: the file reopens consistent, every committed row in the
    graph or the buffer, and answers stay exact."""
    x, qs = lowrank(seed=31, n=2800)
    path = str(tmp_path / "k.db")
    db = helpers.connect("vec", database=path)
    make(db, 20, x[:1000])
    db.close()
    rng = np.random.default_rng(31)
    rows = 1000
    for attempt in range(3):
        first = 1001 + 600 * attempt
        run_child(path, x[first - 1:first + 599], first, "loop", 0.1 + 0.3 * rng.random())
        rows = check_reopened(path, x, qs, 20)
        db = helpers.connect("vec", database=path)  # the next attempt's rowids follow on
        db.execute(f"delete from v where rowid >= {first}")
        db.close()
    assert rows > 1000


def test_kill_9_after_a_flush_before_commit(tmp_path):
    x, qs = lowrank(seed=36, n=1300)
    path = str(tmp_path / "f.db")
    db = helpers.connect("vec", database=path)
    make(db, 100, x[:1050])
    db.close()
    run_child(path, x[1050:1300], 1051, "txn")  # flushes twice, never commits
    assert check_reopened(path, x, qs, 100) == 1050


@pytest.mark.parametrize("sabotage, message", [
    ("insert into v_graphbuffer00(rowid, vector) values (99999, zeroblob(128))",
     "rowid 99999, which has no row"),
    ("update v_graphbuffer00 set vector = x'00' where rowid = 7", "wrong size"),
    ("drop table v_graphbuffer00; create table v_graphbuffer00(r text primary key) "
     "without rowid", "no such column|has no column named"),
    ("drop table v_graphbuffer00; create view v_graphbuffer00 as select 1 as rowid",
     "cannot modify"),
])
def test_strangers_buffer_table_is_an_error_naming_it(tmp_path, sabotage, message):
    x, qs = lowrank(seed=32, n=150)
    path = str(tmp_path / "s.db")
    db = helpers.connect("vec", database=path)
    make(db, 200, x[:100])
    db.close()
    plain = sqlite3.connect(path)
    plain.executescript(sabotage)
    plain.close()
    db = helpers.connect("vec", database=path)
    with pytest.raises(sqlite3.OperationalError, match="v_graphbuffer00"):
        db.execute("insert into v(v) values ('integrity_check')")
    with pytest.raises(sqlite3.OperationalError, match="v_graphbuffer00.*(" + message + ")"):
        db.execute("insert into v(rowid, emb) values (101, ?)", (x[100].tobytes(),))
        db.execute("insert into v(v) values ('optimize')")
    # queries: an error naming the table, or the answer without the stranger's rows
    try:
        rows = db.execute("select rowid from v where emb match ? and k = 3",
                          (x[5].tobytes(),)).fetchall()
        assert rows[0] == (6,)
    except sqlite3.OperationalError as e:
        assert "v_graphbuffer00" in str(e)
    db.close()


def test_buffered_graph_node_is_not_returned_twice(tmp_path):
    """A stranger's buffer listing a row the graph holds: integrity_check says so, and a query
    returns the row once."""
    x, qs = lowrank(seed=33, n=600)
    path = str(tmp_path / "d.db")
    db = helpers.connect("vec", database=path)
    make(db, 500, x)
    db.close()
    plain = sqlite3.connect(path)
    plain.execute("insert into v_graphbuffer00(rowid, vector) values (7, ?)", (x[6].tobytes(),))
    plain.commit()
    plain.close()
    db = helpers.connect("vec", database=path)
    with pytest.raises(sqlite3.OperationalError, match="rowid 7 is both in the graph"):
        db.execute("insert into v(v) values ('integrity_check')")
    rows = db.execute("select rowid from v where emb match ? and k = 5",
                      (x[6].tobytes(),)).fetchall()
    assert rows[0] == (7,) and len(set(rows)) == 5
    db.close()


@pytest.mark.parametrize("threshold, waiting", [(300, 100), (0, 0)])
def test_rename_keeps_the_buffer(vdb, threshold, waiting):
    x, qs = lowrank(seed=34, n=400)
    make(vdb, threshold, x)
    vdb.execute("alter table v rename to w")
    assert vdb.execute("select count(*) from w_graphbuffer00").fetchone()[0] == waiting
    vdb.execute("insert into w(w) values ('integrity_check')")
    vdb.execute("drop table w")
    assert vdb.execute("select count(*) from sqlite_master").fetchone()[0] == 0


def test_bad_threshold_is_an_error(vdb):
    with pytest.raises(sqlite3.OperationalError, match="buffer_threshold"):
        vdb.execute(f"create virtual table v using vec0(emb float[{D}] "
                    "indexed by diskann(neighbor_quantizer=int8, buffer_threshold=-1))")


def test_table_without_buffer_inserts_at_once(tmp_path):
    """A table of an earlier strata has no T_graphbufferNN: its rows join the graph at once,
    whatever the default threshold."""
    x, qs = lowrank(seed=35, n=300)
    path = str(tmp_path / "o.db")
    db = helpers.connect("vec", database=path)
    db.execute(f"create virtual table v using vec0(emb float[{D}] indexed by "
               "diskann(neighbor_quantizer=int8))")
    db.execute("drop table v_graphbuffer00")
    db.close()
    db = helpers.connect("vec", database=path)
    insert(db, x, 1)
    assert db.execute("select count(*) from v_graph00").fetchone()[0] == 300
    db.execute("insert into v(v) values ('integrity_check')")
    check(db, x, np.arange(1, 301), qs, floor=0.99)
    db.close()
