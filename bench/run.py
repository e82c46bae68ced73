"""`make bench`: a machine line, then every bench/<name>/bench*.py in turn.

    make bench                    everything
    make bench BENCH_ARGS=vec     only bench/vec/
"""

import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine_line():
    cpu = "unknown cpu"
    flags = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown cpu":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_vnni") if f in flags) or "scalar"
    return (f"machine: {cpu} ({os.cpu_count()} cpus; {simd}); {platform.system()} "
            f"{platform.release()}; SQLite {sqlite3.sqlite_version}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def main(argv):
    only = set(argv)
    print(machine_line())
    print("ratio = contender's median / strata's median: above 1.00x strata is faster.")
    scripts = sorted(ROOT.glob("bench/*/bench*.py"))
    failures = 0
    for script in scripts:
        if only and script.parent.name not in only:
            continue
        print(f"\n# {script.relative_to(ROOT)}", flush=True)
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT)
        if proc.returncode != 0:
            failures += 1
            print(f"# {script.relative_to(ROOT)} failed with exit code {proc.returncode}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
