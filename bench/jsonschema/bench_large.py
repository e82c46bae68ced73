"""jsonschema with a large schema (about 200 KB, draft 7, generated): what finding the compiled
schema costs per call when SQLite's auxdata cannot help.

Within one statement, a constant schema argument is found through auxdata at no cost. Each
single-row INSERT through a CHECK constraint is its own statement execution, so there the
schema is found in the per-connection cache by its text: a hash of 256 sampled bytes picks the
entry and one memcmp of the whole text confirms it (exact: see docs/jsonschema.md). Workloads:

  - single-row INSERTs (executemany: one execution per row) into a table with
    CHECK (jsonschema_matches('<200 KB schema>', doc)), against CHECK (json_valid(doc)), and
    with the schema registered and the CHECK holding {"$ref": uri} (a 40-byte text to find);
  - the same with two CHECK constraints on two different 200 KB schemas (every call misses the
    most recently used entry), against two json_valid CHECKs;
  - per call: one statement over the documents whose schema argument is not a constant
    (CASE ... END), so every row looks the schema up, against ajv 8 validating each document
    through ajv.validate(schema, doc) (its lookup by schema object) and through its compiled
    function.

Contenders alternate; medians of REPEATS runs. JSONSCHEMA_BENCH_LARGE_ROWS shrinks the runs.
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
ROWS = int(os.environ.get("JSONSCHEMA_BENCH_LARGE_ROWS", "20000"))
REPEATS = 5


def large_schema(seed, target=200_000):
    """A draft-7 schema of about `target` bytes: many object definitions that refer to each
    other, with string, integer, enum, pattern and array properties, as API schemas have."""
    rng = random.Random(seed)
    defs = {}
    while True:
        i = len(defs)
        props = {}
        for k in range(rng.randrange(4, 10)):
            kind = rng.randrange(5)
            if kind == 0:
                p = {"type": "string", "maxLength": rng.randrange(8, 200),
                     "description": f"field {k} of type {i}"}
            elif kind == 1:
                p = {"type": "integer", "minimum": 0, "maximum": rng.randrange(10, 10**6)}
            elif kind == 2:
                p = {"enum": [f"v{j}" for j in range(rng.randrange(2, 8))]}
            elif kind == 3 and i:
                p = {"$ref": f"#/definitions/t{rng.randrange(i)}"}
            else:
                p = {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9-]+$"}}
            props[f"f{k}"] = p
        defs[f"t{i}"] = {"type": "object", "properties": props, "required": ["f0"],
                         "additionalProperties": False}
        schema = {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": defs,
                  "type": "object", "required": ["kind"],
                  "properties": {"kind": {"type": "string"},
                                 "spec": {"$ref": f"#/definitions/t{i}"}}}
        text = json.dumps(schema)
        if len(text) >= target:
            return text


def connect():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(str(benchlib.DIST / "jsonschema"))
    return conn


def alternate(runners):
    """{name: zero-argument callable returning seconds} -> {name: median seconds}."""
    times = {name: [] for name in runners}
    for _ in range(REPEATS):
        for name, run in runners.items():
            try:
                times[name].append(run())
            except Exception as e:  # a broken peer must not hide the others
                print(f"  {name}: failed: {e}", file=sys.stderr)
    return {n: (sorted(t)[len(t) // 2] if t else None) for n, t in times.items()}


def insert_runner(checks, ncols, rows, register=None):
    conn = connect()
    if register:
        conn.execute("SELECT jsonschema_register(?, ?)", register)
    cols = ", ".join(f"c{i} TEXT CHECK ({check.replace('COL', f'c{i}')})"
                     for i, check in enumerate(checks))
    conn.execute(f"CREATE TABLE t({cols})")
    sql = f"INSERT INTO t VALUES ({', '.join('?' * ncols)})"
    conn.executemany(sql, rows[:100])  # warm: compile once

    def run():
        conn.execute("BEGIN")
        conn.execute("DELETE FROM t")
        start = time.perf_counter()
        conn.executemany(sql, rows)
        elapsed = time.perf_counter() - start
        conn.execute("COMMIT")
        return elapsed
    return run


def literal(text):
    return "'" + text.replace("'", "''") + "'"


def insert_tables(schemas, docs):
    a, b = literal(schemas[0]), literal(schemas[1])
    one = [(d,) for d in docs]
    two = [(d, d) for d in docs]
    table = benchlib.Table(f"{ROWS:,} single-row INSERTs, 200 KB schema in CHECK (per row)",
                           unit="us", scale=1e6 / ROWS)
    uri = "https://example.com/large.json"
    table.add("one CHECK", alternate({
        "strata": insert_runner([f"jsonschema_matches({a}, COL)"], 1, one),
        "CHECK (json_valid(doc))": insert_runner(["json_valid(COL)"], 1, one),
        # The schema registered, the CHECK holding a 40-byte reference to it.
        "strata, {\"$ref\": uri}": insert_runner(
            [f"jsonschema_matches('{{\"$ref\": \"{uri}\"}}', COL)"], 1, one,
            register=(uri, schemas[0])),
    }))
    table.add("two CHECKs, two 200 KB schemas", alternate({
        "strata": insert_runner([f"jsonschema_matches({a}, COL)",
                                 f"jsonschema_matches({b}, COL)"], 2, two),
        "2 x CHECK (json_valid(doc))": insert_runner(["json_valid(COL)"] * 2, 2, two),
    }))


def ajv_runner(directory, schema, docs, lookup):
    payload = json.dumps({"schema": json.loads(schema), "docs": docs, "passes": 3,
                          "lookup": lookup})

    def run():
        out = subprocess.run(["node", str(HERE / "ajv_runner.js"), directory], input=payload,
                             capture_output=True, text=True, check=True)
        return min(json.loads(out.stdout)["times"][1:])  # the first pass warms the JIT
    return run


def per_call_table(schema, docs):
    conn = connect()
    conn.execute("CREATE TABLE docs(doc TEXT)")
    conn.executemany("INSERT INTO docs VALUES (?)", [(d,) for d in docs])
    # CASE makes the argument non-constant, so SQLite keeps no auxdata for it: every row finds
    # the schema in the cache, as every single-row INSERT does.
    sql = ("SELECT count(*) FROM docs "
           "WHERE jsonschema_matches(CASE WHEN rowid > 0 THEN ? END, doc)")
    valid = conn.execute(sql, (schema,)).fetchone()[0]

    uri = "https://example.com/large.json"
    conn.execute("SELECT jsonschema_register(?, ?)", (uri, schema))
    ref = json.dumps({"$ref": uri})
    assert conn.execute(sql, (ref,)).fetchone()[0] == valid

    def strata(text):
        def run():
            start = time.perf_counter()
            conn.execute(sql, (text,)).fetchone()
            return time.perf_counter() - start
        return run
    runners = {"strata": strata(schema), "strata, {\"$ref\": uri}": strata(ref)}
    try:
        directory = str(benchlib.peers.npm_package("ajv-formats").parent)
        runners["ajv validate(schema, doc)"] = ajv_runner(directory, schema, docs, True)
        runners["ajv compiled function"] = ajv_runner(directory, schema, docs, False)
    except benchlib.peers.PeerUnavailable as e:
        print(f"  ajv unavailable: {e}", file=sys.stderr)
    table = benchlib.Table(f"per call, 200 KB schema looked up every call, {ROWS:,} documents "
                           f"({valid:,} valid)", unit="us", scale=1e6 / ROWS)
    table.add("trivial documents", alternate(runners))


def main():
    schemas = [large_schema(5), large_schema(6)]
    print(f"schemas: {len(schemas[0]):,} and {len(schemas[1]):,} bytes of JSON")
    rng = random.Random(1)
    insert_tables(schemas, [json.dumps({"kind": f"k{i}"}) for i in range(ROWS)])
    per_call_table(schemas[0], [json.dumps({"kind": f"k{i}"} if rng.random() < 0.9 else
                                           {"kind": i}) for i in range(ROWS)])


if __name__ == "__main__":
    main()
