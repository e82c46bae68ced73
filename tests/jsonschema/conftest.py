"""Fixtures of the jsonschema tests."""

import pytest

import helpers


@pytest.fixture
def db():
    """An in-memory connection with dist/jsonschema.so alone loaded."""
    conn = helpers.connect("jsonschema")
    yield conn
    conn.close()
