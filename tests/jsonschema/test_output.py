"""jsonschema_validate's output formats (JSON Schema 2019-09/2020-12 "flag", "basic", "detailed",
"verbose"): the specification's own examples, the output schema's rules checked by an
independent validator (python-jsonschema), and agreement between the formats, the error list and
jsonschema_matches on seeded random documents."""

import json
import random
import sqlite3
import time

import pytest

import helpers


def output(db, schema, doc, fmt, raw=False):
    """jsonschema_validate's result in format fmt, parsed; doc is a value (JSON text if raw)."""
    text = helpers.scalar(db, "SELECT jsonschema_validate(?, ?, ?)", json.dumps(schema),
                          doc if raw else json.dumps(doc), json.dumps({"output": fmt}))
    return json.loads(text)


def shape(unit):
    """A unit without its message, children in order, for comparing structure."""
    out = {k: unit[k] for k in ("valid", "keywordLocation", "absoluteKeywordLocation",
                                "instanceLocation") if k in unit}
    out["has_error"] = "error" in unit
    for key in ("errors", "annotations"):
        if key in unit:
            out[key] = [shape(c) for c in unit[key]]
    return out


# ---- the specification's examples ------------------------------------------------------------

POLYGON = {
    "$id": "https://example.com/polygon",
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"},
                                                          "y": {"type": "number"}},
                        "additionalProperties": False, "required": ["x", "y"]}},
    "type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 3,
}
POLYGON_DOC = [{"x": 2.5, "y": 1.3}, {"x": 1, "z": 6.7}]


def unit(valid, kloc, aloc, iloc, error=None, errors=None):
    u = {"valid": valid, "keywordLocation": kloc, "absoluteKeywordLocation": aloc,
         "instanceLocation": iloc, "has_error": error}
    if errors is not None:
        u["errors"] = errors
    return u


def test_detailed_is_the_specifications_example(db):
    """JSON Schema 2020-12 core, 12.4.3: the same units, nesting and locations."""
    base = "https://example.com/polygon#"
    expected = unit(False, "", base, "", False, [
        unit(False, "/minItems", base + "/minItems", "", True),
        unit(False, "/items/$ref", base + "/$defs/point", "/1", False, [
            unit(False, "/items/$ref/required", base + "/$defs/point/required", "/1", True),
            unit(False, "/items/$ref/additionalProperties",
                 base + "/$defs/point/additionalProperties", "/1/z", True),
        ]),
    ])
    assert shape(output(db, POLYGON, POLYGON_DOC, "detailed")) == expected


def test_basic_is_the_specifications_example(db):
    out = output(db, POLYGON, POLYGON_DOC, "basic")
    assert out["valid"] is False
    got = {(e["keywordLocation"], e["absoluteKeywordLocation"], e["instanceLocation"])
           for e in out["errors"]}
    base = "https://example.com/polygon#"
    assert got == {("/minItems", base + "/minItems", ""),
                   ("/items/$ref/required", base + "/$defs/point/required", "/1"),
                   ("/items/$ref/additionalProperties",
                    base + "/$defs/point/additionalProperties", "/1/z")}
    assert all(e["valid"] is False and e["error"] for e in out["errors"])


def test_verbose_is_the_specifications_example(db):
    """12.4.4: every keyword's result, passing ones included; the failing additionalProperties
    holds the failing property."""
    schema = {"$id": "https://example.com/polygon",
              "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"validProp": True}, "additionalProperties": False}
    out = output(db, schema, {"validProp": 5, "disallowedProp": "value"}, "verbose")
    base = "https://example.com/polygon#"
    assert [shape(u) for u in out["errors"]] == [
        unit(True, "/type", base + "/type", "", False),
        {**unit(True, "/properties", base + "/properties", "", False),
         "annotations": [unit(True, "/properties/validProp", base + "/properties/validProp",
                              "/validProp", False)]},
        unit(False, "/additionalProperties", base + "/additionalProperties", "", False, [
            unit(False, "/additionalProperties", base + "/additionalProperties",
                 "/disallowedProp", True)]),
    ]
    assert out["valid"] is False


def test_flag_and_valid_documents(db):
    assert output(db, POLYGON, POLYGON_DOC, "flag") == {"valid": False}
    good = [{"x": 1, "y": 2}] * 3
    assert output(db, POLYGON, good, "flag") == {"valid": True}
    assert output(db, POLYGON, good, "basic") == {"valid": True}
    assert output(db, POLYGON, good, "detailed") == {
        "valid": True, "keywordLocation": "", "instanceLocation": "",
        "absoluteKeywordLocation": "https://example.com/polygon#"}
    verbose = output(db, POLYGON, good, "verbose")
    assert verbose["valid"] is True and "annotations" in verbose
    # Without the option, the error list: NULL when valid.
    assert helpers.scalar(db, "SELECT jsonschema_validate(?, ?)", json.dumps(POLYGON),
                          json.dumps(good)) is None


@pytest.mark.parametrize("fmt", ["flag", "basic", "detailed", "verbose"])
def test_documents_that_are_not_json(db, fmt):
    out = output(db, {"type": "object"}, '{"a":', fmt, raw=True)
    assert out["valid"] is False
    message = "document is not valid JSON: unexpected end of input at offset 5"
    if fmt == "basic":
        assert [e["error"] for e in out["errors"]] == [message]
    elif fmt != "flag":
        assert out["error"] == message and out["keywordLocation"] == ""


def test_not_if_contains_and_one_of_in_the_tree(db):
    # not: the failure is the keyword's; detailed shows no passing subschema below it.
    out = output(db, {"not": {"type": "string"}}, "x", "detailed")
    assert shape(out)["errors"] == [unit(False, "/not", "#/not", "", True)]
    verbose = output(db, {"not": {"type": "string"}}, "x", "verbose")
    assert verbose["errors"][0]["errors"][0]["valid"] is True  # the subschema passed
    # if never fails; then does.
    out = output(db, {"if": {"type": "integer"}, "then": {"minimum": 3}, "else": False}, 1,
                 "detailed")
    assert [u["keywordLocation"] for u in out["errors"]] == ["/then/minimum"]
    verbose = output(db, {"if": {"type": "integer"}, "then": {"minimum": 3}}, "s", "verbose")
    assert verbose["valid"] is True
    assert [u["keywordLocation"] for u in verbose["annotations"]] == ["/if"]
    # contains: the items that did not match explain the failure.
    out = output(db, {"contains": {"type": "string"}}, [1, 2], "detailed")
    assert [(u["instanceLocation"], u["keywordLocation"]) for u in out["errors"][0]["errors"]] \
        == [("/0", "/contains/type"), ("/1", "/contains/type")]
    # anyOf passing: its failed branch is no error.
    schema = {"anyOf": [{"type": "string"}, {"type": "integer"}], "minimum": 5}
    out = output(db, schema, 1, "detailed")
    assert [u["keywordLocation"] for u in out["errors"]] == ["/minimum"]


def test_option_errors(db):
    with pytest.raises(sqlite3.OperationalError, match='option "output" must be "flag", '
                                                       '"basic", "detailed" or "verbose"'):
        helpers.scalar(db, "SELECT jsonschema_validate('{}', '1', '{\"output\":\"list\"}')")
    for sql in ["SELECT jsonschema_matches('{}', '1', '{\"output\":\"basic\"}')",
                "SELECT jsonschema_valid_schema('{}', '{\"output\":\"basic\"}')",
                "SELECT * FROM jsonschema_errors('{}', '1', '{\"output\":\"basic\"}')"]:
        with pytest.raises(sqlite3.OperationalError,
                           match='option "output" is for jsonschema_validate'):
            db.execute(sql).fetchall()


def test_verbose_output_is_bounded(db):
    """A unit per keyword per item: 200,000 items would make 400,000 units."""
    doc = list(range(200000))
    with pytest.raises(sqlite3.OperationalError, match="the output would pass 100000 units"):
        output(db, {"items": {"type": "integer", "minimum": 0}}, doc, "verbose")
    # detailed keeps only failures: the same document is fine.
    assert output(db, {"items": {"type": "integer", "minimum": 0}}, doc, "detailed") == {
        "valid": True, "keywordLocation": "", "absoluteKeywordLocation": "#",
        "instanceLocation": ""}


def test_deep_loop_fails_in_every_format(db):
    """The tree formats may stop first at their size bound: every unit of a 4,000-level loop
    repeats the whole keyword location, so the output would grow as the square of the depth."""
    for fmt in ["flag", "basic", "detailed", "verbose"]:
        start = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError,
                           match="nested too deeply|the output would pass 100000 units or 64 MiB"):
            output(db, {"oneOf": [{"$ref": "#"}]}, 1, fmt)
        assert time.perf_counter() - start < 1, fmt


# ---- the output schema, checked by python-jsonschema ------------------------------------------

# The rules of the specification's output schema (2019-09 and 2020-12), written out: every unit
# has valid, keywordLocation and instanceLocation; a failed unit has an error or nested errors;
# a unit whose keywordLocation passes a $ref has an absoluteKeywordLocation.
OUTPUT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "unit": {
            "type": "object",
            "required": ["valid", "keywordLocation", "instanceLocation"],
            "properties": {
                "valid": {"type": "boolean"},
                "keywordLocation": {"type": "string", "pattern": "^(/[^/]*)*$"},
                "absoluteKeywordLocation": {"type": "string", "pattern": "#"},
                "instanceLocation": {"type": "string", "pattern": "^(/[^/]*)*$"},
                "error": {"type": "string", "minLength": 1},
                "errors": {"type": "array", "items": {"$ref": "#/$defs/unit"}},
                "annotations": {"type": "array", "items": {"$ref": "#/$defs/unit"}},
            },
            "additionalProperties": False,
            "allOf": [
                {"if": {"properties": {"valid": {"const": False}}},
                 "then": {"anyOf": [{"required": ["error"]}, {"required": ["errors"]}]}},
                {"if": {"properties": {"keywordLocation": {"pattern": "/\\$ref"}}},
                 "then": {"required": ["absoluteKeywordLocation"]}},
            ],
        },
        "flag": {"type": "object", "required": ["valid"], "properties": {"valid": {"type":
                                                                                    "boolean"}},
                 "additionalProperties": False},
        "basic": {"type": "object", "required": ["valid"],
                  "properties": {"valid": {"type": "boolean"},
                                 "errors": {"type": "array", "items": {"$ref": "#/$defs/unit"}}},
                  "additionalProperties": False},
    },
}

SCHEMAS = [
    POLYGON,
    {"type": "object", "required": ["id"],
     "properties": {"id": {"type": "integer", "minimum": 1}, "tags": {"type": "array",
                    "items": {"type": "string"}, "uniqueItems": True, "maxItems": 3}},
     "patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": False},
    {"anyOf": [{"type": "string", "minLength": 2}, {"type": "array", "contains": {"const": 3}}],
     "not": {"const": "no"}},
    {"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"},
                                                      "v": {"enum": [1, 2]}},
                     "unevaluatedProperties": False}},
     "$ref": "#/$defs/n"},
    {"if": {"type": "object"}, "then": {"dependentRequired": {"a": ["b"]}},
     "else": {"oneOf": [{"type": "integer"}, {"minimum": 2}]}},
    {"$schema": "http://json-schema.org/draft-07/schema#",
     "definitions": {"p": {"type": "object", "properties": {"x": {"type": "number"}},
                           "required": ["x"]}},
     "type": "array", "items": [{"$ref": "#/definitions/p"}, {"type": "string"}],
     "additionalItems": {"type": "boolean"}},
]


# A valid and an invalid document for each schema, beside the random ones.
KNOWN = [
    [[{"x": 1, "y": 2}] * 3, [{"x": 1}, {"y": "2"}, 3, {"x": 1, "y": 2, "z": 0}]],
    [{"id": 2, "tags": ["a"], "x-a": "s"}, {"id": 0, "tags": ["a", "a", 1, "b"], "x-a": 1, "q": 1}],
    ["ab", "no"],
    [{"v": 1, "next": {"v": 2}}, {"v": 3, "next": {"w": 1}}],
    [{"a": 1, "b": 2}, 2.5],
    [[{"x": 1}, "s", True], [{"y": 1}, 2, "t"]],
]


def value(rng, depth):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind in (1, 2):
        return rng.choice([0, 1, 2, 3, 5, -1, 2.5])
    if kind in (3, 4, 5):
        return rng.choice(["", "a", "no", "ab", "x"])
    if kind in (6, 7):
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["id", "tags", "next", "v", "a", "b", "x", "x-y", "y", "z"]
    return {k: value(rng, depth + 1) for k in rng.sample(keys, rng.randrange(5))}


def walk(u, ancestors=()):
    yield u, ancestors
    for key in ("errors", "annotations"):
        for c in u.get(key, []):
            yield from walk(c, ancestors + (u,))


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
def test_formats_agree_and_follow_the_output_schema(db, index):
    jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")
    checkers = {name: jsonschema.Draft202012Validator({**OUTPUT_SCHEMA, "$ref": f"#/$defs/{name}"})
                for name in ("flag", "basic", "unit")}
    schema = SCHEMAS[index]
    text = json.dumps(schema)
    rng = random.Random(index)
    seen = set()
    for k in range(152):
        doc = json.dumps(KNOWN[index][k - 150] if k >= 150 else value(rng, 0))
        matches = helpers.scalar(db, "SELECT jsonschema_matches(?, ?)", text, doc)
        seen.add(matches)
        outs = {f: output(db, schema, doc, f, raw=True)
                for f in ("flag", "basic", "detailed", "verbose")}
        for fmt, out in outs.items():
            errors = list(checkers["unit" if fmt in ("detailed", "verbose") else fmt]
                          .iter_errors(out))
            assert errors == [], (fmt, doc, errors[0].message)
            assert out["valid"] is bool(matches), (fmt, doc)
            if fmt == "verbose":
                continue
            # This validator checks its own output against the same rules.
            assert helpers.scalar(db, "SELECT jsonschema_matches(?, ?)", json.dumps(
                {**OUTPUT_SCHEMA, "$ref": "#/$defs/" + ("unit" if fmt == "detailed" else fmt)}),
                json.dumps(out)) == 1
        rows = db.execute("SELECT keywordLocation, absoluteKeywordLocation, instanceLocation, "
                          "error FROM jsonschema_errors(?, ?)", (text, doc)).fetchall()
        basic = sorted((e["keywordLocation"], e["absoluteKeywordLocation"],
                        e["instanceLocation"], e["error"]) for e in outs["basic"].get("errors", []))
        assert basic == sorted(rows)
        # Every basic error is in the detailed tree; the tree adds only what explains a failed
        # contains or a oneOf that matched more than once.
        detailed = []
        for u, up in walk(outs["detailed"]):
            if "error" not in u:
                continue
            explains = any(a["keywordLocation"].endswith(("/contains", "/oneOf")) for a in up)
            detailed.append(((u["keywordLocation"], u["absoluteKeywordLocation"],
                              u["instanceLocation"], u["error"]), explains))
        assert sorted(d for d, explains in detailed if not explains) == basic, doc
        # The verbose tree's failed leaves include every detailed one.
        failed = {(u["keywordLocation"], u["instanceLocation"], u["error"])
                  for u, _ in walk(outs["verbose"]) if "error" in u}
        assert {(k, i, e) for (k, _, i, e), _ in detailed} <= failed
    assert seen == {0, 1}
