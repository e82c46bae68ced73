"""Who may change a connection's registries (embedding clients, local models, JSON schemas).

The attacks are those of a Datasette visitor, whose SQL is SELECT or WITH (which can write the
temp schema), on a read-only or pooled connection, and of a database file from a stranger. The
rule (ext/common/guard_sql.h): SQL changes the registries only while an admin session is open,
or on a writable connection where strata_lock() was never called."""

import sqlite3

import pytest

import helpers

LOCKED_RO = ("registries are locked on this connection: the connection is read-only (an operator "
             "opens them with CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin())")
LOCKED = "registries are locked on this connection: strata_lock() was called"

ADD_CLIENT = "INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'ollama')"
# The visitor attacks of the issue, written as Datasette accepts them (they start with WITH).
VISITOR_ADD_CLIENT = (
    "WITH x AS (SELECT 1) INSERT OR REPLACE INTO temp.rembed_clients(name, options) SELECT "
    "'evil', '{\"format\":\"openai\",\"model\":\"m\",\"url\":\"http://127.0.0.1:8999/v1/"
    "embeddings\",\"key\":\"k\"}' FROM x")
VISITOR_REDIRECT = ("WITH x AS (SELECT 1) UPDATE temp.rembed_clients SET options = "
                    "json_set(options, '$.url', 'http://127.0.0.1:8999/x') WHERE name = 'c'")
VISITOR_DELETE = "WITH x AS (SELECT 1) DELETE FROM temp.rembed_clients"
REGISTER_SCHEMA = "SELECT jsonschema_register('https://x/s.json', '{\"type\":\"string\"}')"


def add_model(path):
    return f"INSERT INTO temp.lembed_models(name, model) VALUES ('m', '{path}')"


def connect_ro(tmp_path, *names):
    path = tmp_path / "app.db"
    if not path.exists():
        sqlite3.connect(path).execute("CREATE TABLE t(x)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.enable_load_extension(True)
    for name in names or ("strata",):
        conn.load_extension(helpers.so_path(name))
    conn.enable_load_extension(False)
    return conn


def error_of(conn, sql):
    with pytest.raises(sqlite3.OperationalError) as e:
        conn.execute(sql).fetchall()
    return str(e.value)


def clients(conn):
    return [r[0] for r in conn.execute("SELECT name FROM temp.rembed_clients")]


def test_writable_connection_is_open(db):
    assert helpers.scalar(db, "SELECT strata_locked()") == 0
    db.execute(ADD_CLIENT)
    assert helpers.scalar(db, REGISTER_SCHEMA) == 1
    assert clients(db) == ["c"]


def test_strata_lock_closes_every_registry(db, tmp_path):
    db.execute(ADD_CLIENT)
    assert helpers.scalar(db, "SELECT strata_lock()") == 1
    assert helpers.scalar(db, "SELECT strata_locked()") == 1
    assert error_of(db, VISITOR_ADD_CLIENT) == f"rembed_clients: {LOCKED}"
    assert error_of(db, VISITOR_REDIRECT) == f"rembed_clients: {LOCKED}"
    assert error_of(db, VISITOR_DELETE) == f"rembed_clients: {LOCKED}"
    assert error_of(db, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED}"
    assert error_of(db, add_model(tmp_path / "none.gguf")) == f"lembed_models: {LOCKED}"
    assert clients(db) == ["c"]  # what the operator registered keeps working
    assert helpers.scalar(db, "SELECT rembed_usage('c') IS NOT NULL") == 1


def test_read_only_connection_refuses_visitor_sql(tmp_path):
    conn = connect_ro(tmp_path)
    assert helpers.scalar(conn, "SELECT strata_locked()") == 1
    # The eponymous tables live in main, which SQLite itself keeps read-only here.
    for sql in (ADD_CLIENT, VISITOR_ADD_CLIENT, add_model(tmp_path / "m.gguf")):
        assert error_of(conn, sql) == "attempt to write a readonly database"
    assert error_of(conn, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED_RO}"
    # An operator's temp table (the way to configure a read-only connection) is writable
    # SQL-wise: the guard refuses the visitor there.
    conn.execute("CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()")
    conn.execute("CREATE VIRTUAL TABLE temp.rembed_clients USING rembed_clients()")
    conn.execute("CREATE VIRTUAL TABLE temp.lembed_models USING lembed_models()")
    conn.execute(ADD_CLIENT)
    conn.execute("DROP TABLE temp.strata_admin")
    for sql in (VISITOR_ADD_CLIENT, VISITOR_REDIRECT, VISITOR_DELETE):
        assert error_of(conn, sql) == f"rembed_clients: {LOCKED_RO}"
    assert clients(conn) == ["c"]


def test_model_paths_are_not_probed_when_locked(tmp_path):
    # Before the lock, the errors told whether a server path exists and what kind it is.
    conn = connect_ro(tmp_path)
    conn.execute("CREATE VIRTUAL TABLE temp.lembed_models USING lembed_models()")
    real = tmp_path / "app.db"
    assert error_of(conn, add_model(real)) == error_of(conn, add_model(tmp_path / "missing"))
    assert error_of(conn, add_model(real)) == f"lembed_models: {LOCKED_RO}"


def test_query_only_connection_is_locked():
    conn = helpers.connect()
    conn.execute("PRAGMA query_only=1")
    assert helpers.scalar(conn, "SELECT strata_locked()") == 1
    assert error_of(conn, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED_RO}"
    conn.execute("PRAGMA query_only=0")
    assert helpers.scalar(conn, REGISTER_SCHEMA) == 1


def test_admin_session_opens_a_read_only_connection(tmp_path):
    conn = connect_ro(tmp_path)
    conn.execute("CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()")
    assert helpers.scalar(conn, "SELECT strata_locked()") == 0
    assert conn.execute("SELECT * FROM temp.strata_admin").fetchall() == [("open",)]
    conn.execute("CREATE VIRTUAL TABLE temp.rembed_clients USING rembed_clients()")
    conn.execute(ADD_CLIENT)
    assert helpers.scalar(conn, REGISTER_SCHEMA) == 1
    conn.execute("DROP TABLE temp.rembed_clients")  # the clients stay registered
    conn.execute("DROP TABLE temp.strata_admin")
    assert error_of(conn, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED_RO}"
    assert clients(conn) == ["c"]
    assert helpers.scalar(conn, "SELECT count(*) FROM temp.sqlite_master") == 0


def test_admin_session_after_strata_lock(db):
    db.execute("SELECT strata_lock()")
    db.execute("CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()")
    db.execute(ADD_CLIENT)
    db.execute("DROP TABLE temp.strata_admin")
    assert error_of(db, VISITOR_DELETE) == f"rembed_clients: {LOCKED}"


def test_rolled_back_admin_session_closes(tmp_path):
    conn = connect_ro(tmp_path)
    conn.execute("BEGIN")
    conn.execute("CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()")
    conn.execute("ROLLBACK")
    assert helpers.scalar(conn, "SELECT strata_locked()") == 1
    assert error_of(conn, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED_RO}"


def test_admin_session_only_in_temp(db):
    assert error_of(db, "CREATE VIRTUAL TABLE main.strata_admin USING strata_admin()") == (
        "strata_admin: create it in the temp schema: CREATE VIRTUAL TABLE temp.strata_admin "
        "USING strata_admin()")
    assert error_of(db, "CREATE VIRTUAL TABLE temp.a USING strata_admin(x)") == (
        "strata_admin: takes no arguments")


def test_a_database_file_cannot_open_a_session_nor_lock(tmp_path):
    # A stranger's file names strata_admin in its schema and calls strata_lock() from a view.
    path = tmp_path / "stranger.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t(x)")
    conn.execute("CREATE VIEW v AS SELECT strata_lock() AS x")
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES "
                 "('table', 'admin', 'admin', 0, 'CREATE VIRTUAL TABLE admin USING "
                 "strata_admin()')")
    conn.close()
    for uri in (f"file:{path}?mode=ro", f"file:{path}"):
        victim = sqlite3.connect(uri, uri=True, isolation_level=None)
        victim.enable_load_extension(True)
        victim.load_extension(helpers.so_path("strata"))
        locked = helpers.scalar(victim, "SELECT strata_locked()")
        assert "create it in the temp schema" in error_of(victim, "SELECT * FROM admin")
        assert helpers.scalar(victim, "SELECT strata_locked()") == locked
        assert "unsafe use of strata_lock()" in error_of(victim, "SELECT * FROM v")
        assert helpers.scalar(victim, "SELECT strata_locked()") == locked
        victim.close()


def test_one_lock_for_every_strata_library_on_a_connection(tmp_path):
    # embed.so registers the guard first; jsonschema.so and strata.so find it and obey it.
    conn = helpers.connect("embed", "jsonschema", "strata")
    conn.execute("SELECT strata_lock()")
    assert error_of(conn, ADD_CLIENT) == f"rembed_clients: {LOCKED}"
    assert error_of(conn, REGISTER_SCHEMA) == f"jsonschema_register: {LOCKED}"
    conn.enable_load_extension(True)
    conn.load_extension(helpers.so_path("strata"))  # loading again unlocks nothing
    assert error_of(conn, ADD_CLIENT) == f"rembed_clients: {LOCKED}"
