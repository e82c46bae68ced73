"""jsonschema benchmarks: warm validation per document against ajv 8 (+ ajv-formats, in node)
and sqlite-jsonschema 0.2.3 (npm jsonschema0.so), and 100k single-row INSERTs through a CHECK
constraint against CHECK (json_valid(doc)). Contenders alternate; medians of REPEATS runs.

Validation workloads run one SQL statement over a table of documents (per-document time =
statement time / rows), so SQLite's own per-row cost is in both SQL contenders. ajv is timed
inside node on the same documents as JSON text, parsed in the timed loop (JSON.parse + validate),
which is what a SQL function has to do too. Set JSONSCHEMA_BENCH_ROWS to shrink the runs.
"""

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

HERE = Path(__file__).resolve().parent
ROWS = int(os.environ.get("JSONSCHEMA_BENCH_ROWS", "20000"))
INSERTS = int(os.environ.get("JSONSCHEMA_BENCH_INSERTS", "100000"))
REPEATS = 5

D7 = "http://json-schema.org/draft-07/schema#"

USER = {
    "$schema": D7, "type": "object", "required": ["id", "name", "email"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "email": {"type": "string", "format": "email"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "role": {"enum": ["admin", "editor", "viewer"]},
    },
    "additionalProperties": False,
}

ORDER = {
    "$schema": D7, "type": "object", "required": ["order_id", "customer", "lines"],
    "definitions": {
        # No multipleOf 0.01 here: ajv and sqlite-jsonschema divide in floating point and reject
        # most valid prices (19.99 / 0.01), which would make the runs incomparable.
        "money": {"type": "number", "minimum": 0},
        "line": {"type": "object", "required": ["sku", "qty", "price"],
                 "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                                "qty": {"type": "integer", "minimum": 1},
                                "price": {"$ref": "#/definitions/money"}}},
    },
    "properties": {
        "order_id": {"type": "string", "format": "uuid"},
        "customer": {"type": "object", "required": ["name"],
                     "properties": {"name": {"type": "string"},
                                    "country": {"type": "string", "minLength": 2,
                                                "maxLength": 2}}},
        "created": {"type": "string", "format": "date-time"},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/line"}},
        "status": {"oneOf": [{"const": "open"}, {"const": "paid"}, {"const": "shipped"}]},
    },
}


CONFIG = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "base": {"type": "object", "properties": {"name": {"type": "string"},
                                                  "enabled": {"type": "boolean"}},
                 "required": ["name"]},
        "http": {"properties": {"kind": {"const": "http"}, "port": {"type": "integer",
                                                                     "maximum": 65535},
                                "hosts": {"type": "array", "prefixItems": [{"type": "string"}],
                                          "items": {"type": "string"}}}},
        "queue": {"properties": {"kind": {"const": "queue"}, "size": {"type": "integer"}}},
    },
    "type": "array",
    "items": {"allOf": [{"$ref": "#/$defs/base"}],
              "oneOf": [{"$ref": "#/$defs/http"}, {"$ref": "#/$defs/queue"}],
              "unevaluatedProperties": False},
}


def config_doc(rng, i, bad):
    items = []
    for k in range(rng.randrange(1, 8)):
        if rng.random() < 0.5:
            items.append({"name": f"svc{k}", "kind": "http", "port": rng.randrange(1, 9000),
                          "hosts": ["a.example", "b.example"], "enabled": True})
        else:
            items.append({"name": f"q{k}", "kind": "queue", "size": rng.randrange(100)})
    if bad:
        items[-1]["unexpected"] = 1
    return items


def user_doc(rng, i, bad):
    d = {"id": i + 1, "name": f"user{i}", "email": f"user{i}@example.com", "age": rng.randrange(90),
         "tags": rng.sample(["a", "b", "c", "d", "e"], 3), "role": rng.choice(["admin", "viewer"])}
    if bad:
        d[rng.choice(["age", "email", "extra"])] = "?" if rng.random() < 0.5 else -5
    return d


def order_doc(rng, i, bad):
    lines = [{"sku": f"ABC-{rng.randrange(10000):04d}", "qty": rng.randrange(1, 5),
              "price": rng.randrange(100, 100000) / 100} for _ in range(rng.randrange(1, 20))]
    d = {"order_id": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "customer": {"name": "ada",
         "country": "FR"}, "created": "2024-05-01T10:20:30Z", "lines": lines,
         "status": rng.choice(["open", "paid", "shipped"])}
    if bad:
        lines[-1]["sku"] = "abc-1"
    return d


def docs(make, bad_share, seed):
    rng = random.Random(seed)
    return [json.dumps(make(rng, i, rng.random() < bad_share)) for i in range(ROWS)]


def peer_path():
    try:
        pkg = benchlib.peers.npm_package("sqlite-jsonschema-linux-x64")
        return str(benchlib.peers.find_file(pkg, "jsonschema0.so"))[:-3]
    except benchlib.peers.PeerUnavailable as e:
        print(f"  sqlite-jsonschema unavailable: {e}", file=sys.stderr)
        return None


def ajv_dir():
    try:
        return str(benchlib.peers.npm_package("ajv-formats").parent)
    except benchlib.peers.PeerUnavailable as e:
        print(f"  ajv unavailable: {e}", file=sys.stderr)
        return None


def connect(ext):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    return conn


def sql_runner(conn, schema, texts):
    conn.execute("DROP TABLE IF EXISTS docs")
    conn.execute("CREATE TABLE docs(doc TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO docs VALUES (?)", [(t,) for t in texts])
    conn.execute("COMMIT")
    sql = "SELECT count(*) FROM docs WHERE jsonschema_matches(?, doc)"
    conn.execute(sql, (schema,)).fetchone()  # warm: compile once
    result = {}

    def run():
        start = time.perf_counter()
        result["valid"] = conn.execute(sql, (schema,)).fetchone()[0]
        return time.perf_counter() - start
    return run, result


def ajv_runner(directory, schema, texts):
    payload = json.dumps({"schema": json.loads(schema), "docs": texts, "passes": 3})
    result = {}

    def run():
        out = subprocess.run(["node", str(HERE / "ajv_runner.js"), directory], input=payload,
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        result["valid"] = r["valid"]
        return min(r["times"][1:])  # the first pass warms the JIT
    return run, result


def validation_table(peer, ajv):
    table = benchlib.Table(f"warm validation, {ROWS:,} documents per run (per-document median)",
                           unit="us", scale=1e6 / ROWS)
    ours_conn = connect(str(benchlib.DIST / "jsonschema"))
    peer_conn = connect(peer) if peer else None
    for label, schema, make in [("user profile (draft 7)", USER, user_doc),
                                ("order with 1-19 lines (draft 7)", ORDER, order_doc),
                                ("services, unevaluatedProperties (2020-12)", CONFIG, config_doc)]:
        for bad_share in (0.0, 0.5):
            texts = docs(make, bad_share, 7)
            text = json.dumps(schema)
            runners = {"strata": sql_runner(ours_conn, text, texts)}
            if peer_conn and schema is not CONFIG:  # the peer has no 2020-12
                runners["sqlite-jsonschema 0.2.3"] = sql_runner(peer_conn, text, texts)
            if ajv:
                runners["ajv 8 + ajv-formats"] = ajv_runner(ajv, text, texts)
            times = {name: [] for name in runners}
            for _ in range(REPEATS):
                for name, (run, _) in runners.items():
                    try:
                        times[name].append(run())
                    except Exception as e:  # a broken peer must not hide the others
                        print(f"  {name}: failed: {e}", file=sys.stderr)
            counts = {name: r[1].get("valid") for name, r in runners.items()}
            if len(set(counts.values())) > 1:
                print(f"  note: valid counts differ: {counts}", file=sys.stderr)
            medians = {n: (sorted(t)[len(t) // 2] if t else None) for n, t in times.items()}
            table.add(f"{label}, {int(bad_share * 100)}% invalid", medians)


def insert_table(peer):
    table = benchlib.Table(f"{INSERTS:,} single-row INSERTs (one statement each) in one "
                           "transaction", unit="ms")
    schema = json.dumps(USER).replace("'", "''")
    rng = random.Random(3)
    rows = [(json.dumps(user_doc(rng, i, False)),) for i in range(INSERTS)]

    def runner(ext, check):
        conn = connect(ext)

        def run():
            conn.execute("DROP TABLE IF EXISTS t")
            conn.execute(f"CREATE TABLE t(doc TEXT CHECK ({check}))")
            conn.execute("BEGIN")
            start = time.perf_counter()
            for r in rows:
                conn.execute("INSERT INTO t VALUES (?)", r)
            elapsed = time.perf_counter() - start
            conn.execute("COMMIT")
            return elapsed
        return run

    runners = {
        "strata": runner(str(benchlib.DIST / "jsonschema"), f"jsonschema_matches('{schema}', doc)"),
        "CHECK (json_valid(doc))": runner(str(benchlib.DIST / "jsonschema"), "json_valid(doc)"),
    }
    if peer:
        runners["sqlite-jsonschema 0.2.3"] = runner(peer, f"jsonschema_matches('{schema}', doc)")
    times = {name: [] for name in runners}
    repeats = 3
    for _ in range(repeats):
        for name, run in runners.items():
            try:
                times[name].append(run())
            except Exception as e:
                print(f"  {name}: failed: {e}", file=sys.stderr)
    medians = {n: (sorted(t)[len(t) // 2] if t else None) for n, t in times.items()}
    table.add("user profile rows, CHECK constraint", medians)


def main():
    peer = peer_path()
    ajv = ajv_dir()
    validation_table(peer, ajv)
    insert_table(peer)


if __name__ == "__main__":
    main()
