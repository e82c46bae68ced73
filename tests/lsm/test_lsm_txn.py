"""Transactions on lsm1 tables: BEGIN/COMMIT/ROLLBACK, savepoints, statement rollback, two
connections on one file (isolation, SQLITE_BUSY with a message), and reads during writes."""

import os
import sqlite3
import subprocess

import pytest

import helpers


def keys(conn, table="kv"):
    return [r[0] for r in conn.execute(f"SELECT k FROM {table}")]


@pytest.fixture
def two(tmp_path):
    """Two connections, each with its own (in-memory) database, sharing one lsm file: only the
    engine arbitrates between them. (Tables in one SQLite database file are serialized by
    SQLite's own lock first.)"""
    path = tmp_path / "t.lsm"
    c1, c2 = helpers.connect("lsm"), helpers.connect("lsm")
    for c in (c1, c2):
        c.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
    yield c1, c2
    c1.close()
    c2.close()


def test_begin_commit_rollback(ldb):
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    ldb.execute("BEGIN")
    ldb.execute("INSERT INTO kv VALUES (1, 'a'), (2, 'b')")
    assert keys(ldb) == [1, 2]  # a transaction reads its own writes
    ldb.execute("ROLLBACK")
    assert keys(ldb) == []
    ldb.execute("BEGIN")
    ldb.execute("INSERT INTO kv VALUES (3, 'c')")
    ldb.execute("COMMIT")
    assert keys(ldb) == [3]


def test_savepoints(ldb):
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    ldb.execute("CREATE TABLE o(k INTEGER PRIMARY KEY, v)")
    script = [
        "BEGIN", "INSERT INTO {t} VALUES (1, 'a')", "SAVEPOINT s1",
        "INSERT INTO {t} VALUES (2, 'b')", "SAVEPOINT s2", "INSERT INTO {t} VALUES (3, 'c')",
        "DELETE FROM {t} WHERE k = 1", "ROLLBACK TO s2", "INSERT INTO {t} VALUES (4, 'd')",
        "RELEASE s2", "SAVEPOINT s3", "UPDATE {t} SET v = 'x'", "ROLLBACK TO s1",
        "INSERT INTO {t} VALUES (5, 'e')", "SAVEPOINT s4", "INSERT INTO {t} VALUES (6, 'f')",
        "RELEASE s4", "COMMIT",
    ]
    for t in ("kv", "o"):
        for step in script:
            ldb.execute(step.format(t=t))
            if not step.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")):
                assert ldb.execute(f"SELECT k, v FROM {t}").fetchall() is not None
    assert ldb.execute("SELECT k, v FROM kv").fetchall() == \
        ldb.execute("SELECT k, v FROM o").fetchall() == [(1, "a"), (5, "e"), (6, "f")]
    # a savepoint opened before the table's first write in the transaction
    ldb.execute("SAVEPOINT outer")
    ldb.execute("INSERT INTO kv VALUES (7, 'g')")
    ldb.execute("ROLLBACK TO outer")
    ldb.execute("INSERT INTO kv VALUES (8, 'h')")
    ldb.execute("RELEASE outer")
    assert keys(ldb) == [1, 5, 6, 8]


def test_isolation_between_connections(two):
    c1, c2 = two
    c1.execute("INSERT INTO kv VALUES (1, 'one')")
    assert keys(c2) == [1]
    c1.execute("BEGIN")
    c1.execute("INSERT INTO kv VALUES (2, 'two')")
    c1.execute("DELETE FROM kv WHERE k = 1")
    assert keys(c1) == [2]
    assert keys(c2) == [1]  # uncommitted writes are invisible
    c1.execute("COMMIT")
    assert keys(c2) == [2]


def test_second_writer_is_busy(two):
    c1, c2 = two
    c1.execute("BEGIN")
    c1.execute("INSERT INTO kv VALUES (1, 'one')")
    with pytest.raises(sqlite3.OperationalError) as e:
        c2.execute("INSERT INTO kv VALUES (2, 'two')")
    assert str(e.value) == "lsm1: kv is busy: database is locked by another writer"
    assert e.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    assert keys(c2) == []  # reading is fine
    c1.execute("COMMIT")
    c2.execute("INSERT INTO kv VALUES (2, 'two')")
    assert keys(c1) == [1, 2]


def test_scan_sees_one_snapshot(two):
    # a scan that is under way does not see commits made after it started
    c1, c2 = two
    c1.executemany("INSERT INTO kv VALUES (?, 0)", [(i,) for i in range(0, 100, 2)])
    cur = c2.execute("SELECT k FROM kv")
    first = cur.fetchmany(5)
    c1.executemany("INSERT INTO kv VALUES (?, 0)", [(i,) for i in range(1, 100, 2)])
    c1.execute("DELETE FROM kv WHERE k > 50")
    rest = cur.fetchall()
    assert [r[0] for r in first + rest] == list(range(0, 100, 2))
    assert keys(c2) == list(range(0, 51))


def test_writes_while_reading_the_same_table(ldb):
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    ldb.execute("CREATE TABLE o(k UINT PRIMARY KEY, v) WITHOUT ROWID")
    for t in ("kv", "o"):
        ldb.executemany(f"INSERT INTO {t} VALUES (?, ?)", [(i, i) for i in range(50)])
        ldb.execute(f"INSERT INTO {t} SELECT k + 1000, v * 2 FROM {t} WHERE k % 2 = 0")
        # keys 10..49 move onto 1000..1039, replacing the even ones
        ldb.execute(f"UPDATE OR REPLACE {t} SET k = k + 990, v = -v WHERE k BETWEEN 10 AND 49")
        ldb.execute(f"DELETE FROM {t} WHERE v IN (SELECT v FROM {t} WHERE k % 7 = 0)")
    rows = ldb.execute("SELECT * FROM kv").fetchall()
    assert rows == ldb.execute("SELECT * FROM o").fetchall()
    assert len(rows) > 20


def test_transaction_after_autocommit_writes(ldb):
    # regression: a transaction's writes vanished from scans once a lookup had read them back,
    # when the same handle had committed before (the batch kept the old sequence number)
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, BLOB, v)")
    ldb.execute("INSERT INTO kv VALUES (x'01', 1)")
    ldb.execute("BEGIN")
    ldb.execute("INSERT INTO kv VALUES (x'02', 2)")
    assert helpers.scalar(ldb, "SELECT v FROM kv WHERE k = x'03'") is None
    assert keys(ldb) == [b"\x01", b"\x02"]
    ldb.execute("COMMIT")
    assert keys(ldb) == [b"\x01", b"\x02"]


def test_another_process_gets_busy(tmp_path):
    path = tmp_path / "p.lsm"
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c", f"""
import sys
sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})
import helpers
c = helpers.connect("lsm")
c.execute("CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
c.execute("INSERT INTO kv VALUES (1, 'held')")
print("ready", flush=True)
sys.stdin.readline()
c.close()
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert holder.stdout.readline().strip() == "ready"
        conn = helpers.connect("lsm")
        with pytest.raises(sqlite3.OperationalError) as e:
            conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
        assert str(e.value).startswith(f"lsm1: cannot open '{path}': ")
        assert e.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
    assert conn.execute("SELECT * FROM kv").fetchall() == [(1, "held")]
    conn.close()


def test_threads_share_one_file(tmp_path):
    # four connections in four threads write disjoint keys in small transactions, retrying on
    # SQLITE_BUSY, while reading; every committed row is there at the end
    import threading

    path = tmp_path / "mt.lsm"
    errors, busy = [], [0]

    def worker(n):
        try:
            conn = helpers.connect("lsm")
            conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
            for batch in range(20):
                while True:
                    try:
                        conn.execute("BEGIN")
                        conn.executemany("INSERT INTO kv VALUES (?, ?)",
                                         [(n * 100000 + batch * 10 + i, n) for i in range(10)])
                        conn.execute("COMMIT")
                        break
                    except sqlite3.OperationalError as e:
                        assert "busy" in str(e), e
                        busy[0] += 1
                        if conn.in_transaction:
                            conn.execute("ROLLBACK")
                mine = conn.execute("SELECT count(*) FROM kv WHERE k BETWEEN ? AND ?",
                                    (n * 100000, n * 100000 + 99999)).fetchone()[0]
                assert mine == (batch + 1) * 10
            conn.close()
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    conn = helpers.connect("lsm")
    conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
    assert conn.execute("SELECT v, count(*) FROM kv GROUP BY v").fetchall() == [
        (n, 200) for n in range(4)]
    conn.execute("INSERT INTO kv(lsm1_command) VALUES ('integrity-check')")
    conn.close()


def test_threads_opening_and_closing(tmp_path):
    # regression: a close released the process-wide registry before the lock file, so an open
    # in another thread could find the file locked "by another process"
    import threading

    path = tmp_path / "oc.lsm"
    errors = []

    def worker():
        for _ in range(150):
            try:
                conn = helpers.connect("lsm")
                conn.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{path}', k, UINT, v)")
                conn.close()
            except sqlite3.Error as e:
                errors.append(str(e))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
