"""A newer SQLite than Debian 12's 3.40.1, for testing behaviour that depends on it (LIMIT
pushed into virtual tables since 3.41, newer APIs behind runtime version checks).

npm's better-sqlite3 carries the SQLite amalgamation; it is unpacked without running its install
scripts and compiled once into $STRATA_CACHE/sqlite-<version>/libsqlite3.so.0. Running
/usr/bin/python3 with LD_LIBRARY_PATH pointing there makes its sqlite3 module use that SQLite.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import peers

BETTER_SQLITE3 = "13.2.0"  # carries SQLite 3.54.1
COMPILE_OPTIONS = [
    "-DSQLITE_THREADSAFE=1", "-DSQLITE_ENABLE_FTS5", "-DSQLITE_ENABLE_RTREE",
    "-DSQLITE_ENABLE_MATH_FUNCTIONS", "-DSQLITE_ENABLE_COLUMN_METADATA",
    "-DSQLITE_ENABLE_DBSTAT_VTAB", "-DSQLITE_ENABLE_STAT4",
]


def library_dir():
    """Folder holding the newer libsqlite3.so.0, built on first use (about a minute).
    Raises peers.PeerUnavailable when it cannot be had."""
    source = peers.npm_tarball("better-sqlite3", BETTER_SQLITE3) / "deps" / "sqlite3"
    header = (source / "sqlite3.h").read_text(errors="replace")
    version = re.search(r'#define SQLITE_VERSION\s+"([^"]+)"', header).group(1)
    out = peers.CACHE / f"sqlite-{version}"
    lib = out / "libsqlite3.so.0"
    if lib.exists():
        return out
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise peers.PeerUnavailable("no C compiler to build the newer SQLite")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "libsqlite3.so.0.tmp"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    proc = subprocess.run(
        [cc, "-O2", "-fPIC", "-shared", *COMPILE_OPTIONS, "-o", str(tmp),
         str(source / "sqlite3.c"), "-Wl,-soname,libsqlite3.so.0", "-lm", "-ldl", "-lpthread"],
        capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise peers.PeerUnavailable(f"building SQLite {version} failed: {proc.stderr[-500:]}")
    tmp.rename(lib)
    return out


def env():
    """Environment for a /usr/bin/python3 subprocess whose sqlite3 module uses the newer SQLite."""
    e = dict(os.environ)
    e["LD_LIBRARY_PATH"] = str(library_dir()) + (
        ":" + e["LD_LIBRARY_PATH"] if e.get("LD_LIBRARY_PATH") else "")
    return e


def run_python(code, timeout=300):
    """Runs Python source under the newer SQLite; returns the CompletedProcess (text mode)."""
    return subprocess.run(["/usr/bin/python3", "-c", code], env=env(), capture_output=True,
                          text=True, timeout=timeout, cwd=Path(__file__).resolve().parent.parent)


if __name__ == "__main__":
    print(library_dir() / "libsqlite3.so.0")
    sys.exit(0)
