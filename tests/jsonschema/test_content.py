"""Content keywords (contentEncoding, contentMediaType, contentSchema): annotations in every
draft by default, as ajv and most validators treat them; asserted only with the option
{"content": "assert"}. The suite's optional draft-7 content tests run under assertion in
test_suite.py; here: the real-world case, the default, and assertion in 2019-09/2020-12 against
an independent oracle (Python's base64 and json, and python-jsonschema for contentSchema)."""

import base64
import binascii
import json

import pytest

import suite

ROOT = suite.suite_dir()
D7 = "http://json-schema.org/draft-07/schema#"
ASSERT = '{"content":"assert"}'


def matches(db, schema, doc, options=None):
    args = [json.dumps(schema), json.dumps(doc)] + ([options] if options else [])
    return db.execute(f"SELECT jsonschema_matches({', '.join('?' * len(args))})",
                      args).fetchone()[0]


# A published draft-7 schema whose documents leave JSON-carrying fields empty: their authors and
# ajv accept these documents, and strata rejected them while it asserted content in draft 7.
REAL_WORLD = {
    "$schema": D7, "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"},
                   "settings": {"type": "string", "contentMediaType": "application/json"},
                   "payload": {"type": "string", "contentEncoding": "base64",
                               "contentMediaType": "application/json"}},
}


@pytest.mark.parametrize("draft", ["4", "6", "7", "2019-09", "2020-12"])
def test_real_world_empty_json_fields_pass_by_default(db, draft):
    schema = dict(REAL_WORLD)
    del schema["$schema"]
    doc = {"name": "a", "settings": "", "payload": ""}
    assert matches(db, schema, doc, json.dumps({"draft": draft})) == 1
    assert matches(db, schema, doc, json.dumps({"draft": draft, "format": "assert"})) == 1
    expected = 1 if draft in ("4", "6") else 0  # drafts 4 and 6 have no content keywords
    assert matches(db, schema, doc, json.dumps({"draft": draft, "content": "assert"})) == expected


def test_real_world_case_under_assertion(db):
    assert matches(db, REAL_WORLD, {"name": "a", "settings": ""}) == 1
    assert matches(db, REAL_WORLD, {"name": "a", "settings": ""}, ASSERT) == 0
    assert matches(db, REAL_WORLD, {"name": "a", "settings": "{\"x\": [1]}"}, ASSERT) == 1
    payload = base64.b64encode(b'{"x": 1}').decode()
    assert matches(db, REAL_WORLD, {"name": "a", "payload": payload}, ASSERT) == 1
    assert matches(db, REAL_WORLD, {"name": "a", "payload": "{\"x\": 1}"}, ASSERT) == 0
    rows = db.execute("SELECT instanceLocation, keywordLocation, error FROM jsonschema_errors(?, ?, ?)",
                      (json.dumps(REAL_WORLD), '{"name": "a", "settings": "", "payload": "%%"}',
                       ASSERT)).fetchall()
    assert rows == [("/settings", "/properties/settings/contentMediaType", "string is not valid JSON"),
                    ("/payload", "/properties/payload/contentEncoding",
                     "string is not valid base64")]


def test_bad_content_option(db):
    with pytest.raises(Exception, match='option "content" must be "assert" or "annotate"'):
        matches(db, {}, 1, '{"content":"yes"}')
    assert matches(db, {"contentMediaType": "application/json"}, "{", '{"content":true}') == 0
    assert matches(db, {"contentMediaType": "application/json"}, "{", '{"content":false}') == 1


needs_suite = pytest.mark.skipif(ROOT is None, reason="JSON-Schema-Test-Suite not found (see "
                                                      "test_suite.py)")


@needs_suite
def test_draft7_optional_content_tests_all_pass_by_default(db):
    """Without the option every document of the suite's draft-7 optional content tests is
    valid (the suite expects the assertion results only from validators that assert)."""
    cases = json.loads((ROOT / "tests/draft7/optional/content.json").read_text())
    checked = 0
    for case in cases:
        for test in case["tests"]:
            assert matches(db, case["schema"], test["data"], '{"draft":7}') == 1, test
            checked += 1
    assert checked >= 8


def oracle(schema, data):
    """Whether data satisfies schema's content keywords when they assert: Python's strict base64
    and json, and python-jsonschema for contentSchema."""
    jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")
    if not isinstance(data, str):
        return True
    raw = data.encode()
    if schema.get("contentEncoding") == "base64":
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            return False
    if schema.get("contentMediaType") != "application/json":
        return True
    try:
        decoded = json.loads(raw)
    except ValueError:
        return False
    return "contentSchema" not in schema or \
        jsonschema.Draft202012Validator(schema["contentSchema"]).is_valid(decoded)


@needs_suite
@pytest.mark.parametrize("draft", ["draft2019-09", "draft2020-12"])
def test_suite_content_cases_under_assertion(db, draft):
    """The suite's 2019-09/2020-12 content tests expect annotation (every document valid), and
    pass so in test_suite.py; under assertion their answers must follow the oracle instead."""
    cases = json.loads((ROOT / "tests" / draft / "content.json").read_text())
    outcomes = []
    for case in cases:
        for test in case["tests"]:
            assert matches(db, case["schema"], test["data"]) == 1
            want = int(oracle(case["schema"], test["data"]))
            assert matches(db, case["schema"], test["data"], ASSERT) == want, test
            outcomes.append(want)
    assert outcomes.count(0) >= 6 and outcomes.count(1) >= 6
