"""Compatibility with sqlite-jsonschema 0.2.3 (npm sqlite-jsonschema-linux-x64), the extension
users switch from: on draft-7 schemas without its known bugs, both give the same answers."""

import json
import random
import sqlite3

import pytest

import helpers

SCHEMAS = [
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 1},
                                                          "b": {"enum": ["x", "y", None]}},
     "additionalProperties": {"type": "string"}},
    {"type": "array", "items": [{"type": "string"}, {"type": "boolean"}],
     "additionalItems": False, "minItems": 1},
    {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "array", "contains": {"const": 3}}]},
    {"definitions": {"n": {"type": ["number", "null"], "exclusiveMaximum": 4}},
     "type": "object", "patternProperties": {"^[ab]$": {"$ref": "#/definitions/n"}},
     "propertyNames": {"maxLength": 1}},
    {"if": {"type": "array"}, "then": {"uniqueItems": True}, "else": {"not": {"type": "null"}}},
    {"dependencies": {"a": ["b"], "c": {"required": ["d"]}}, "maxProperties": 3},
]


def value(rng, depth):
    kind = rng.randrange(7 if depth < 2 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, 1, 3, 4, 7, -2, 3.5])
    if kind in (2, 3):
        return rng.choice(["", "x", "y", "ab", "abc"])
    if kind == 4:
        return rng.choice([[], [3], [1, 1], ["s", True]])
    if kind == 5:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {k: value(rng, depth + 1) for k in rng.sample(["a", "b", "c", "d", "ab"],
                                                         rng.randrange(5))}


@pytest.fixture(scope="module")
def peer():
    try:
        pkg = helpers.peers.npm_package("sqlite-jsonschema-linux-x64")
        path = str(helpers.peers.find_file(pkg, "jsonschema0.so"))[:-3]
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"sqlite-jsonschema peer unavailable: {e}")
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    try:
        conn.load_extension(path)
    except sqlite3.OperationalError as e:
        pytest.skip(f"sqlite-jsonschema peer does not load here: {e}")
    yield conn
    conn.close()


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_same_answers_as_sqlite_jsonschema(peer, index):
    ours = helpers.connect("jsonschema")
    schema = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", **SCHEMAS[index]})
    rng = random.Random(100 + index)
    outcomes, diffs = set(), []
    for _ in range(300):
        doc = json.dumps(value(rng, 0))
        a = ours.execute("SELECT jsonschema_matches(?, ?)", (schema, doc)).fetchone()[0]
        b = peer.execute("SELECT jsonschema_matches(?, ?)", (schema, doc)).fetchone()[0]
        outcomes.add(b)
        if a != b:
            diffs.append((doc, a, b))
    ours.close()
    assert diffs == []
    assert outcomes == {0, 1}


def test_where_we_fix_the_peer(peer):
    """Documented differences: exact decimals, and errors instead of silent zeros."""
    ours = helpers.connect("jsonschema")
    q = "SELECT jsonschema_matches(?, ?)"
    assert ours.execute(q, ('{"multipleOf": 0.01}', "19.99")).fetchone()[0] == 1
    assert peer.execute(q, ('{"multipleOf": 0.01}', "19.99")).fetchone()[0] == 0
    assert peer.execute(q, ('{"$ref": "http://localhost:1234/x.json"}', "1")).fetchone()[0] == 0
    with pytest.raises(sqlite3.OperationalError, match="cannot resolve"):
        ours.execute(q, ('{"$ref": "http://localhost:1234/x.json"}', "1")).fetchone()
    ours.close()
