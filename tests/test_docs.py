"""The SQL examples in docs/*.md are tests: each must print exactly what the document shows."""

import os

import pytest

import docs_examples
import docs_fixtures
import helpers

DOCS = sorted(d for d in (helpers.ROOT / "docs").glob("*.md")
              if not docs_examples.runs_elsewhere(d.read_text()))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_examples(doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that create files create them here
    docs_fixtures.prepare(doc.name, tmp_path)
    conn = helpers.connect()
    failures = []
    for ex in docs_examples.parse(doc.read_text()):
        problem = docs_examples.failure(doc.name, ex, docs_examples.run(conn, ex.sql))
        if problem:
            failures.append(problem)
    conn.close()
    assert not failures, "\n\n".join(failures)


MISMATCH_DOC = """
Intro.

```sql
SELECT 1 + 1;
```

```output
3
```
"""


def test_runner_catches_wrong_output():
    [ex] = docs_examples.parse(MISMATCH_DOC)
    assert ex.expected == "3"
    assert docs_examples.run(helpers.connect(), ex.sql) == "2"


def test_runner_formats_like_the_shell():
    conn = helpers.connect()
    sql = """SELECT 1.0, 0.5, 1e20, 2.0/3, NULL, 'a', 7;
             SELECT nosuchfunction();
             CREATE TABLE t(x); INSERT INTO t VALUES (1), (2); SELECT x FROM t;"""
    assert docs_examples.run(conn, sql).splitlines() == [
        "1.0|0.5|1.0e+20|0.666666666666667||a|7",
        "Error: no such function: nosuchfunction",
        "1", "2"]
    with pytest.raises(ValueError, match="BLOB"):
        docs_examples.run(conn, "SELECT x'00'")


def test_not_tested_marker_and_other_languages_are_skipped():
    doc = "<!-- not-tested: needs a key -->\n```sql\nSELECT boom();\n```\n\n```python\nx\n```\n"
    assert docs_examples.parse(doc) == []
    [ex] = docs_examples.parse(doc, langs=("python",))
    assert (ex.lang, ex.sql, ex.expected) == ("python", "x", None)


def test_documents_run_elsewhere_are_named():
    assert docs_examples.runs_elsewhere("# T\n<!-- examples: tests/hosts/x.py -->\n")
    assert not docs_examples.runs_elsewhere("# T\nsee <!-- examples: --> inline\n")
    assert "datasette.md" not in [d.name for d in DOCS]


def test_shell_agrees_with_the_real_formatting():
    # The comparison format claims to be the sqlite3 shell's list mode: check it against it.
    import shutil
    import subprocess
    shell = shutil.which("sqlite3")
    sql = "SELECT 1.0, 0.5, 1e20, 2.0/3, NULL, 'a', 7, 179.966666666667, -0.0001;"
    proc = subprocess.run([shell, ":memory:", sql], capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
    assert proc.stdout.strip() == docs_examples.run(helpers.connect(), sql)
