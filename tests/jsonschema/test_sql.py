"""SQL behaviour of ext/jsonschema: results, NULLs, options, registry, cache invalidation, flags,
error output locations, and bad input (which must give clear errors, never crashes)."""

import json
import sqlite3
import time

import pytest

import helpers


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def matches(db, schema, doc, options=None):
    if options is None:
        return one(db, "SELECT jsonschema_matches(?, ?)", json.dumps(schema), json.dumps(doc))
    return one(db, "SELECT jsonschema_matches(?, ?, ?)", json.dumps(schema), json.dumps(doc),
               json.dumps(options))


def errors(db, schema, doc, options=None):
    args = [json.dumps(schema), json.dumps(doc)] + ([json.dumps(options)] if options else [])
    marks = ", ".join("?" * len(args))
    return db.execute(f"SELECT instanceLocation, keywordLocation, absoluteKeywordLocation, error "
                      f"FROM jsonschema_errors({marks})", args).fetchall()


# ---- basic results ---------------------------------------------------------------------------

def test_peer_examples(db):
    # The peer's documented examples keep their meaning.
    assert one(db, "SELECT jsonschema_matches('{\"maxLength\": 5}', json_quote('alex'))") == 1
    assert one(db, "SELECT jsonschema_matches('{\"maxLength\": 5}', json_quote('alexander'))") == 0
    assert one(db, "SELECT jsonschema_matches('{\"type\":\"integer\"}', '1.0')") == 1


def test_null_in_null_out(db):
    assert one(db, "SELECT jsonschema_matches(NULL, '1')") is None
    assert one(db, "SELECT jsonschema_matches('{}', NULL)") is None
    assert one(db, "SELECT jsonschema_validate('{}', NULL)") is None
    assert one(db, "SELECT jsonschema_valid_schema(NULL)") is None
    assert db.execute("SELECT * FROM jsonschema_errors(NULL, '1')").fetchall() == []


def test_not_json_document_is_no_match(db):
    assert one(db, "SELECT jsonschema_matches('{}', 'nope')") == 0
    assert one(db, "SELECT jsonschema_matches('{}', '[1] trailing')") == 0
    out = json.loads(one(db, "SELECT jsonschema_validate('{}', '{\"a\":')"))
    assert out[0]["error"].startswith("document is not valid JSON: ")


def test_default_draft_is_2020_12(db):
    assert matches(db, {"prefixItems": [{"type": "string"}]}, [1]) == 0
    # Draft 7 has no prefixItems: the keyword is ignored.
    assert matches(db, {"prefixItems": [{"type": "string"}]}, [1], {"draft": "7"}) == 1
    assert matches(db, {"$schema": "http://json-schema.org/draft-07/schema#",
                        "prefixItems": [{"type": "string"}]}, [1]) == 1


def test_format_annotation_by_default_in_2020_12(db):
    assert matches(db, {"format": "email"}, "notanemail") == 1
    assert matches(db, {"format": "email"}, "notanemail", {"format": "assert"}) == 0
    assert matches(db, {"format": "email"}, "a@example.com", {"format": "assert"}) == 1
    # Drafts 4-7 assert, as the peer does; the option turns it off.
    assert matches(db, {"format": "email"}, "notanemail", {"draft": 7}) == 0
    assert matches(db, {"format": "email"}, "notanemail", {"draft": 7, "format": "annotate"}) == 1
    # Unknown formats always pass.
    assert matches(db, {"format": "int32"}, "x", {"format": "assert"}) == 1


def test_ref_siblings_by_draft(db):
    schema = {"$defs": {"s": {"type": "string"}}, "definitions": {"s": {"type": "string"}},
              "$ref": "#/definitions/s", "maxLength": 2}
    assert matches(db, schema, "abc", {"draft": "2020-12"}) == 0  # siblings apply
    assert matches(db, schema, "abc", {"draft": "7"}) == 1  # $ref overrides siblings


def test_exact_numbers(db):
    big = "9007199254740993"
    assert one(db, f"SELECT jsonschema_matches('{{\"const\":{big}}}', '9007199254740992')") == 0
    assert one(db, f"SELECT jsonschema_matches('{{\"const\":{big}}}', '{big}.0')") == 1
    assert one(db, f"SELECT jsonschema_matches('{{\"enum\":[{big}]}}', '9.007199254740993e15')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"multipleOf\":0.01}', '19.99')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"multipleOf\":0.0001}', '0.0075')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"multipleOf\":0.123456789}', '1e308')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"maximum\":18446744073709551615}', "
                   "'18446744073709551616')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"type\":\"integer\"}', '1e400')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"enum\":[1]}', 'true')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"const\":false}', '0')") == 0


def test_strings_keep_nul_and_count_code_points(db):
    assert one(db, "SELECT jsonschema_matches('{\"maxLength\":2}', '\"a\\u0000b\"')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"const\":\"a\"}', '\"a\\u0000b\"')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"maxLength\":1}', '\"\\ud83d\\ude00\"')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"maxLength\":1}', json_quote('é'))") == 1


def test_duplicate_keys_are_not_json(db):
    assert one(db, "SELECT jsonschema_matches('{}', '{\"a\":1,\"a\":2}')") == 0
    with pytest.raises(sqlite3.OperationalError, match="duplicate key"):
        one(db, "SELECT jsonschema_matches('{\"type\":\"string\",\"type\":\"number\"}', '1')")


def test_patterns_are_ecma(db):
    assert matches(db, {"pattern": "^\\d$"}, "\u0665") == 0  # \d is ASCII only
    assert matches(db, {"pattern": "^\\p{Letter}+$"}, "héllo") == 1
    assert matches(db, {"pattern": "^a$"}, "a\n") == 0  # $ is end of input
    assert matches(db, {"pattern": "^[^]$"}, "\n") == 1
    assert matches(db, {"patternProperties": {"^x-": {"type": "integer"}}}, {"x-a": "s"}) == 0
    # ECMA-262 Annex B spellings that ICU reads differently or rejects.
    assert matches(db, {"pattern": "^{a}$"}, "{a}") == 1
    assert matches(db, {"pattern": "^a{,2}$"}, "a{,2}") == 1
    assert matches(db, {"pattern": "^[--/]+$"}, "-./") == 1
    assert matches(db, {"pattern": "^[a&&b]+$"}, "a&b") == 1
    assert matches(db, {"pattern": "^\\0$"}, "\u0000") == 1
    assert matches(db, {"pattern": "^\\u{1F600}$"}, "\U0001F600") == 1
    assert matches(db, {"pattern": "^\\p{Script=Greek}+$"}, "αβγ") == 1


# ---- options and schema errors ----------------------------------------------------------------

@pytest.mark.parametrize("options,message", [
    ("nope", "options must be a JSON object"),
    ('{"draft":3}', 'option "draft" must be one of'),
    ('{"format":"maybe"}', 'option "format" must be'),
    ('{"colour":1}', 'unknown option "colour"'),
])
def test_bad_options(db, options, message):
    with pytest.raises(sqlite3.OperationalError, match="jsonschema_matches: " + message):
        one(db, "SELECT jsonschema_matches('{}', '1', ?)", options)


@pytest.mark.parametrize("schema,message", [
    ("{", "schema is not valid JSON: expected a string key in object at offset 1"),
    ("[1] x", "schema is not valid JSON: trailing characters"),
    ("3", "a schema must be an object or a boolean"),
    ('{"type":5}', "'type' must name JSON types"),
    ('{"type":["string",5]}', "'type' must name JSON types"),
    ('{"minLength":-1}', "'minLength' must be a non-negative integer"),
    ('{"multipleOf":0}', "'multipleOf' must be greater than 0"),
    ('{"pattern":"("}', "'pattern' is not a valid regular expression"),
    ('{"properties":{"a":3}}', "'properties' values must be schemas"),
    ('{"$ref":"http://example.com/nowhere.json"}',
     "cannot resolve \\$ref 'http://example.com/nowhere.json'"),
    ('{"$ref":"#/$defs/missing"}', "no such location"),
    ('{"$schema":"http://example.com/unknown-meta"}', "unknown \\$schema"),
])
def test_bad_schemas(db, schema, message):
    with pytest.raises(sqlite3.OperationalError, match="jsonschema_matches: .*" + message):
        one(db, "SELECT jsonschema_matches(?, '1')", schema)
    assert one(db, "SELECT jsonschema_valid_schema(?)", schema) == 0


def test_valid_schema_uses_the_metaschema(db):
    assert one(db, "SELECT jsonschema_valid_schema('{\"type\":\"string\"}')") == 1
    assert one(db, "SELECT jsonschema_valid_schema('{\"type\":\"strin\"}')") == 0
    assert one(db, "SELECT jsonschema_valid_schema('{\"minItems\":\"2\"}')") == 0
    d4 = '{"$schema":"http://json-schema.org/draft-04/schema#","exclusiveMinimum":true,"minimum":1}'
    assert one(db, "SELECT jsonschema_valid_schema(?)", d4) == 1
    d6 = '{"$schema":"http://json-schema.org/draft-06/schema#","exclusiveMinimum":true}'
    assert one(db, "SELECT jsonschema_valid_schema(?)", d6) == 0


# ---- bad input: depth, cycles, slow patterns -------------------------------------------------

def test_deep_documents_are_errors_not_crashes(db):
    deep = "[" * 10000 + "]" * 10000
    assert one(db, "SELECT jsonschema_matches('{}', ?)", deep) == 0
    out = json.loads(one(db, "SELECT jsonschema_validate('{}', ?)", deep))
    assert "nesting deeper than 1000 levels" in out[0]["error"]
    with pytest.raises(sqlite3.OperationalError, match="schema is not valid JSON: nesting"):
        one(db, "SELECT jsonschema_matches(?, '1')", '{"items":' * 10000 + "{}" + "}" * 10000)
    # 999 levels through a recursive schema are fine.
    recursive = '{"type":"array","items":{"$ref":"#"}}'
    assert one(db, "SELECT jsonschema_matches(?, ?)", recursive, "[" * 999 + "]" * 999) == 1


@pytest.mark.parametrize("schema", [
    '{"$ref":"#"}',
    '{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}',
])
def test_cyclic_refs_are_errors(db, schema):
    with pytest.raises(sqlite3.OperationalError, match="jsonschema_matches: schema evaluation "
                                                       "nested too deeply"):
        one(db, "SELECT jsonschema_matches(?, '1')", schema)


SELF_LOOPS = [
    '{"oneOf":[{"$ref":"#"}]}',
    '{"anyOf":[{"$ref":"#"}]}',
    '{"$defs":{"a":{"$dynamicAnchor":"x","oneOf":[{"$dynamicRef":"#x"}]}},"$ref":"#/$defs/a"}',
]


@pytest.mark.parametrize("schema", SELF_LOOPS)
def test_reports_of_deep_loops_are_linear(db, schema):
    """Each of the 4,000 levels used to build its keyword location on the way back out of a loop
    that ends in the depth error (quadratic: 0.5-2 s); nothing is built once the call fails."""
    for sql in ["SELECT jsonschema_validate(?, '1')",
                "SELECT count(*) FROM jsonschema_errors(?, '1')"]:
        start = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="nested too deeply"):
            one(db, sql, schema)
        assert time.perf_counter() - start < 0.25, sql


def test_errors_dropped_by_passing_branches_cost_nothing_to_build(db):
    """At every level of a 999-deep array, anyOf's first branch fails before the second passes:
    the branch's error (999 levels deep) was built and then dropped at each level (quadratic)."""
    schema = '{"anyOf":[{"type":"string"},{"items":{"$ref":"#"}}]}'
    doc = "[" * 999 + "1" + "]" * 999
    start = time.perf_counter()
    assert one(db, "SELECT jsonschema_validate(?, ?)", schema, doc) is None
    assert db.execute("SELECT count(*) FROM jsonschema_errors(?, ?)", (schema, doc)).fetchone() \
        == (0,)
    assert time.perf_counter() - start < 0.25


def test_reports_are_bounded_in_bytes(db):
    """A 100 KB pattern key in every keyword location of a 999-level recursion would make
    1,000 errors of 100 MB each: reports stop at about 8 MiB."""
    key = "^a" + "(?:b|c)?" * 12000 + "$"
    schema = json.dumps({"patternProperties": {key: {"$ref": "#"}}, "required": ["z"]})
    doc = '{"a":' * 999 + "{}" + "}" * 999
    start = time.perf_counter()
    out = one(db, "SELECT jsonschema_validate(?, ?)", schema, doc)
    assert time.perf_counter() - start < 5
    assert 0 < len(out) < 10 << 20
    errors = json.loads(out)
    assert 5 < len(errors) < 1000
    assert errors[0]["error"] == "required property 'z' is missing"


def test_catastrophic_pattern_is_an_error(db):
    with pytest.raises(sqlite3.OperationalError, match="pattern match exceeded its time limit"):
        one(db, "SELECT jsonschema_matches(?, ?)", '{"pattern":"^(a+)+$"}',
            json.dumps("a" * 40 + "b"))


def test_huge_numbers(db):
    assert one(db, "SELECT jsonschema_matches('{\"maximum\":1}', '1e999999999999')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"minimum\":0}', '-1e-999999999999')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"multipleOf\":3}', ?)", "9" * 5000) == 1
    assert one(db, "SELECT jsonschema_matches('{\"multipleOf\":1e-999}', '1')") == 1


# ---- registry and cache --------------------------------------------------------------------

def test_register_and_ref(db):
    person = '{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}'
    assert one(db, "SELECT jsonschema_register('https://example.com/person.json', ?)", person) == 1
    schema = '{"type":"array","items":{"$ref":"https://example.com/person.json"}}'
    assert one(db, "SELECT jsonschema_matches(?, '[{\"name\":\"a\"}]')", schema) == 1
    assert one(db, "SELECT jsonschema_matches(?, '[{\"nom\":\"a\"}]')", schema) == 0
    rows = db.execute("SELECT uri, schema FROM jsonschema_registry").fetchall()
    assert rows == [("https://example.com/person.json", person)]
    # Re-registering replaces the schema, and cached compilations see the change.
    assert one(db, "SELECT jsonschema_register('https://example.com/person.json#', '{}')") == 1
    assert one(db, "SELECT jsonschema_matches(?, '[{\"nom\":\"a\"}]')", schema) == 1
    assert db.execute("SELECT count(*) FROM jsonschema_registry").fetchone()[0] == 1


def test_register_errors(db):
    with pytest.raises(sqlite3.OperationalError, match="jsonschema_register: schema is not valid"):
        one(db, "SELECT jsonschema_register('https://example.com/a', '{')")
    with pytest.raises(sqlite3.OperationalError, match="must not have a fragment"):
        one(db, "SELECT jsonschema_register('https://example.com/a#x', '{}')")
    with pytest.raises(sqlite3.OperationalError, match="must not be NULL"):
        one(db, "SELECT jsonschema_register(NULL, '{}')")


def test_registry_is_per_connection(db):
    one(db, "SELECT jsonschema_register('https://example.com/a', '{}')")
    other = helpers.connect("jsonschema")
    assert other.execute("SELECT count(*) FROM jsonschema_registry").fetchone()[0] == 0
    other.close()


def test_register_is_direct_only(db):
    db.execute("CREATE VIEW v AS SELECT jsonschema_register('https://example.com/v', '{}')")
    with pytest.raises(sqlite3.OperationalError, match="unsafe use of jsonschema_register"):
        db.execute("SELECT * FROM v").fetchall()


def test_deterministic_in_generated_columns_and_indexes(db):
    db.execute("CREATE TABLE t(doc TEXT, ok INT GENERATED ALWAYS AS "
               "(jsonschema_matches('{\"type\":\"object\"}', doc)))")
    db.execute("CREATE INDEX t_ok ON t(jsonschema_matches('{\"required\":[\"a\"]}', doc))")
    db.executemany("INSERT INTO t(doc) VALUES (?)", [('{"a":1}',), ("[]",)])
    assert db.execute("SELECT doc, ok FROM t ORDER BY doc").fetchall() == [
        ('[]', 0), ('{"a":1}', 1)]


def test_check_constraint(db):
    db.execute("CREATE TABLE t(doc TEXT CHECK (jsonschema_matches("
               "'{\"type\":\"object\",\"required\":[\"id\"]}', doc)))")
    for i in range(200):
        db.execute("INSERT INTO t VALUES (?)", (json.dumps({"id": i}),))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        db.execute("INSERT INTO t VALUES ('{\"name\":\"x\"}')")
    db.execute("INSERT INTO t VALUES (NULL)")  # NULL passes a CHECK, as SQL says
    assert one(db, "SELECT count(*) FROM t") == 201


def test_cache_is_bounded(db):
    # More distinct schemas than the cache holds, then the first again: still correct.
    for i in range(200):
        assert one(db, "SELECT jsonschema_matches(?, ?)", json.dumps({"const": i}), str(i)) == 1
    assert one(db, "SELECT jsonschema_matches('{\"const\":0}', '0')") == 1


def test_version(db):
    assert one(db, "SELECT jsonschema_version()") == helpers.VERSION


# ---- error output ----------------------------------------------------------------------------

def test_validate_output_shape(db):
    assert one(db, "SELECT jsonschema_validate('{\"type\":\"integer\"}', '3')") is None
    out = json.loads(one(db, "SELECT jsonschema_validate('{\"type\":\"integer\"}', '\"x\"')"))
    assert out == [{"instanceLocation": "", "keywordLocation": "/type",
                    "absoluteKeywordLocation": "#/type",
                    "error": "string is not of type integer"}]


LOCATION_CASES = [
    # (schema, document, [(instanceLocation, keywordLocation)])
    ({"properties": {"a": {"type": "string"}}, "required": ["b"]}, {"a": 1},
     [("", "/required"), ("/a", "/properties/a/type")]),
    ({"items": {"minimum": 0}}, [1, -1, 2, -2],
     [("/1", "/items/minimum"), ("/3", "/items/minimum")]),
    ({"prefixItems": [{"type": "string"}], "items": False}, [1, 2],
     [("/0", "/prefixItems/0/type"), ("/1", "/items")]),
    ({"$defs": {"pos": {"exclusiveMinimum": 0}}, "properties": {"n": {"$ref": "#/$defs/pos"}}},
     {"n": 0}, [("/n", "/properties/n/$ref/exclusiveMinimum")]),
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False},
     {"x-a": "s", "b": 1},
     [("/x-a", "/patternProperties/^x-/type"), ("/b", "/additionalProperties")]),
    ({"properties": {"a/b": {"properties": {"c~d": {"type": "null"}}}}}, {"a/b": {"c~d": 1}},
     [("/a~1b/c~0d", "/properties/a~1b/properties/c~0d/type")]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.5,
     [("", "/anyOf/0/type"), ("", "/anyOf/1/type"), ("", "/anyOf")]),
    ({"oneOf": [{"minimum": 0}, {"maximum": 10}]}, 5, [("", "/oneOf")]),
    ({"not": {"type": "null"}}, None, [("", "/not")]),
    ({"if": {"type": "string"}, "then": {"minLength": 3}, "else": {"type": "integer"}}, "ab",
     [("", "/then/minLength")]),
    ({"contains": {"type": "string"}, "minContains": 2}, ["a", 1], [("", "/minContains")]),
    ({"dependentRequired": {"a": ["b"]}}, {"a": 1}, [("", "/dependentRequired")]),
    ({"properties": {"a": True}, "unevaluatedProperties": False}, {"a": 1, "b": 2},
     [("/b", "/unevaluatedProperties")]),
    ({"uniqueItems": True}, [1, 2, 1.0], [("", "/uniqueItems")]),
    ({"propertyNames": {"maxLength": 2}}, {"abc": 1}, [("/abc", "/propertyNames/maxLength")]),
]


@pytest.mark.parametrize("schema,doc,expected", LOCATION_CASES)
def test_error_locations(db, schema, doc, expected):
    got = [(r[0], r[1]) for r in errors(db, schema, doc)]
    assert got == expected


def test_absolute_keyword_location_follows_ids(db):
    schema = {"$id": "https://example.com/root.json",
              "$defs": {"n": {"$id": "num.json", "type": "number"}},
              "properties": {"a": {"$ref": "num.json"}}}
    rows = errors(db, schema, {"a": "x"})
    assert rows == [("/a", "/properties/a/$ref/type", "https://example.com/num.json#/type",
                     "string is not of type number")]


def test_errors_table_needs_arguments(db):
    with pytest.raises(sqlite3.OperationalError, match="jsonschema_errors: needs a schema"):
        db.execute("SELECT * FROM jsonschema_errors").fetchall()


def test_errors_table_joins(db):
    db.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)")
    db.executemany("INSERT INTO docs(body) VALUES (?)",
                   [('{"a":1}',), ('{"a":"x"}',), ('not json',)])
    rows = db.execute(
        "SELECT id, e.instanceLocation, e.error FROM docs, "
        "jsonschema_errors('{\"properties\":{\"a\":{\"type\":\"integer\"}}}', docs.body) AS e "
        "ORDER BY id").fetchall()
    assert rows[0] == (2, "/a", "string is not of type integer")
    assert rows[1][0] == 3 and rows[1][2].startswith("document is not valid JSON")


def test_unique_items_on_long_arrays(db):
    distinct = list(range(20000))
    assert matches(db, {"uniqueItems": True}, distinct) == 1
    assert matches(db, {"uniqueItems": True}, distinct + [5.0]) == 0
    objs = [{"a": i, "b": [i, {"c": i}]} for i in range(100)]
    assert matches(db, {"uniqueItems": True}, objs) == 1
    assert matches(db, {"uniqueItems": True}, objs + [{"b": [7, {"c": 7}], "a": 7}]) == 0
    assert matches(db, {"uniqueItems": True}, [True, 1] * 1 + list(range(2, 40))) == 1
    rows = errors(db, {"uniqueItems": True}, list(range(30)) + [3])
    assert rows[0][3] == "items 3 and 30 are equal"


def test_big_schemas_cycle_through_the_cache(db):
    # Each schema is about 1 MB: the cache evicts by memory as well as by count.
    for i in range(30):
        props = {f"p{k}": {"type": "integer", "maximum": i} for k in range(20000)}
        schema = json.dumps({"properties": props})
        assert one(db, "SELECT jsonschema_matches(?, ?)", schema, json.dumps({"p7": i})) == 1
        assert one(db, "SELECT jsonschema_matches(?, ?)", schema, json.dumps({"p7": i + 1})) == 0


def test_errors_table_takes_options(db):
    rows = errors(db, {"format": "ipv4"}, "1.2.3", {"format": "assert"})
    assert rows == [("", "/format", "#/format", 'string is not a valid "ipv4"')]
    assert errors(db, {"format": "ipv4"}, "1.2.3") == []


def test_peer_debug_function(db):
    assert one(db, "SELECT jsonschema_debug()").startswith(f"Version: {helpers.VERSION}\n")


def test_constant_schema_survives_evictions_within_a_statement(db):
    # The constant schema is remembered per statement (auxdata) while the varying one pushes
    # more than the cache holds through it in the same statement.
    rows = db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
        "SELECT i, jsonschema_matches('{\"maximum\": 150}', i), "
        "jsonschema_matches(json_object('const', i), i), "
        "jsonschema_matches('{\"maximum\": 150}', i + 1) FROM n").fetchall()
    assert all(r[1] == (r[0] <= 150) and r[2] == 1 and r[3] == (r[0] + 1 <= 150) for r in rows)
    assert len(rows) == 301


def test_draft4_integers_are_spelled_without_fraction(db):
    assert matches(db, {"type": "integer"}, 1.0, {"draft": 4}) == 0
    assert one(db, "SELECT jsonschema_matches('{\"type\":\"integer\"}', '1e2', '{\"draft\":4}')") == 0
    assert one(db, "SELECT jsonschema_matches('{\"type\":\"integer\"}', '100', '{\"draft\":4}')") == 1
    assert one(db, "SELECT jsonschema_matches('{\"type\":\"integer\"}', '1.0', '{\"draft\":6}')") == 1


def test_long_names_in_messages_stay_utf8(db):
    name = "é" * 150  # 300 bytes: the message quotes 200 of them, never half a character
    out = json.loads(one(db, "SELECT jsonschema_validate(?, '{}')", json.dumps({"required": [name]})))
    assert out[0]["error"] == f"required property '{'é' * 100}' is missing"


def test_latest_schema_uri_means_2020_12(db):
    schema = {"$schema": "http://json-schema.org/schema#", "prefixItems": [{"type": "string"}]}
    assert matches(db, schema, [1]) == 0


def test_false_schema_messages_name_the_member(db):
    rows = errors(db, {"properties": {"a": True, "c": False}, "additionalProperties": False},
                  {"a": 1, "b": 2, "c": 3})
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("/b", "/additionalProperties", "property 'b' is not allowed"),
        ("/c", "/properties/c", "no value is allowed here (false schema)")]
    rows = errors(db, {"prefixItems": [True], "items": False}, [1, 2])
    assert [(r[0], r[3]) for r in rows] == [("/1", "item 1 is not allowed")]


def test_custom_metaschema_vocabularies(db):
    # 2019-09: requiring the format vocabulary turns format assertion on.
    meta19 = {"$schema": "https://json-schema.org/draft/2019-09/schema",
              "$id": "https://example.com/meta19",
              "$vocabulary": {"https://json-schema.org/draft/2019-09/vocab/core": True,
                              "https://json-schema.org/draft/2019-09/vocab/format": True},
              "$recursiveAnchor": True}
    one(db, "SELECT jsonschema_register('https://example.com/meta19', ?)", json.dumps(meta19))
    schema = {"$schema": "https://example.com/meta19", "format": "ipv4"}
    assert matches(db, schema, "1.2.3.4") == 1
    assert matches(db, schema, "1.2.3") == 0
    # 2020-12 without the validation vocabulary: validation keywords are ignored.
    meta20 = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": "https://example.com/meta20",
              "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": True,
                              "https://json-schema.org/draft/2020-12/vocab/applicator": True}}
    one(db, "SELECT jsonschema_register('https://example.com/meta20', ?)", json.dumps(meta20))
    schema = {"$schema": "https://example.com/meta20", "minimum": 5,
              "properties": {"a": False}}
    assert matches(db, schema, 1) == 1
    assert matches(db, schema, {"a": 1}) == 0


def test_schema_errors_say_where(db):
    with pytest.raises(sqlite3.OperationalError,
                       match=r"'minLength' must be a non-negative integer \(at #/properties/a~1b\)$"):
        one(db, "SELECT jsonschema_matches(?, '1')",
            json.dumps({"properties": {"a/b": {"minLength": "2"}}}))
    one(db, "SELECT jsonschema_register('https://example.com/bad.json', ?)",
        json.dumps({"$defs": {"x": {"pattern": "("}}, "$ref": "#/$defs/x"}))
    with pytest.raises(sqlite3.OperationalError,
                       match=r"\(at https://example.com/bad.json#/\$defs/x\)$"):
        one(db, "SELECT jsonschema_matches('{\"$ref\": \"https://example.com/bad.json\"}', '1')")


def test_enum_and_const_messages_quote_the_values(db):
    assert errors(db, {"enum": ["a", 1.5, None]}, 3)[0][3] == 'value is not one of ["a",1.5,null]'
    assert errors(db, {"const": {"k": [1]}}, 3)[0][3] == 'value must be {"k":[1]}'
    long = errors(db, {"enum": ["é" * 100] * 5}, 3)[0][3]
    assert long.endswith('...]') and len(long) < 400  # cut, and still valid UTF-8


def test_registered_schema_with_its_own_id(db):
    # Registered under one URI, named by its $id: relative refs inside resolve against the $id.
    one(db, "SELECT jsonschema_register('https://other.example/name.json', ?)",
        '{"type": "string", "minLength": 1}')
    person = {"$id": "https://other.example/person.json", "type": "object",
              "properties": {"name": {"$ref": "name.json"}}}
    one(db, "SELECT jsonschema_register('urn:example:person', ?)", json.dumps(person))
    schema = '{"$ref": "urn:example:person"}'
    assert one(db, "SELECT jsonschema_matches(?, '{\"name\": \"ada\"}')", schema) == 1
    assert one(db, "SELECT jsonschema_matches(?, '{\"name\": \"\"}')", schema) == 0
    rows = db.execute("SELECT absoluteKeywordLocation FROM jsonschema_errors(?, '{\"name\": 1}')",
                      (schema,)).fetchall()
    assert rows == [("https://other.example/name.json#/type",)]


@pytest.mark.parametrize("draft,id_kw", [("04", "id"), ("06", "$id"), ("07", "$id")])
def test_root_id_beside_ref_is_ignored_and_the_error_says_so(db, draft, id_kw):
    """Drafts 4-7 ignore every keyword beside $ref, $id included (the suite's "$ref prevents a
    sibling $id from changing the base uri"). A published schema with both at its root, passed
    as text, has no base URI: the error explains it and names the way out, which works."""
    schema = {"$schema": f"http://json-schema.org/draft-{draft}/schema#",
              id_kw: "https://example.com/order.json", "$ref": "#/definitions/order",
              "definitions": {"order": {"type": "object",
                                        "properties": {"item": {"$ref": "item.json"}}}}}
    with pytest.raises(sqlite3.OperationalError) as e:
        one(db, "SELECT jsonschema_matches(?, '{}')", json.dumps(schema))
    assert str(e.value) == (
        "jsonschema_matches: cannot resolve $ref 'item.json': the $id "
        f"'https://example.com/order.json' beside $ref is ignored in draft-{draft}, so references "
        "do not resolve against it; register the schema under its URI with jsonschema_register "
        "and validate through {\"$ref\": \"https://example.com/order.json\"} "
        "(at #/definitions/order/properties/item)")
    one(db, "SELECT jsonschema_register('https://example.com/order.json', ?)", json.dumps(schema))
    one(db, "SELECT jsonschema_register('https://example.com/item.json', '{\"type\":\"string\"}')")
    through = '{"$ref": "https://example.com/order.json"}'
    assert one(db, "SELECT jsonschema_matches(?, '{\"item\": \"pen\"}')", through) == 1
    assert one(db, "SELECT jsonschema_matches(?, '{\"item\": 1}')", through) == 0


def test_id_beside_ref_applies_from_2019_09(db):
    one(db, "SELECT jsonschema_register('https://example.com/item.json', '{\"type\":\"string\"}')")
    schema = {"$id": "https://example.com/order.json", "$ref": "#/$defs/order",
              "$defs": {"order": {"properties": {"item": {"$ref": "item.json"}}}}}
    assert one(db, "SELECT jsonschema_matches(?, '{\"item\": 1}')", json.dumps(schema)) == 0
    # Without the $id clash, an unresolvable reference keeps its plain message.
    with pytest.raises(sqlite3.OperationalError, match=r"cannot resolve \$ref 'other.json' "
                                                        r"\(register the schema with"):
        one(db, "SELECT jsonschema_matches(?, '1')",
            '{"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "other.json"}')


def test_ignored_id_is_not_blamed_for_a_missing_fragment(db):
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://x.example/s",
              "$ref": "#/definitions/a", "definitions": {"a": {"$ref": "#/nope"}}}
    with pytest.raises(sqlite3.OperationalError) as e:
        one(db, "SELECT jsonschema_matches(?, '1')", json.dumps(schema))
    assert str(e.value) == ("jsonschema_matches: cannot resolve $ref '#/nope': no such location "
                            "(at #/definitions/a)")


def test_auxdata_follows_each_argument(db):
    """A constant schema with options that change from row to row (and the reverse) must use
    each row's own pair: auxdata is kept per argument, for the options argument too."""
    db.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, schema TEXT, opts TEXT)")
    prefix = '{"prefixItems": [{"type": "string"}]}'
    empty = '{"type": "array", "maxItems": 0}'
    rows = [(prefix, '{"draft": 7}'), (prefix, '{"draft": "2020-12"}'),
            (empty, '{"draft": "2020-12"}'), (empty, '{"draft": 7}')] * 3
    db.executemany("INSERT INTO t(schema, opts) VALUES (?, ?)", rows)
    got = [r[0] for r in db.execute(
        "SELECT jsonschema_matches(?, '[1]', opts) FROM t ORDER BY i", (prefix,))]
    assert got == [1, 0, 0, 1] * 3
    got = [r[0] for r in db.execute(
        "SELECT jsonschema_matches(schema, '[1]', '{\"draft\": 7}') FROM t ORDER BY i")]
    assert got == [1, 1, 0, 0] * 3
    got = [r[0] for r in db.execute(
        "SELECT jsonschema_matches(schema, '[1]', opts) FROM t ORDER BY i")]
    assert got == [1, 0, 0, 0] * 3
