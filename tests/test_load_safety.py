"""Loading never fails halfway and never leaves a dangling function.

Datasette opens its _internal database with PRAGMA query_only=1 and file databases read-only;
Python's sqlite3 module keeps statements open; users load one extension and then the bundle.
Each case runs in a subprocess where a crash would take the test runner down with it."""

import sqlite3
import subprocess
import textwrap

import pytest

import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]
PYTHON = "/usr/bin/python3"


def run_python(code, **kw):
    """Runs code under /usr/bin/python3 with helpers importable; returns the process."""
    prelude = f"import sys; sys.path.insert(0, {str(helpers.ROOT / 'tests')!r}); import helpers\n"
    return subprocess.run([PYTHON, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, **kw)


def load(conn, name, entry=None):
    conn.enable_load_extension(True)
    try:
        if entry:
            conn.execute("SELECT load_extension(?, ?)", (helpers.so_path(name), entry))
        else:
            conn.load_extension(helpers.so_path(name))
    finally:
        conn.enable_load_extension(False)


@pytest.mark.parametrize("name", SO_NAMES)
def test_loads_on_query_only_connection(name):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA query_only=1")
    load(conn, name)
    assert helpers.scalar(conn, f"SELECT {name}_version()") == helpers.version_of(name)
    assert helpers.scalar(conn, "SELECT count(*) FROM temp.sqlite_master") == 0


@pytest.mark.parametrize("name", SO_NAMES)
def test_loads_on_read_only_connection(name, tmp_path):
    path = tmp_path / "app.db"
    sqlite3.connect(path).execute("CREATE TABLE t(x)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    load(conn, name)
    assert helpers.scalar(conn, f"SELECT {name}_version()") == helpers.version_of(name)


def test_load_creates_nothing_in_temp():
    # Datasette shows a "these databases are attached: temp" box when temp holds anything.
    conn = helpers.connect()
    assert helpers.scalar(conn, "SELECT count(*) FROM temp.sqlite_master") == 0
    # The registries are eponymous tables: usable at once, as sqlite-rembed's users expect.
    conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'ollama')")
    assert helpers.scalar(conn, "SELECT name FROM temp.rembed_clients") == "c"


def test_loading_again_keeps_the_registries():
    conn = helpers.connect("embed")
    conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'ollama')")
    for name in ("embed", "strata", "embed", "strata"):
        load(conn, name)
    assert [r[0] for r in conn.execute("SELECT name FROM temp.rembed_clients")] == ["c"]
    assert helpers.scalar(conn, "SELECT strata_version()") == helpers.VERSION


def test_strata_after_embed_with_a_statement_open():
    # The crash of the issue: a failed init after a partial registration, then a call into the
    # unloaded library. Now the second library finds embed registered and loads the rest.
    proc = run_python(f"""
        import sqlite3
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.enable_load_extension(True)
        conn.load_extension({helpers.so_path("embed")!r})
        cur = conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 10) SELECT i FROM n")
        cur.fetchone()  # the statement stays open
        conn.load_extension({helpers.so_path("strata")!r})
        print(conn.execute("SELECT strata_version(), vec_version(), embed_version()").fetchone())
        conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'ollama')")
        print(cur.fetchall()[-1])
        conn.close()
        print("closed")
    """)
    assert proc.returncode == 0, proc.stderr
    v = helpers.VERSION
    assert proc.stdout.split("\n")[:3] == [str((v, helpers.VEC_VERSION, v)), "(10,)", "closed"]


def test_a_conflict_with_a_running_statement_registers_nothing():
    # A function strata would replace exists (a peer's, here a Python one) while a statement
    # runs: SQLite cannot replace it, so the load fails before registering anything.
    proc = run_python(f"""
        import sqlite3
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.create_function("vec_length", 1, lambda v: -1)
        before = conn.execute("SELECT count(*) FROM pragma_function_list").fetchone()[0]
        mods = conn.execute("SELECT count(*) FROM pragma_module_list").fetchone()[0]
        cur = conn.execute("SELECT 1 UNION ALL SELECT 2")
        cur.fetchone()
        conn.enable_load_extension(True)
        try:
            conn.load_extension({helpers.so_path("strata")!r})
            print("loaded")
        except sqlite3.OperationalError as e:
            print(e)
        cur.fetchall()
        print(conn.execute("SELECT count(*) FROM pragma_function_list").fetchone()[0] - before)
        print(conn.execute("SELECT count(*) FROM pragma_module_list").fetchone()[0] - mods)
        conn.load_extension({helpers.so_path("strata")!r})  # nothing running now: replaces
        print(conn.execute("SELECT vec_length(vec_f32('[1,2]'))").fetchone()[0])
        conn.close()
    """)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0] == ("error during initialization: vec: cannot replace the function vec_length while a statement is "
                        "running on this connection (load the extension before running "
                        "statements, or finish them first)")
    assert lines[1:4] == ["0", "0", "2"]


def test_single_extension_entry_point_then_the_bundle_through_sql():
    # SELECT load_extension() itself is a running statement: the second load must still work.
    conn = sqlite3.connect(":memory:", isolation_level=None)
    load(conn, "strata", "sqlite3_vec_init")
    load(conn, "strata", "sqlite3_strata_init")
    load(conn, "strata", "sqlite3_strata_init")
    assert helpers.scalar(conn, "SELECT strata_version() = timezone_version()") == 1


def test_auto_extension_host_opens():
    # sqlite3_open() fails when an automatic extension returns with an error code left on the
    # connection (a probe for an absent function): covered by tests/static/host_*.c, which the
    # C program suite runs; here the same through the shell, which loads before any statement.
    proc = subprocess.run(["sqlite3", ":memory:", f".load {helpers.so_path('strata')}",
                           f".load {helpers.so_path('vec')}", "SELECT strata_version();"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == helpers.VERSION
