"""No leaks in the SQL binding: the per-connection cache, registry, auxdata and vtab cursors are
freed when the connection closes. Runs the sqlite3 shell under valgrind (the Python-hosted ASan
run cannot check leaks). The extension is preloaded so that its symbols, and ICU's caches, stay
mapped until valgrind's leak check."""

import os
import shutil
import subprocess

import pytest

import helpers

SQL = """
.load {so}
SELECT jsonschema_matches('{{"type":"object","properties":{{"a":{{"pattern":"^x+$"}}}}}}', '{{"a":"xx"}}');
SELECT jsonschema_validate('{{"anyOf":[{{"type":"string"}},{{"minimum":3}}]}}', '1');
SELECT count(*) FROM jsonschema_errors('{{"required":["a","b"]}}', '{{}}');
SELECT jsonschema_register('https://e.com/a', '{{"type":"integer"}}');
SELECT jsonschema_matches('{{"$ref":"https://e.com/a"}}', '1');
SELECT * FROM jsonschema_registry;
SELECT jsonschema_valid_schema('{{"type":"string","pattern":"(a|b)"}}');
SELECT jsonschema_matches('{{"$ref":"#"}}', '1');
SELECT jsonschema_matches('{{', '1');
SELECT jsonschema_validate('{{}}', '{{');
SELECT jsonschema_matches('{{"unevaluatedProperties":false,"properties":{{"a":true}}}}', '{{"a":1,"b":2}}');
SELECT jsonschema_matches('{{"format":"idn-hostname"}}', '"bücher.example"', '{{"format":"assert"}}');
SELECT jsonschema_validate('{{"anyOf":[{{"type":"string"}},{{"contains":{{"minimum":3}}}}]}}', '[1,[2]]', '{{"output":"detailed"}}');
SELECT jsonschema_validate('{{"items":{{"not":{{"type":"null"}}}},"if":true,"then":false}}', '[1,null]', '{{"output":"verbose"}}');
SELECT jsonschema_validate('{{"items":{{"minimum":0}}}}', '[1,2]', '{{"output":"basic"}}');
SELECT jsonschema_validate('{{}}', '{{', '{{"output":"verbose"}}');
SELECT jsonschema_validate('{{"oneOf":[{{"$ref":"#"}}]}}', '1', '{{"output":"verbose"}}');
SELECT jsonschema_matches(X'4C17611331', X'4C17611331');
SELECT jsonschema_validate('{{}}', X'5B1331', '{{"output":"detailed"}}');
SELECT jsonschema_matches('{{"contentMediaType":"application/json","contentSchema":{{"type":"array"}}}}', '"[1]"', '{{"content":"assert"}}');
CREATE TABLE t(d TEXT CHECK (jsonschema_matches('{{"type":"object"}}', d)));
INSERT INTO t VALUES ('{{}}'), ('{{"x":1}}');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
SELECT count(*) FROM n WHERE jsonschema_matches(json_object('const', i), i);
.open :memory:
"""


def test_no_leaks_under_valgrind(tmp_path):
    if helpers.ASAN:
        pytest.skip("valgrind does not run ASan builds; the release run checks leaks")
    valgrind, shell = shutil.which("valgrind"), shutil.which("sqlite3")
    if not valgrind or not shell:
        pytest.skip("valgrind or the sqlite3 shell is not installed")
    so = helpers.so_path("jsonschema")
    script = tmp_path / "leak.sql"
    script.write_text(SQL.format(so=so))
    env = dict(os.environ, LD_PRELOAD=so + ".so")
    with open(script) as stdin:
        proc = subprocess.run([valgrind, "--leak-check=full", "--errors-for-leak-kinds=definite",
                               "--error-exitcode=9", shell, ":memory:"], stdin=stdin,
                              capture_output=True, text=True, env=env, timeout=300)
    assert "definitely lost: 0 bytes" in proc.stderr or "no leaks are possible" in proc.stderr, \
        proc.stderr[-3000:]
    # 9: valgrind found errors; the shell itself exits 1 after the SQL errors the script provokes.
    assert proc.returncode != 9, proc.stderr[-3000:]
    assert "ERROR SUMMARY: 0 errors" in proc.stderr, proc.stderr[-3000:]
    assert "101" in proc.stdout  # the last query ran (then .open closed the connection)
