"""Error reports against ajv 8 (npm, allErrors), an independent implementation, on the same
documents: where the shapes overlap, both name the same failures at the same places.

ajv's errors carry instancePath and schemaPath (the failing keyword's place in the schema, "#/..."),
which are this extension's instanceLocation and absoluteKeywordLocation (schemas without $id).
Known differences, normalised before comparing:
  - additionalProperties: ajv reports the object and names the property in params; here the
    error is at the property itself (as the specification's output examples put it);
  - if/then/else: ajv adds an "if" error beside the branch's; here the branch's errors only;
  - contains: ajv also lists every item's failures under a failing contains, which the basic
    format leaves out and the detailed format nests under the contains error (compared there);
  - a false subschema: ajv appends "/false schema" to its schemaPath.
The real-world content case is here too: ajv, like this extension by default, accepts "" under
contentMediaType application/json."""

import json
import random
import subprocess

import pytest

import helpers

HERE = helpers.ROOT / "tests" / "jsonschema"
D7 = "http://json-schema.org/draft-07/schema#"


@pytest.fixture(scope="module")
def ajv():
    try:
        return str(helpers.peers.npm_package("ajv-formats").parent)
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"ajv unavailable: {e}")


def ajv_results(directory, schema, docs):
    proc = subprocess.run(["node", str(HERE / "ajv_errors.js"), directory],
                          input=json.dumps({"schema": schema, "docs": docs}), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def pointer_token(s):
    return "/" + s.replace("~", "~0").replace("/", "~1")


def ajv_places(result, keep_contains_items):
    places = []
    failed_contains = {e["schemaPath"] for e in result["errors"] if e["keyword"] == "contains"}
    for e in result["errors"]:
        path, where = e["schemaPath"], e["instancePath"]
        if e["keyword"] == "if":
            continue
        if not keep_contains_items and any(path.startswith(c + "/") for c in failed_contains):
            continue
        if e["keyword"] == "additionalProperties":
            where += pointer_token(e["params"]["additionalProperty"])
        if path.endswith("/false schema"):
            path = path[: -len("/false schema")]
        places.append((where, path))
    return sorted(places)


def tree_places(unit):
    out = []
    if "error" in unit:
        out.append((unit["instanceLocation"], unit["absoluteKeywordLocation"]))
    for child in unit.get("errors", []):
        out.extend(tree_places(child))
    return out


SCHEMAS = [
    {"type": "object", "required": ["id", "name"],
     "properties": {"id": {"type": "integer", "minimum": 1, "multipleOf": 2},
                    "name": {"type": "string", "minLength": 2, "maxLength": 4,
                             "pattern": "^[a-z]+$"},
                    "role": {"enum": ["admin", "user"]},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                             "maxItems": 2}},
     "additionalProperties": False},
    {"definitions": {"point": {"type": "object", "required": ["x"],
                               "properties": {"x": {"type": "number", "exclusiveMaximum": 10}},
                               "maxProperties": 2}},
     "type": "array", "minItems": 1, "items": {"$ref": "#/definitions/point"}},
    {"anyOf": [{"type": "string", "maxLength": 1}, {"type": "integer", "maximum": 3}],
     "not": {"const": 2}},
    {"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "array", "minItems": 2}]},
    {"type": "object", "dependencies": {"a": ["b", "c"]},
     "patternProperties": {"^x": {"type": "boolean"}},
     "if": {"required": ["a"]}, "then": {"properties": {"b": {"const": 1}}},
     "else": {"minProperties": 1}},
    {"type": "array", "contains": {"type": "string", "minLength": 2},
     "items": [{"type": "integer"}], "additionalItems": {"type": "string"}},
    {"properties": {"p": False, "q": {"type": "null"}}, "required": ["q"]},
]


# Documents that pass, so both outcomes are compared for every schema.
VALID = [
    {"id": 2, "name": "ab", "tags": ["a"]},
    [{"x": 1}],
    "a",
    [1, 2],
    {"a": 1, "b": 1, "c": 2, "xy": True},
    [1, "ab"],
    {"q": None},
]


def value(rng, depth):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind in (1, 2):
        return rng.choice([0, 1, 2, 3, 4, 10, 12, -1, 2.5])
    if kind in (3, 4, 5):
        return rng.choice(["", "a", "ab", "abcde", "Ab", "x"])
    if kind in (6, 7):
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["id", "name", "role", "tags", "x", "a", "b", "c", "xa", "p", "q", "z"]
    return {k: value(rng, depth + 1) for k in rng.sample(keys, rng.randrange(5))}


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_same_failures_as_ajv(db, ajv, index):
    schema = {"$schema": D7, **SCHEMAS[index]}
    text = json.dumps(schema)
    rng = random.Random(200 + index)
    docs = [json.dumps(value(rng, 0)) for _ in range(250)] + [json.dumps(VALID[index])]
    theirs = ajv_results(ajv, schema, docs)
    differ, outcomes, compared = [], set(), 0
    for doc, result in zip(docs, theirs):
        basic = json.loads(helpers.scalar(db, "SELECT jsonschema_validate(?, ?, '{\"output\":"
                                              "\"basic\"}')", text, doc))
        detailed = json.loads(helpers.scalar(db, "SELECT jsonschema_validate(?, ?, '{\"output\":"
                                                 "\"detailed\"}')", text, doc))
        outcomes.add(result["valid"])
        if basic["valid"] != result["valid"]:
            differ.append((doc, "valid", basic["valid"], result["valid"]))
            continue
        ours = sorted((e["instanceLocation"], e["absoluteKeywordLocation"])
                      for e in basic.get("errors", []))
        if ours != ajv_places(result, keep_contains_items=False):
            differ.append((doc, "basic", ours, ajv_places(result, False)))
        # The detailed tree's errors are ajv's, contains' items included; a oneOf that matched
        # twice is where the tree says more (its failed branch), so it is left out.
        if not any(e["keyword"] == "oneOf" and e["params"].get("passingSchemas")
                   for e in result["errors"]):
            tree = sorted(tree_places(detailed))
            if tree != ajv_places(result, keep_contains_items=True):
                differ.append((doc, "detailed", tree, ajv_places(result, True)))
        compared += len(ours)
    assert differ == []
    assert outcomes == {True, False}
    assert compared > 20


def test_content_media_type_on_empty_strings_like_ajv(db, ajv):
    """The real-world case, from a large public corpus of schemas: a draft-7 schema with
    contentMediaType application/json on properties whose values are ""."""
    schema = {"$schema": D7, "properties": {"config": {"type": "string",
                                                       "contentMediaType": "application/json"},
                                            "blob": {"contentEncoding": "base64"}}}
    docs = ['{"config": ""}', '{"config": "{"}', '{"blob": "%%"}', '{"config": 1}']
    theirs = [r["valid"] for r in ajv_results(ajv, schema, docs)]
    ours = [bool(helpers.scalar(db, "SELECT jsonschema_matches(?, ?)", json.dumps(schema), d))
            for d in docs]
    assert ours == theirs == [True, True, True, False]
