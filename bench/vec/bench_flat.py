"""vec flat KNN near the physical limit: strata's exact scan with one and two threads against
sqlite-vec builds, and against a pure memory read of the same bytes (a numpy copy) measured in
the same run, in memory and file-backed, k = 10, contenders alternating.

Sets (VEC_FLAT_SETS, "dims:rows,..."): default 384:100000 and 128:1000000 random float32.
Storage (VEC_FLAT_STORAGE): "memory" (the database copied into :memory:), "file" (a file
with SQLite's default page cache, so every query reads the table's pages through the VFS, from
the OS page cache, one read() per page) and "mmap" (the file with PRAGMA mmap_size). File
queries are slow: VEC_FLAT_FILE_QUERIES (default 2) of them per pass.
Peers: sqlite-vec 0.1.9 from npm (built WITHOUT AVX); VEC_FLAT_PEERS="name=/path/to/vec0,..."
(or VEC_ANN_PEERS) adds other builds, e.g. sqlite-vec 0.1.9 and 0.1.10-alpha built with AVX
outside the repository and linked with -Wl,-Bsymbolic.
VEC_FLAT_BUSY=1 runs a competing busy loop on one core during the queries (this VM has two
vCPUs): two scan threads must not make a query slower when the second core is taken.
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

K = 10
QUERIES = int(os.environ.get("VEC_FLAT_QUERIES", "10"))
FILE_QUERIES = int(os.environ.get("VEC_FLAT_FILE_QUERIES", "2"))
PASSES = int(os.environ.get("VEC_FLAT_PASSES", "7"))


def peers():
    out = {}
    try:
        pkg = benchlib.peers.npm_package("sqlite-vec-linux-x64", "0.1.9")
        out["sqlite-vec 0.1.9 npm (no AVX)"] = str(benchlib.peers.find_file(pkg, "vec0.so"))[:-3]
    except benchlib.peers.PeerUnavailable as e:
        print(f"  sqlite-vec unavailable: {e}", file=sys.stderr)
    specs = os.environ.get("VEC_FLAT_PEERS", os.environ.get("VEC_ANN_PEERS", ""))
    for spec in filter(None, specs.split(",")):
        name, _, lib = spec.partition("=")
        out[name] = lib
    return out


def connect(lib, path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(lib)
    return conn


def build(lib, path, x):
    conn = connect(lib, path)
    conn.execute(f"create virtual table v using vec0(emb float[{x.shape[1]}])")
    conn.execute("begin")
    conn.executemany("insert into v(rowid, emb) values (?, ?)",
                     ((i + 1, x[i].tobytes()) for i in range(len(x))))
    conn.execute("commit")
    conn.close()


def open_copy(lib, path, storage):
    """A connection to the table at path: the file itself, or a copy of it in :memory:."""
    if storage in ("file", "mmap"):
        conn = connect(lib, path)
        if storage == "mmap":
            conn.execute(f"pragma mmap_size = {1 << 34}")
        return conn
    conn = connect(lib, ":memory:")
    src = sqlite3.connect(path)
    src.backup(conn)
    src.close()
    return conn


def set_threads(conn, n):
    """strata's per-connection scan threads; False when this build has no such command."""
    try:
        conn.execute("insert into v(v) values (?)", (f"threads={n}",))
        return True
    except sqlite3.Error:
        return False


def memory_read(x, count):
    dst = np.empty_like(x)

    def run():
        for _ in range(count):
            np.copyto(dst, x)
    return run


def knn(conn, queries, count):
    state = {"i": 0}

    def run():
        for _ in range(count):
            q = queries[state["i"] % len(queries)]
            state["i"] += 1
            res = conn.execute(f"select rowid from v where emb match ? and k = {K}",
                               (q,)).fetchall()
            assert len(res) == K, res
    return run


def busy_loop():
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def loadavg():
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def run(dims, rows, storages, libs, tmp):
    rng = np.random.default_rng(dims)
    x = rng.normal(size=(rows, dims)).astype(np.float32)
    queries = [rng.normal(size=dims).astype(np.float32).tobytes() for _ in range(20)]
    ours = str(benchlib.DIST / "vec")
    files = {}
    for name, lib in {"strata": ours, **libs}.items():
        files[name] = os.path.join(tmp, f"{len(files)}.db")
        start = time.perf_counter()
        build(lib, files[name], x)
        print(f"  built {name}: {time.perf_counter() - start:.1f} s", flush=True)
    busy = os.environ.get("VEC_FLAT_BUSY") == "1"
    for storage in storages:
        conns, contenders = [], {}
        count = FILE_QUERIES if storage == "file" else QUERIES
        for threads in (1, 2):
            conn = open_copy(ours, files["strata"], storage)
            conns.append(conn)
            if not set_threads(conn, threads) and threads == 2:
                break
            contenders[f"strata {threads} thread{'s' if threads > 1 else ''}"] = knn(
                conn, queries, count)
        for name, lib in libs.items():
            conn = open_copy(lib, files[name], storage)
            conns.append(conn)
            contenders[name] = knn(conn, queries, count)
        contenders["memory read (numpy copy)"] = memory_read(x, count)
        for fn in contenders.values():  # warm the caches and the page cache
            fn()
        hog = busy_loop() if busy else None
        try:
            load = loadavg()
            med = benchlib.compare(contenders, repeats=PASSES)
        finally:
            if hog:
                hog.kill()
                hog.wait()
        title = (f"flat KNN k={K}, {rows:,} x {dims}-d float32, {storage}"
                 f"{', a busy loop on one core' if busy else ''} (ms per query; load {load})")
        table = benchlib.Table(title)
        table.add("no filter", {n: (t / count if t is not None else None)
                                for n, t in med.items()}, ours="strata 1 thread")
        mem = med["memory read (numpy copy)"]
        for name, t in med.items():
            if name.startswith("strata") and t:
                print(f"  {name}: {t / mem:.2f}x the memory read; " + ", ".join(
                    f"{t / med[p]:.2f}x {p}" for p in libs if med.get(p)))
        sys.stdout.flush()
        for conn in conns:
            conn.close()


def main():
    storages = os.environ.get("VEC_FLAT_STORAGE", "memory,mmap,file").split(",")
    libs = peers()
    with tempfile.TemporaryDirectory() as tmp:
        for spec in os.environ.get("VEC_FLAT_SETS", "384:100000,128:1000000").split(","):
            dims, rows = spec.split(":")
            run(int(dims), int(rows), storages, libs, tmp)
            for f in Path(tmp).iterdir():
                f.unlink()
    print(f"peak RSS: {benchlib.peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
