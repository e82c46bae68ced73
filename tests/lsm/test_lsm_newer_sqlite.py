"""The planner, transaction, commit protocol and randomized oracle tests of lsm1 tables again
under SQLite 3.54 (scripts/newer_sqlite.py), whose planner offers LIMIT/OFFSET to virtual tables
and handles IN differently from Debian's 3.40.1, and whose commit path may differ."""

import sqlite3
import subprocess

import pytest

import helpers

SUITES = ["tests/lsm/test_lsm_planner.py", "tests/lsm/test_lsm_txn.py",
          "tests/lsm/test_lsm_random.py", "tests/lsm/test_lsm_vtab.py",
          "tests/lsm/test_lsm_atomic.py"]


@pytest.mark.skipif(sqlite3.sqlite_version_info >= (3, 41), reason="already the newer SQLite")
def test_lsm_suites_under_the_newer_sqlite():
    newer = helpers.newer_sqlite()
    proc = subprocess.run(
        ["/usr/bin/python3", "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
        env=newer.env(), capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() >= "3.41", proc.stdout
    env = newer.env()
    env.setdefault("LSM_ATOMIC_KILLS", "8")
    proc = subprocess.run(
        ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES],
        env=env, capture_output=True, text=True, timeout=600, cwd=helpers.ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
