"""Timezone benchmarks.

1. Engine: UTC -> local wall-clock fields, 2M random instants 1970-2036 per zone, our TZif engine
   vs ICU's ucal (setMillis + 6 x get) and glibc's localtime_r (process-global TZ, reference
   only), through bench/timezone/tz_bench.c linked with the engine archive. Goal: >= 5x ICU.
2. SQL: tz_local(ts, 'America/New_York') over 1M rows vs the built-in datetime() over the same
   rows (text and unix-seconds columns). Goal: within 1.5x of the built-in.
"""

import os
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
BUILD = ROOT / os.environ.get("STRATA_BUILD", "build/release")
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe"]
COUNT = 2_000_000
REPEATS = 5


def build_engine_bench():
    exe = BUILD / "bench" / "tz_bench"
    exe.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "-s", f"{BUILD}/libtimezone_engine.a", f"{BUILD}/libcommon.a"],
                   cwd=ROOT, check=True)
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Iext",
                    str(ROOT / "bench/timezone/tz_bench.c"), "-o", str(exe),
                    str(BUILD / "libtimezone_engine.a"), str(BUILD / "libcommon.a"),
                    "-licui18n", "-licuuc", "-lpthread", "-lm"], check=True)
    return exe


def engine(exe):
    table = benchlib.Table(f"UTC -> local fields, {COUNT:,} instants (ms per run)")
    for zone in ZONES:
        runs = {"strata": [], "icu ucal": [], "glibc localtime_r": []}
        methods = {"strata": "strata", "icu ucal": "icu", "glibc localtime_r": "glibc"}
        for _ in range(REPEATS):
            for name, method in methods.items():
                out = subprocess.run([str(exe), zone, method, str(COUNT)], capture_output=True,
                                     text=True, check=True).stdout.split()
                runs[name].append(float(out[0]))
        medians = {k: statistics.median(v) for k, v in runs.items()}
        rate = COUNT / medians["strata"] / 1e6
        table.add(zone, medians, note=f"({rate:.1f} M/s ours)")
    lookups = benchlib.Table(f"instant -> offset lookups alone, {COUNT:,} instants (ms per run)")
    for zone in ZONES:
        runs = [float(subprocess.run([str(exe), zone, "offset", str(COUNT)], capture_output=True,
                                     text=True, check=True).stdout.split()[0])
                for _ in range(REPEATS)]
        median = statistics.median(runs)
        lookups.add(zone, {"strata": median}, note=f"({COUNT / median / 1e6:.1f} M/s)")


def sql():
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(str(benchlib.DIST / "timezone"))
    db.execute("CREATE TABLE t(unix INTEGER, txt TEXT)")
    db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)"
               " INSERT INTO t SELECT (i * 7919 + 12345) % 2082758400, NULL FROM n")
    db.execute("UPDATE t SET txt = datetime(unix, 'unixepoch')")
    table = benchlib.Table("SQL over 1,000,000 rows (ms per query)")

    def q(sql_text):
        return lambda: db.execute(sql_text).fetchone()

    medians = benchlib.compare({
        "strata": q("SELECT count(tz_local(txt, 'America/New_York')) FROM t"),
        "datetime(txt)": q("SELECT count(datetime(txt)) FROM t"),
    }, repeats=REPEATS)
    table.add("text column", medians)
    medians = benchlib.compare({
        "strata": q("SELECT count(tz_local(unix, 'America/New_York')) FROM t"),
        "datetime(unix,'unixepoch')": q("SELECT count(datetime(unix, 'unixepoch')) FROM t"),
    }, repeats=REPEATS)
    table.add("integer column", medians)
    medians = benchlib.compare({
        "strata": q("SELECT count(tz_offset(unix, 'America/New_York')) FROM t"),
        "datetime(unix,'unixepoch')": q("SELECT count(datetime(unix, 'unixepoch')) FROM t"),
    }, repeats=REPEATS)
    table.add("tz_offset, integer column", medians)
    medians = benchlib.compare({
        "strata": q("SELECT count(tz_format(unix, 'America/New_York', 'yyyy-MM-dd HH:mm')) FROM t"),
        "strftime(unixepoch)": q("SELECT count(strftime('%Y-%m-%d %H:%M', unix, 'unixepoch'))"
                                 " FROM t"),
    }, repeats=3)
    table.add("tz_format (ICU pattern), integer column", medians)


def main():
    engine(build_engine_bench())
    sql()


if __name__ == "__main__":
    main()
