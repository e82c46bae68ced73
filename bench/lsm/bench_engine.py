"""LSM engine benchmark: strata's engine vs LevelDB and RocksDB, db_bench style.

bench/lsm/db_bench.c (linked with the engine archive, libleveldb and librocksdb) runs, single
threaded, with 16-byte keys and 100-byte values: fillseq and fillrandom (one put per commit),
fillbatch (1000 puts per transaction), then on the fillrandom database reopened: seekfresh (N/10
seeks, each reading 100 entries), readrandom (N gets) and seekrandom (seekfresh again, after the
gets, which may have made the engine compact). Every engine runs with its defaults and no fsync per commit (ours:
durability NORMAL; peers: sync=false). The engines run alternately, ROUNDS times; the tables
show median seconds per phase with the ratio to ours (> 1 means ours is faster), the ops/s of
ours, the bytes on disk after fillrandom and the driver's peak RSS.

Environment: LSM_BENCH_N (default 1,000,000 keys), LSM_BENCH_ROUNDS (default 3),
LSM_BENCH_DIR (scratch directory, default a temporary one). The put latency of fillrandom (each
put with its commit) is reported as the median over rounds of the 99.9th percentile and the max.

LSM_BENCH_BIG=1 adds the large load, once per engine: LSM_BENCH_BIG_N puts (default 10,000,000),
1000 per batch, half of them overwrites, then close; reported: load time, bytes on disk (space
amplification = disk bytes / live key+value bytes) and bytes written through write(2) by the
whole process including background threads (write amplification = written / bytes put).
"""

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
BUILD = ROOT / os.environ.get("STRATA_BUILD", "build/release")
N = int(os.environ.get("LSM_BENCH_N", "1000000"))
ROUNDS = int(os.environ.get("LSM_BENCH_ROUNDS", "3"))
BIG = os.environ.get("LSM_BENCH_BIG") == "1"
BIG_N = int(os.environ.get("LSM_BENCH_BIG_N", "10000000"))
ENGINES = ["strata", "leveldb", "rocksdb"]
PHASES = ["fillseq", "fillbatch", "fillrandom", "seekfresh", "readrandom", "seekrandom"]


def build():
    exe = BUILD / "bench" / "db_bench"
    exe.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "-s", f"{BUILD}/liblsm_engine.a", f"{BUILD}/libcommon.a"], cwd=ROOT,
                   check=True)
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Iext",
                    str(ROOT / "bench/lsm/db_bench.c"), "-o", str(exe),
                    str(BUILD / "liblsm_engine.a"), str(BUILD / "libcommon.a"),
                    "-lleveldb", "-lrocksdb", "-lpthread", "-lm"], cwd=ROOT, check=True)
    return exe


def run(exe, engine, scratch, *extra, n=N):
    out = subprocess.run([str(exe), engine, str(Path(scratch) / engine), str(n), *extra],
                         capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def main():
    exe = build()
    results = {e: [] for e in ENGINES}
    scratch = os.environ.get("LSM_BENCH_DIR") or tempfile.mkdtemp(prefix="lsm-bench-")
    for _ in range(ROUNDS):
        for engine in ENGINES:
            try:
                results[engine].append(run(exe, engine, scratch))
            except subprocess.CalledProcessError as e:
                print(f"  {engine}: failed: {e.stderr.strip()}", file=sys.stderr)

    def median(engine, key):
        runs = results[engine]
        return statistics.median(r[key] for r in runs) if runs else None

    table = benchlib.Table(f"{N:,} keys, 16 B keys + 100 B values (ms per phase)")
    for phase in PHASES:
        medians = {e: median(e, phase) for e in ENGINES}
        ops = N // 10 if phase.startswith("seek") else N
        ours = medians["strata"]
        note = f"({ops / ours:,.0f} ops/s ours)" if ours else ""
        table.add(phase, medians, note=note)
    print(f"\n{'':40} {'contender':24} {'disk MiB':>14} {'peak RSS MiB':>14}")
    for e in ENGINES:
        if results[e]:
            print(f"{'after fillrandom':40} {e:24} {median(e, 'disk_bytes') / 2**20:>14.1f} "
                  f"{median(e, 'rss_kib') / 1024:>14.1f}")
    print(f"\n{'fillrandom put latency':40} {'contender':24} {'p99.9 us':>14} {'max us':>14}")
    for e in ENGINES:
        if results[e]:
            print(f"{'':40} {e:24} {median(e, 'put_p999_us'):>14.1f} "
                  f"{median(e, 'put_max_us'):>14.1f}")
    if BIG:
        big(exe, scratch)
    found = {e: median(e, "readrandom_found") for e in ENGINES if results[e]}
    if len(set(found.values())) > 1:
        print(f"  warning: engines disagree on readrandom hits: {found}", file=sys.stderr)


def big(exe, scratch):
    print(f"\n{BIG_N:,} puts, 50% overwrites, 1000 per batch")
    print(f"{'contender':24} {'load s':>10} {'disk MiB':>10} {'space amp':>10} "
          f"{'written MiB':>12} {'write amp':>10} {'peak RSS MiB':>13}")
    for e in ENGINES:
        try:
            r = run(exe, e, scratch, "big", n=BIG_N)
        except subprocess.CalledProcessError as err:
            print(f"  {e}: failed: {err.stderr.strip()}", file=sys.stderr)
            continue
        put_bytes = 2 * r["big_live_bytes"]
        print(f"{e:24} {r['big_load']:>10.1f} {r['big_disk_bytes'] / 2**20:>10.1f} "
              f"{r['big_disk_bytes'] / r['big_live_bytes']:>10.2f} "
              f"{r['big_write_bytes'] / 2**20:>12.1f} {r['big_write_bytes'] / put_bytes:>10.2f} "
              f"{r['rss_kib'] / 1024:>13.1f}")


if __name__ == "__main__":
    main()
