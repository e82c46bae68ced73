"""vec benchmarks: KNN and inserts against sqlite-vec 0.1.9 (npm vec0.so, built without AVX),
numpy brute force and faiss IndexFlatL2 (Debian python3-faiss), one thread, contenders
alternating. The ANN indexes are measured by bench_ann.py.

Workloads: 100k x 384 and 100k x 1024 random float32 vectors, k = 10, with and without a
metadata filter (10 % of rows match); int8 and bit columns; insert throughput.
Set VEC_BENCH_ROWS to shrink the tables for a quick run.
"""

import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROWS = int(os.environ.get("VEC_BENCH_ROWS", "100000"))
K = 10
QUERIES = 10
REPEATS = 5
INSERT_REPEATS = 3
# the npm binary is built without AVX; bench_ann.py takes other builds (VEC_ANN_PEERS)
PEER_NAME = "sqlite-vec 0.1.9 npm (no AVX)"


def peer_path():
    try:
        pkg = benchlib.peers.npm_package("sqlite-vec-linux-x64", "0.1.9")
        return str(benchlib.peers.find_file(pkg, "vec0.so"))[:-3]
    except benchlib.peers.PeerUnavailable as e:
        print(f"  sqlite-vec unavailable: {e}", file=sys.stderr)
        return None


def connect(path):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(path)
    return conn


def build(conn, decl, rows):
    """Creates v(...) and inserts rows in one transaction; returns seconds."""
    conn.execute("drop table if exists v")
    conn.execute(f"create virtual table v using vec0({decl})")
    start = time.perf_counter()
    conn.execute("begin")
    conn.executemany("insert into v(rowid, emb, cat) values (?, ?, ?)", rows)
    conn.execute("commit")
    return time.perf_counter() - start


def knn_runner(conn, sql, queries):
    state = {"i": 0}

    def run():
        for _ in range(QUERIES):
            q = queries[state["i"] % len(queries)]
            state["i"] += 1
            res = conn.execute(sql, (q,)).fetchall()
            assert len(res) == K, res
    return run


def numpy_runner(x, cats, queries, filtered):
    norms = (x * x).sum(1)
    sub = np.nonzero(cats == 3)[0]
    xs, ns = x[sub], norms[sub]
    state = {"i": 0}

    def run():
        for _ in range(QUERIES):
            q = queries[state["i"] % len(queries)]
            state["i"] += 1
            if filtered:
                d = ns - 2 * xs @ q
                top = sub[np.argpartition(d, K)[:K]]
            else:
                d = norms - 2 * x @ q
                top = np.argpartition(d, K)[:K]
            assert len(top) == K
    return run


def faiss_runner(x, queries):
    try:
        import faiss
    except ImportError as e:
        print(f"  faiss unavailable: {e}", file=sys.stderr)
        return None
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    state = {"i": 0}

    def run():
        for _ in range(QUERIES):
            q = queries[state["i"] % len(queries)]
            state["i"] += 1
            index.search(q.reshape(1, -1), K)
    return run


def insert_child(name, dims, peer):
    """Runs in a fresh process: builds the table, prints seconds and peak RSS as JSON. A fresh
    process per run keeps one contender's freed memory from speeding up the other's inserts."""
    rng = np.random.default_rng(dims)
    x = rng.normal(size=(ROWS, dims)).astype(np.float32)
    cats = rng.integers(0, 10, ROWS)
    rows = [(i + 1, x[i].tobytes(), int(cats[i])) for i in range(ROWS)]
    conn = connect(str(benchlib.DIST / "vec") if name == "strata" else peer)
    seconds = build(conn, f"emb float[{dims}], cat integer", rows)
    size = conn.execute("select page_count * page_size from pragma_page_count, "
                        "pragma_page_size").fetchone()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mib": rss, "db_mib": size / 2**20}))


def insert_workload(dims, peer):
    names = ["strata"] + ([PEER_NAME] if peer else [])
    runs = {n: [] for n in names}
    for _ in range(INSERT_REPEATS):
        for name in names:
            res = subprocess.run([sys.executable, __file__, "--insert-child", name, str(dims),
                                  peer or ""], capture_output=True, text=True)
            if res.returncode != 0:
                print(f"  {name}: insert failed: {res.stderr[-500:]}", file=sys.stderr)
                continue
            runs[name].append(json.loads(res.stdout))
    table = benchlib.Table(f"insert {ROWS:,} x {dims}-d float32 rows + integer metadata, one "
                           "transaction, fresh process per run", unit="s", scale=1.0)
    med = {n: (sorted(r["seconds"] for r in runs[n])[len(runs[n]) // 2] if runs[n] else None)
           for n in names}
    table.add(f"insert {dims}-d", med)
    for n in names:
        if runs[n]:
            print(f"  {n}: {ROWS / med[n]:,.0f} rows/s, peak RSS "
                  f"{max(r['rss_mib'] for r in runs[n]):,.0f} MiB (test data included), "
                  f"database {max(r['db_mib'] for r in runs[n]):,.0f} MiB")


def float_workloads(dims, peer):
    rng = np.random.default_rng(dims)
    x = rng.normal(size=(ROWS, dims)).astype(np.float32)
    cats = rng.integers(0, 10, ROWS)
    queries = [rng.normal(size=dims).astype(np.float32) for _ in range(20)]
    rows = [(i + 1, x[i].tobytes(), int(cats[i])) for i in range(ROWS)]
    decl = f"emb float[{dims}], cat integer"
    insert_workload(dims, peer)
    ours = connect(str(benchlib.DIST / "vec"))
    theirs = connect(peer) if peer else None
    build(ours, decl, rows)
    if theirs:
        build(theirs, decl, rows)
    qb = [q.tobytes() for q in queries]
    table = benchlib.Table(f"KNN k={K}, {ROWS:,} x {dims}-d float32 (ms per query)")
    for filtered in (False, True):
        where = " and cat = 3" if filtered else ""
        sql = f"select rowid, distance from v where emb match ? and k = {K}{where}"
        contenders = {"strata": knn_runner(ours, sql, qb),
                      "numpy brute force": numpy_runner(x, cats, queries, filtered)}
        if theirs:
            contenders[PEER_NAME] = knn_runner(theirs, sql, qb)
        if not filtered:
            f = faiss_runner(x, queries)
            if f:
                contenders["faiss IndexFlatL2"] = f
        med = benchlib.compare(contenders, repeats=REPEATS)
        table.add("filter cat = 3 (10 %)" if filtered else "no filter",
                  {n: (t / QUERIES if t is not None else None) for n, t in med.items()})
    print(f"peak RSS so far: {benchlib.peak_rss_mib():.0f} MiB")
    ours.close()
    if theirs:
        theirs.close()


def quantized_workloads(peer):
    dims = 1024
    rng = np.random.default_rng(7)
    i8 = rng.integers(-128, 128, size=(ROWS, dims)).astype(np.int8)
    bits = rng.integers(0, 256, size=(ROWS, dims // 8), dtype=np.uint8)
    table = benchlib.Table(f"KNN k={K}, {ROWS:,} x {dims}-d int8 and bit (ms per query)")
    for kind, data, ctor in (("int8", i8, "vec_int8"), ("bit", bits, "vec_bit")):
        decl = f"emb {kind}[{dims}], cat integer"
        rows = [(i + 1, data[i].tobytes(), 0) for i in range(ROWS)]
        conns = {"strata": connect(str(benchlib.DIST / "vec"))}
        if peer:
            conns[PEER_NAME] = connect(peer)
        for name, c in conns.items():
            c.execute(f"create virtual table v using vec0({decl})")
            c.execute("begin")
            c.executemany(f"insert into v(rowid, emb, cat) values (?, {ctor}(?), ?)", rows)
            c.execute("commit")
        qs = [data[i].tobytes() for i in rng.integers(0, ROWS, 20)]
        sql = f"select rowid, distance from v where emb match {ctor}(?) and k = {K}"
        med = benchlib.compare({n: knn_runner(c, sql, qs) for n, c in conns.items()},
                               repeats=REPEATS)
        table.add(f"{kind} no filter", {n: (t / QUERIES if t else None) for n, t in med.items()})
        for c in conns.values():
            c.close()


def main():
    peer = peer_path()
    for dims in (384, 1024):
        float_workloads(dims, peer)
    quantized_workloads(peer)
    print(f"peak RSS: {benchlib.peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--insert-child":
        insert_child(sys.argv[2], int(sys.argv[3]), sys.argv[4] or None)
    else:
        main()
