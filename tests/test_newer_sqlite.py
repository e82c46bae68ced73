"""The extensions load and answer under the newest SQLite release too (built from the amalgamation
npm's better-sqlite3 carries), not only Debian 12's 3.40.1."""

import json
import subprocess

import pytest

import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]

SCRIPT = """
import json, sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
out = {"sqlite": sqlite3.sqlite_version}
for name in sys.argv[1:]:
    conn.load_extension("%(dist)s/" + name)
    out[name] = conn.execute("SELECT %%s_version()" %% name).fetchone()[0]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def newer():
    return helpers.newer_sqlite()


def test_python_uses_the_newer_sqlite(newer):
    proc = newer.run_python("import sqlite3; print(sqlite3.sqlite_version)")
    assert proc.returncode == 0, proc.stderr
    major, minor, _ = (int(x) for x in proc.stdout.split("."))
    assert (major, minor) >= (3, 54)


def test_every_extension_loads(newer):
    code = SCRIPT % {"dist": helpers.DIST}
    proc = subprocess.run(["/usr/bin/python3", "-c", code, *SO_NAMES], env=newer.env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("sqlite").startswith("3.5")
    assert sorted(out) == sorted(SO_NAMES)
    # vec_version() answers the sqlite-vec release vec implements (docs/vec.md)
    assert all(v == ("v0.1.9" if name == "vec" else helpers.VERSION) for name, v in out.items())
