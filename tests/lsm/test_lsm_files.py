"""What opening an lsm1 table does to files (issues #16 and #20): nothing. A damaged log is an
error until salvaged; a missing manifest or store is an error naming the file; a database whose
schema was written by a stranger to name someone else's folder changes nothing there, opened
read-only or read-write; a read-only connection sees every row of a crashed store and writes
nothing. And the shadow table's life: created, renamed and dropped with its table."""

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import helpers
from lsm_raw import RawConnection


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return e.value


def snapshot(folder):
    """Every file below folder: size, mtime and a hash of its bytes."""
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(root, n)
            st = os.stat(p)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = (st.st_size, st.st_mtime_ns,
                                                   hashlib.sha256(f.read()).hexdigest())
    return out


def child(code, expect_kill=False):
    prelude = f"import os, sqlite3, sys\nsys.path.insert(0, {str(helpers.ROOT / 'tests')!r})\n" \
              "import helpers\n"
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)
    if expect_kill:
        assert proc.returncode == -signal.SIGKILL, (proc.stdout, proc.stderr)
    else:
        assert proc.returncode == 0, (proc.stdout, proc.stderr)


def stats(conn, table):
    return dict(conn.execute(f"SELECT stat, value FROM lsm_stats('{table}')"))


# ---- a damaged log ---------------------------------------------------------------------------


def test_flipped_log_bit_is_an_error_until_salvaged(tmp_path):
    # the repro: three commits at durability=full, a crash without closing, one bit
    # flipped at byte 12 of the log
    db = str(tmp_path / "h.db")
    child(f"""
        conn = helpers.connect("lsm", database={db!r})
        conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v, durability=full)")
        for i in (1, 2, 3):
            conn.execute("INSERT INTO kv VALUES (?, 'value')", (i,))
        os.kill(os.getpid(), 9)
    """, expect_kill=True)
    log = tmp_path / "kv.lsm-log"
    data = bytearray(log.read_bytes())
    data[12] ^= 0x10
    log.write_bytes(bytes(data))
    before = snapshot(tmp_path)
    conn = helpers.connect("lsm", database=db)
    e = error_of(conn, "SELECT * FROM kv")
    assert e.sqlite_errorcode == sqlite3.SQLITE_CORRUPT
    assert f"lsm1: cannot open kv ('{tmp_path}/kv.lsm'): {tmp_path}/kv.lsm-log: damaged record " \
           "at offset 0, followed by" in str(e)
    assert "salvage" in str(e)
    e = error_of(conn, "INSERT INTO kv VALUES (9, 'x')")
    assert e.sqlite_errorcode == sqlite3.SQLITE_CORRUPT
    conn.close()
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    ro.enable_load_extension(True)
    ro.load_extension(helpers.so_path("lsm"))
    assert error_of(ro, "SELECT * FROM kv").sqlite_errorcode == sqlite3.SQLITE_CORRUPT
    assert error_of(ro, "INSERT INTO kv(lsm1_command) VALUES ('salvage')").sqlite_errorcode \
        == sqlite3.SQLITE_READONLY
    ro.close()
    assert snapshot(tmp_path) == before  # the evidence is left as it was
    conn = helpers.connect("lsm", database=db)
    conn.execute("BEGIN")
    assert "must run outside a transaction" in str(
        error_of(conn, "INSERT INTO kv(lsm1_command) VALUES ('salvage')"))
    conn.execute("ROLLBACK")
    conn.execute("INSERT INTO kv(lsm1_command) VALUES ('salvage')")
    s = stats(conn, "kv")
    assert s["salvage_dropped_records"] >= 2  # the later commits (and their outcome records)
    assert s["salvage_dropped_bytes"] == len(data)
    assert s["salvage_last_seq"] == 0
    assert s["salvage_damage"] == f"{tmp_path}/kv.lsm-log: damaged record at offset 0"
    assert conn.execute("SELECT * FROM kv").fetchall() == []
    conn.execute("INSERT INTO kv VALUES (4, 'after')")
    assert conn.execute("SELECT * FROM kv").fetchall() == [(4, "after")]
    conn.close()


def test_salvage_of_a_sound_table_drops_nothing(ldb):
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    ldb.execute("INSERT INTO kv VALUES (1, 'a')")
    ldb.execute("INSERT INTO kv(lsm1_command) VALUES ('salvage')")
    s = stats(ldb, "kv")
    assert (s["salvage_dropped_records"], s["salvage_dropped_bytes"], s["salvage_damage"]) == \
        (0, 0, None)
    assert ldb.execute("SELECT * FROM kv").fetchall() == [(1, "a")]


# ---- missing files ---------------------------------------------------------------------------


def test_missing_manifest_is_an_error(tmp_path):
    db = str(tmp_path / "h.db")
    conn = helpers.connect("lsm", database=db)
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO kv VALUES (?, ?)", [(i, "v" * 50) for i in range(10000)])
    conn.execute("COMMIT")
    conn.close()  # everything in table files
    os.unlink(tmp_path / "kv.lsm")
    before = snapshot(tmp_path)
    assert any(n.endswith(".sst") for n in before)
    conn = helpers.connect("lsm", database=db)
    e = error_of(conn, "SELECT count(*) FROM kv")
    assert e.sqlite_errorcode == sqlite3.SQLITE_CORRUPT
    assert f"{tmp_path}/kv.lsm: the manifest is missing but kv.lsm-0" in str(e)
    assert "lsm_stats: cannot open table 'kv': " in str(error_of(
        conn, "SELECT * FROM lsm_stats('kv')"))
    conn.close()
    assert snapshot(tmp_path) == before


def test_copy_without_its_store(tmp_path):
    # a copy of a database made without its lsm files: an error naming the path, no new store
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    conn = helpers.connect("lsm", database=str(src / "h.db"))
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    conn.execute("INSERT INTO kv VALUES (1, 'a')")
    conn.close()
    shutil.copy(src / "h.db", dst / "h.db")
    before = snapshot(dst)
    conn = helpers.connect("lsm", database=str(dst / "h.db"))
    e = error_of(conn, "SELECT * FROM kv")
    assert e.sqlite_errorcode == sqlite3.SQLITE_CANTOPEN
    assert str(e) == (f"lsm1: cannot open kv ('{dst}/kv.lsm'): {dst}/kv.lsm: no such lsm "
                      "database (its manifest file does not exist)")
    assert "no such lsm database" in str(error_of(conn, "INSERT INTO kv VALUES (2, 'b')"))
    assert snapshot(dst) == before
    conn.execute("DROP TABLE kv")  # still possible, and removes nothing
    assert sorted(os.listdir(dst)) == ["h.db"]
    conn.close()


# ---- a stranger's database -------------------------------------------------------------------


def crashed_store(folder, name="kv"):
    """A store left by a crash: tables, commits in the log, then stray files that look like the
    store's (a table number it never used, a manifest-in-progress name)."""
    child(f"""
        conn = helpers.connect("lsm")
        conn.execute("CREATE VIRTUAL TABLE t USING lsm1('{folder}/{name}', k, UINT, v,"
                     " memtable_bytes=65536)")
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, 'x' * 100) for i in range(2000)])
        conn.execute("COMMIT")
        for i in range(2000, 2050):
            conn.execute("INSERT INTO t VALUES (?, 'in the log')", (i,))
        os.kill(os.getpid(), 9)
    """, expect_kill=True)
    (folder / f"{name}-000099.sst").write_bytes(b"someone's file")
    (folder / f"{name}-tmp").write_bytes(b"someone else's file")


def crafted_database(path, folder):
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("CREATE TABLE innocent(x)")
    conn.execute("PRAGMA writable_schema=ON")
    for name, target in [("x", f"{folder}/kv"), ("y", f"{folder}/missing/kv"),
                         ("z", f"{folder}/nothing-here")]:
        conn.execute("INSERT INTO sqlite_master VALUES ('table', ?, ?, 0, ?)", (
            name, name, f"CREATE VIRTUAL TABLE {name} USING lsm1('{target}', k, UINT, v)"))
    conn.close()


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_crafted_schema_changes_nothing(tmp_path, mode):
    folder = tmp_path / "victim"
    folder.mkdir()
    crashed_store(folder)
    db = tmp_path / "stranger.db"
    crafted_database(db, folder)
    before = snapshot(folder)
    assert "kv-log" in before and "kv-000099.sst" in before and "kv-tmp" in before
    conn = sqlite3.connect(f"file:{db}?mode={mode}", uri=True, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(helpers.so_path("lsm"))
    # the store opens and is read (every row, the logged ones too) ...
    assert conn.execute("SELECT count(*) FROM x").fetchone()[0] == 2050
    assert conn.execute("SELECT v FROM x WHERE k = 2049").fetchone()[0] == "in the log"
    if mode == "rw":
        conn.execute("INSERT INTO x(lsm1_command) VALUES ('integrity-check')")
    # ... but not written: read-only, or (read-write) its shadow table is not in this database
    e = error_of(conn, "INSERT INTO x VALUES (1, 'mine')")
    if mode == "ro":
        assert e.sqlite_errorcode == sqlite3.SQLITE_READONLY
    else:
        assert "cannot write x: its shadow table main.x_txn is missing" in str(e)
        e = error_of(conn, "INSERT INTO x(lsm1_command) VALUES ('flush')")
        assert "shadow table main.x_txn is missing" in str(e)
        assert "shadow table is missing" in str(
            error_of(conn, "INSERT INTO x(lsm1_command) VALUES ('salvage')"))
        # more reads (on a writable store they may start compactions): read-only, nothing moves
        for _ in range(3):
            for k in range(0, 2050, 7):
                conn.execute("SELECT v FROM x WHERE k = ?", (k,)).fetchall()
            conn.execute("SELECT count(*) FROM x WHERE k > 100").fetchall()

    # missing paths are errors naming them, and stay missing
    e = error_of(conn, "SELECT * FROM y")
    assert e.sqlite_errorcode == sqlite3.SQLITE_CANTOPEN and f"{folder}/missing/kv" in str(e)
    e = error_of(conn, "SELECT * FROM z")
    assert "no such lsm database" in str(e) and f"{folder}/nothing-here" in str(e)
    if mode == "rw":
        # DROP TABLE of a table that was not created here leaves the files it names
        for t in ("x", "y", "z"):
            conn.execute(f"DROP TABLE {t}")
    conn.close()
    assert snapshot(folder) == before  # file by file: nothing created, deleted or changed


def test_read_only_connection_sees_a_crashed_store_and_writes_nothing(tmp_path):
    db = str(tmp_path / "h.db")
    child(f"""
        conn = helpers.connect("lsm", database={db!r})
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE o(k INTEGER PRIMARY KEY)")
        conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v, memtable_bytes=65536)")
        for b in range(60):
            conn.execute("BEGIN")
            for i in range(b * 40, b * 40 + 40):
                conn.execute("INSERT INTO o VALUES (?)", (i,))
                conn.execute("INSERT INTO kv VALUES (?, ?)", (i, 'v' * 90))
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.kill(os.getpid(), 9)
    """, expect_kill=True)
    # the store's files (SQLite's own -shm may change under a read-only WAL reader)
    before = {k: v for k, v in snapshot(tmp_path).items() if k.startswith("kv.lsm")}
    assert before["kv.lsm-log"][0] > 0 or before["kv.lsm-log2"][0] > 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(helpers.so_path("lsm"))
    o = [r[0] for r in conn.execute("SELECT k FROM o ORDER BY k")]
    assert len(o) == 2400
    assert [r[0] for r in conn.execute("SELECT k FROM kv")] == o
    e = error_of(conn, "INSERT INTO kv VALUES (1, 'x')")
    assert e.sqlite_errorcode == sqlite3.SQLITE_READONLY
    e = error_of(conn, "INSERT INTO kv(lsm1_command) VALUES ('flush')")
    assert e.sqlite_errorcode == sqlite3.SQLITE_READONLY
    conn.close()
    after = {k: v for k, v in snapshot(tmp_path).items() if k.startswith("kv.lsm")}
    assert after == before


# ---- the shadow table ------------------------------------------------------------------------


def test_shadow_table_follows_its_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conn = helpers.connect("lsm", database=str(tmp_path / "h.db"))
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    names = lambda: sorted(r[0] for r in conn.execute(  # noqa: E731
        "SELECT name FROM sqlite_master WHERE name LIKE 'kv%'"))
    assert names() == ["kv", "kv_txn"]
    coordinator, txn = conn.execute("SELECT coordinator, txn FROM kv_txn").fetchone()
    assert coordinator != 0 and txn == 0
    conn.execute("INSERT INTO kv VALUES (1, 'a')")
    assert conn.execute("SELECT txn FROM kv_txn").fetchone()[0] > 0
    conn.execute("ALTER TABLE kv RENAME TO kv2")
    assert names() == ["kv2", "kv2_txn"]
    conn.execute("INSERT INTO kv2 VALUES (2, 'b')")
    assert conn.execute("SELECT * FROM kv2").fetchall() == [(1, "a"), (2, "b")]
    conn.execute("CREATE TABLE kv3_txn(x)")
    e = error_of(conn, "CREATE VIRTUAL TABLE kv3 USING lsm1(kv3.lsm, k, UINT, v)")
    assert "lsm1: cannot create the shadow table kv3_txn" in str(e)
    assert not os.path.exists(tmp_path / "kv3.lsm")
    conn.execute("DROP TABLE kv2")
    assert names() == ["kv3_txn"]
    # atomic=off: the shadow table is there (the table is this database's) but not updated
    conn.execute("CREATE VIRTUAL TABLE fast USING lsm1(fast.lsm, k, UINT, v, atomic=off)")
    conn.execute("INSERT INTO fast VALUES (1, 'a')")
    assert conn.execute("SELECT txn FROM fast_txn").fetchone() == (0,)
    assert "atomic must be on or off (got 'maybe')" in str(error_of(
        conn, "CREATE VIRTUAL TABLE t USING lsm1(t.lsm, k, UINT, v, atomic=maybe)"))
    # in-memory databases have none
    mem = helpers.connect("lsm")
    mem.execute("CREATE VIRTUAL TABLE kv USING lsm1(mem.lsm, k, UINT, v)")
    mem.execute("INSERT INTO kv VALUES (1, 'a')")
    assert mem.execute("SELECT count(*) FROM sqlite_master").fetchone() == (1,)
    mem.close()
    conn.close()  # the copy of kv from before the rename lets go: the files go
    assert [n for n in os.listdir(tmp_path) if n.startswith("kv.lsm")] == []


def test_shadow_table_is_read_only_to_sql_in_defensive_mode(tmp_path):
    path = tmp_path / "h.db"
    conn = helpers.connect("lsm", database=str(path))
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v)")
    conn.close()
    raw = RawConnection(path)
    raw.defensive()
    assert raw.execute("UPDATE kv_txn SET txn = 0") == sqlite3.SQLITE_ERROR
    assert raw.errmsg() == "table kv_txn may not be modified"
    assert raw.execute("INSERT INTO kv VALUES (1, 'a')") == 0  # the table itself commits
    raw.close()
    conn = helpers.connect("lsm", database=str(path))
    assert conn.execute("SELECT txn FROM kv_txn").fetchone()[0] > 0
    assert conn.execute("SELECT * FROM kv").fetchall() == [(1, "a")]
    conn.close()
