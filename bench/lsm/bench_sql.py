"""lsm SQL benchmarks: the lsm1 virtual table against an ordinary WITHOUT ROWID table with the
same rows, both in files of one temporary folder, one thread, contenders alternating.

Rows: LSM_BENCH_ROWS (default 200000) random UINT keys with 100-byte text values.
Workloads: bulk INSERT in random key order in one transaction; point SELECT by key (20000
lookups of existing keys); 100-row range SELECT (`k >= ? ORDER BY k LIMIT 100`, 2000 scans).
The ordinary table runs in WAL mode with synchronous=NORMAL; the lsm table with its default
durability (normal: the log is written at commit, fsynced at checkpoints), the closest match.
"""

import os
import random
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROWS = int(os.environ.get("LSM_BENCH_ROWS", "200000"))
POINTS = 20000
SCANS = 2000
REPEATS = 5
PLAIN = "sqlite WITHOUT ROWID"


def connect(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(str(benchlib.DIST / "lsm"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def main():
    rng = random.Random(42)
    keys = rng.sample(range(1, ROWS * 50), ROWS)
    rows = [(k, f"{k:016d}" + "v" * 84) for k in keys]
    probes = [(rng.choice(keys),) for _ in range(POINTS)]
    starts = [(rng.randrange(ROWS * 50),) for _ in range(SCANS)]
    folder = Path(tempfile.mkdtemp(prefix="lsm-bench-"))
    try:
        conn = connect(str(folder / "bench.db"))

        def reset():
            conn.execute("DROP TABLE IF EXISTS kv")
            conn.execute("DROP TABLE IF EXISTS plain")
            conn.execute("CREATE VIRTUAL TABLE kv USING lsm1('kv.lsm', k, UINT, v)")
            conn.execute("CREATE TABLE plain(k INTEGER PRIMARY KEY, v) WITHOUT ROWID")

        def bulk(table):
            def run():
                conn.execute("BEGIN")
                conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
                conn.execute("COMMIT")
            return run

        def queries(sql, params):
            def for_table(table):
                text = sql.format(t=table)

                def run():
                    for p in params:
                        conn.execute(text, p).fetchall()
                return run
            return for_table

        points = queries("SELECT v FROM {t} WHERE k = ?", probes)
        scans = queries("SELECT k, v FROM {t} WHERE k >= ? ORDER BY k LIMIT 100", starts)

        print(f"rows: {ROWS} UINT keys, 100-byte values; SQLite {sqlite3.sqlite_version}")
        table = benchlib.Table("lsm1 virtual table vs WITHOUT ROWID table (SQL)")
        medians = benchlib.compare({PLAIN: bulk("plain"), benchlib.OURS: bulk("kv")},
                                   repeats=REPEATS, setup=reset)
        table.add(f"bulk INSERT {ROWS} rows, 1 transaction", medians)
        reset()
        bulk("plain")()
        bulk("kv")()
        for name, fn in [(f"point SELECT x{POINTS}", points), (f"100-row range SELECT x{SCANS}", scans)]:
            medians = benchlib.compare({PLAIN: fn("plain"), benchlib.OURS: fn("kv")}, repeats=REPEATS)
            table.add(name, medians)
        conn.execute("INSERT INTO kv(lsm1_command) VALUES ('flush')")
        for name, fn in [(f"point SELECT x{POINTS} (after flush)", points),
                         (f"100-row range SELECT x{SCANS} (after flush)", scans)]:
            medians = benchlib.compare({PLAIN: fn("plain"), benchlib.OURS: fn("kv")}, repeats=REPEATS)
            table.add(name, medians)
        conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
