"""Packaging benchmarks: what loading strata costs a process, and what the Datasette plugin adds
to each connection Datasette opens.

1. strata.so loaded in a fresh process (the in-process time of load_extension, and the shared
   objects mapped afterwards): as built, libcurl is opened on the first remote call; the other
   contender opens libcurl.so.4 first, which is what linking it made the loader do.
2. One new connection: sqlite_strata.load() alone, and the plugin's config.prepare() with no
   configuration (load + lock), with clients and a schema (admin session on a read-only file
   connection), and with a local model (the tests' tiny GGUF BERT).
"""

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
PROCESSES = int(os.environ.get("PKG_BENCH_PROCESSES", "21"))
CONNECTIONS = int(os.environ.get("PKG_BENCH_CONNECTIONS", "200"))

CHILD = r"""
import ctypes, sqlite3, sys, time
start = time.perf_counter()
if sys.argv[2] == "eager":
    ctypes.CDLL("libcurl.so.4", mode=ctypes.RTLD_GLOBAL)
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
elapsed = time.perf_counter() - start
objects = {l.split()[-1] for l in open("/proc/self/maps") if ".so" in l}
print(elapsed, len(objects))
"""


def process_load():
    table = benchlib.Table("strata.so loaded in a new process (in-process time)")
    runs = {"strata": [], "libcurl at load": []}
    mapped = {}
    for _ in range(PROCESSES):  # alternating, as benchlib.compare does
        for name, mode in (("strata", "lazy"), ("libcurl at load", "eager")):
            out = subprocess.run([sys.executable, "-c", CHILD, str(benchlib.DIST / "strata"),
                                  mode], capture_output=True, text=True, check=True).stdout
            seconds, objects = out.split()
            runs[name].append(float(seconds))
            mapped[name] = int(objects)
    table.add("load_extension('strata')", {n: statistics.median(t) for n, t in runs.items()})
    for name, n in mapped.items():
        print(f"{'  shared objects mapped after the load':40} {name:24} {n:>14}")


def installed_packages(folder):
    """sqlite_strata (with the build's libraries) and datasette_strata, importable from folder
    without installing: the layout the wheels install."""
    package = folder / "sqlite_strata"
    shutil.copytree(ROOT / "python" / "sqlite_strata", package)
    for lib in ["strata", "lsm", "jsonschema", "timezone", "embed", "vec"]:
        shutil.copyfile(benchlib.DIST / f"{lib}.so", package / f"{lib}.so")
    shutil.copytree(ROOT / "python" / "datasette-strata" / "datasette_strata",
                    folder / "datasette_strata")
    sys.path.insert(0, str(folder))


def per_connection(folder):
    import sqlite_strata
    from datasette_strata import config

    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "tests" / "embed"))
    import docs_fixtures

    docs_fixtures.prepare("embed.md", folder)  # mini.gguf
    db = folder / "app.db"
    sqlite3.connect(db).execute("CREATE TABLE t(x)")
    registries = config.parse({
        "clients": {"a": "ollama", "b": {"format": "openai", "model": "m", "key": "k"}},
        "schemas": {"https://example.com/s.json": {"type": "object"}}})
    model = config.parse({"models": {"mini": str(folder / "mini.gguf")}})

    def connect():
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)

    def each(fn):
        def run():
            for _ in range(CONNECTIONS):
                conn = connect()
                fn(conn)
                conn.close()
        return run

    table = benchlib.Table(f"{CONNECTIONS} new read-only connections, as Datasette opens them")
    medians = benchlib.compare({
        "strata": each(lambda c: sqlite_strata.load(c)),
        "plugin, no configuration": each(lambda c: config.prepare(c, config.Config(), 1000)),
        "plugin, 2 clients+schema": each(lambda c: config.prepare(c, registries, 1000)),
        "plugin, a GGUF model": each(lambda c: config.prepare(c, model, 1000)),
    }, repeats=5)
    table.add("open + load (+ configure + lock)", medians)


def main():
    process_load()
    with tempfile.TemporaryDirectory() as folder:
        installed_packages(Path(folder))
        per_connection(Path(folder))


if __name__ == "__main__":
    main()
