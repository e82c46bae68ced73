"""The official JSON-Schema-Test-Suite, run through jsonschema_matches.

Shared by test_suite.py (assertions) and usable by hand:
    /usr/bin/python3 tests/jsonschema/suite.py draft2020-12 [--optional] [-v]
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers  # noqa: E402

DRAFTS = {"draft4": "4", "draft6": "6", "draft7": "7", "draft2019-09": "2019-09",
          "draft2020-12": "2020-12"}


def suite_dir():
    """The suite's folder, or None: $JSON_SCHEMA_TEST_SUITE, then shared/ beside the
    repository (where CI and developers have it)."""
    candidates = []
    if os.environ.get("JSON_SCHEMA_TEST_SUITE"):
        candidates.append(Path(os.environ["JSON_SCHEMA_TEST_SUITE"]))
    candidates.append(helpers.shared_dir("json-schema-test-suite"))
    for c in candidates:
        if c is not None and (c / "tests").is_dir() and (c / "remotes").is_dir():
            return c
    return None


def connect_with_remotes(root):
    conn = helpers.connect("jsonschema")
    remotes = root / "remotes"
    for path in sorted(remotes.rglob("*.json")):
        uri = "http://localhost:1234/" + path.relative_to(remotes).as_posix()
        conn.execute("SELECT jsonschema_register(?, ?)", (uri, path.read_text()))
    return conn


def files(root, draft, kind):
    """kind: 'required', 'optional' (optional/ without format/), 'format' (optional/format/)."""
    base = root / "tests" / draft
    if kind == "required":
        return sorted(base.glob("*.json"))
    if kind == "optional":
        return sorted((base / "optional").glob("*.json"))
    return sorted((base / "optional" / "format").glob("*.json"))


def run(conn, root, draft, kind):
    """Returns (passed, failures) where failures are readable strings."""
    options = {"draft": DRAFTS[draft]}
    if kind == "format":
        options["format"] = "assert"
    opts = json.dumps(options)
    passed, failures = 0, []
    for path in files(root, draft, kind):
        for case in json.loads(path.read_text()):
            schema = json.dumps(case["schema"])
            for test in case["tests"]:
                where = f"{path.name}: {case['description']} / {test['description']}"
                try:
                    got = conn.execute("SELECT jsonschema_matches(?, ?, ?)",
                                       (schema, json.dumps(test["data"]), opts)).fetchone()[0]
                except Exception as e:  # an error is a failure with its message
                    failures.append(f"{where}: error {e}")
                    continue
                if got == int(test["valid"]):
                    passed += 1
                else:
                    failures.append(f"{where}: got {got}, expected {int(test['valid'])}")
    return passed, failures


if __name__ == "__main__":
    root = suite_dir()
    kinds = ["required"]
    if "--optional" in sys.argv:
        kinds = ["optional", "format"]
    conn = connect_with_remotes(root)
    for draft in [a for a in sys.argv[1:] if not a.startswith("-")] or list(DRAFTS):
        for kind in kinds:
            ok, fails = run(conn, root, draft, kind)
            print(f"{draft} {kind}: {ok}/{ok + len(fails)}")
            if "-v" in sys.argv:
                for f in fails:
                    print("   ", f)
