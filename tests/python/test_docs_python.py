"""docs/python.md's examples are tests: its ```python blocks run in order in one interpreter (the
/usr/bin/python3 of a fresh virtual environment holding the installed wheel), its ```sh blocks
in bash, all in one scratch folder where dist/ is the build. An ```output block after a block
must match what it printed; a block without one must not fail."""

import json
import os
import subprocess

import pytest

import docs_examples
import helpers
import wheels

DOC = helpers.ROOT / "docs" / "python.md"

# Runs the blocks (a JSON list on stdin) in one namespace; prints a JSON list of
# [printed text, error or null].
DRIVER = r"""
import contextlib, io, json, sys, traceback
namespace = {"__name__": "__main__"}
results = []
for code in json.load(sys.stdin):
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(code, "<docs example>", "exec"), namespace)
        except BaseException:
            error = traceback.format_exc()
    results.append([out.getvalue(), error])
sys.__stdout__.write(json.dumps(results))
"""


def run_python(venv, blocks, cwd):
    proc = subprocess.run([str(wheels.python(venv)), "-c", DRIVER], input=json.dumps(blocks),
                          capture_output=True, text=True, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_sh(block, cwd, venv):
    env = dict(os.environ, PATH=f"{wheels.python(venv).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["bash", "-c", block], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)
    return proc.stdout + proc.stderr, proc.returncode


def test_python_md_examples(tmp_path):
    venv = wheels.venv("sqlite_strata")
    (tmp_path / "dist").symlink_to(helpers.DIST)
    examples = docs_examples.parse(DOC.read_text(), langs=("python", "sh"))
    assert [e for e in examples if e.lang == "python"] and [e for e in examples if e.lang == "sh"]
    failures = []
    python = [e for e in examples if e.lang == "python"]
    for ex, (printed, error) in zip(python, run_python(venv, [e.sql for e in python], tmp_path)):
        failures.append(docs_examples.failure("python.md", ex, error or printed, bool(error)))
    for ex in (e for e in examples if e.lang == "sh"):
        output, rc = run_sh(ex.sql, tmp_path, venv)
        failures.append(docs_examples.failure("python.md", ex, output, rc != 0))
    failures = [f for f in failures if f]
    assert not failures, "\n\n".join(failures)


def test_the_runner_catches_a_wrong_output(tmp_path):
    venv = wheels.venv("sqlite_strata")
    [(printed, error)] = run_python(venv, ["print(1 + 1)"], tmp_path)
    assert (printed, error) == ("2\n", None)
    [(printed, error)] = run_python(venv, ["raise ValueError('x')"], tmp_path)
    assert "ValueError: x" in error


def test_pip_install_from_a_checkout(tmp_path):
    # `pip install --no-build-isolation .` in a checkout: the Makefile builds (a no-op here,
    # since make test built everything), and the package comes out installed.
    if helpers.ASAN:
        pytest.skip("builds the release libraries; make test runs it")
    venv = tmp_path / "venv"
    wheels.make(venv)
    proc = wheels.pip(venv, "--no-build-isolation", ".", cwd=helpers.ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = ("import sqlite3, sqlite_strata; c = sqlite3.connect(':memory:'); "
            "sqlite_strata.load(c); print(sqlite_strata.__file__); "
            "print(c.execute('select strata_version()').fetchone()[0])")
    out = subprocess.run([str(venv / "bin/python"), "-c", code], capture_output=True,
                         text=True, cwd=tmp_path, check=True).stdout.split()
    assert out[0].startswith(str(venv)) and out[1] == helpers.VERSION
