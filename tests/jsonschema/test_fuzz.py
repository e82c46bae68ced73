"""Robustness: mutated schemas and documents from the official suite (and random bytes) go
through every function. Errors are fine; a crash, a hang or a sanitizer report is not (this
file matters most under `make test-asan`)."""

import json
import random
import sqlite3

import pytest

import helpers
import suite

ROOT = suite.suite_dir()


def corpus():
    texts = ['{"type":"object"}', '[1,2,{"a":"b"}]', '"\\ud800"', '{"$ref":"#/$defs/a"}']
    if ROOT is not None:
        for path in sorted((ROOT / "tests" / "draft2020-12").glob("*.json"))[:30]:
            for case in json.loads(path.read_text())[:4]:
                texts.append(json.dumps(case["schema"]))
                texts.extend(json.dumps(t["data"]) for t in case["tests"][:2])
    return texts


def mutate(rng, text):
    b = bytearray(text.encode())
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(4)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            del b[min(pos, len(b) - 1)]
        elif op == 1:
            b[pos:pos] = rng.choice([b"{", b"}", b"[", b"]", b'"', b"\\", b",", b":", b"0",
                                     b"-", b"1e999", b"\\u0000", b"\xff", b"$ref", b"#"])
        elif op == 2 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        else:
            b[pos:pos] = b[pos:pos + rng.randrange(1, 20)]
    return bytes(b).decode("utf-8", "replace")


def test_mutations_never_crash():
    rng = random.Random(2026)
    texts = corpus()
    conn = helpers.connect("jsonschema")
    outcomes = {"ok": 0, "error": 0}
    for i in range(1500):
        schema = mutate(rng, rng.choice(texts)) if rng.random() < 0.7 else rng.choice(texts)
        doc = mutate(rng, rng.choice(texts))
        for sql, args in [("SELECT jsonschema_matches(?, ?)", (schema, doc)),
                          ("SELECT jsonschema_validate(?, ?)", (schema, doc)),
                          ("SELECT count(*) FROM jsonschema_errors(?, ?)", (schema, doc)),
                          ("SELECT jsonschema_valid_schema(?)", (schema,))]:
            try:
                conn.execute(sql, args).fetchall()
                outcomes["ok"] += 1
            except sqlite3.OperationalError:
                outcomes["error"] += 1
    conn.close()
    assert outcomes["ok"] > 1000 and outcomes["error"] > 100


def test_random_bytes_as_documents():
    rng = random.Random(7)
    conn = helpers.connect("jsonschema")
    for _ in range(500):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        assert conn.execute("SELECT jsonschema_matches('{}', ?)", (blob,)).fetchone()[0] in (0, 1)
    conn.close()
