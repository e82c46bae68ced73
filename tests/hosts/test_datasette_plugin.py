"""The datasette-strata plugin on real Datasette 0.64.8: both wheels installed with pip
--no-index --no-deps into a fresh virtual environment next to Datasette, `python -m datasette
serve` on 127.0.0.1, and everything checked over HTTP as a visitor (and as root for _internal):
strata on every connection, the operator's configuration applied and locked, the visitor attacks
of test_datasette_load_extension.py refused on app.db and _memory, remote calls bounded by
sql_time_limit_ms, vectors rendered as numbers (also in a real browser), shadow tables hidden.

Three server starts: a configured one (most tests), one with the defaults and a per-database
subset of extensions, and one whose configuration is wrong and must not start."""

import json
import re
import sqlite3
import time

import pytest

import datasette_host
import docs_fixtures
import helpers

KEY = "sk-test-5ecret-key-0123456789"
TIME_LIMIT_MS = 1500
SCHEMA_URI = "https://example.com/person.json"
KNN = ("SELECT rowid, title, distance, embedding FROM items "
       "WHERE embedding MATCH '[0.25, 0.5, 0.75, 1.0]' AND k = 2")


def make_app_db(folder, lsm=True):
    path = folder / "app.db"
    conn = helpers.connect(database=str(path))
    conn.executescript("""
        CREATE VIRTUAL TABLE items USING vec0(embedding float[4], +title text);
        INSERT INTO items(rowid, embedding, title) VALUES
          (1, '[0.25, 0.5, 0.75, 1.0]', 'quarters'), (2, '[1, 0, 0, 0]', 'x'),
          (3, '[0, 1, 0, 0]', 'y');
        CREATE VIRTUAL TABLE kinds USING vec0(h float16[4], q int8[4], b bit[8]);
        INSERT INTO kinds(rowid, h, q, b) VALUES
          (1, vec_f16('[0.5, 1, 1.5, 2]'), vec_int8('[1, -2, 3, -4]'), vec_bit(X'0D'));
        CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT, embedding BLOB, long float[16],
                          photo BLOB);
        INSERT INTO docs VALUES (1, 'hello', vec_f32('[0.1, 0.2, 0.3, 0.4]'),
          vec_f32('[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]'),
          X'89504E470D0A1A0A0000000D49484452');
    """)
    if lsm:  # Datasette checks every table at startup: lsm1 needs lsm loaded
        conn.executescript(f"""
            CREATE VIRTUAL TABLE kv USING lsm1('{folder / "kv.lsm"}', k, TEXT, v);
            INSERT INTO kv VALUES ('a', 'apple');
        """)
    conn.close()
    return path


@pytest.fixture(scope="module")
def slow():
    # accepts connections (the kernel completes them from the backlog) and never answers
    lst = datasette_host.Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, slow):
    folder = tmp_path_factory.mktemp("plugin")
    app = make_app_db(folder)
    docs_fixtures.prepare("embed.md", folder)  # mini.gguf, a tiny BERT model
    metadata = {"plugins": {"datasette-strata": {
        "clients": {
            "operator": {"format": "openai", "model": "m", "key": {"$env": "STRATA_TEST_KEY"},
                         "url": f"http://127.0.0.1:{slow.port}/v1/embeddings"},
            "nomic-embed-text": "ollama",
        },
        "models": {"mini": str(folder / "mini.gguf")},
        "schemas": {SCHEMA_URI: {"type": "object", "required": ["name"]}},
    }}}
    (folder / "metadata.json").write_text(json.dumps(metadata))
    with datasette_host.Server(app, "--memory", "--root", "-m", folder / "metadata.json",
                               "--setting", "sql_time_limit_ms", TIME_LIMIT_MS, cwd=folder,
                               env={"STRATA_TEST_KEY": KEY},
                               python=datasette_host.plugin_python()) as ds:
        yield ds
        assert KEY not in ds.output()


def test_the_plugin_is_installed_from_its_wheel(served):
    plugins = json.loads(served.get("/-/plugins.json")[1])
    [plugin] = [p for p in plugins if p["name"] == "datasette-strata"]
    assert plugin["version"] == helpers.VERSION
    assert set(plugin["hooks"]) >= {"prepare_connection", "render_cell", "get_metadata",
                                    "startup"}
    assert not plugin["static"] and not plugin["templates"]


@pytest.mark.parametrize("db", ["app", "_memory"])
def test_every_connection_has_strata_configured_and_locked(served, db):
    row = served.query(db, """SELECT strata_version() AS version, strata_locked() AS locked,
        (SELECT count(*) FROM temp.sqlite_master) AS temp_objects,
        (SELECT group_concat(name) FROM (SELECT name FROM temp.rembed_clients ORDER BY name))
          AS clients,
        (SELECT group_concat(name) FROM temp.lembed_models) AS models,
        (SELECT group_concat(uri) FROM jsonschema_registry) AS schemas""")[0]
    assert row == {"version": helpers.VERSION, "locked": 1, "temp_objects": 0,
                   "clients": "nomic-embed-text,operator", "models": "mini",
                   "schemas": SCHEMA_URI}
    status, page = served.get(f"/{db}")
    assert status == 200 and b"databases are attached" not in page


def test_internal_is_loaded_and_locked_without_the_registries(served):
    # _internal's read connections are query_only; only root may query it
    assert served.get("/_internal.json?sql=select+1")[0] == 403
    row = served.query("_internal", """SELECT strata_version() AS version,
        strata_locked() AS locked, (SELECT count(*) FROM temp.rembed_clients) AS clients,
        (SELECT count(*) FROM temp.sqlite_master) AS temp_objects""", root=True)[0]
    assert row == {"version": helpers.VERSION, "locked": 1, "clients": 0, "temp_objects": 0}
    with pytest.raises(datasette_host.QueryError, match="attempt to write a readonly database"):
        served.query("_internal", "WITH x AS (SELECT 1) INSERT INTO temp.rembed_clients(name, "
                                  "options) SELECT 'evil', 'ollama' FROM x", root=True)


def test_every_extension_answers_through_the_json_api(served):
    row = served.query("app", f"""SELECT
        (SELECT v FROM kv WHERE k = 'a') AS lsm,
        jsonschema_matches('{{"$ref": "{SCHEMA_URI}"}}', '{{"name": "Ada"}}') AS js_ok,
        jsonschema_matches('{{"$ref": "{SCHEMA_URI}"}}', '{{"age": 3}}') AS js_bad,
        tz_local('2024-07-01 12:00:00', 'Asia/Tokyo') AS tz,
        vec_length(lembed('mini', 'hello world')) AS dims,
        embed_version() AS embed""")[0]
    assert row == {"lsm": "apple", "js_ok": 1, "js_bad": 0, "tz": "2024-07-01 21:00:00",
                   "dims": 64, "embed": helpers.VERSION}
    rows = served.query("app", "SELECT rowid, title, round(distance, 4) AS d FROM items "
                               "WHERE embedding MATCH '[0.25, 0.5, 0.75, 1.0]' AND k = 2")
    assert rows == [{"rowid": 1, "title": "quarters", "d": 0.0},
                    {"rowid": 3, "title": "y", "d": 1.3693}]


def attacks(listener_port, model_path):
    evil = f"http://127.0.0.1:{listener_port}/v1/embeddings"
    return [
        # a client pointing wherever the visitor says
        "WITH x AS (SELECT 1) INSERT OR REPLACE INTO temp.rembed_clients(name, options) SELECT "
        f"'evil', '{{\"format\":\"openai\",\"model\":\"m\",\"url\":\"{evil}\",\"key\":\"k\"}}' "
        "FROM x",
        # redirecting the operator's client (and its key) elsewhere
        "WITH x AS (SELECT 1) UPDATE temp.rembed_clients SET options = json_set(options, "
        f"'$.url', '{evil}') WHERE name = 'operator'",
        # removing it
        "WITH x AS (SELECT 1) DELETE FROM temp.rembed_clients WHERE name = 'operator'",
        # opening any server path as a model
        "WITH x AS (SELECT 1) INSERT INTO temp.lembed_models(name, model) SELECT 'm', "
        f"'{model_path}' FROM x",
        "WITH x AS (SELECT 1) DELETE FROM temp.lembed_models",
        # changing the schemas every pooled connection validates against
        f"SELECT jsonschema_register('{SCHEMA_URI}', '{{\"type\":\"integer\"}}')",
    ]


@pytest.mark.parametrize("db", ["app", "_memory"])
def test_visitor_sql_changes_no_registry(served, listener, db):
    model = served.cwd / "mini.gguf"
    for sql in attacks(listener.port, model):
        with pytest.raises(datasette_host.QueryError) as e:
            served.query(db, sql)
        message = str(e.value)
        assert ("attempt to write a readonly database" in message
                or "registries are locked on this connection" in message), (sql, message)
    for sql in ["SELECT load_extension('/usr/lib/x86_64-linux-gnu/libcurl.so.4')",
                f"SELECT load_extension('{datasette_host.plugin_venv()}/nothing.so')"]:
        with pytest.raises(datasette_host.QueryError, match="not authorized"):
            served.query(db, sql)
    with pytest.raises(datasette_host.QueryError, match="unknown client 'evil'"):
        served.query(db, "SELECT rembed('evil', 'hi')")
    rows = served.query(db, "SELECT name, json_extract(options, '$.url') AS url "
                            "FROM temp.rembed_clients WHERE name = 'operator'")
    assert rows and f":{listener.port}/" not in rows[0]["url"]
    assert served.query(db, "SELECT name FROM temp.lembed_models") == [{"name": "mini"}]
    assert served.query(db, "SELECT json_extract(schema, '$.type') AS t FROM "
                            "jsonschema_registry") == [{"t": "object"}]
    assert listener.connections() == 0


def test_remote_calls_end_within_the_time_limit(served, slow):
    options = json.loads(served.value("app", "SELECT options FROM temp.rembed_clients "
                                             "WHERE name = 'operator'"))
    assert options["key"] == "(redacted)"
    if "deadline_ms" in options:  # embed with a per-call deadline
        assert options["deadline_ms"] == TIME_LIMIT_MS
    else:
        assert options["timeout_ms"] == TIME_LIMIT_MS
        assert options["connect_timeout_ms"] == TIME_LIMIT_MS
        assert options["max_retries"] == 0
    start = time.monotonic()
    with pytest.raises(datasette_host.QueryError) as e:
        served.query("app", "SELECT rembed('operator', 'hello')")
    elapsed = time.monotonic() - start
    assert elapsed < TIME_LIMIT_MS / 1000 + 5, elapsed  # the default timeout is 30 s
    assert "rembed: client 'operator'" in str(e.value) and KEY not in str(e.value)
    assert slow.connections() >= 1  # the request did go to the operator's server
    metadata = served.get("/-/metadata.json")[1].decode()
    assert KEY not in metadata and '"$env": "STRATA_TEST_KEY"' in metadata


def html(served, path):
    status, body = served.get(path)
    assert status == 200, body[:2000]
    return body.decode()


def previews(page):
    """{(type, dims): [text, ...]} of the vector previews in a page."""
    found = {}
    for kind, dims, text in re.findall(r'<span class="strata-vector" data-type="(\w+)" '
                                       r'data-dims="(\d+)" title="[^"]*">([^<]*)</span>', page):
        found.setdefault((kind, int(dims)), []).append(text)
    return found


def query_page(sql):
    from urllib.parse import urlencode
    return "/app?" + urlencode({"sql": sql})


def test_vectors_render_as_numbers(served):
    page = html(served, query_page(KNN))
    assert previews(page) == {("float32", 4): ["[0.25, 0.5, 0.75, 1.0]", "[0.0, 1.0, 0.0, 0.0]"]}
    assert "&lt;Binary" not in page
    page = html(served, "/app/kinds")
    assert previews(page) == {("float16", 4): ["[0.5, 1.0, 1.5, 2.0]"],
                              ("int8", 4): ["[1, -2, 3, -4]"],
                              ("bit", 8): ["[1, 0, 1, 1, 0, 0, 0, 0]"]}
    # an ordinary table: a BLOB column guessed as float32, a declared float[16] column shown as
    # its first values and its size, and a PNG header left alone
    page = html(served, "/app/docs")
    assert previews(page) == {("float32", 4): ["[0.1, 0.2, 0.3, 0.4]"],
                              ("float32", 16): ["[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, \u2026] 16 dims"]}
    assert "&lt;Binary:&nbsp;16&nbsp;bytes&gt;" in page
    # query columns: the type of the vector columns of that name in the database, or of the
    # constructor that names the column; other BLOBs stay binary (int8 bytes do not read as
    # plausible float32)
    page = html(served, query_page("SELECT q, b FROM kinds"))
    assert previews(page) == {("int8", 4): ["[1, -2, 3, -4]"],
                              ("bit", 8): ["[1, 0, 1, 1, 0, 0, 0, 0]"]}
    page = html(served, query_page("SELECT vec_int8('[1, 2, 3, 4]') AS codes, "
                                   "vec_int8('[5, 6, 7, 8]'), X'00FF00FF00FF00FF' AS raw"))
    assert previews(page) == {("int8", 4): ["[5, 6, 7, 8]"]}
    assert page.count("&lt;Binary") == 2


def test_shadow_tables_are_hidden(served):
    tables = {t["name"]: t["hidden"] for t in json.loads(served.get("/app.json")[1])["tables"]}
    shadow = {n for n in tables if re.fullmatch(r"(items|kinds)_(info|chunks|chunkrowids|rowids|"
                                                r"vectorchunks\d\d|auxiliary)", n)}
    assert shadow and all(tables[n] for n in shadow), tables
    assert not any(tables[n] for n in ("items", "kinds", "docs", "kv")), tables
    page = html(served, "/app")
    assert "items_vectorchunks00" not in page.split("hidden table")[0]


def test_a_browser_shows_the_preview(served):
    dom = datasette_host.render_dom(served.base + query_page(KNN))
    assert re.search(r'<span class="strata-vector"[^>]*>\[0\.25, 0\.5, 0\.75, 1\.0\]</span>',
                     dom), dom[-3000:]
    assert "&lt;Binary" not in dom


def test_defaults_and_a_subset_per_database(tmp_path):
    app = make_app_db(tmp_path, lsm=False)
    metadata = {"databases": {"app": {"plugins": {"datasette-strata": {
        "extensions": ["vec", "timezone"], "render_vectors": False}}}}}
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    with datasette_host.Server(app, "--memory", "-m", tmp_path / "metadata.json", cwd=tmp_path,
                               python=datasette_host.plugin_python()) as ds:
        # no configuration: all five, nothing registered, remote embeddings off, locked
        row = ds.query("_memory", """SELECT strata_version() AS v, strata_locked() AS locked,
            (SELECT count(*) FROM temp.rembed_clients) AS clients""")[0]
        assert row == {"v": helpers.VERSION, "locked": 1, "clients": 0}
        with pytest.raises(datasette_host.QueryError, match="unknown client"):
            ds.query("_memory", "SELECT rembed('openai', 'x')")
        # app: only vec and timezone, and BLOBs left as Datasette shows them
        assert ds.value("app", "SELECT vec_length(vec_f32('[1, 2]')) + (timezone_version() IS NOT NULL)") == 3
        assert ds.value("app", "SELECT strata_locked()") == 1
        for fn in ("jsonschema_version", "embed_version", "lsm_version", "strata_version"):
            with pytest.raises(datasette_host.QueryError, match=f"no such function: {fn}"):
                ds.query("app", f"SELECT {fn}()")
        assert previews(html(ds, query_page(KNN))) == {}
        for db in ("app", "_memory"):
            with pytest.raises(datasette_host.QueryError, match="not authorized"):
                ds.query(db, "SELECT load_extension('x')")


def test_a_wrong_configuration_stops_the_server_without_showing_the_key(tmp_path):
    app = tmp_path / "app.db"
    sqlite3.connect(app).close()
    metadata = {"plugins": {"datasette-strata": {"clients": {
        "oa": {"format": "openai", "model": "m", "key": {"$env": "STRATA_TEST_KEY"},
               "dimensions": "many"}}}}}
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    server = datasette_host.Server(app, "-m", tmp_path / "metadata.json", cwd=tmp_path,
                                   env={"STRATA_TEST_KEY": KEY},
                                   python=datasette_host.plugin_python())
    with pytest.raises(RuntimeError, match="exited with 1 at startup") as e:
        server.__enter__()
    output = str(e.value)
    assert "datasette-strata: client 'oa': rembed_clients: option 'dimensions'" in output
    assert KEY not in output
