"""The libFuzzer harnesses of tests/fuzz, run briefly so that they keep building and working:
each replays its whole seed corpus, then runs mutated inputs for a few seconds. Under
`make test-asan`, which builds them with clang (`make fuzz-programs`); `make fuzz` runs them for
long. A crash, a sanitizer report, a leak or a failed invariant in a harness fails its test."""

import os
import subprocess

import pytest

import helpers

SOURCES = sorted((helpers.ROOT / "tests/fuzz").glob("fuzz_*.c"))
BINARIES = helpers.ROOT / "build/fuzz/tests/fuzz"
SECONDS = 2
RUNS = 30000


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem[len("fuzz_"):])
def test_harness(source, tmp_path):
    if not helpers.ASAN:
        pytest.skip("the fuzz harnesses run under `make test-asan` (clang's libFuzzer)")
    name = source.stem[len("fuzz_"):]
    binary = BINARIES / source.stem
    assert binary.exists(), "run `make fuzz-programs`"
    corpus = helpers.ROOT / "tests/fuzz/corpus" / name
    assert any(corpus.iterdir()), f"{corpus} has no seeds"
    env = dict(os.environ)
    # The harness links clang's sanitizer runtime; the preloaded one is gcc's, for Python.
    env.pop("LD_PRELOAD", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    (tmp_path / "new").mkdir()
    proc = subprocess.run(
        [str(binary), f"-runs={RUNS}", f"-max_total_time={SECONDS}", "-seed=16",
         f"-artifact_prefix={tmp_path}/", str(tmp_path / "new"), str(corpus)],
        capture_output=True, text=True, errors="replace", timeout=120, env=env,
        cwd=helpers.ROOT)
    assert proc.returncode == 0, f"fuzz_{name} failed:\n{proc.stderr[-6000:]}"
    assert "Done" in proc.stderr or "DONE" in proc.stderr, proc.stderr[-2000:]
