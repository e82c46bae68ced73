"""Fixtures of the vec tests: a connection with dist/vec.so, and the sqlite-vec peer."""

import sqlite3

import pytest

import helpers


@pytest.fixture
def vdb():
    conn = helpers.connect("vec")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def peer_path():
    """Path (without suffix) of sqlite-vec 0.1.9's vec0.so, or a skip with the reason."""
    try:
        pkg = helpers.peers.npm_package("sqlite-vec-linux-x64", "0.1.9")
        return str(helpers.peers.find_file(pkg, "vec0.so"))[:-3]
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"sqlite-vec peer unavailable: {e}")


@pytest.fixture
def peer(peer_path):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(peer_path)
    yield conn
    conn.close()
