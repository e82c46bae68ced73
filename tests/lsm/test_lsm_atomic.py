"""lsm1 tables commit with the host database (issue #20): a failed COMMIT (SQLITE_BUSY, a commit
hook's veto) commits nothing, with one lsm table or two; a crash at each step of the commit
protocol (STRATA_LSM_CRASH_AT kills the process there) and at random moments leaves the
ordinary and the lsm tables agreeing. LSM_ATOMIC_KILLS sets the number of random kills (long
mode: a few hundred)."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import helpers
from lsm_raw import RawConnection

KILLS = int(os.environ.get("LSM_ATOMIC_KILLS", "24"))


def rows(conn, table):
    return [r[0] for r in conn.execute(f"SELECT k FROM {table} ORDER BY k")]


def make_tables(path, lsm_tables=("kv", "kv2"), wal=False):
    conn = helpers.connect("lsm", database=str(path))
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE o(k INTEGER PRIMARY KEY)")
    for t in lsm_tables:
        conn.execute(f"CREATE VIRTUAL TABLE {t} USING lsm1({t}.lsm, k, UINT, v)")
    return conn


# ---- a failed COMMIT -------------------------------------------------------------------------


@pytest.mark.parametrize("tables", [("kv",), ("kv", "kv2")])
def test_busy_commit_commits_nothing(tmp_path, tables):
    # the repro: another connection reads, so COMMIT cannot lock the file (rollback
    # journal); the transaction stays open, more rows go in, ROLLBACK undoes everything
    c1 = make_tables(tmp_path / "h.db", tables)
    c1.execute("PRAGMA busy_timeout=0")
    c2 = helpers.connect("lsm", database=str(tmp_path / "h.db"))
    c1.execute("BEGIN")
    c1.execute("INSERT INTO o VALUES (1)")
    for t in tables:
        c1.execute(f"INSERT INTO {t} VALUES (1, 'a')")
    c2.execute("BEGIN")
    assert rows(c2, "o") == []
    with pytest.raises(sqlite3.OperationalError) as e:
        c1.execute("COMMIT")
    assert e.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    for t in tables:
        assert rows(c2, t) == []  # not visible: not committed
        c1.execute(f"INSERT INTO {t} VALUES (2, 'b')")
        assert rows(c1, t) == [1, 2]  # still the open transaction's
    c1.execute("ROLLBACK")
    c2.execute("COMMIT")
    for conn in (c1, c2):
        assert rows(conn, "o") == []
        for t in tables:
            assert rows(conn, t) == []
    # COMMIT retried once the reader is gone commits everything, the rows added after too
    c1.execute("BEGIN")
    c1.execute("INSERT INTO o VALUES (3)")
    for t in tables:
        c1.execute(f"INSERT INTO {t} VALUES (3, 'c')")
    c2.execute("BEGIN")
    rows(c2, "o")
    with pytest.raises(sqlite3.OperationalError):
        c1.execute("COMMIT")
    for t in tables:
        c1.execute(f"INSERT INTO {t} VALUES (4, 'd')")
    c2.execute("COMMIT")
    c1.execute("COMMIT")
    assert rows(c2, "o") == [3]
    for t in tables:
        assert rows(c2, t) == [3, 4]
    c1.close()
    c2.close()
    # and after a reopen
    c3 = helpers.connect("lsm", database=str(tmp_path / "h.db"))
    for t in tables:
        assert rows(c3, t) == [3, 4]
    c3.close()


@pytest.mark.parametrize("database", ["file", "memory"])
@pytest.mark.parametrize("tables", [("kv",), ("kv", "kv2")])
def test_commit_hook_veto_commits_nothing(tmp_path, monkeypatch, tables, database):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "h.db" if database == "file" else ":memory:"
    raw = RawConnection(path)
    SQLITE_CONSTRAINT = 19
    assert raw.execute("CREATE TABLE o(k INTEGER PRIMARY KEY)") == 0
    for t in tables:
        assert raw.execute(f"CREATE VIRTUAL TABLE {t} USING lsm1({t}.lsm, k, UINT, v)") == 0
    raw.veto(True)
    assert raw.execute("BEGIN") == 0
    assert raw.execute("INSERT INTO o VALUES (1)") == 0
    for t in tables:
        assert raw.execute(f"INSERT INTO {t} VALUES (1, 'x')") == 0
    assert raw.execute("COMMIT") == SQLITE_CONSTRAINT
    for t in tables:  # an auto-commit write alone is vetoed too
        assert raw.execute(f"INSERT INTO {t} VALUES (2, 'y')") == SQLITE_CONSTRAINT
    raw.veto(False)
    assert raw.execute(f"INSERT INTO {tables[0]} VALUES (3, 'z')") == 0
    # another connection of the process sees the tables' files (the engine is shared)
    other = helpers.connect("lsm")
    for t in tables:
        other.execute(f"CREATE VIRTUAL TABLE temp.{t} USING lsm1('{tmp_path / t}.lsm', k, UINT, v)")
        assert rows(other, f"temp.{t}") == ([3] if t == tables[0] else [])
    other.close()
    raw.close()


# ---- crashes ---------------------------------------------------------------------------------

CHILD_PRELUDE = f"""
import os, sqlite3, sys
sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})
import helpers
"""


def run_child(code, env_extra=None, expect_kill=True, timeout=60):
    env = dict(os.environ)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if expect_kill:
        assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    else:
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return proc


# (step, its occurrence): with two lsm tables the steps of the second one too
STEPS = ["sync", "prepared", "recorded", "commit", "committed"]
AFTER_HOST_COMMIT = {"commit", "committed"}


@pytest.mark.parametrize("ntables", [1, 2])
@pytest.mark.parametrize("step", STEPS + ["rollback"])
def test_crash_at_each_step(tmp_path, step, ntables):
    tables = ["kv", "kv2"][:ntables]
    conn = make_tables(tmp_path / "h.db", tables)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO o VALUES (0)")
    for t in tables:
        conn.execute(f"INSERT INTO {t} VALUES (0, 'before')")
    conn.execute("COMMIT")
    conn.close()
    for nth in range(1, ntables + 1):
        if step == "rollback" and nth > 1:
            break
        # rollback: the COMMIT fails with SQLITE_BUSY once the tables are prepared and the
        # shadow rows updated; the ROLLBACK that follows is where the process dies
        run_child(f"""
            db = {str(tmp_path / 'h.db')!r}
            conn = helpers.connect("lsm", database=db)
            conn.execute("PRAGMA busy_timeout=0")
            reader = helpers.connect("lsm", database=db)
            conn.execute("BEGIN")
            conn.execute("INSERT INTO o VALUES ({nth})")
            for t in {tables!r}:
                conn.execute(f"INSERT INTO {{t}} VALUES ({nth}, 'x')")
            if {step == "rollback"}:
                reader.execute("BEGIN")
                reader.execute("SELECT * FROM o").fetchall()
                try:
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as e:
                    assert e.sqlite_errorcode == sqlite3.SQLITE_BUSY
                conn.execute("ROLLBACK")
            else:
                conn.execute("COMMIT")
            print("not killed")
        """, {"STRATA_LSM_CRASH_AT": f"{step}:{nth}"})
        conn = helpers.connect("lsm", database=str(tmp_path / "h.db"))
        committed = step in AFTER_HOST_COMMIT
        expect = rows(conn, "o")  # the host database decides; the lsm tables agree
        assert (nth in expect) == committed
        for t in tables:
            assert rows(conn, t) == expect, (step, nth, t)
        conn.close()
        # the commit that follows (which records any pending outcome) keeps them agreeing
        conn = helpers.connect("lsm", database=str(tmp_path / "h.db"))
        conn.execute("BEGIN")
        conn.execute(f"INSERT INTO o VALUES ({100 + nth})")
        for t in tables:
            conn.execute(f"INSERT INTO {t} VALUES ({100 + nth}, 'after')")
        conn.execute("COMMIT")
        conn.close()
        conn = helpers.connect("lsm", database=str(tmp_path / "h.db"))
        for t in tables:
            assert rows(conn, t) == rows(conn, "o")
            conn.execute(f"INSERT INTO {t}(lsm1_command) VALUES ('integrity-check')")
        conn.close()


WRITER = """
import random
conn = helpers.connect("lsm", database={db!r})
conn.execute("PRAGMA busy_timeout=1000")
rng = random.Random({seed})
i = {start}
print("ready", flush=True)
while True:
    conn.execute("BEGIN")
    conn.execute("INSERT INTO o VALUES (?)", (i,))
    conn.execute("INSERT INTO kv VALUES (?, ?)", (i, "x" * rng.randrange(400)))
    if i % 3:
        conn.execute("INSERT INTO kv2 VALUES (?, ?)", (i, "y" * rng.randrange(400)))
    if i % 11 == 0:
        conn.execute("ROLLBACK")
    else:
        conn.execute("COMMIT")
    if i % 5 == 0:
        conn.execute("BEGIN")
        conn.execute("DELETE FROM o WHERE k = ?", (i - 2,))
        conn.execute("DELETE FROM kv WHERE k = ?", (i - 2,))
        conn.execute("DELETE FROM kv2 WHERE k = ?", (i - 2,))
        conn.execute("COMMIT")
    else:
        conn.execute("INSERT INTO kv(lsm1_command) VALUES ('checkpoint')")
    i += 1
"""


def test_random_kills_keep_tables_agreeing(tmp_path):
    """A writer inserts the same id into an ordinary table and two lsm tables (kv2 for two ids
    in three) per transaction, rolls some back, deletes some in other transactions; it is killed at
    random moments. After each kill the tables must agree exactly."""
    rng = random.Random(int(os.environ.get("LSM_TEST_SEED", time.time_ns() % 100000)))
    for journal in ("delete", "wal"):
        path = tmp_path / f"{journal}.db"
        conn = make_tables(path, wal=journal == "wal")
        # small memtables: kills land in flushes and compactions too
        conn.execute("DROP TABLE kv")
        conn.execute("DROP TABLE kv2")
        for t in ("kv", "kv2"):
            conn.execute(f"CREATE VIRTUAL TABLE {t} USING lsm1({journal}-{t}.lsm, k, UINT, v,"
                         " memtable_bytes=65536, file_bytes=65536, level1_bytes=262144)")
        conn.close()
        start = 1
        for round_ in range(KILLS // 2):
            env = dict(os.environ)
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD_PRELUDE + WRITER.format(
                    db=str(path), seed=rng.randrange(1 << 30), start=start)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if proc.stdout.readline() != b"ready\n":  # connected: the kill lands in writes
                proc.kill()
                pytest.fail(f"the writer stopped: {proc.communicate()[1].decode()[-2000:]}")
            time.sleep(rng.random() * (1.0 if helpers.ASAN else 0.3))
            proc.kill()
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
            conn = helpers.connect("lsm", database=str(path))
            o = rows(conn, "o")
            assert rows(conn, "kv") == o, (journal, round_)
            assert rows(conn, "kv2") == [k for k in o if k % 3], (journal, round_)
            start = (max(o) if o else start) + 1000
            conn.close()
        conn = helpers.connect("lsm", database=str(path))
        assert len(rows(conn, "o")) > 0
        for t in ("kv", "kv2"):
            conn.execute(f"INSERT INTO {t}(lsm1_command) VALUES ('integrity-check')")
        conn.close()
