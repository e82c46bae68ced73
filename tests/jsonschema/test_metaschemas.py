"""The built-in meta-schemas: ext/jsonschema/metaschemas.c must be exactly what
metaschemas/gen.py makes from the JSON files beside it (a data file edited without regenerating,
or a hand edit of the C file, fails here)."""

import shutil
import subprocess
import sys

import pytest

import helpers

GEN = helpers.ROOT / "ext" / "jsonschema" / "metaschemas" / "gen.py"
GENERATED = helpers.ROOT / "ext" / "jsonschema" / "metaschemas.c"


def test_generated_file_is_up_to_date(tmp_path):
    if shutil.which("clang-format") is None:
        pytest.skip("clang-format is not installed (Debian package clang-format)")
    out = tmp_path / "metaschemas.c"
    subprocess.run([sys.executable, str(GEN), str(out)], check=True, cwd=tmp_path)
    assert out.read_bytes() == GENERATED.read_bytes(), (
        "ext/jsonschema/metaschemas.c is stale: run ext/jsonschema/metaschemas/gen.py")
