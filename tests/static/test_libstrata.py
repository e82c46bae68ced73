"""dist/libstrata.a exports the six sqlite3_*_init entry points and nothing else: every other
function is local to it, so no name of ours can clash with a name of the program that links it
(tests/static/host_own_symbols.c shows the program side)."""

import subprocess

import helpers

ENTRY_POINTS = {"sqlite3_strata_init"} | {f"sqlite3_{e}_init" for e in helpers.EXTENSIONS}


def test_only_the_entry_points_are_global():
    nm = subprocess.run(["nm", "-g", "--defined-only", str(helpers.DIST / "libstrata.a")],
                        capture_output=True, text=True, check=True).stdout
    exported = {fields[-1] for fields in map(str.split, nm.splitlines()) if len(fields) == 3}
    assert exported == ENTRY_POINTS
