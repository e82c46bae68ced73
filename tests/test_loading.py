"""Every .so loads in the hosts users load it from, under its derived entry-point name, and
answers its version function; the .so files also load side by side in one process."""

import json
import shutil
import sqlite3
import subprocess

import pytest

import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]
VERSION_FNS = {name: f"{name}_version" for name in SO_NAMES}
VERSIONS = {name: helpers.version_of(name) for name in SO_NAMES}


@pytest.mark.parametrize("name", SO_NAMES)
def test_python_loads(name):
    conn = helpers.connect(name)
    assert helpers.scalar(conn, f"SELECT {VERSION_FNS[name]}()") == VERSIONS[name]


def test_strata_registers_every_extension():
    conn = helpers.connect("strata")
    for name, fn in VERSION_FNS.items():
        assert helpers.scalar(conn, f"SELECT {fn}()") == VERSIONS[name]


def test_only_its_own_functions():
    conn = helpers.connect("vec")
    with pytest.raises(sqlite3.OperationalError, match="no such function: lsm_version"):
        conn.execute("SELECT lsm_version()")


def test_side_by_side_and_twice():
    # Datasette loads on every connection; a process may hold several strata .so files at once.
    conn = helpers.connect("vec", "timezone", "strata", "vec")
    assert helpers.scalar(conn, "SELECT timezone_version() || strata_version()") == helpers.VERSION * 2
    other = helpers.connect("vec")
    assert helpers.scalar(other, "SELECT vec_version()") == helpers.VEC_VERSION


def test_missing_file_is_an_error_not_a_crash(tmp_path):
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    with pytest.raises(sqlite3.OperationalError):
        conn.load_extension(str(tmp_path / "nope"))


@pytest.mark.parametrize("name", SO_NAMES)
def test_sqlite3_shell_loads(name):
    shell = shutil.which("sqlite3")
    assert shell, "the sqlite3 shell is a declared dependency (scripts/packages.txt)"
    proc = subprocess.run([shell, ":memory:", f".load {helpers.so_path(name)}",
                           f"SELECT {VERSION_FNS[name]}();"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == VERSIONS[name]


@pytest.mark.parametrize("name", SO_NAMES)
def test_sqlite_utils_loads(name):
    tool = shutil.which("sqlite-utils")
    assert tool, "sqlite-utils is a declared dependency (scripts/packages.txt)"
    proc = subprocess.run([tool, "memory", f"SELECT {VERSION_FNS[name]}() AS v",
                           f"--load-extension={helpers.so_path(name)}.so"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"v": VERSIONS[name]}]


def test_explicit_entry_point_in_strata_so():
    # dist/strata.so also exports each extension's own entry point.
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.execute("SELECT load_extension(?, 'sqlite3_vec_init')", (helpers.so_path("strata"),))
    assert helpers.scalar(conn, "SELECT vec_version()") == helpers.VEC_VERSION
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELECT strata_version()")
