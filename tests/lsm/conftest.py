"""Fixtures of the lsm SQL tests: a connection with dist/lsm.so, working in a temporary folder
(relative lsm file names of in-memory databases resolve against the current directory)."""

import pytest

import helpers


@pytest.fixture
def ldb(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conn = helpers.connect("lsm")
    yield conn
    conn.close()
