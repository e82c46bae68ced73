"""rembed: remote embedding APIs, against a local server speaking each provider's wire format
(test_remote_server.py). Loopback only; every loop is bounded."""

import email.utils
import json
import re
import socket
import sqlite3
import subprocess
import struct
import threading
import time

import pytest

import helpers
from test_remote_server import ProviderServer, Scripted, SilentServer, vector, tokens

KEY = "sk-test-SECRET-4242"

# format -> (endpoint path on the test server, request field of the texts)
FORMATS = {
    "openai": "/v1/embeddings",
    "nomic": "/v1/embedding/text",
    "cohere": "/v2/embed",
    "jina": "/v1/embeddings",
    "mixedbread": "/v1/embeddings",
    "ollama": "/api/embed",
    "llamafile": "/embedding",
    "voyage": "/v1/embeddings",
    "gemini": "/v1beta/models/{model}:batchEmbedContents",
    "mistral": "/v1/embeddings",
    "llamacpp": "/v1/embeddings",
}
KEY_ENV = {"openai": "OPENAI_API_KEY", "nomic": "NOMIC_API_KEY", "cohere": "CO_API_KEY",
           "jina": "JINA_API_KEY", "mixedbread": "MIXEDBREAD_API_KEY",
           "voyage": "VOYAGE_API_KEY", "gemini": "GEMINI_API_KEY",
           "mistral": "MISTRAL_API_KEY"}
BASE64 = ["openai", "cohere", "jina", "mixedbread", "voyage", "mistral", "llamacpp"]


@pytest.fixture(scope="module")
def server():
    with ProviderServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy set in the environment must not capture requests to the loopback server."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def db(server):
    server.reset()
    conn = helpers.connect("embed")
    yield conn
    conn.close()


def floats(blob):
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def add_client(db, server, name, fmt, **opts):
    opts.setdefault("url", server.url + FORMATS[fmt])
    if fmt != "llamafile":
        opts.setdefault("model", "m-1")
    opts.setdefault("key", KEY)
    args = ["'format'", f"'{fmt}'"]
    for k, v in opts.items():
        args += [f"'{k}'", "?"]
    db.execute(f"INSERT INTO temp.rembed_clients(name, options) "
               f"VALUES (?, rembed_client_options({', '.join(args)}))",
               [name, *[str(v) if not isinstance(v, int) else v for v in opts.values()]])


def expected_body(fmt, texts, model="m-1", task=None):
    """The exact request body each format must send for texts (no options beyond url/key)."""
    if fmt == "gemini":
        req = []
        for t in texts:
            r = {"model": "models/" + model, "content": {"parts": [{"text": t}]}}
            if task:
                r["taskType"] = task
            req.append(r)
        return {"requests": req}
    if fmt == "llamafile":
        return {"content": texts[0]}
    body = {"model": model}
    if fmt in ("nomic", "cohere"):
        body["texts"] = texts
    else:
        body["input"] = texts
    field = {"cohere": "input_type", "nomic": "task_type", "jina": "task",
             "voyage": "input_type", "gemini": "taskType"}.get(fmt)
    if fmt == "cohere":
        body["input_type"] = task or "search_document"
        body["embedding_types"] = ["float"]
    elif task:
        body[field] = task
    if fmt == "llamacpp" and model is None:
        del body["model"]
    return body


# ---- versions and registration ------------------------------------------------------------


def test_version(db):
    assert helpers.scalar(db, "SELECT rembed_version()") == "v" + helpers.VERSION
    assert "libcurl" in helpers.scalar(db, "SELECT rembed_debug()")


@pytest.mark.parametrize("fmt", sorted(KEY_ENV))
def test_missing_key_names_the_variable(db, fmt, monkeypatch):
    monkeypatch.delenv(KEY_ENV[fmt], raising=False)
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('m-1', ?)", [fmt])
    assert str(e.value) == (f"rembed_clients: format {fmt} needs an API key: set the "
                            f"environment variable {KEY_ENV[fmt]} or pass option 'key'")


def test_key_from_environment_is_never_shown(db, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    db.execute("INSERT INTO temp.rembed_clients(name, options) "
               "VALUES ('text-embedding-3-small', 'openai')")
    name, options = db.execute("SELECT name, options FROM temp.rembed_clients").fetchone()
    assert name == "text-embedding-3-small"
    opts = json.loads(options)
    assert opts["format"] == "openai" and opts["model"] == "text-embedding-3-small"
    assert opts["key_from"] == "OPENAI_API_KEY" and "key" not in opts
    assert KEY not in options


def test_environment_key_never_goes_to_a_custom_url(db, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', "
               "rembed_client_options('format', 'openai', 'model', 'm', 'url', ?))",
               [server.url + "/v1/embeddings"])
    db.execute("SELECT rembed('c', 'hi')").fetchone()
    assert "Authorization" not in server.requests[-1]["headers"]
    assert KEY not in json.dumps(server.requests)


def test_explicit_key_is_redacted(db, server):
    add_client(db, server, "c", "openai")
    options = helpers.scalar(db, "SELECT options FROM temp.rembed_clients WHERE name = 'c'")
    assert json.loads(options)["key"] == "(redacted)"
    assert KEY not in options


@pytest.mark.parametrize("options,message", [
    ("'nope'", "unknown format 'nope' (expected one of openai, nomic, cohere, jina, mixedbread, "
               "ollama, llamafile, voyage, gemini, mistral, llamacpp)"),
    ("rembed_client_options('format', 'ollama')", "format ollama needs option 'model'"),
    ("rembed_client_options('model', 'x')", "option 'format' is required"),
    ("NULL", "options of client 'c' must not be NULL"),
    ("'{\"format\": \"ollama\", \"model\": \"m\", \"url\": \"file:///etc/passwd\"}'",
     "option 'url' must be an http:// or https:// URL"),
    ("rembed_client_options('format', 'ollama', 'model', 'm', 'encoding', 'base64')",
     "format ollama does not send base64 embeddings"),
    ("rembed_client_options('format', 'llamafile', 'dimensions', 8)",
     "format llamafile has no 'dimensions' option"),
    ("rembed_client_options('format', 'openai', 'model', 'm', 'key', 'k', 'input_type', 'q')",
     "format openai has no 'input_type' option"),
    ("rembed_client_options('format', 'llamafile', 'batch_size', 4)",
     "format llamafile embeds one text per request (batch_size 1)"),
])
def test_bad_options(db, options, message):
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(f"INSERT INTO temp.rembed_clients(name, options) VALUES ('c', {options})")
    assert message in str(e.value)
    assert str(e.value).startswith("rembed_client")


@pytest.mark.parametrize("call,message", [
    ("rembed_client_options('format')", "expected key/value pairs, got 1 arguments"),
    ("rembed_client_options('format', 'x')", "unknown format 'x'"),
    ("rembed_client_options('colour', 'red')", "unknown option 'colour'"),
    ("rembed_client_options('url', 'ftp://example.com/')", "must be an http:// or https:// URL"),
    ("rembed_client_options('url', 'https://u:hunter2@example.com/v1')",
     "option 'url' must not carry credentials"),
    ("rembed_client_options('timeout_ms', 'soon')", "option 'timeout_ms' must be an integer"),
    ("rembed_client_options('max_retries', 99)", "option 'max_retries' must be an integer"),
    # a call holds its statement at most deadline_ms; the parts are capped too (they were up to
    # an hour per request and 20 retries)
    ("rembed_client_options('max_retries', 11)",
     "option 'max_retries' must be an integer from 0 to 10, not '11'"),
    ("rembed_client_options('timeout_ms', 300001)",
     "option 'timeout_ms' must be an integer from 1 to 300000, not '300001'"),
    ("rembed_client_options('connect_timeout_ms', 60001)",
     "option 'connect_timeout_ms' must be an integer from 1 to 60000, not '60001'"),
    ("rembed_client_options('deadline_ms', 0)",
     "option 'deadline_ms' must be an integer from 1 to 3600000, not '0'"),
    ("rembed_client_options('deadline_ms', 3600001)",
     "option 'deadline_ms' must be an integer from 1 to 3600000, not '3600001'"),
    ("rembed_client_options('headers', '[1]')", "option 'headers' must be a JSON object"),
    ("rembed_client_options('key', NULL)", "option value is NULL"),
])
def test_client_options_errors(db, call, message):
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(f"SELECT {call}")
    assert str(e.value).startswith("rembed_client_options: ")
    assert message in str(e.value)
    assert "hunter2" not in str(e.value)


def test_at_sign_in_url_path_is_allowed(db):
    # Only user:password@ before the host is refused; '@' later in the URL is ordinary.
    out = db.execute("SELECT rembed_client_options('format', 'ollama', 'model', 'm', "
                     "'url', 'http://127.0.0.1:9/models/@latest')").fetchone()[0]
    assert "@latest" in out


def test_bad_header_is_refused(db, server):
    with pytest.raises(sqlite3.OperationalError, match="must have a one-line string value"):
        add_client(db, server, "c", "ollama", headers=json.dumps({"X-A": "1\r\nX-Evil: 2"}))
    with pytest.raises(sqlite3.OperationalError, match="is not a valid HTTP header name"):
        add_client(db, server, "c", "ollama", headers=json.dumps({"X A": "1"}))


# ---- wire formats -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_request_and_response_per_format(db, server, fmt):
    path = FORMATS[fmt].replace("{model}", "m-1")
    add_client(db, server, "c", fmt, url=server.url + FORMATS[fmt])
    texts = ["hello world", "naïve café", "a\"b\\c\nd"]
    if fmt == "llamafile":
        texts = texts[:1]
    rows = db.execute("SELECT key, text, embedding FROM rembed_each('c', ?)",
                      [json.dumps(texts)]).fetchall()
    assert [r[0] for r in rows] == list(range(len(texts)))
    assert [r[1] for r in rows] == texts
    assert [floats(r[2]) for r in rows] == [vector(t) for t in texts]
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["path"] == path
    assert req["body"] == expected_body(fmt, texts)
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["content-type"] == "application/json"
    if fmt == "gemini":
        assert headers["x-goog-api-key"] == KEY and "authorization" not in headers
    else:
        assert headers["authorization"] == "Bearer " + KEY
    # rembed() sends the same request shape with one text
    server.reset()
    blob = helpers.scalar(db, "SELECT rembed('c', ?)", texts[0])
    assert floats(blob) == vector(texts[0])
    assert server.requests[0]["body"] == expected_body(fmt, texts[:1])


@pytest.mark.parametrize("path", ["/api/embeddings", "/api/embeddings?keep_alive=5m"])
def test_ollama_legacy_endpoint(db, server, path):
    # sqlite-rembed's ollama client posts {"model", "prompt"} to /api/embeddings; users carry that
    # URL over. It once got {"model", "input"} and failed with HTTP 400.
    add_client(db, server, "c", "ollama", url=server.url + path)
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'hello world')")) == \
        vector("hello world")
    texts = ["one", "two words", "three"]
    rows = db.execute("SELECT key, embedding FROM rembed_each('c', ?)",
                      [json.dumps(texts)]).fetchall()
    assert [floats(r[1]) for r in rows] == [vector(t) for t in texts]
    assert [(r["path"], r["body"]) for r in server.requests] == \
        [(path, {"model": "m-1", "prompt": t}) for t in ["hello world", *texts]]
    options = json.loads(helpers.scalar(db, "SELECT options FROM temp.rembed_clients"))
    assert options["format"] == "ollama" and options["batch_size"] == 1
    # the current endpoint keeps the batched shape
    server.reset()
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.url', ?, "
               "'$.batch_size', NULL)", [server.url + "/api/embed"])
    db.execute("SELECT * FROM rembed_each('c', ?)", [json.dumps(texts)]).fetchall()
    assert [r["body"] for r in server.requests] == [{"model": "m-1", "input": texts}]


def test_ollama_legacy_endpoint_refuses_what_it_cannot_send(db, server):
    for opt in ({"dimensions": 8}, {"batch_size": 4}):
        with pytest.raises(sqlite3.OperationalError) as e:
            add_client(db, server, "c", "ollama", url=server.url + "/api/embeddings", **opt)
        assert str(e.value) == (
            "rembed_clients: format ollama at /api/embeddings (the legacy endpoint) embeds one "
            f"text per request and has no '{next(iter(opt))}' option; use /api/embed")


def test_llamacpp_without_model_and_key(db, server):
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', "
               "rembed_client_options('format', 'llamacpp', 'url', ?))",
               [server.url + "/v1/embeddings"])
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'x y')")) == vector("x y")
    assert server.requests[0]["body"] == {"input": ["x y"]}
    assert "Authorization" not in server.requests[0]["headers"]


def test_llamacpp_embedding_list_response(db, server):
    add_client(db, server, "c", "llamafile", url=server.url + "/embedding-list")
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'abc')")) == vector("abc")


def test_shorthand_uses_the_name_as_model(db, server):
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('all-minilm', ?)",
               [json.dumps({"format": "ollama", "model": "all-minilm",
                            "url": server.url + "/api/embed"})])
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('nomic-embed-text', "
               "'ollama')")
    options = json.loads(helpers.scalar(
        db, "SELECT options FROM temp.rembed_clients WHERE name = 'nomic-embed-text'"))
    assert options["model"] == "nomic-embed-text"
    assert options["url"] == "http://localhost:11434/api/embed"
    helpers.scalar(db, "SELECT rembed('all-minilm', 'x')")
    assert server.requests[0]["body"]["model"] == "all-minilm"


@pytest.mark.parametrize("fmt", BASE64)
def test_base64_responses(db, server, fmt):
    add_client(db, server, "c", fmt, encoding="base64")
    texts = ["one", "two three", "ünïcode"]
    rows = db.execute("SELECT embedding FROM rembed_each('c', ?)", [json.dumps(texts)]).fetchall()
    assert [floats(r[0]) for r in rows] == [vector(t) for t in texts]
    body = server.requests[0]["body"]
    if fmt == "cohere":
        assert body["embedding_types"] == ["base64"]
    elif fmt == "jina":
        assert body["embedding_type"] == "base64"
    else:
        assert body["encoding_format"] == "base64"


@pytest.mark.parametrize("fmt,field", [
    ("openai", "dimensions"), ("jina", "dimensions"), ("mixedbread", "dimensions"),
    ("ollama", "dimensions"), ("voyage", "output_dimension"), ("mistral", "output_dimension"),
    ("cohere", "output_dimension"), ("nomic", "dimensionality"),
    ("gemini", "outputDimensionality"),
])
def test_dimensions(db, server, fmt, field):
    add_client(db, server, "c", fmt, dimensions=6)
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'abc')")) == vector("abc", 6)
    body = server.requests[0]["body"]
    if fmt == "gemini":
        body = body["requests"][0]
    assert body[field] == 6


@pytest.mark.parametrize("fmt,field,value", [
    ("cohere", "input_type", "search_query"), ("nomic", "task_type", "search_query"),
    ("jina", "task", "retrieval.query"), ("voyage", "input_type", "query"),
    ("gemini", "taskType", "RETRIEVAL_QUERY"),
])
def test_input_type(db, server, fmt, field, value):
    add_client(db, server, "c", fmt)
    helpers.scalar(db, "SELECT rembed('c', 'q', ?)", value)
    db.execute("SELECT * FROM rembed_each('c', '[\"a\",\"b\"]', ?)", [value]).fetchall()
    for req in server.requests:
        body = req["body"]["requests"][0] if fmt == "gemini" else req["body"]
        assert body[field] == value
    # a client-wide default, overridden per call
    server.reset()
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.input_type', ?)",
               [value + "x"])
    helpers.scalar(db, "SELECT rembed('c', 'q')")
    helpers.scalar(db, "SELECT rembed('c', 'q', ?)", value)
    got = [(r["body"]["requests"][0] if fmt == "gemini" else r["body"])[field]
           for r in server.requests]
    assert got == [value + "x", value]


def test_input_type_refused_where_the_api_has_none(db, server):
    add_client(db, server, "c", "openai")
    with pytest.raises(sqlite3.OperationalError,
                       match=r"^rembed: client 'c': format openai takes no input_type$"):
        db.execute("SELECT rembed('c', 'q', 'search_query')").fetchone()
    assert server.requests == []


def test_extra_and_headers(db, server):
    add_client(db, server, "c", "openai",
               extra=json.dumps({"user": "u-1", "model": "override", "nested": {"a": [1]}}),
               headers=json.dumps({"X-Team": "blue", "api-key": "hdr-secret"}))
    helpers.scalar(db, "SELECT rembed('c', 'x')")
    req = server.requests[0]
    assert req["body"]["user"] == "u-1" and req["body"]["model"] == "override"
    assert req["body"]["nested"] == {"a": [1]}
    assert req["headers"]["X-Team"] == "blue" and req["headers"]["api-key"] == "hdr-secret"
    options = json.loads(helpers.scalar(db, "SELECT options FROM temp.rembed_clients"))
    assert options["headers"] == {"X-Team": "(redacted)", "api-key": "(redacted)"}
    assert options["extra"]["user"] == "u-1"
    # options given back with redacted values keep the old header values
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.timeout_ms', 999)")
    helpers.scalar(db, "SELECT rembed('c', 'x')")
    assert server.requests[-1]["headers"]["api-key"] == "hdr-secret"
    with pytest.raises(sqlite3.OperationalError, match="header 'X-New' is .redacted. but"):
        db.execute("UPDATE temp.rembed_clients SET options = "
                   "json_set(options, '$.headers.X-New', '(redacted)')")


def test_gemini_extra_goes_into_each_request(db, server):
    add_client(db, server, "c", "gemini", extra=json.dumps({"title": "T"}))
    db.execute("SELECT * FROM rembed_each('c', '[\"a\",\"b\"]')").fetchall()
    assert [r["title"] for r in server.requests[0]["body"]["requests"]] == ["T", "T"]


def test_text_with_nul_and_control_characters(db, server):
    add_client(db, server, "c", "openai")
    text = "a\x00b\x01c\u2028"
    blob = db.execute("SELECT rembed('c', CAST(? AS TEXT))", [text]).fetchone()[0]
    assert server.requests[0]["body"]["input"] == [text]
    assert floats(blob) == vector(text)


def test_rembed_each_refuses_nul_rather_than_cut_texts(db, server):
    # cJSON ends a string at the NUL that \u0000 decodes to: "a\u0000b" was sent as "a".
    add_client(db, server, "c", "openai")
    for texts in (["ok", "a\x00b"], ["\x00"]):
        with pytest.raises(sqlite3.OperationalError) as e:
            db.execute("SELECT * FROM rembed_each('c', ?)", [json.dumps(texts)]).fetchall()
        assert str(e.value) == ("rembed_each: a text holds U+0000 (\\u0000), which rembed_each "
                                "cannot pass on whole; embed it with rembed()")
    assert server.requests == []
    # an escaped backslash before "u0000" is ordinary text
    rows = db.execute("SELECT text FROM rembed_each('c', ?)", [json.dumps(["\\u0000"])]).fetchall()
    assert rows == [("\\u0000",)]
    assert server.requests[0]["body"]["input"] == ["\\u0000"]


def test_null_text_and_null_elements(db, server):
    add_client(db, server, "c", "openai")
    assert helpers.scalar(db, "SELECT rembed('c', NULL)") is None
    rows = db.execute("SELECT key, text, embedding IS NULL FROM rembed_each('c', ?)",
                      ['["a", null, "b"]']).fetchall()
    assert rows == [(0, "a", 0), (1, None, 1), (2, "b", 0)]
    assert server.requests[0]["body"]["input"] == ["a", "b"]
    assert db.execute("SELECT * FROM rembed_each('c', NULL)").fetchall() == []
    assert db.execute("SELECT * FROM rembed_each('c', '[]')").fetchall() == []
    assert db.execute("SELECT * FROM rembed_each('c', '[null]')").fetchall() == [
        (0, None, None)]
    assert len(server.requests) == 1


@pytest.mark.parametrize("arg,message", [
    ("'{\"a\": 1}'", "the texts must be a JSON array of strings"),
    ("'[1]'", "element 0 of the texts is not a string"),
    ("'not json'", "the texts must be a JSON array of strings"),
])
def test_rembed_each_bad_input(db, server, arg, message):
    add_client(db, server, "c", "openai")
    with pytest.raises(sqlite3.OperationalError, match="^rembed_each: " + message):
        db.execute(f"SELECT * FROM rembed_each('c', {arg})").fetchall()


def test_unknown_client(db):
    with pytest.raises(sqlite3.OperationalError,
                       match=r"^rembed: unknown client 'zz' \(register it in "
                             r"temp.rembed_clients\)$"):
        db.execute("SELECT rembed('zz', 'x')").fetchone()
    with pytest.raises(sqlite3.OperationalError, match="^rembed_each: unknown client 'zz'"):
        db.execute("SELECT * FROM rembed_each('zz', '[]')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="^rembed_usage: unknown client 'zz'"):
        db.execute("SELECT rembed_usage('zz')").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="^rembed_each: expected"):
        db.execute("SELECT * FROM rembed_each").fetchall()


# ---- batching -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,n,sizes", [
    ("cohere", 200, [96, 96, 8]),
    ("voyage", 300, [128, 128, 44]),
    ("gemini", 150, [100, 50]),
    ("openai", 2049, [2048, 1]),
    ("llamafile", 3, [1, 1, 1]),
])
def test_batches_follow_provider_limits(db, server, fmt, n, sizes):
    add_client(db, server, "c", fmt)
    texts = [f"text number {i}" + "x" * (i % 7) for i in range(n)]
    rows = db.execute("SELECT key, text, embedding FROM rembed_each('c', ?)",
                      [json.dumps(texts)]).fetchall()
    assert [r[0] for r in rows] == list(range(n))
    assert [r[1] for r in rows] == texts
    assert [floats(r[2]) for r in rows] == [vector(t) for t in texts]

    def count(body):
        if fmt == "gemini":
            return len(body["requests"])
        if fmt == "llamafile":
            return 1
        return len(body.get("input") or body.get("texts"))
    assert [count(r["body"]) for r in server.requests] == sizes


def test_batch_size_option_and_usage(db, server):
    add_client(db, server, "c", "openai", batch_size=3)
    texts = [f"w{i} v{i}" for i in range(10)]
    rows = db.execute("SELECT embedding FROM rembed_each('c', ?)", [json.dumps(texts)]).fetchall()
    assert [floats(r[0]) for r in rows] == [vector(t) for t in texts]
    assert [len(r["body"]["input"]) for r in server.requests] == [3, 3, 3, 1]
    usage = json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))
    assert usage == {"requests": 4, "inputs": 10, "tokens": tokens(texts), "retries": 0,
                     "errors": 0}


@pytest.mark.parametrize("arg,size", [
    ("zeroblob(50000000)", 50000000),  # once a 300 MB request: every NUL is \u0000 in JSON
    ("CAST(zeroblob(20000000) AS TEXT)", 20000000),  # fits as text, not as JSON
    ("printf('%.*c', 34000000, 'a')", 34000000),
])
def test_request_size_limit(db, server, arg, size):
    add_client(db, server, "c", "openai")
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(f"SELECT rembed('c', {arg})").fetchone()
    assert str(e.value) == (f"rembed: client 'c': a text of {size} bytes does not fit in a "
                            "request (at most 32 MiB as JSON; split it first)")
    assert time.monotonic() - start < 5
    assert server.requests == []
    assert json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))["errors"] == 1


@pytest.mark.parametrize("char,count", [("a", 34000000), ("\x01", 6000000)])
def test_request_size_limit_of_rembed_each(db, server, char, count):
    text = char * count  # the second fits as text, not as JSON (\u0001 each)
    add_client(db, server, "c", "openai")
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT * FROM rembed_each('c', ?)", [json.dumps(["ok", text])]).fetchall()
    assert str(e.value) == (f"rembed_each: client 'c': a text of {len(text)} bytes does not fit "
                            "in a request (at most 32 MiB as JSON; split it first)")
    assert server.requests == []  # nothing was sent, not even the text that fits


def test_large_texts_are_split_across_requests(db, server):
    add_client(db, server, "c", "openai")
    texts = [ch * (11 << 20) for ch in "abc"]  # 33 MiB: more than one request may carry
    rows = db.execute("SELECT key, embedding FROM rembed_each('c', ?)",
                      [json.dumps(texts)]).fetchall()
    assert [floats(r[1]) for r in rows] == [vector(t) for t in texts]
    assert [len(r["body"]["input"]) for r in server.requests] == [2, 1]


def test_token_counts_saturate(db, server):
    # A provider's usage.total_tokens of 1e19 was converted to long long out of range (undefined
    # behaviour; rembed_usage showed -9223372036854775808). Counters now saturate.
    add_client(db, server, "c", "openai", batch_size=1)
    huge = {"data": [{"index": 0, "embedding": [1.0]}], "usage": {"total_tokens": 1e19}}
    server.queue(Scripted(200, huge), Scripted(200, huge), Scripted(200, huge))
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'x')")) == [1.0]
    assert len(db.execute("SELECT * FROM rembed_each('c', '[\"a\", \"b\"]')").fetchall()) == 2
    usage = json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))
    assert usage["tokens"] == 2**63 - 1 and usage["inputs"] == 3


def test_one_connection_is_reused(db, server):
    add_client(db, server, "c", "openai")
    for i in range(20):
        helpers.scalar(db, "SELECT rembed('c', ?)", f"t{i}")
    assert len(server.requests) == 20
    assert len({r["port"] for r in server.requests}) == 1


def test_insert_from_rembed_each_into_a_table(db, server):
    add_client(db, server, "c", "openai")
    db.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO docs(body) VALUES (?)", [(f"doc {i}",) for i in range(50)])
    db.execute("CREATE TABLE vecs(id INTEGER PRIMARY KEY, emb BLOB)")
    db.execute("INSERT INTO vecs(id, emb) SELECT d.id, e.embedding FROM rembed_each('c', "
               "(SELECT json_group_array(body) FROM (SELECT body FROM docs ORDER BY id))) e "
               "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM docs) d "
               "ON d.k = e.key")
    got = db.execute("SELECT vecs.id, body, emb FROM vecs JOIN docs USING (id)").fetchall()
    assert len(got) == 50 and all(floats(e) == vector(b) for _, b, e in got)
    assert len(server.requests) == 1


# ---- retries, timeouts, errors ------------------------------------------------------------


def test_retries_on_429_and_503_with_retry_after(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=5000)
    server.queue(Scripted(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}),
                 Scripted(503, "unavailable", {"Retry-After": "0"}))
    start = time.monotonic()
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'x')")) == vector("x")
    assert time.monotonic() - start < 4  # Retry-After: 0 beat the 5 s backoff
    usage = json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))
    assert usage["requests"] == 3 and usage["retries"] == 2 and usage["errors"] == 0


def test_retry_after_seconds_are_honoured(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=0)
    server.queue(Scripted(429, "wait", {"Retry-After": "1"}))
    start = time.monotonic()
    helpers.scalar(db, "SELECT rembed('c', 'x')")
    assert 0.9 <= time.monotonic() - start < 10
    assert len(server.requests) == 2


def test_retry_after_as_an_http_date(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=5000)
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    server.queue(Scripted(503, "busy", {"Retry-After": past}))
    start = time.monotonic()
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'x')")) == vector("x")
    assert time.monotonic() - start < 2  # a date in the past means now, not the 5 s backoff
    assert len(server.requests) == 2


def test_dropped_connection_is_retried(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=0)
    helpers.scalar(db, "SELECT rembed('c', 'warm')")  # a kept-alive connection to lose
    server.queue(Scripted(0))
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'x')")) == vector("x")
    # libcurl itself retries a reused connection that died, or we do: either way it succeeds
    assert len(server.requests) == 3
    assert json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))["errors"] == 0
    server.queue(*[Scripted(0)] * 5)
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.max_retries', 1)")
    with pytest.raises(sqlite3.OperationalError,
                       match=r"request failed: the connection closed before a complete response "
                             r"\(after 1 retry\)$"):
        db.execute("SELECT rembed('c', 'x')").fetchone()


def test_exponential_backoff_without_retry_after(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=100, max_retries=2)
    server.queue(Scripted(500, "boom"), Scripted(502, "boom"), Scripted(504, "still down"))
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    elapsed = time.monotonic() - start
    assert str(e.value) == "rembed: client 'c': HTTP 504 (after 2 retries)"
    # waits of 100 ms and 200 ms, each with jitter in [50 %, 100 %]
    assert 0.15 <= elapsed < 5
    usage = json.loads(helpers.scalar(db, "SELECT rembed_usage('c')"))
    assert usage == {"requests": 3, "inputs": 0, "tokens": 0, "retries": 2, "errors": 1}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_not_retried(db, server, status):
    add_client(db, server, "c", "openai", retry_base_ms=0)
    server.queue(Scripted(status, {"error": {"message": f"nope {status}"}}))
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert str(e.value) == f"rembed: client 'c': HTTP {status}: nope {status}"
    assert len(server.requests) == 1


def test_redirects_are_not_followed(db, server):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(302, "", {"Location": server.url + "/elsewhere"}))
    with pytest.raises(sqlite3.OperationalError, match="HTTP 302"):
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert len(server.requests) == 1


def test_timeout(db, server):
    add_client(db, server, "c", "openai", timeout_ms=300, retry_base_ms=0)
    server.queue(Scripted(200, "{}", delay=2.0))
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError,
                       match=r"^rembed: client 'c': request failed: timed out$"):
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert time.monotonic() - start < 1.8
    assert len(server.requests) == 1  # a timeout is not retried


def test_connection_refused(db):
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', "
               "rembed_client_options('format', 'ollama', 'model', 'm', "
               "'url', 'http://127.0.0.1:9/api/embed', 'connect_timeout_ms', 1000))")
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert str(e.value) == ("rembed: client 'c': request failed: no HTTP response (cannot connect, "
                            "or the connection failed)")


@pytest.fixture
def silent():
    with SilentServer() as url:
        yield url


def add_silent_client(db, url, **opts):
    """A client of a server that never answers."""
    db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('s', ?)",
               [json.dumps({"format": "openai", "model": "m", "key": KEY,
                            "url": url + "/v1/embeddings", **opts})])


def interrupt_after(db, seconds):
    timer = threading.Timer(seconds, db.interrupt)
    timer.start()
    return timer


CALLS = {"rembed": "SELECT rembed('s', 'x')",
         "rembed_each": "SELECT * FROM rembed_each('s', '[\"a\", \"b\"]')"}


@pytest.mark.parametrize("fn", sorted(CALLS))
def test_deadline_ends_a_call_that_gets_no_answer(db, silent, fn):
    # timeout_ms alone let a call wait 4 x 30 s (or, at the old caps, 21 x 1 h); the deadline
    # bounds the whole call.
    add_silent_client(db, silent, timeout_ms=5000, deadline_ms=300)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(CALLS[fn]).fetchall()
    assert time.monotonic() - start < 1.5
    assert str(e.value) == f"{fn}: client 's': the call took longer than deadline_ms (300 ms)"
    usage = json.loads(helpers.scalar(db, "SELECT rembed_usage('s')"))
    assert usage["requests"] == 1 and usage["errors"] == 1


def test_deadline_spans_retries(db, server):
    add_client(db, server, "c", "openai", retry_base_ms=100, max_retries=10, deadline_ms=600)
    server.queue(*[Scripted(503, {"error": {"message": "overloaded"}})] * 30)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    elapsed = time.monotonic() - start
    assert elapsed < 1.5
    assert re.fullmatch(r"rembed: client 'c': HTTP 503: overloaded \(after \d+ retr(y|ies); "
                        r"deadline_ms leaves no time for another\)", str(e.value)), str(e.value)
    assert 2 <= len(server.requests) < 11


def test_retry_after_past_the_deadline_fails_at_once(db, server):
    add_client(db, server, "c", "openai", deadline_ms=2000)
    server.queue(Scripted(429, {"error": {"message": "slow down"}}, {"Retry-After": "30"}))
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert time.monotonic() - start < 1.5
    assert str(e.value) == ("rembed: client 'c': HTTP 429: slow down "
                            "(deadline_ms leaves no time for a retry)")
    assert len(server.requests) == 1


def test_deadline_reports_progress_of_rembed_each(db, server):
    add_client(db, server, "c", "openai", batch_size=2, deadline_ms=800, timeout_ms=5000)
    server.queue(Scripted(200, {"data": [{"index": 0, "embedding": [1]},
                                         {"index": 1, "embedding": [2]}]}, delay=0.5),
                 Scripted(200, {}, delay=3))
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT * FROM rembed_each('c', '[\"a\", \"b\", \"c\"]')").fetchall()
    assert str(e.value) == ("rembed_each: client 'c': the call took longer than deadline_ms "
                            "(800 ms) (at text 2 of 3)")


@pytest.mark.parametrize("fn", sorted(CALLS))
def test_interrupt_stops_a_request(db, silent, fn):
    # sqlite3_interrupt() (Python's Connection.interrupt, the shell's Ctrl-C) used to go
    # unnoticed until the request timed out.
    add_silent_client(db, silent, timeout_ms=20000, deadline_ms=20000)
    interrupt_after(db, 0.2)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(CALLS[fn]).fetchall()
    assert time.monotonic() - start < 1.5
    assert str(e.value) == f"{fn}: client 's': interrupted"
    assert e.value.sqlite_errorcode == sqlite3.SQLITE_INTERRUPT
    # the connection and the client stay usable
    assert helpers.scalar(db, "SELECT 1") == 1
    assert json.loads(helpers.scalar(db, "SELECT rembed_usage('s')"))["errors"] == 1


def test_interrupt_stops_a_retry_wait(db, server):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(503, {"error": {"message": "busy"}}, {"Retry-After": "20"}))
    interrupt_after(db, 0.3)
    start = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert time.monotonic() - start < 1.5
    assert str(e.value) == "rembed: client 'c': interrupted"
    assert len(server.requests) == 1
    # the next call works, over a fresh connection if need be
    assert floats(helpers.scalar(db, "SELECT rembed('c', 'y')")) == vector("y")


INTERRUPT_SCRIPT = """
import json, sqlite3, sys, threading, time
conn = sqlite3.connect(":memory:", isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('s', "
             "rembed_client_options('format', 'openai', 'model', 'm', 'key', 'k', 'url', ?, "
             "'timeout_ms', 20000, 'deadline_ms', 20000))", [sys.argv[2]])
out = {"sqlite": sqlite3.sqlite_version,
       "debug": conn.execute("SELECT rembed_debug()").fetchone()[0]}
for sql in ["SELECT rembed('s', 'x')", "SELECT * FROM rembed_each('s', '[\\"a\\"]')"]:
    threading.Timer(0.2, conn.interrupt).start()
    start = time.monotonic()
    try:
        conn.execute(sql).fetchall()
        out[sql] = "no error"
    except sqlite3.Error as e:
        out[sql] = [str(e), e.sqlite_errorcode, time.monotonic() - start]
print(json.dumps(out))
"""


def test_interrupt_under_newer_sqlite(silent):
    # 3.41+ has sqlite3_is_interrupted, reached through the routines table of the running
    # SQLite; Debian's 3.40.1 is asked with a probe statement (the tests above).
    newer = helpers.newer_sqlite()
    proc = subprocess.run(["/usr/bin/python3", "-c", INTERRUPT_SCRIPT, helpers.so_path("embed"),
                           silent + "/v1/embeddings"], env=newer.env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sqlite"].startswith("3.5")
    assert out["debug"].endswith("\nInterrupts: sqlite3_is_interrupted")
    for sql, fn in [("SELECT rembed('s', 'x')", "rembed"),
                    ("SELECT * FROM rembed_each('s', '[\"a\"]')", "rembed_each")]:
        message, code, elapsed = out[sql]
        assert message == f"{fn}: client 's': interrupted"
        assert code == sqlite3.SQLITE_INTERRUPT and elapsed < 1.5


def test_debug_names_the_interrupt_method(db):
    method = "sqlite3_is_interrupted" if sqlite3.sqlite_version_info >= (3, 41) else \
        "a probe statement (SQLite < 3.41)"
    assert helpers.scalar(db, "SELECT rembed_debug()").endswith("\nInterrupts: " + method)


class BannerServer:
    """A non-HTTP service on a loopback port: it sends a banner to each connection and then
    waits (as SSH or SMTP servers do)."""

    def __init__(self, banner):
        self.banner, self.conns = banner, []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d/v1/embeddings" % self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            conn.sendall(self.banner)

    def close(self):
        self.sock.close()
        for conn in self.conns:
            conn.close()


def test_connection_errors_do_not_tell_ports_apart(db):
    # A client can point at any address: errors say no more than "no HTTP response", whether
    # the port is closed, the name does not resolve or another protocol answers (libcurl's own
    # messages named the port, the failing step and the reply).
    services = [BannerServer(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
                BannerServer(b"220 mail.internal ESMTP Postfix\r\n")]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    urls = [s.url for s in services] + [
        "http://127.0.0.1:%d/v1/embeddings" % closed.getsockname()[1],
        "http://no-such-host.invalid/v1/embeddings"]
    messages = set()
    try:
        for i, url in enumerate(urls):
            db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES (?, ?)",
                       [f"p{i}", json.dumps({"format": "openai", "model": "m", "key": KEY,
                                             "url": url, "max_retries": 0,
                                             "timeout_ms": 3000})])
            with pytest.raises(sqlite3.OperationalError) as e:
                db.execute(f"SELECT rembed('p{i}', 'x')").fetchone()
            messages.add(str(e.value).replace(f"'p{i}'", "'p'"))
    finally:
        closed.close()
        for s in services:
            s.close()
    assert messages == {"rembed: client 'p': request failed: no HTTP response (cannot connect, "
                        "or the connection failed)"}


def test_error_body_never_shows_the_key(db, server):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(401, {"error": {"message": f"Incorrect API key provided: {KEY}."}}))
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert str(e.value) == "rembed: client 'c': HTTP 401: Incorrect API key provided: ***."
    server.queue(Scripted(500, {"error": {"message": "x" * 5000 + KEY}}))
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.max_retries', 0)")
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert KEY not in str(e.value)
    assert str(e.value) == "rembed: client 'c': HTTP 500: " + "x" * 300 + "..."


@pytest.mark.parametrize("body", [
    "<html><body>internal admin page: db password hunter2</body></html>",
    "hunter2",
    {"rows": ["hunter2"]},
    {"error": {"code": 7, "data": "hunter2"}},
    [{"message": "hunter2"}],
])
def test_bodies_of_other_hosts_are_never_quoted(db, server, body):
    # A client may point at any address the server can reach (an internal service): an error
    # quotes the message of a provider's error JSON, and nothing of any other body.
    add_client(db, server, "c", "openai", max_retries=0)
    for status in (404, 500):
        server.queue(Scripted(status, body))
        with pytest.raises(sqlite3.OperationalError) as e:
            db.execute("SELECT rembed('c', 'x')").fetchone()
        assert str(e.value) == f"rembed: client 'c': HTTP {status}"
    server.queue(Scripted(200, body))  # a 2xx body that is not embeddings is not quoted either
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert "hunter2" not in str(e.value)


@pytest.mark.parametrize("body,message", [
    ({"error": "model not found"}, "HTTP 404: model not found"),  # ollama
    ({"message": "invalid api token"}, "HTTP 404: invalid api token"),  # cohere, mistral
    ({"detail": "No such model"}, "HTTP 404: No such model"),  # jina, voyage
    ({"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}},
     "HTTP 404: models/x is not found"),  # gemini
])
def test_provider_error_shapes(db, server, body, message):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(404, body))
    with pytest.raises(sqlite3.OperationalError, match=message):
        db.execute("SELECT rembed('c', 'x')").fetchone()


@pytest.mark.parametrize("body,message", [
    ("{not json", "response is not valid JSON"),
    ({"data": []}, "response holds 0 embeddings for 1 inputs"),
    ({"data": [{"index": 0, "embedding": [1, "x"]}]}, "embedding 0 holds a non-numeric value"),
    ({"data": [{"index": 0, "embedding": []}]}, "embedding 0 has 0 dimensions"),
    ({"data": [{"index": 0, "embedding": "***"}]}, "embedding 0 is not valid base64 float32"),
    ({"data": [{"index": 0, "embedding": "AAA="}]}, "embedding 0 is not valid base64 float32"),
    ({"data": [{"index": 5, "embedding": [1]}]}, "embedding index 5 out of range"),
    ({"data": [{"index": 0}]}, "item 0 of the response has no \"embedding\""),
    ({"data": [{"index": 0, "embedding": {"a": 1}}]}, "neither a number array nor base64"),
    ({"result": 1}, "response has no embeddings"),
    ([{"index": 0, "embedding": [[1, 2], [3, 4]]}], "per-token embeddings"),
])
def test_malformed_responses(db, server, body, message):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(200, body))
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute("SELECT rembed('c', 'x')").fetchone()
    assert str(e.value).startswith("rembed: client 'c': ")
    assert message in str(e.value)


@pytest.mark.parametrize("body,message", [
    ({"data": [{"index": 0, "embedding": [1, 2]}, {"index": 1, "embedding": [1]}]},
     "embedding 1 has 1 dimensions, embedding 0 had 2"),
    ({"data": [{"index": 0, "embedding": [1]}, {"index": 0, "embedding": [1]}]},
     "embedding index 0 appears twice"),
    ({"data": [{"index": 0, "embedding": [1]}]}, "response holds 1 embeddings for 2 inputs"),
])
def test_inconsistent_batches(db, server, body, message):
    add_client(db, server, "c", "openai")
    server.queue(Scripted(200, body))
    with pytest.raises(sqlite3.OperationalError, match=message):
        db.execute("SELECT * FROM rembed_each('c', '[\"a\", \"b\"]')").fetchall()


def test_dimensions_must_agree_across_batches(db, server):
    add_client(db, server, "c", "openai", batch_size=1)
    server.queue(Scripted(200, {"data": [{"index": 0, "embedding": [1, 2]}]}),
                 Scripted(200, {"data": [{"index": 0, "embedding": [1, 2, 3]}]}))
    with pytest.raises(sqlite3.OperationalError,
                       match="a batch returned 3 dimensions, an earlier one 2"):
        db.execute("SELECT * FROM rembed_each('c', '[\"a\", \"b\"]')").fetchall()


# ---- the clients table --------------------------------------------------------------------


def test_update_keeps_the_key_and_delete_removes(db, server):
    add_client(db, server, "c", "openai")
    db.execute("UPDATE temp.rembed_clients SET options = json_set(options, '$.timeout_ms', 1234,"
               " '$.model', 'm-2') WHERE name = 'c'")
    options = json.loads(helpers.scalar(db, "SELECT options FROM temp.rembed_clients"))
    assert options["timeout_ms"] == 1234 and options["key"] == "(redacted)"
    helpers.scalar(db, "SELECT rembed('c', 'x')")
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer " + KEY
    assert server.requests[-1]["body"]["model"] == "m-2"
    # rename: settings and counters follow
    db.execute("UPDATE temp.rembed_clients SET name = 'd' WHERE name = 'c'")
    helpers.scalar(db, "SELECT rembed('d', 'x')")
    assert json.loads(helpers.scalar(db, "SELECT rembed_usage('d')"))["requests"] == 2
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer " + KEY
    # new options replace the old ones entirely
    db.execute("UPDATE temp.rembed_clients SET options = rembed_client_options('format', "
               "'ollama', 'model', 'mm', 'url', ?) WHERE name = 'd'", [server.url + "/api/embed"])
    helpers.scalar(db, "SELECT rembed('d', 'x')")
    assert server.requests[-1]["path"] == "/api/embed"
    assert "Authorization" not in server.requests[-1]["headers"]
    db.execute("DELETE FROM temp.rembed_clients WHERE name = 'd'")
    assert helpers.scalar(db, "SELECT count(*) FROM temp.rembed_clients") == 0
    with pytest.raises(sqlite3.OperationalError, match="unknown client 'd'"):
        db.execute("SELECT rembed('d', 'x')").fetchone()


def test_duplicates(db, server):
    add_client(db, server, "c", "openai")
    with pytest.raises(sqlite3.OperationalError, match="client 'c' already exists"):
        add_client(db, server, "c", "openai")
    add_client(db, server, "e", "openai")
    with pytest.raises(sqlite3.OperationalError, match="client 'e' already exists"):
        db.execute("UPDATE temp.rembed_clients SET name = 'e' WHERE name = 'c'")
    db.execute("INSERT OR REPLACE INTO temp.rembed_clients(name, options) VALUES ('c', ?)",
               [json.dumps({"format": "ollama", "model": "z", "url": server.url + "/api/embed"})])
    assert json.loads(helpers.scalar(
        db, "SELECT options FROM temp.rembed_clients WHERE name = 'c'"))["format"] == "ollama"
    assert helpers.scalar(db, "SELECT count(*) FROM temp.rembed_clients") == 2


def test_redacted_key_without_an_old_key(db, server):
    with pytest.raises(sqlite3.OperationalError, match="no old key"):
        db.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', ?)",
                   [json.dumps({"format": "ollama", "model": "m", "key": "(redacted)"})])


def test_clients_are_per_connection(server):
    a, b = helpers.connect("embed"), helpers.connect()
    add_client(a, server, "c", "openai")
    assert helpers.scalar(b, "SELECT count(*) FROM temp.rembed_clients") == 0
    assert helpers.scalar(a, "SELECT count(*) FROM temp.rembed_clients") == 1
    a.close()
    b.close()


# ---- untrusted SQL ------------------------------------------------------------------------


def test_functions_refused_in_views_and_triggers(db, server, tmp_path):
    add_client(db, server, "c", "openai")
    db.execute("CREATE TABLE t(x)")
    db.execute("CREATE VIEW v1 AS SELECT rembed('c', 'x') AS e")
    db.execute("CREATE VIEW v2 AS SELECT * FROM rembed_each('c', '[\"x\"]')")
    db.execute("CREATE VIEW v3 AS SELECT rembed_usage('c')")
    db.execute("CREATE VIEW v4 AS SELECT * FROM rembed_clients")
    db.execute("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT rembed('c', new.x); END")
    db.execute("CREATE TABLE u(x)")
    db.execute("CREATE TRIGGER tr2 AFTER INSERT ON u BEGIN INSERT INTO rembed_clients(name, "
               "options) VALUES ('evil', '{\"format\":\"ollama\",\"model\":\"m\"}'); END")
    for view in ("v1", "v2", "v3", "v4"):
        with pytest.raises(sqlite3.OperationalError, match="unsafe use of"):
            db.execute(f"SELECT * FROM {view}").fetchall()
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of rembed"):
        db.execute("INSERT INTO t VALUES ('x')")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of virtual table"):
        db.execute("INSERT INTO u VALUES ('x')")
    assert helpers.scalar(db, "SELECT count(*) FROM temp.rembed_clients") == 1
    db.execute("CREATE TABLE bad(x DEFAULT (rembed_client_options('format', 'openai')), y)")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of rembed_client_options"):
        db.execute("INSERT INTO bad(y) VALUES (1)")
    assert server.requests == []


@pytest.mark.parametrize("order", [("embed", "strata"), ("strata", "embed")])
def test_two_strata_copies_share_one_registry(server, order):
    conn = helpers.connect(*order)
    add_client(conn, server, "c", "openai")
    assert json.loads(helpers.scalar(conn, "SELECT rembed_usage('c')"))["requests"] == 0
    assert floats(helpers.scalar(conn, "SELECT rembed('c', 'x')")) == vector("x")
    conn.close()


NEWER_SCRIPT = """
import json, sqlite3, sys
conn = sqlite3.connect(":memory:", isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', "
             "rembed_client_options('format', 'openai', 'model', 'm', 'key', 'k', 'url', ?))",
             [sys.argv[2]])
rows = conn.execute("SELECT key, embedding FROM rembed_each('c', ?) LIMIT 2",
                    [json.dumps(["a", "bb", "ccc"])]).fetchall()
one = conn.execute("SELECT rembed('c', 'a')").fetchone()[0]
conn.execute("CREATE VIEW v AS SELECT rembed('c', 'x')")
try:
    conn.execute("SELECT * FROM v").fetchall()
    view = "allowed"
except sqlite3.Error as e:
    view = str(e)
print(json.dumps({"sqlite": sqlite3.sqlite_version, "keys": [r[0] for r in rows],
                  "blobs": [r[1].hex() for r in rows], "one": one.hex(), "view": view}))
"""


def test_under_newer_sqlite(server):
    newer = helpers.newer_sqlite()
    server.reset()
    proc = subprocess.run(["/usr/bin/python3", "-c", NEWER_SCRIPT, helpers.so_path("embed"),
                           server.url + "/v1/embeddings"], env=newer.env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sqlite"].startswith("3.5")
    assert out["keys"] == [0, 1]
    assert [floats(bytes.fromhex(b)) for b in out["blobs"]] == [vector("a"), vector("bb")]
    assert floats(bytes.fromhex(out["one"])) == vector("a")
    assert out["view"] == "unsafe use of rembed()"
    assert len(server.requests) == 2  # LIMIT did not change what was sent: one batch
