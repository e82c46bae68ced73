"""Per-call overhead of a strata SQL function against SQLite's own built-ins.

The floor every strata scalar function sits on: how much a call through the extension API costs
compared with a built-in of similar work, over the same rows.
"""

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

ROWS = 1_000_000


def main():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(str(benchlib.DIST / "strata"))
    conn.execute("CREATE TABLE t(x INTEGER)")
    conn.execute(f"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<{ROWS}) "
                 "INSERT INTO t SELECT i FROM c")

    def query(sql):
        return lambda: conn.execute(sql).fetchone()

    table = benchlib.Table(f"function-call overhead, {ROWS:,} rows")
    medians = benchlib.compare({
        "strata": query("SELECT count(strata_version()) FROM t"),
        "builtin sqlite_version()": query("SELECT count(sqlite_version()) FROM t"),
    })
    table.add("0-argument scalar per row", medians)


if __name__ == "__main__":
    main()
