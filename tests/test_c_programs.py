"""Runs the C test programs: tests/*/unit_*.c (engine unit tests) and tests/static/host_*.c
(programs linked with dist/libstrata.a). The list comes from the sources, so a program the
build folder lacks fails here instead of going unnoticed. Each must exit 0."""

import os
import subprocess

import pytest

import helpers

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


def test_sources_were_found():
    assert any(s.parent.name == "static" for s in SOURCES)
    assert sum(s.name.startswith("unit_") for s in SOURCES) >= 10


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: f"{s.parent.name}/{s.stem}")
def test_program(source):
    program = helpers.BUILD / source.relative_to(helpers.ROOT).with_suffix("")
    assert program.is_file() and os.access(program, os.X_OK), \
        f"{program} was not built from {source.relative_to(helpers.ROOT)}: " \
        "run `make test-programs` (make test does)"
    proc = subprocess.run([str(program)], capture_output=True, text=True, timeout=600,
                          env=program_env(), cwd=helpers.ROOT)
    print(proc.stdout)
    assert proc.returncode == 0, f"{program.name} failed:\n{proc.stdout}\n{proc.stderr}"
