"""JSONB input: SQLite 3.45+ stores JSON as a binary BLOB (jsonb()). A BLOB argument that is
JSONB by SQLite's own test is decoded; any other BLOB is read as text, as SQLite's JSON functions
do. The oracle is SQLite itself: under SQLite 3.54 (helpers.newer_sqlite), a value passed as
jsonb(x) must give exactly the answers that x gives as text, and the decoded value must equal
json(jsonb(x)) (SQLite's own rendering), JSON5 spellings included. Hand-built blobs check the
decoder under Debian's 3.40.1, which has no jsonb()."""

import json
import random
import sqlite3
import subprocess

import pytest

import helpers


# ---- under SQLite 3.54, against jsonb() and json() -------------------------------------------

NEWER = """
import json, sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
work = json.loads(sys.stdin.read())
out = {"sqlite": sqlite3.sqlite_version, "differ": [], "checked": 0, "json5": []}
q = "SELECT jsonschema_matches(?1, ?2), jsonschema_matches(?1, jsonb(?2)), " \\
    "jsonschema_validate(?1, ?2), jsonschema_validate(?1, jsonb(?2))"
for schema in work["schemas"]:
    for doc in work["docs"]:
        r = conn.execute(q, (schema, doc)).fetchone()
        out["checked"] += 1
        if r[0] != r[1] or r[2] != r[3]:
            out["differ"].append([schema, doc, list(r)])
    # The schema as JSONB too.
    for doc in work["docs"][:20]:
        a, b = conn.execute("SELECT jsonschema_matches(?1, ?2), jsonschema_matches(jsonb(?1), ?2)",
                            (schema, doc)).fetchone()
        if a != b:
            out["differ"].append(["jsonb schema", schema, doc, a, b])
for text in work["json5"]:
    blob, rendered = conn.execute("SELECT jsonb(?), json(?)", (text, text)).fetchone()
    same = conn.execute("SELECT jsonschema_matches(json_object('const', json(?1)), ?2)",
                        (rendered, blob)).fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM jsonschema_errors('{}', ?)", (blob,)).fetchone()[0]
    out["json5"].append([text, rendered, same, rows])
print(json.dumps(out))
"""

SCHEMAS = [
    {"type": "object", "required": ["id"],
     "properties": {"id": {"type": "integer", "minimum": 1},
                    "name": {"type": "string", "maxLength": 5, "pattern": "^[a-zé]*$"},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}},
     "additionalProperties": {"type": ["number", "null", "boolean"]}},
    {"anyOf": [{"type": "string", "minLength": 2}, {"type": "array", "maxItems": 2},
               {"multipleOf": 0.5}, {"const": {"a": [1, "x\u0000"]}}]},
    {"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"},
                                                      "v": {"enum": [1, 2.5, "é", None]}}}},
     "$ref": "#/$defs/n"},
]

STRINGS = ["", "a", "abc", "é", "日本", "x\u0000y", 'q"uote', "back\\slash", "tab\there",
           "line\nbreak", "\U0001F600", "\u2028", "</script>", "ab", "éé"]


def value(rng, depth):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, 1, -1, 2, 7, 10**20, -(10**19), 2**63])
    if kind == 2:
        return rng.choice([0.5, 2.5, -1.25, 1e-7, 1.5e300, 3.0])
    if kind in (3, 4, 5):
        return rng.choice(STRINGS)
    if kind == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(5))]
    keys = ["id", "name", "tags", "next", "v", "a", "é", "k\"ey", ""]
    return {k: value(rng, depth + 1) for k in rng.sample(keys, rng.randrange(6))}


JSON5 = [
    "{a: 1, 'b': 2}",                  # unquoted and single-quoted keys
    "[0x1F, -0x10, 0xFFFFFFFFFFFFFFFFFF]",  # hexadecimal integers, one past 64 bits
    "[.5, 5., -.25, +1.5, +7]",         # digits missing beside '.', leading '+'
    "[Infinity, -Infinity, NaN]",
    "['it\\'s', 'say \"hi\"']",
    "'\\x41\\v\\0\\'\\\n!'",            # JSON5 escapes and a line continuation
    "{\"id\": 1, \"tags\": [\"a\",],}",  # trailing commas
    "/* comment */ [1, // more\n 2]",
]


def test_jsonb_answers_like_its_text_under_sqlite_3_54():
    newer = helpers.newer_sqlite()
    rng = random.Random(45)
    docs = [json.dumps(value(rng, 0), ensure_ascii=rng.random() < 0.5) for _ in range(300)]
    docs += ['{"id": 2, "name": "ab"}', '{"id": 0, "tags": ["a", "a"], "x": "s"}', "[]", '""']
    work = {"schemas": [json.dumps(s) for s in SCHEMAS], "docs": docs, "json5": JSON5}
    proc = subprocess.run(["/usr/bin/python3", "-c", NEWER, helpers.so_path("jsonschema")],
                          input=json.dumps(work), env=newer.env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sqlite"] >= "3.45"
    assert out["checked"] == len(SCHEMAS) * len(docs)
    assert out["differ"] == []
    for text, rendered, same, rows in out["json5"]:
        assert same == 1, (text, rendered)
        assert rows == 0, text


# ---- under 3.40.1, hand-built blobs ------------------------------------------------------------

def blob(*parts):
    return bytes(b for p in parts for b in (p if isinstance(p, (bytes, bytearray)) else [p]))


def head(kind, size):
    """A JSONB header: the shortest for sizes up to 11, else one size byte."""
    return bytes([size << 4 | kind]) if size <= 11 else bytes([0xC0 | kind, size])


def element(kind, payload=b""):
    return head(kind, len(payload)) + payload


ARRAY, OBJECT, TEXT, TEXTJ, TEXT5, TEXTRAW, INT, INT5, FLOAT, FLOAT5 = 11, 12, 7, 8, 9, 10, 3, 4, 5, 6


def array(*items):
    return element(ARRAY, b"".join(items))


def obj(*pairs):
    return element(OBJECT, b"".join(pairs))


@pytest.mark.parametrize("data,expected", [
    (element(0), None),
    (element(1), True),
    (element(INT, b"42"), 42),
    (element(INT5, b"0x2A"), 42),
    (element(INT5, b"-0x2a"), -42),
    (element(FLOAT, b"2.5"), 2.5),
    (element(FLOAT5, b".5"), 0.5),
    (element(FLOAT5, b"-5."), -5.0),
    (element(TEXT, "héllo".encode()), "héllo"),
    (element(TEXTJ, b'a\\"b\\u00e9'), 'a"bé'),
    (element(TEXT5, b"it\\'s\\x41\\v"), "it'sA\u000b"),
    (element(TEXTRAW, b'q"\n'), 'q"\n'),
    (array(element(INT, b"1"), element(TEXT, b"x"), array()), [1, "x", []]),
    (obj(element(TEXT, b"a"), element(INT, b"1"), element(TEXTRAW, b"b\""), array()),
     {"a": 1, 'b"': []}),
    # A header with a wider size field than needed is still JSONB.
    (bytes([0xD0 | ARRAY, 0, 2]) + element(INT, b"7"), [7]),
])
def test_hand_built_jsonb_decodes(db, data, expected):
    schema = json.dumps({"const": expected})
    assert helpers.scalar(db, "SELECT jsonschema_matches(?, ?)", schema, data) == 1
    assert helpers.scalar(db, "SELECT jsonschema_matches(?, ?)", json.dumps({"const": "other"}), data) == 0


def test_text_in_a_blob_is_still_text(db):
    """readfile() and CAST give BLOBs of JSON text: not JSONB by SQLite's test, read as text."""
    assert helpers.scalar(db, "SELECT jsonschema_matches('{\"required\":[\"a\"]}', "
                   "CAST('{\"a\": 1}' AS BLOB))") == 1
    assert helpers.scalar(db, "SELECT jsonschema_matches('{\"type\":\"array\"}', CAST('[1,2]' AS BLOB))") == 1
    # Short text that happens to have a JSONB-shaped first byte: JSONB only if it decodes.
    # '3456' is the integer 456 as JSONB (type 3, 3 bytes of payload), as SQLite reads it.
    assert helpers.scalar(db, "SELECT jsonschema_matches('{\"const\":456}', CAST('3456' AS BLOB))") == 1
    # '3abc' does not decode: text, and not JSON.
    assert helpers.scalar(db, "SELECT jsonschema_matches('{}', CAST('3abc' AS BLOB))") == 0


@pytest.mark.parametrize("data,why", [
    (array(element(INT, b"1,2")), "bad number"),
    (array(element(TEXTJ, b'a"b')), "unescaped quote in a string"),
    (obj(element(INT, b"1"), element(INT, b"2")), "an object key that is not a string"),
    (obj(element(TEXT, b"k")), "an object key without a value"),
    (array(bytes([0x1B])), "an element runs past its container"),
    (array(bytes([0x0D])), "reserved element type"),
    (array(element(INT5, b"0xZZ")), "bad hexadecimal integer"),
    (array(element(TEXT5, b"\\x4")), "bad \\x escape"),
])
def test_malformed_jsonb_is_not_json(db, data, why):
    # Padded past 7 bytes of payload: a shorter BLOB that starts with '[' or '{' and does not
    # decode is read as text, as SQLite reads it.
    pad = element(TEXT, b"padding") + (element(0) if data[0] & 15 == OBJECT else b"")
    payload = pad + data[1:]
    data = bytes([0xE0 | (data[0] & 15)]) + len(payload).to_bytes(4, "big") + payload
    assert helpers.scalar(db, "SELECT jsonschema_matches('{}', ?)", data) == 0
    out = json.loads(helpers.scalar(db, "SELECT jsonschema_validate('{}', ?)", data))
    assert out[0]["error"] == f"document is not valid JSON: malformed JSONB: {why}"
    rows = db.execute("SELECT error FROM jsonschema_errors('{}', ?)", (data,)).fetchall()
    assert rows == [(out[0]["error"],)]
    with pytest.raises(sqlite3.OperationalError,
                       match="jsonschema_matches: schema is not valid JSON: malformed JSONB"):
        helpers.scalar(db, "SELECT jsonschema_matches(?, '1')", data)
    assert helpers.scalar(db, "SELECT jsonschema_valid_schema(?)", data) == 0


def test_deep_jsonb_is_bounded(db):
    data = element(INT, b"1")
    for _ in range(1500):
        data = bytes([0xE0 | ARRAY]) + len(data).to_bytes(4, "big") + data
    out = json.loads(helpers.scalar(db, "SELECT jsonschema_validate('{}', ?)", data))
    assert out[0]["error"].endswith("nesting deeper than 1000 levels")


def test_jsonb_schema_and_errors_table(db):
    schema = obj(element(TEXT, b"required"), array(element(TEXT, b"id")))
    assert helpers.scalar(db, "SELECT jsonschema_matches(?, '{\"id\": 1}')", schema) == 1
    assert helpers.scalar(db, "SELECT jsonschema_valid_schema(?)", schema) == 1
    rows = db.execute("SELECT keywordLocation, error FROM jsonschema_errors(?, ?)",
                      (schema, obj(element(TEXT, b"x"), element(1)))).fetchall()
    assert rows == [("/required", "required property 'id' is missing")]
