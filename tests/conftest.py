"""pytest configuration: refuse to run under an interpreter that cannot load extensions."""

import sys

import pytest

import helpers


def pytest_configure(config):
    if not helpers.can_load_extensions():
        pytest.exit(
            f"strata tests: {sys.executable} has a sqlite3 module that cannot load extensions "
            "(no enable_load_extension). Run the tests with /usr/bin/python3, as `make test` does.",
            returncode=3)
    missing = [n for n in helpers.EXTENSIONS + ["strata"]
               if not (helpers.DIST / f"{n}.so").exists()]
    if missing:
        pytest.exit(f"strata tests: {helpers.DIST} lacks {', '.join(missing)}.so; "
                    "run `make test`, which builds first.", returncode=3)


@pytest.fixture
def db():
    """An in-memory connection with dist/strata.so loaded."""
    conn = helpers.connect()
    yield conn
    conn.close()
