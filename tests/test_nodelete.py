"""Every .so is linked with -z nodelete: SQLite dlclose()s an extension when the connection that
loaded it closes or its init fails, and a function or module of it may still be registered
elsewhere (or a statement still open), so it must stay mapped. Each check runs in a fresh
process, where nothing else holds the library."""

import subprocess

import pytest

import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]

PROBE = """
import sqlite3, sys
path = sys.argv[1]
def mapped():
    with open("/proc/self/maps") as f:
        return path + ".so" in f.read()
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(path)
assert mapped()
conn.close()
print("mapped" if mapped() else "unmapped")
"""


@pytest.mark.parametrize("name", SO_NAMES)
def test_stays_mapped_after_its_connection_closes(name):
    proc = subprocess.run(["/usr/bin/python3", "-c", PROBE, helpers.so_path(name)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "mapped"
