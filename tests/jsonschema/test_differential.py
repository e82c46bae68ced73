"""Differential test: jsonschema_matches against Debian's python3-jsonschema (an independent
implementation) on seeded random documents for a set of schemas that use most keywords."""

import json
import random

import pytest

import helpers

jsonschema = pytest.importorskip(
    "jsonschema", reason="python3-jsonschema is not installed (apt-get install python3-jsonschema)")

SCHEMAS = [
    {"type": "object", "required": ["id", "tags"],
     "properties": {"id": {"type": "integer", "minimum": 0},
                    "name": {"type": "string", "minLength": 1, "maxLength": 5},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}},
     "additionalProperties": False},
    {"anyOf": [{"type": "string", "pattern": "^[a-c]+$"}, {"type": "number", "multipleOf": 0.5}]},
    {"oneOf": [{"type": "integer"}, {"type": "number", "exclusiveMaximum": 2}]},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}],
     "items": {"type": "null"}, "minItems": 1},
    {"type": "array", "contains": {"type": "string"}, "minContains": 2, "maxContains": 3},
    {"properties": {"a": {"type": "integer"}}, "patternProperties": {"^b": {"type": "string"}},
     "unevaluatedProperties": {"type": "array"}},
    {"allOf": [{"properties": {"a": True}}, {"properties": {"b": True}}],
     "unevaluatedProperties": False},
    {"if": {"type": "object", "required": ["a"]}, "then": {"required": ["b"]},
     "else": {"not": {"type": "object"}}},
    {"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"b": {"maxProperties": 2}},
     "propertyNames": {"pattern": "^[a-d]$"}},
    {"$defs": {"node": {"type": "object", "properties": {"a": {"$ref": "#/$defs/node"},
                                                          "b": {"type": "string"}}}},
     "$ref": "#/$defs/node"},
    {"type": "array", "prefixItems": [True], "unevaluatedItems": {"type": "string"},
     "anyOf": [{"prefixItems": [True, {"type": "number"}]}, {"contains": {"type": "null"}}]},
    {"type": ["string", "null"], "maxLength": 2},
    {"minProperties": 1, "maxProperties": 2, "additionalProperties": {"type": "string"}},
]

KEYS = ["a", "b", "c", "d", "id", "name", "tags", "x"]


def shaped(rng):
    """Documents near schema 0's shape, so both outcomes occur for it."""
    doc = {"id": rng.choice([0, 1, -1, 2.5, "1"]), "tags": [rng.choice(["a", 1]) for _ in
                                                           range(rng.randrange(5))]}
    if rng.random() < 0.5:
        doc["name"] = rng.choice(["", "ab", "abcdef"])
    if rng.random() < 0.2:
        doc["x"] = 1
    return doc


def value(rng, depth):
    kind = rng.randrange(8 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randrange(-3, 6)
    if kind == 3:
        return rng.choice([0.5, 1.5, 2.0, -0.25, 3.75, 1e3])
    if kind in (4, 5):
        return rng.choice(["", "a", "ab", "abc", "abcdef", "b1", "cab", "x"])
    if kind == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {k: value(rng, depth + 1) for k in rng.sample(KEYS, rng.randrange(5))}


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_agrees_with_python_jsonschema(index):
    schema = SCHEMAS[index]
    validator = jsonschema.Draft202012Validator(schema)
    conn = helpers.connect("jsonschema")
    rng = random.Random(index)
    text = json.dumps(schema)
    disagreements = []
    seen_valid = seen_invalid = 0
    for _ in range(400):
        doc = shaped(rng) if index == 0 and rng.random() < 0.5 else value(rng, 0)
        try:
            theirs = int(validator.is_valid(doc))
        except TypeError:
            continue  # python-jsonschema 4.10 crashes formatting some unevaluatedItems errors
        ours = conn.execute("SELECT jsonschema_matches(?, ?)", (text, json.dumps(doc))).fetchone()[0]
        seen_valid += theirs
        seen_invalid += 1 - theirs
        if ours != theirs:
            disagreements.append((doc, ours, theirs))
    conn.close()
    assert disagreements == []
    # The corpus exercises both outcomes, or the comparison proves little.
    assert seen_valid > 0 and seen_invalid > 0
