"""The plugin's configuration (metadata `plugins: datasette-strata:`) and how it is applied to a
connection: load strata, register the operator's clients, models and schemas in an admin
session, lock the registries, and leave nothing in the temp schema.

Nothing here imports Datasette: a connection and a parsed Config are all it needs."""

import json
import sqlite3
from dataclasses import dataclass, field

import sqlite_strata

PLUGIN = "datasette-strata"
SETTINGS = ("extensions", "clients", "models", "schemas", "render_vectors")


class ConfigError(Exception):
    """The configuration is wrong, or applying it failed; the message says which entry, never
    a key."""

    def __init__(self, message):
        super().__init__(message if message.startswith(f"{PLUGIN}: ") else f"{PLUGIN}: {message}")


def raised_cleanly(fn):
    """fn, but its ConfigError is raised anew from this frame, outside the except block.

    Datasette's command line prints tracebacks with every frame's local variables (rich), and
    the frames that parse or apply the configuration hold its keys, resolved from the
    environment. A fresh exception raised here has none of them in its traceback."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ConfigError as e:
            message = str(e)
        del args, kwargs  # they may hold the configuration
        raise ConfigError(message)

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


@dataclass
class Config:
    extensions: tuple = ()  # () loads strata.so, all five
    # name -> format name or options dict; kept out of repr, which tracebacks may print
    clients: dict = field(default_factory=dict, repr=False)
    models: dict = field(default_factory=dict)  # name -> (path, options JSON text or None)
    schemas: dict = field(default_factory=dict)  # URI -> schema JSON text
    render_vectors: bool = True

    def loads(self, extension):
        return not self.extensions or extension in self.extensions


@raised_cleanly
def parse(raw):
    """A Config from the plugin's metadata ({"$env": ...} already resolved by Datasette)."""
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(f"the configuration must be an object, got {_kind(raw)}")
    unknown = sorted(set(raw) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"unknown setting '{unknown[0]}' (expected {', '.join(SETTINGS)})")
    config = Config(render_vectors=raw.get("render_vectors", True))
    if not isinstance(config.render_vectors, bool):
        raise ConfigError("render_vectors must be true or false")

    extensions = raw.get("extensions")
    if extensions is not None:
        if (not isinstance(extensions, list) or not extensions
                or not all(isinstance(e, str) for e in extensions)):
            raise ConfigError("extensions must be a non-empty list of names "
                              f"({', '.join(sqlite_strata.EXTENSIONS)})")
        for e in extensions:
            if e not in sqlite_strata.EXTENSIONS:
                raise ConfigError(f"unknown extension '{e}' in extensions (expected one of "
                                  f"{', '.join(sqlite_strata.EXTENSIONS)})")
        config.extensions = tuple(dict.fromkeys(extensions))

    for name, options in _entries(raw, "clients"):
        if isinstance(options, str):
            config.clients[name] = options
        elif isinstance(options, dict):
            for key, value in options.items():
                if value is None:
                    raise ConfigError(
                        f"client '{name}': option '{key}' is empty (an {{\"$env\": ...}} whose "
                        "environment variable is not set?)")
            config.clients[name] = options
        else:
            raise ConfigError(f"client '{name}' must be a format name or an object of "
                              f"rembed_client_options, got {_kind(options)}")

    for name, model in _entries(raw, "models"):
        options = None
        if isinstance(model, dict):
            extra = sorted(set(model) - {"path", "options"})
            if extra:
                raise ConfigError(f"model '{name}': unknown key '{extra[0]}' "
                                  "(expected path, options)")
            options = model.get("options")
            if options is not None and not isinstance(options, dict):
                raise ConfigError(f"model '{name}': options must be an object")
            model = model.get("path")
        if not isinstance(model, str) or not model:
            raise ConfigError(f"model '{name}' needs a path (a string, or {{\"path\": ...}})")
        config.models[name] = (model, None if options is None else json.dumps(options))

    for uri, schema in _entries(raw, "schemas"):
        if isinstance(schema, str):  # JSON text, e.g. from {"$file": "person.schema.json"}
            text = schema
        elif isinstance(schema, (dict, bool)):
            text = json.dumps(schema)
        else:
            raise ConfigError(f"schema '{uri}' must be a JSON Schema (an object or true/false) "
                              f"or its JSON text, got {_kind(schema)}")
        config.schemas[uri] = text

    if (config.clients or config.models) and not config.loads("embed"):
        raise ConfigError("clients and models need the embed extension: add 'embed' to "
                          "extensions")
    if config.schemas and not config.loads("jsonschema"):
        raise ConfigError("schemas need the jsonschema extension: add 'jsonschema' to "
                          "extensions")
    return config


def _entries(raw, key):
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be an object of name: settings, got {_kind(value)}")
    return list(value.items())


def _kind(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


# ---- timing of remote calls ------------------------------------------------------------------


def timing_settings(configured, shown, time_limit_ms, has_deadline):
    """The settings that make a client's calls end within Datasette's sql_time_limit_ms.

    Datasette enforces its time limit with a progress handler, which SQLite does not run while
    a function waits for the network, so a remote call must bound itself. With embed's
    deadline_ms (a bound on a whole rembed or rembed_each call: every request, retry and wait)
    the deadline is the time limit. Without it, each request's timeouts are cut to the limit
    and retries are off, which bounds rembed (one request) but not rembed_each (one request per
    batch). Settings the operator gave are kept as given.

    configured: the options the operator gave ({} for a format name); shown: the client's
    options as SELECT shows them; returns {option: value} to set."""
    if not time_limit_ms or time_limit_ms <= 0:
        return {}
    out = {}
    if has_deadline:
        if "deadline_ms" not in configured:
            out["deadline_ms"] = time_limit_ms
        return out
    for option in ("timeout_ms", "connect_timeout_ms"):
        current = shown.get(option)
        if option not in configured and (current is None or current > time_limit_ms):
            out[option] = time_limit_ms
    if "max_retries" not in configured and shown.get("max_retries", 0) != 0:
        out["max_retries"] = 0
    return out


def has_deadline(conn):
    """Whether the loaded embed knows the deadline_ms option."""
    try:
        conn.execute("SELECT rembed_client_options('deadline_ms', 1000)").fetchall()
        return True
    except sqlite3.Error:
        return False


# ---- applying it to a connection -------------------------------------------------------------


@raised_cleanly
def prepare(conn, config, time_limit_ms=None, registries=True):
    """Loads strata into conn, registers the configuration (unless registries is False) and
    locks the registries. Leaves extension loading off, the temp schema empty, and query_only
    as it found it."""
    sqlite_strata.load(conn, *config.extensions)
    isolation = conn.isolation_level
    conn.isolation_level = None  # autocommit: nothing here may leave a transaction open
    query_only = conn.execute("PRAGMA query_only").fetchone()[0]
    try:
        if query_only:  # Datasette's _internal: query_only refuses writes to temp too
            conn.execute("PRAGMA query_only = 0")
        try:
            if registries and (config.clients or config.models or config.schemas):
                _register(conn, config, time_limit_ms)
        finally:
            conn.execute("SELECT strata_lock()").fetchall()
    finally:
        if query_only:
            conn.execute("PRAGMA query_only = 1")
        conn.isolation_level = isolation


def _register(conn, config, time_limit_ms):
    # Where the registries are open (a writable connection, never locked: _memory, Datasette's
    # write connections), the eponymous tables take the registrations and the temp schema is
    # never opened. Elsewhere an admin session lets SQL change them: on a read-only connection
    # the eponymous temp.rembed_clients and temp.lembed_models live in main, which SQLite will
    # not write there, so the registrations go through temp tables of the same modules, which
    # share the connection's registries and are dropped afterwards.
    created = []
    if conn.execute("SELECT strata_locked()").fetchone()[0]:
        conn.execute("CREATE VIRTUAL TABLE temp.strata_admin USING strata_admin()")
        created.append("strata_admin")
    admin = bool(created)
    try:
        if config.clients:
            if admin:
                conn.execute("CREATE VIRTUAL TABLE temp.rembed_clients USING rembed_clients()")
                created.append("rembed_clients")
            deadline = has_deadline(conn)
            for name, options in config.clients.items():
                _register_client(conn, name, options, time_limit_ms, deadline)
        if config.models:
            if admin:
                conn.execute("CREATE VIRTUAL TABLE temp.lembed_models USING lembed_models()")
                created.append("lembed_models")
            for name, (path, options) in config.models.items():
                _run(conn, f"model '{name}'",
                     "INSERT INTO temp.lembed_models(name, model, options) "
                     "VALUES (?, lembed_model_from_file(?), ?)", [name, path, options])
        for uri, schema in config.schemas.items():
            _run(conn, f"schema '{uri}'", "SELECT jsonschema_register(?, ?)", [uri, schema])
    finally:
        for table in reversed(created):
            conn.execute(f"DROP TABLE temp.{table}")


def _register_client(conn, name, options, time_limit_ms, deadline):
    what = f"client '{name}'"
    text = options if isinstance(options, str) else json.dumps(options)
    _run(conn, what, "INSERT INTO temp.rembed_clients(name, options) VALUES (?, ?)",
         [name, text])
    shown = json.loads(conn.execute("SELECT options FROM temp.rembed_clients WHERE name = ?",
                                    [name]).fetchone()[0])
    configured = options if isinstance(options, dict) else {}
    settings = timing_settings(configured, shown, time_limit_ms, deadline)
    if settings:
        # json_set keeps a redacted key: UPDATE takes "(redacted)" as "the secret it has"
        path_values = [x for option, value in settings.items() for x in (f"$.{option}", value)]
        _run(conn, what,
             "UPDATE temp.rembed_clients SET options = json_set(options"
             + ", ?, ?" * len(settings) + ") WHERE name = ?", [*path_values, name])


def _run(conn, what, sql, params):
    try:
        conn.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        raise ConfigError(f"{what}: {e}") from None
