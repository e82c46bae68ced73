"""Queries on lsm1 tables against an ordinary WITHOUT ROWID table holding the same rows: every
bound shape in both orders and directions, IN lists, and operands of other types than the key
(where SQLite's affinity rules decide the answer), plus plans (EXPLAIN QUERY PLAN)."""

import pytest

import helpers

OPERANDS = {
    "UINT": [0, 1, 5, 7, 8, 2**62, 2**63 - 1, -1, -7, 2.5, 7.0, -0.5, 1e300, -1e300, "7", " 8 ",
             "7.5", "abc", "", b"\x07", None],
    "TEXT": ["", "a", "b", "ba", "c", "zz", "5", "15", 5, 15, 2.5, b"b", None],
    "BLOB": [b"", b"a", b"b", b"ba", b"\xff", "a", "b", 5, 1.5, None],
}
KEYS = {
    "UINT": [0, 1, 2, 5, 7, 8, 9, 100, 241, 2288, 70000, 2**40, 2**62, 2**63 - 1],
    "TEXT": ["", "0", "15", "5", "a", "aa", "b", "ba", "bb", "c", "zz", "é"],
    "BLOB": [b"", b"\x00", b"a", b"aa", b"b", b"ba", b"c", b"\xff", b"\xff\xff"],
}


@pytest.fixture(params=["UINT", "TEXT", "BLOB"])
def pair(request, ldb):
    kt = request.param
    ldb.execute(f"CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, {kt}, a)")
    ldb.execute(f"CREATE TABLE o(k {kt} PRIMARY KEY, a) WITHOUT ROWID")
    for i, k in enumerate(KEYS[kt]):
        for t in ("v", "o"):
            ldb.execute(f"INSERT INTO {t} VALUES (?, ?)", (k, i))
    return ldb, kt


def same(conn, sql, *args, ordered=True):
    got = conn.execute(sql.format(t="v"), args).fetchall()
    want = conn.execute(sql.format(t="o"), args).fetchall()
    if not ordered:
        got, want = sorted(got, key=repr), sorted(want, key=repr)
    assert got == want, (sql, args)
    return got


def test_single_bounds_and_equality(pair):
    conn, kt = pair
    for x in OPERANDS[kt]:
        for op in ["=", ">", ">=", "<", "<="]:
            for order in ["", " ORDER BY k", " ORDER BY k DESC"]:
                same(conn, f"SELECT k, a FROM {{t}} WHERE k {op} ?{order}", x, ordered=bool(order))


def test_two_bounds_in_either_order(pair):
    conn, kt = pair
    ops = [">", ">=", "<", "<="]
    xs = OPERANDS[kt]
    for lo in xs[::2]:
        for hi in xs[1::2]:
            for a in ops:
                for b in ops:
                    same(conn, f"SELECT k FROM {{t}} WHERE k {a} ? AND k {b} ? ORDER BY k", lo, hi)
                    same(conn, f"SELECT k FROM {{t}} WHERE k {b} ? AND k {a} ? ORDER BY k DESC",
                         hi, lo)
            same(conn, "SELECT k FROM {t} WHERE k BETWEEN ? AND ? ORDER BY k", lo, hi)


def test_lsm1_bugs_not_copied(pair):
    conn, kt = pair
    if kt != "UINT":
        return
    # lsm1 returned 5..8 here, and crashed with the upper bound first
    assert same(conn, "SELECT k FROM {t} WHERE k > 5 AND k <= 8") == [(7,), (8,)]
    assert same(conn, "SELECT k FROM {t} WHERE k <= 8 AND k > 5") == [(7,), (8,)]
    # lsm1 scanned < and <= downwards; the order is ascending unless asked
    assert same(conn, "SELECT k FROM {t} WHERE k <= 5") == [(0,), (1,), (2,), (5,)]
    # lsm1 found key 0 for -7 and key 3 for 3.9
    assert same(conn, "SELECT k FROM {t} WHERE k = -7") == []
    assert same(conn, "SELECT k FROM {t} WHERE k = 7.5") == []


def test_in_lists(pair):
    conn, kt = pair
    xs = OPERANDS[kt]
    for n in range(1, len(xs), 3):
        marks = ", ".join("?" * n)
        for order in ["", " ORDER BY k", " ORDER BY k DESC"]:
            same(conn, f"SELECT k, a FROM {{t}} WHERE k IN ({marks}){order}", *xs[:n],
                 ordered=bool(order))
    same(conn, "SELECT k FROM {t} WHERE k IN (SELECT k FROM o WHERE a % 2) ORDER BY k DESC")
    same(conn, "SELECT k FROM {t} WHERE k NOT IN (SELECT k FROM o WHERE a % 3) ORDER BY k")


def test_joins_and_other_columns(pair):
    conn, kt = pair
    conn.execute("CREATE TABLE probe(x)")
    conn.executemany("INSERT INTO probe VALUES (?)", [(x,) for x in OPERANDS[kt]])
    same(conn, "SELECT x, k, a FROM probe JOIN {t} ON k = x ORDER BY 2, 1", ordered=False)
    same(conn, "SELECT x, k FROM probe, {t} WHERE k > x AND a < 5", ordered=False)
    same(conn, "SELECT k FROM {t} WHERE a BETWEEN 2 AND 6 ORDER BY k DESC")
    same(conn, "SELECT k FROM {t} WHERE k >= (SELECT min(k) FROM o) ORDER BY a")
    same(conn, "SELECT count(*), min(k), max(k) FROM {t}")
    same(conn, "SELECT k FROM {t} ORDER BY k DESC LIMIT 3 OFFSET 2")
    same(conn, "SELECT k FROM {t} WHERE k IS NOT NULL ORDER BY k LIMIT 4")


def test_text_key_against_numeric_affinity_column(ldb):
    # an INTEGER column makes SQLite compare '05' and 5 numerically: the scan must not narrow
    ldb.execute("CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, TEXT, a)")
    ldb.execute("CREATE TABLE o(k TEXT PRIMARY KEY, a) WITHOUT ROWID")
    ldb.execute("CREATE TABLE n(x INTEGER)")
    ldb.execute("INSERT INTO n VALUES (5), (12)")
    for t in ("v", "o"):
        ldb.executemany(f"INSERT INTO {t} VALUES (?, 0)", [("05",), ("5",), ("12",), ("x",)])
    same(ldb, "SELECT k FROM n JOIN {t} ON k = x", ordered=False)
    same(ldb, "SELECT k FROM n JOIN {t} ON k < x", ordered=False)
    same(ldb, "SELECT k FROM {t} WHERE k = 5")


def test_nocase_collation_is_not_pushed(ldb):
    ldb.execute("CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, TEXT, a)")
    ldb.execute("CREATE TABLE o(k TEXT PRIMARY KEY, a) WITHOUT ROWID")
    for t in ("v", "o"):
        ldb.executemany(f"INSERT INTO {t} VALUES (?, 0)", [("A",), ("a",), ("B",), ("b",)])
    same(ldb, "SELECT k FROM {t} WHERE k = 'a' COLLATE NOCASE", ordered=False)
    same(ldb, "SELECT k FROM {t} WHERE k > 'a' COLLATE NOCASE ORDER BY k")
    same(ldb, "SELECT k FROM {t} ORDER BY k COLLATE NOCASE, k")


def plan(conn, sql):
    return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_plans(ldb):
    ldb.execute("CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, a)")
    assert plan(ldb, "SELECT * FROM kv WHERE k = 5") == "SCAN kv VIRTUAL TABLE INDEX 1:"
    assert plan(ldb, "SELECT * FROM kv WHERE k > 5 AND k <= 9 ORDER BY k") == \
        "SCAN kv VIRTUAL TABLE INDEX 14:"
    assert plan(ldb, "SELECT * FROM kv WHERE k <= 9 AND k > 5 ORDER BY k DESC") == \
        "SCAN kv VIRTUAL TABLE INDEX 46:"
    assert plan(ldb, "SELECT * FROM kv ORDER BY k DESC") == "SCAN kv VIRTUAL TABLE INDEX 32:"
    assert "TEMP B-TREE" in plan(ldb, "SELECT * FROM kv ORDER BY a")
    assert "TEMP B-TREE" in plan(ldb, "SELECT * FROM kv WHERE k IN (1, 2) ORDER BY k")
    # the lsm table is probed by key inside a join
    ldb.execute("CREATE TABLE ids(x INTEGER)")
    assert plan(ldb, "SELECT * FROM ids JOIN kv ON k = x") == \
        "SCAN ids | SCAN kv VIRTUAL TABLE INDEX 1:"


def test_range_plans_in_the_newer_sqlite():
    """SQLite 3.41+ offers LIMIT/OFFSET to virtual tables and handles IN differently; the
    answers must not change."""
    newer = helpers.newer_sqlite()
    code = f"""
import sqlite3, sys
sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})
import helpers
assert sqlite3.sqlite_version_info >= (3, 41), sqlite3.sqlite_version
import tempfile, os
os.chdir(tempfile.mkdtemp())
c = helpers.connect("lsm")
c.execute("CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, UINT, a)")
c.execute("CREATE TABLE o(k UINT PRIMARY KEY, a) WITHOUT ROWID")
for t in "vo":
    c.executemany(f"INSERT INTO {{t}} VALUES (?, ?)", [(i * 3, i) for i in range(200)])
queries = [
    "SELECT k FROM {{t}} ORDER BY k LIMIT 5 OFFSET 3",
    "SELECT k FROM {{t}} WHERE k > 100 ORDER BY k DESC LIMIT 7 OFFSET 2",
    "SELECT k FROM {{t}} WHERE k >= 30 AND k < 60 LIMIT 4",
    "SELECT k FROM {{t}} WHERE k IN (3, 9, 4, 600, 597, '12') ORDER BY k DESC",
    "SELECT k FROM {{t}} WHERE k IN (3, 9, 4, 600, 597) LIMIT 2",
    "SELECT k FROM {{t}} WHERE a > 10 ORDER BY k LIMIT 3",
    "SELECT k FROM {{t}} WHERE k > 5.5 AND k <= '21' LIMIT 10 OFFSET 1",
]
for q in queries:
    got, want = c.execute(q.format(t="v")).fetchall(), c.execute(q.format(t="o")).fetchall()
    assert got == want, (q, got, want)
print("ok", sqlite3.sqlite_version)
"""
    proc = newer.run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok 3.")


def test_utf16_database_text_order(tmp_path, monkeypatch):
    # SQLite orders UTF-16 text by its UTF-16 bytes, which is not the UTF-8 order of the keys
    monkeypatch.chdir(tmp_path)
    conn = helpers.connect("lsm")
    conn.execute("PRAGMA encoding = 'UTF-16le'")
    conn.execute("CREATE VIRTUAL TABLE v USING lsm1(v.lsm, k, TEXT, a)")
    conn.execute("CREATE TABLE o(k TEXT PRIMARY KEY, a) WITHOUT ROWID")
    words = ["a", "b", "ā", "é", "日本", "😀", "z", "ÿ", "Ā"]
    for t in ("v", "o"):
        conn.executemany(f"INSERT INTO {t} VALUES (?, 0)", [(w,) for w in words])
    for w in words:
        for op in ["<", ">=", "="]:
            same(conn, f"SELECT k FROM {{t}} WHERE k {op} ? ORDER BY k", w)
            same(conn, f"SELECT k FROM {{t}} WHERE k {op} ? ORDER BY k DESC", w)
    same(conn, "SELECT k FROM {t} ORDER BY k")
    conn.close()
