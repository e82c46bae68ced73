"""Runs the C test programs the Makefile built: tests/*/unit_*.c (engine unit tests) and
tests/static/host_*.c (programs linked with dist/libstrata.a). Each must exit 0."""

import os
import subprocess

import pytest

import helpers

PROGRAMS = sorted(p for p in (helpers.BUILD / "tests").glob("*/*")
                  if p.is_file() and os.access(p, os.X_OK)
                  and p.name.startswith(("unit_", "host_")))
SOURCES = sorted(helpers.ROOT.glob("tests/*/unit_*.c")) + sorted(
    helpers.ROOT.glob("tests/static/host_*.c"))


def program_env():
    env = dict(os.environ)
    # The programs link the sanitizer runtime themselves; leaks are checked here, where the
    # host is our own code and not the Python interpreter.
    env.pop("LD_PRELOAD", None)
    if helpers.ASAN:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    return env


def test_every_program_was_built():
    built = {p.name for p in PROGRAMS}
    assert {s.stem for s in SOURCES} <= built, "run `make test-programs`"


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_program(program):
    proc = subprocess.run([str(program)], capture_output=True, text=True, timeout=600,
                          env=program_env(), cwd=helpers.ROOT)
    print(proc.stdout)
    assert proc.returncode == 0, f"{program.name} failed:\n{proc.stdout}\n{proc.stderr}"
