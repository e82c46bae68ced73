"""The flat KNN scan with worker threads (threads=N): the same answers as one thread and numpy,
under filters and distance bounds, and interrupts still stop it."""

import sqlite3

import numpy as np
import pytest

import helpers

# 6,000 x 256 float32 = 6 MiB: past the 4 MiB a scan reads before it starts workers
N, D = 6000, 256


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, D)).astype(np.float32)
    return x, rng.normal(size=(8, D)).astype(np.float32)


def table(x, decl=""):
    db = helpers.connect("vec")
    db.execute(f"create virtual table v using vec0(emb float[{D}], cat integer{decl})")
    db.execute("begin")
    db.executemany("insert into v(rowid, emb, cat) values (?, ?, ?)",
                   ((i + 1, x[i].tobytes(), i % 10) for i in range(len(x))))
    db.execute("commit")
    return db


def knn(db, q, where="", k=20):
    return db.execute(f"select rowid, distance from v where emb match ? and k = {k}{where}",
                      (q.tobytes(),)).fetchall()


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_threads_answer_as_one_thread_and_numpy(data, threads):
    x, qs = data
    db = table(x)
    for where, mask in (("", np.ones(N, bool)), (" and cat < 3", np.arange(N) % 10 < 3),
                        (" and distance > 21.5", None)):
        db.execute("insert into v(v) values ('threads=1')")
        one = [knn(db, q, where) for q in qs]
        db.execute(f"insert into v(v) values ('threads={threads}')")
        many = [knn(db, q, where) for q in qs]
        assert many == one
        for q, got in zip(qs, many):
            d = np.sqrt(((x - q) ** 2).sum(1))
            ids = np.nonzero(d > 21.5 if mask is None else mask)[0]
            want = ids[np.argsort(d[ids])[:20]] + 1
            assert {r for r, _ in got} == set(want.tolist())
    db.close()


def test_threads_with_deleted_rows_and_a_quantized_scan(data):
    x, qs = data
    db = table(x)
    db.execute("delete from v where rowid % 3 = 0")
    db.execute("insert into v(v) values ('threads=2')")
    for q in qs[:3]:
        got = knn(db, q)
        assert all(r % 3 for r, _ in got)
        d = np.sqrt(((x - q) ** 2).sum(1))
        live = np.nonzero((np.arange(N) + 1) % 3)[0]
        assert {r for r, _ in got} == set((live[np.argsort(d[live])[:20]] + 1).tolist())
    db.close()
    db = helpers.connect("vec")
    db.execute(f"create virtual table r using vec0(emb float[{D}] indexed by rescore("
               "quantizer=int8))")
    db.execute("begin")
    db.executemany("insert into r(rowid, emb) values (?, ?)",
                   ((i + 1, x[i].tobytes()) for i in range(N)))
    db.execute("commit")
    sql = "select rowid, distance from r where emb match ? and k = 10"
    one = [db.execute(sql, (q.tobytes(),)).fetchall() for q in qs]
    db.execute("insert into r(r) values ('threads=2')")
    assert [db.execute(sql, (q.tobytes(),)).fetchall() for q in qs] == one
    db.close()


def test_an_interrupt_stops_a_threaded_scan(data):
    x, qs = data
    db = table(x)
    db.execute("insert into v(v) values ('threads=2')")
    calls = []
    db.set_progress_handler(lambda: calls.append(1), 10)
    knn(db, qs[0])
    total, stop_at = len(calls), len(calls) * 5 // 6  # once the workers run (past 4 MiB)
    assert total > 20
    calls.clear()
    db.set_progress_handler(lambda: calls.append(1) or len(calls) >= stop_at, 10)
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        knn(db, qs[0])
    db.set_progress_handler(None, 0)
    assert len(knn(db, qs[0])) == 20  # the connection (and its scan) still work
    db.close()


@pytest.mark.parametrize("cmd", ["threads=0", "threads=9", "threads=two", "threads="])
def test_threads_command_rejects_bad_values(vdb, cmd):
    vdb.execute("create virtual table v using vec0(emb float[2])")
    with pytest.raises(sqlite3.OperationalError, match="threads must be an integer from 1 to 8"):
        vdb.execute("insert into v(v) values (?)", (cmd,))
