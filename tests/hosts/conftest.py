"""Fixtures of the host tests."""

import pytest

import datasette_host


@pytest.fixture(scope="module")
def listener():
    """A local port that counts connections: a visitor's request must never reach it."""
    lst = datasette_host.Listener()
    yield lst
    lst.close()
