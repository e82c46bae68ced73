"""Shared test helpers: where the build is, and connections with strata extensions loaded.

Every SQL-level test runs under /usr/bin/python3, whose sqlite3 module can load extensions.
"""

import os
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = (ROOT / os.environ.get("STRATA_DIST", "dist")).resolve()
BUILD = (ROOT / os.environ.get("STRATA_BUILD", "build/release")).resolve()
ASAN = os.environ.get("STRATA_ASAN") == "1"
CI = os.environ.get("CI") == "true"
EXTENSIONS = ["lsm", "jsonschema", "timezone", "embed", "vec"]

sys.path.insert(0, str(ROOT / "scripts"))
import peers  # noqa: E402  (re-exported for tests: helpers.peers.npm_package)

VERSION = re.search(r'#define STRATA_VERSION "([^"]+)"',
                    (ROOT / "ext/common/version.h").read_text()).group(1)


# What <name>_version() answers: strata's release, except vec_version(), which answers the
# sqlite-vec release whose API vec implements (code gates features on it; docs/vec.md).
VEC_VERSION = "v0.1.9"


def version_of(name):
    """The answer of <name>_version() for an extension name or "strata"."""
    return VEC_VERSION if name == "vec" else VERSION


def so_path(name):
    """Path of dist/<name>.so, without the suffix (as users pass it to load_extension)."""
    return str(DIST / name)


def can_load_extensions():
    return hasattr(sqlite3.Connection, "enable_load_extension")


def connect(*names, database=":memory:"):
    """A connection in autocommit mode (as the sqlite3 shell) with the named extensions loaded;
    no names loads dist/strata.so."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.enable_load_extension(True)
    for name in names or ("strata",):
        conn.load_extension(so_path(name))
    conn.enable_load_extension(False)
    return conn


def scalar(conn, sql, *args):
    """First column of the first row of sql."""
    row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def newer_sqlite():
    """The scripts/newer_sqlite module (SQLite 3.54 for subprocess tests), or pytest.skip with
    the reason it cannot be had."""
    import pytest

    import newer_sqlite as module
    try:
        module.library_dir()
    except peers.PeerUnavailable as e:
        pytest.skip(f"newer SQLite unavailable: {e}")
    return module


def skip_or_fail(reason):
    """pytest.skip(reason), or pytest.fail under CI=true: CI has every shared/ folder beside its
    clone, so a skip there would let a claim rest on tests that never ran."""
    import pytest

    if CI:
        pytest.fail(f"{reason} (CI=true: a missing test resource fails the run)")
    pytest.skip(reason)


def shared_dir(name):
    """shared/<name> beside the repository (CI's clone and developers have it there; for a git
    worktree, beside its main checkout too), or None where it is absent."""
    checkouts = [ROOT]
    git = ROOT / ".git"
    if git.is_file():  # a worktree: .git names <main>/.git/worktrees/<name>
        try:
            gitdir = Path(git.read_text().split("gitdir:", 1)[1].strip())
            common = gitdir / (gitdir / "commondir").read_text().strip()
            checkouts.append(common.resolve().parent)
        except (OSError, IndexError):
            pass
    for checkout in checkouts:
        path = checkout.parent / "shared" / name
        if path.is_dir():
            return path
    return None


def shared_hosts():
    """The folder of host sources (shared/hosts: Datasette 0.64.8 and asgi-csrf, installed as its
    README says), or skip_or_fail where it is absent. $STRATA_SHARED_HOSTS overrides."""
    override = os.environ.get("STRATA_SHARED_HOSTS")
    path = Path(override) if override else shared_dir("hosts")
    if path is None or not (path / "datasette-0.64.8").is_dir():
        skip_or_fail("Datasette 0.64.8 sources not found: put them in ../shared/hosts/ "
                     "(see its README) or set STRATA_SHARED_HOSTS")
    return path
