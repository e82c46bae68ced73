"""Timing and reporting for strata benchmarks.

Contenders run alternately (A B A B ...), so drift in machine load hits each about equally, and
each one's median is reported with the ratio to ours. These machines are noisy: read the ratios,
never one absolute time.
"""

import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = (ROOT / os.environ.get("STRATA_DIST", "dist")).resolve()
sys.path.insert(0, str(ROOT / "scripts"))
import peers  # noqa: E402,F401  (benchmarks install peers through benchlib.peers)

OURS = "strata"


def timed(fn):
    """Seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(contenders, repeats=5, setup=None):
    """Runs each contender `repeats` times, alternating, and returns {name: median seconds}.

    contenders: {name: zero-argument callable}; `setup`, when given, runs before every call.
    A contender that raises is reported as None with its error on stderr.
    """
    times = {name: [] for name in contenders}
    failed = {}
    for _ in range(repeats):
        for name, fn in contenders.items():
            if name in failed:
                continue
            try:
                if setup:
                    setup()
                times[name].append(timed(fn))
            except Exception as e:  # a peer that breaks must not hide the others' results
                failed[name] = e
                print(f"  {name}: failed: {e}", file=sys.stderr)
    return {name: (statistics.median(t) if t else None) for name, t in times.items()}


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Table:
    """Prints one benchmark table: workload, contender, median, ratio against ours.

    ratio = contender's median / ours, so > 1 means ours is faster (for 'lower is better' times)
    """

    def __init__(self, title, unit="ms", scale=1000.0):
        self.title, self.unit, self.scale = title, unit, scale
        self.rows = []
        print(f"\n## {title}")
        print(f"{'workload':40} {'contender':24} {'median ' + unit:>14} {'ratio':>8}")

    def add(self, workload, medians, ours=OURS, note=""):
        """medians: {contender: seconds or None}; prints a row per contender, ours first."""
        base = medians.get(ours)
        order = [ours] + sorted(n for n in medians if n != ours)
        for name in order:
            if name not in medians:
                continue
            t = medians[name]
            shown = "failed" if t is None else f"{t * self.scale:.3f}"
            ratio = ("" if name == ours or t is None or not base
                     else f"{t / base:.2f}x")
            print(f"{workload:40} {name:24} {shown:>14} {ratio:>8} {note}".rstrip())
            self.rows.append((workload, name, t))
        sys.stdout.flush()
