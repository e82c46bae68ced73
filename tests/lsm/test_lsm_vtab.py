"""The lsm1 virtual table: declaration, encodings (byte-exact with SQLite's lsm1), writes,
conflict clauses, key validation, commands, lsm_stats, files and DROP."""

import os
import sqlite3

import pytest

import helpers
from lsm1_format import value_blob, varint


def make(conn, sql="CREATE VIRTUAL TABLE kv USING lsm1('kv.lsm', k, UINT, a, b, c)"):
    conn.execute(sql)


def error_of(conn, sql, *args):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql, args).fetchall()
    return str(e.value)


# ---- declaration ----------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["lsm1", "lsm"])
def test_declared_schema_is_lsm1s(ldb, module):
    ldb.execute(f"CREATE VIRTUAL TABLE kv USING {module}(kv.lsm, id, UINT, a, b INTEGER)")
    cols = ldb.execute("PRAGMA table_xinfo(kv)").fetchall()
    assert [(c[1], c[2], c[5], c[6]) for c in cols] == [
        ("id", "UINT", 1, 0), ("a", "", 0, 0), ("b", "INTEGER", 0, 0),
        ("lsm1_command", "", 0, 1), ("lsm1_key", "", 0, 1), ("lsm1_value", "", 0, 1)]
    assert [c[1] for c in ldb.execute("PRAGMA table_info(kv)")] == ["id", "a", "b"]
    assert "no such column: rowid" in error_of(ldb, "SELECT rowid FROM kv")


@pytest.mark.parametrize("args, message", [
    ("", "lsm1: filename (argument 1) missing"),
    ("f", "lsm1: key (argument 2) missing"),
    ("f, k", "lsm1: key type (argument 3) missing"),
    ("f, k, UINT", "lsm1: value1 (argument 4) missing"),
    ("f, k, INT, v", "lsm1: key type should be UINT, TEXT or BLOB (got 'INT')"),
    ("f, k, UINT, durability=full", "lsm1: value1 (argument 4) missing"),
    ("f, k, UINT, v, colour=red", "lsm1: unknown option 'colour'"),
    ("f, k, UINT, v, durability=sometimes",
     "lsm1: durability must be off, normal or full (got 'sometimes')"),
    ("f, k, UINT, v, memtable_bytes=12",
     "lsm1: memtable_bytes must be an integer from 65536 to 1073741824 (got '12')"),
    ("f, k, UINT, v, block_bytes='4k'",
     "lsm1: block_bytes must be an integer from 256 to 1048576 (got '4k')"),
    ("f, k, UINT, v, bloom_bits_per_key=-1",
     "lsm1: bloom_bits_per_key must be an integer from 0 to 40 (got '-1')"),
    ("f, k, UINT, v, file_bytes=1048576, level1_bytes=65536",
     "lsm1: level1_bytes (65536) must be at least file_bytes (1048576)"),
    ("f, k, UINT, v, v", "lsm1: bad column declaration: duplicate column name: v"),
])
def test_create_errors(ldb, args, message):
    assert error_of(ldb, f"CREATE VIRTUAL TABLE t USING lsm1({args})") == message
    assert not os.path.exists("f")


def test_options_accepted(ldb):
    make(ldb, "CREATE VIRTUAL TABLE kv USING lsm(kv.lsm, k, TEXT, v, durability = FULL,"
              " memtable_bytes=65536, block_bytes=1024, file_bytes=65536, bloom_bits_per_key=0,"
              " l0_trigger=2, level1_bytes=131072, compact_steps=1)")
    for start in range(0, 3000, 500):  # a flush waits for the next commit
        ldb.execute("BEGIN")
        ldb.executemany("INSERT INTO kv VALUES (?, ?)",
                        [(f"key{i:05}", "x" * 50) for i in range(start, start + 500)])
        ldb.execute("COMMIT")
    assert helpers.scalar(ldb, "SELECT count(*) FROM kv") == 3000
    stats = dict(ldb.execute("SELECT * FROM lsm_stats('kv')"))
    assert stats["flushes"] >= 2  # a 64 KiB memtable for ~200 KiB of rows
    assert helpers.scalar(ldb, "SELECT v FROM kv WHERE k = 'key02999'") == "x" * 50


# ---- encodings ------------------------------------------------------------------------------


def test_known_lsm1_bytes(ldb):
    # the bytes lsm1 itself produces (ext/lsm1/test/lsm1_simple.test and hand-checked ones)
    make(ldb, "CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, id, UINT, a, b, c)")
    ldb.execute("INSERT INTO kv VALUES (15, 11, 22, 33), (300, 0, NULL, -1), (123456789, 1, 2, 3)")
    assert ldb.execute("SELECT id, hex(lsm1_key), hex(lsm1_value) FROM kv").fetchall() == [
        (15, "0F", "4284C6"), (300, "F13C", "00050701"), (123456789, "FB075BCD15", "060C12")]


KEYS = [0, 1, 240, 241, 2287, 2288, 67823, 67824, 2**24 - 1, 2**24, 2**32 - 1, 2**32,
        2**40 - 1, 2**40, 2**48, 2**56 - 1, 2**56, 2**63 - 1]


def test_uint_keys_match_the_model_and_sort(ldb):
    make(ldb, "CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, id, UINT, v)")
    ldb.executemany("INSERT INTO kv VALUES (?, 0)", [(k,) for k in reversed(KEYS)])
    rows = ldb.execute("SELECT id, lsm1_key FROM kv").fetchall()
    assert [r[0] for r in rows] == KEYS
    assert [r[1] for r in rows] == [varint(k) for k in KEYS]


VALUES = [None, 0, 40, 41, -1, -40, 2**63 - 1, -2**63, 0.5, -0.0, 1e308, 3.141592653589793,
          "", "text", "ünï", b"", b"\x00\xff", b"x" * 300, "y" * 1000]


def test_values_keep_types_and_match_the_model(ldb):
    make(ldb, "CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, id, UINT, a, b, c)")
    rows = [(i, VALUES[i], VALUES[-1 - i], VALUES[(i * 7) % len(VALUES)]) for i in range(len(VALUES))]
    ldb.executemany("INSERT INTO kv VALUES (?, ?, ?, ?)", rows)
    got = ldb.execute("SELECT id, a, b, c, typeof(a), lsm1_value FROM kv").fetchall()
    for (i, a, b, c), g in zip(rows, got):
        assert g[:4] == (i, a, b, c)
        assert g[5] == value_blob([a, b, c]), (i, a, b, c)
    assert ldb.execute("SELECT typeof(a) FROM kv WHERE id IN (0, 1, 8, 12, 15)").fetchall() == [
        ("null",), ("integer",), ("real",), ("text",), ("blob",)]


def test_text_and_blob_keys(ldb):
    make(ldb, "CREATE VIRTUAL TABLE t USING lsm1(t.lsm, k, TEXT, v)")
    make(ldb, "CREATE VIRTUAL TABLE b USING lsm1(b.lsm, k, BLOB, v)")
    ldb.executemany("INSERT INTO t VALUES (?, 1)", [("8",), ("12",), ("15",), ("",), ("é",)])
    assert [r[0] for r in ldb.execute("SELECT k FROM t")] == ["", "12", "15", "8", "é"]
    assert helpers.scalar(ldb, "SELECT hex(lsm1_key) FROM t WHERE k = 'é'") == "C3A9"
    # numbers become their text, as TEXT affinity does
    ldb.execute("INSERT INTO t VALUES (7, 1), (2.5, 1)")
    assert ldb.execute("SELECT k, typeof(k) FROM t WHERE k IN ('7', '2.5')").fetchall() == [
        ("2.5", "text"), ("7", "text")]
    ldb.executemany("INSERT INTO b VALUES (?, 1)", [(b"\x01\x02",), (b"\x01",), (b"",), (b"\xff",)])
    assert [r[0] for r in ldb.execute("SELECT k FROM b")] == [b"", b"\x01", b"\x01\x02", b"\xff"]
    # text stored in a BLOB key is its UTF-8 bytes, read back as a blob (as lsm1)
    ldb.execute("INSERT INTO b VALUES ('ab', 2)")
    assert helpers.scalar(ldb, "SELECT v FROM b WHERE k = x'6162'") == 2


# ---- writes ---------------------------------------------------------------------------------


def test_insert_replaces_and_conflict_clauses(ldb):
    make(ldb)
    ldb.execute("INSERT INTO kv VALUES (1, 'a', NULL, NULL)")
    ldb.execute("INSERT INTO kv VALUES (1, 'b', NULL, NULL)")
    assert helpers.scalar(ldb, "SELECT a FROM kv WHERE k = 1") == "b"
    ldb.execute("INSERT OR REPLACE INTO kv VALUES (1, 'c', NULL, NULL)")
    ldb.execute("INSERT OR ABORT INTO kv VALUES (1, 'd', NULL, NULL)")
    assert helpers.scalar(ldb, "SELECT a FROM kv WHERE k = 1") == "d"
    cur = ldb.execute("INSERT OR IGNORE INTO kv VALUES (1, 'e', NULL, NULL), (2, 'e', NULL, NULL)")
    assert cur.rowcount == 1
    assert ldb.execute("SELECT k, a FROM kv").fetchall() == [(1, "d"), (2, "e")]
    assert error_of(ldb, "INSERT OR FAIL INTO kv VALUES (3, 'f', 0, 0), (1, 'f', 0, 0), (4, 'f', 0, 0)"
                    ) == "lsm1: UNIQUE constraint failed: kv key"
    assert ldb.execute("SELECT k, a FROM kv").fetchall() == [(1, "d"), (2, "e"), (3, "f")]
    ldb.execute("BEGIN")
    ldb.execute("INSERT INTO kv VALUES (5, 'g', 0, 0)")
    assert error_of(ldb, "INSERT OR ROLLBACK INTO kv VALUES (2, 'g', 0, 0)"
                    ) == "lsm1: UNIQUE constraint failed: kv key"
    assert not ldb.in_transaction
    assert ldb.execute("SELECT k FROM kv").fetchall() == [(1,), (2,), (3,)]


def test_statement_rollback_inside_a_transaction(ldb):
    # OR ABORT would replace; a statement that fails later (bad key) undoes only itself
    make(ldb)
    ldb.execute("BEGIN")
    ldb.execute("INSERT INTO kv VALUES (1, 'a', 0, 0)")
    assert "UINT key" in error_of(ldb, "INSERT INTO kv VALUES (2, 'b', 0, 0), (-3, 'c', 0, 0)")
    ldb.execute("INSERT INTO kv VALUES (4, 'd', 0, 0)")
    ldb.execute("COMMIT")
    assert ldb.execute("SELECT k, a FROM kv").fetchall() == [(1, "a"), (4, "d")]


def test_update_and_delete(ldb):
    make(ldb)
    ldb.executemany("INSERT INTO kv VALUES (?, ?, ?, ?)", [(i, i * 10, str(i), None) for i in range(10)])
    ldb.execute("UPDATE kv SET a = a + 1 WHERE k BETWEEN 2 AND 4")
    ldb.execute("UPDATE kv SET k = k + 100 WHERE k >= 8")  # key changes
    ldb.execute("UPDATE kv SET k = 0, b = 'moved' WHERE k = 5")  # onto an existing key: replaces
    ldb.execute("DELETE FROM kv WHERE k IN (1, 3)")
    assert ldb.execute("SELECT k, a, b FROM kv").fetchall() == [
        (0, 50, "moved"), (2, 21, "2"), (4, 41, "4"), (6, 60, "6"), (7, 70, "7"),
        (108, 80, "8"), (109, 90, "9")]
    assert error_of(ldb, "UPDATE OR FAIL kv SET k = 2 WHERE k = 4") == \
        "lsm1: UNIQUE constraint failed: kv key"
    ldb.execute("UPDATE OR IGNORE kv SET k = 2 WHERE k = 4")
    assert helpers.scalar(ldb, "SELECT a FROM kv WHERE k = 2") == 21
    ldb.execute("DELETE FROM kv")
    assert ldb.execute("SELECT * FROM kv").fetchall() == []


@pytest.mark.parametrize("key, message", [
    (-7, "lsm1: UINT key must be an integer from 0 to 9223372036854775807 (got -7)"),
    (3.5, "lsm1: UINT key must be an integer from 0 to 9223372036854775807 (got 3.5)"),
    ("abc", "lsm1: UINT key must be an integer from 0 to 9223372036854775807 (got abc)"),
    (b"\x01", "lsm1: UINT key must be an integer from 0 to 9223372036854775807 (got a blob)"),
    (1e19, "lsm1: UINT key must be an integer from 0 to 9223372036854775807 (got 1.0e+19)"),
    (None, "lsm1: key of kv must not be NULL"),
])
def test_bad_uint_keys(ldb, key, message):
    make(ldb)
    assert error_of(ldb, "INSERT INTO kv VALUES (?, 1, 2, 3)", key) == message
    assert ldb.execute("SELECT * FROM kv").fetchall() == []


def test_uint_keys_convert_like_integer_affinity(ldb):
    make(ldb)
    ldb.execute("INSERT INTO kv VALUES ('12', 1, 0, 0), (7.0, 2, 0, 0), (' 9 ', 3, 0, 0)")
    assert ldb.execute("SELECT k, typeof(k), a FROM kv").fetchall() == [
        (7, "integer", 2), (9, "integer", 3), (12, "integer", 1)]
    make(ldb, "CREATE VIRTUAL TABLE t USING lsm1(t.lsm, k, TEXT, v)")
    assert error_of(ldb, "INSERT INTO t VALUES (NULL, 1)") == "lsm1: key of t must not be NULL"


def test_hidden_columns_are_read_only(ldb):
    make(ldb)
    ldb.execute("INSERT INTO kv VALUES (1, 2, 3, 4)")
    msg = "lsm1: lsm1_key and lsm1_value are read-only"
    assert error_of(ldb, "INSERT INTO kv(k, a, lsm1_key) VALUES (2, 0, x'02')") == msg
    assert error_of(ldb, "INSERT INTO kv(k, a, lsm1_value) VALUES (2, 0, x'00')") == msg
    assert error_of(ldb, "UPDATE kv SET lsm1_value = x'00'") == msg
    assert error_of(ldb, "UPDATE kv SET lsm1_key = x'05'") == msg
    ldb.execute("UPDATE kv SET lsm1_key = lsm1_key, a = 9")  # unchanged passes through
    assert error_of(ldb, "UPDATE kv SET lsm1_command = 'flush'") == \
        "lsm1: lsm1_command only works in an INSERT"
    assert ldb.execute("SELECT k, a, lsm1_command FROM kv").fetchall() == [(1, 9, None)]


# ---- commands and lsm_stats -----------------------------------------------------------------


def files(stats):
    return sum(stats[f"level{i}_files"] for i in range(7))


def test_commands(ldb):
    make(ldb)
    ldb.executemany("INSERT INTO kv VALUES (?, ?, 0, 0)", [(i, i) for i in range(500)])
    stats = dict(ldb.execute("SELECT stat, value FROM lsm_stats('kv')"))
    assert stats["memtable_entries"] == 500 and stats["level0_files"] == 0
    assert stats["puts"] == 500 and stats["commits"] == 500
    ldb.execute("INSERT INTO kv(lsm1_command) VALUES ('flush')")
    stats = dict(ldb.execute("SELECT stat, value FROM lsm_stats('kv')"))
    assert stats["memtable_entries"] == 0 and stats["flushes"] == 1
    assert files(stats) == 1 and sum(stats[f"level{i}_bytes"] for i in range(7)) > 0
    ldb.execute("DELETE FROM kv WHERE k < 250")
    for cmd in ["checkpoint", "compact", "integrity-check"]:
        ldb.execute("INSERT INTO kv(lsm1_command) VALUES (?)", (cmd,))
    stats = dict(ldb.execute("SELECT stat, value FROM lsm_stats('kv')"))
    assert files(stats) == 1 and stats["compactions"] >= 1
    assert helpers.scalar(ldb, "SELECT count(*) FROM kv") == 250
    assert error_of(ldb, "INSERT INTO kv(lsm1_command) VALUES ('vacuum')") == (
        "lsm1: unknown command 'vacuum' (expected checkpoint, flush, compact, integrity-check or "
        "salvage)")
    assert error_of(ldb, "INSERT INTO kv(k, lsm1_command) VALUES (1, 'flush')") == \
        "lsm1: an INSERT with lsm1_command may not set other columns"
    assert sorted(r[0] for r in ldb.execute("SELECT stat FROM lsm_stats('kv')")) == sorted(
        [f"level{i}_{w}" for i in range(7) for w in ("files", "bytes")] +
        ["memtable_bytes", "memtable_entries", "log_bytes", "last_seq", "puts", "deletes",
         "gets", "commits", "flushes", "compactions", "bytes_flushed", "bytes_compacted",
         "bloom_skips", "max_stall_us", "stalls", "read_compactions", "salvage_dropped_records",
         "salvage_dropped_bytes", "salvage_last_seq", "salvage_damage"])


def test_lsm_stats_errors_and_lookup(tmp_path, ldb):
    make(ldb)
    assert error_of(ldb, "SELECT * FROM lsm_stats('nope')") == "lsm_stats: no lsm1 table named 'nope'"
    ldb.execute("CREATE TABLE plain(x)")
    assert error_of(ldb, "SELECT * FROM lsm_stats('plain')") == \
        "lsm_stats: no lsm1 table named 'plain'"
    assert helpers.scalar(ldb, "SELECT count(*) FROM lsm_stats('main.kv')") == 34
    assert ldb.execute("SELECT * FROM lsm_stats(NULL)").fetchall() == []
    # a table this connection has not touched yet is connected on demand
    path = str(tmp_path / "f.db")
    c1 = helpers.connect("lsm", database=path)
    c1.execute("CREATE VIRTUAL TABLE kv USING lsm1(f.lsm, k, UINT, v)")
    c1.execute("INSERT INTO kv VALUES (1, 1)")
    c1.close()
    c2 = helpers.connect("lsm", database=path)
    assert files(dict(c2.execute("SELECT * FROM lsm_stats('kv')"))) == 1
    c2.close()


# ---- files ----------------------------------------------------------------------------------


def test_relative_names_follow_the_database_file(tmp_path, ldb):
    sub = tmp_path / "sub"
    sub.mkdir()
    conn = helpers.connect("lsm", database=str(sub / "main.db"))
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1('data.lsm', k, UINT, v)")
    conn.execute("INSERT INTO kv VALUES (1, 'one')")
    assert (sub / "data.lsm").exists() and not (tmp_path / "data.lsm").exists()
    conn.execute(f"ATTACH '{tmp_path / 'other.db'}' AS o")
    conn.execute("CREATE VIRTUAL TABLE o.kv2 USING lsm1('data2.lsm', k, UINT, v)")
    assert (tmp_path / "data2.lsm").exists()
    conn.close()
    # the in-memory connection of the fixture resolves against the current directory
    make(ldb, "CREATE VIRTUAL TABLE m USING lsm1('mem.lsm', k, UINT, v)")
    assert (tmp_path / "mem.lsm").exists()
    absolute = tmp_path / "abs.lsm"
    make(ldb, f"CREATE VIRTUAL TABLE a USING lsm1('{absolute}', k, UINT, v)")
    assert absolute.exists()


def test_reopen_keeps_data(tmp_path):
    path = str(tmp_path / "r.db")
    model = {f"k{i}": (i, i / 2) for i in range(2000)}
    conn = helpers.connect("lsm", database=path)
    conn.execute("PRAGMA synchronous=OFF")  # every auto-commit also commits the database file
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(r.lsm, k, TEXT, v, w)")
    conn.executemany("INSERT INTO kv VALUES (?, ?, ?)", [(k, *v) for k, v in model.items()])
    conn.execute("INSERT INTO kv(lsm1_command) VALUES ('flush')")
    for i in range(0, 2000, 3):
        model[f"k{i}"] = (-i, None)
        conn.execute("INSERT INTO kv VALUES (?, ?, ?)", (f"k{i}", -i, None))
    conn.close()
    conn = helpers.connect("lsm", database=path)
    rows = conn.execute("SELECT k, v, w FROM kv WHERE k BETWEEN 'k10' AND 'k12'").fetchall()
    assert rows == sorted((k, *v) for k, v in model.items() if "k10" <= k <= "k12")
    assert conn.execute("SELECT k, v, w FROM kv").fetchall() == sorted((k, *v) for k, v in model.items())
    conn.close()


def test_drop_removes_the_files(tmp_path, ldb):
    make(ldb)
    ldb.execute("INSERT INTO kv VALUES (1, 2, 3, 4)")
    ldb.execute("INSERT INTO kv(lsm1_command) VALUES ('flush')")
    assert any(n.startswith("kv.lsm") for n in os.listdir(tmp_path))
    ldb.execute("DROP TABLE kv")
    assert [n for n in os.listdir(tmp_path) if n.startswith("kv.lsm")] == []


def test_drop_waits_for_other_connections(tmp_path):
    path = str(tmp_path / "d.db")
    c1 = helpers.connect("lsm", database=path)
    c1.execute("CREATE VIRTUAL TABLE kv USING lsm1(d.lsm, k, UINT, v)")
    c1.execute("INSERT INTO kv VALUES (1, 1)")
    c2 = helpers.connect("lsm", database=path)
    assert c2.execute("SELECT * FROM kv").fetchall() == [(1, 1)]
    c1.execute("DROP TABLE kv")
    assert (tmp_path / "d.lsm").exists()  # c2 still has it open
    c2.close()
    assert [n for n in os.listdir(tmp_path) if n.startswith("d.lsm")] == []
    c1.close()


def test_not_usable_from_schema_objects(ldb):
    make(ldb)
    ldb.execute("CREATE TABLE log(x)")
    ldb.execute("CREATE TRIGGER tr AFTER INSERT ON log BEGIN INSERT INTO kv VALUES (new.x, 0, 0, 0); END")
    assert "unsafe use of virtual table" in error_of(ldb, "INSERT INTO log VALUES (1)")
    ldb.execute("CREATE VIEW v AS SELECT * FROM kv")
    assert "unsafe use of virtual table" in error_of(ldb, "SELECT * FROM v")


def test_large_transaction_is_flushed_at_commit(ldb):
    # the engine would flush an oversized memtable only at the next commit; scans of a big
    # memtable are slow, so the table flushes right after the commit
    make(ldb, "CREATE VIRTUAL TABLE kv USING lsm1(kv.lsm, k, UINT, v, memtable_bytes=524288)")
    ldb.execute("BEGIN")
    ldb.executemany("INSERT INTO kv VALUES (?, ?)", [(i, "x" * 300) for i in range(3000)])
    ldb.execute("COMMIT")
    stats = dict(ldb.execute("SELECT * FROM lsm_stats('kv')"))
    assert stats["memtable_entries"] == 0 and stats["flushes"] == 1
    ldb.execute("INSERT INTO kv VALUES (5000, 'small')")
    stats = dict(ldb.execute("SELECT * FROM lsm_stats('kv')"))
    assert stats["memtable_entries"] == 1 and stats["flushes"] == 1
    assert helpers.scalar(ldb, "SELECT count(*) FROM kv") == 3001


def test_limits_and_foreign_rows(ldb):
    make(ldb, "CREATE VIRTUAL TABLE t USING lsm1(shared.lsm, k, TEXT, v)")
    assert error_of(ldb, "INSERT INTO t VALUES (?, 1)", "x" * (1 << 20 | 1)) == \
        "lsm1: write failed: key too large (limit 1 MiB)"
    ldb.execute("INSERT INTO t VALUES (?, ?)", ("big", b"\xab" * (4 << 20)))
    assert helpers.scalar(ldb, "SELECT length(v) FROM t WHERE k = 'big'") == 4 << 20
    # two tables on one file share its key space: rows another layout wrote read as far as
    # they fit, and a key that is not a UINT is an error, not a wrong number
    make(ldb, "CREATE VIRTUAL TABLE u USING lsm1(shared.lsm, k, UINT, a, b)")
    assert error_of(ldb, "SELECT * FROM u") == "lsm1: malformed UINT key in table u"
    ldb.execute("DELETE FROM t")
    ldb.execute("INSERT INTO u VALUES (5, 'five', 6)")
    assert ldb.execute("SELECT k, v FROM t").fetchall() == [("\x05", "five")]
    ldb.execute("INSERT INTO t VALUES (char(6), 'six')")
    assert ldb.execute("SELECT * FROM u").fetchall() == [(5, "five", 6), (6, "six", None)]


def test_damaged_table_file(tmp_path):
    path = str(tmp_path / "c.db")
    conn = helpers.connect("lsm", database=path)
    conn.execute("PRAGMA synchronous=OFF")  # every auto-commit also commits the database file
    conn.execute("CREATE VIRTUAL TABLE kv USING lsm1(c.lsm, k, UINT, v)")
    conn.executemany("INSERT INTO kv VALUES (?, ?)", [(i, "value %d" % i) for i in range(2000)])
    conn.close()  # the last close writes everything to a table file
    sst = [p for p in tmp_path.iterdir() if p.name.endswith(".sst")]
    assert len(sst) == 1
    data = bytearray(sst[0].read_bytes())
    for i in range(100, 200):
        data[i] ^= 0x5A
    sst[0].write_bytes(bytes(data))
    conn = helpers.connect("lsm", database=path)
    msg = error_of(conn, "INSERT INTO kv(lsm1_command) VALUES ('integrity-check')")
    assert msg.startswith("lsm1: integrity-check of kv failed: ")
    with pytest.raises(sqlite3.DatabaseError) as e:
        conn.execute("SELECT count(*) FROM kv").fetchall()
    assert e.value.sqlite_errorcode == sqlite3.SQLITE_CORRUPT
    assert str(e.value).startswith("lsm1: read failed: ")
    conn.close()


def test_rename(ldb):
    make(ldb)
    ldb.execute("INSERT INTO kv VALUES (1, 2, 3, 4)")
    ldb.execute("ALTER TABLE kv RENAME TO kv2")
    assert ldb.execute("SELECT k, a FROM kv2").fetchall() == [(1, 2)]
    assert dict(ldb.execute("SELECT * FROM lsm_stats('kv2')"))["puts"] == 1
    assert error_of(ldb, "SELECT * FROM lsm_stats('kv')") == "lsm_stats: no lsm1 table named 'kv'"
