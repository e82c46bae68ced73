"""The helpers that decide whether a missing shared resource skips or fails."""

import pytest

import helpers


def test_skip_or_fail_skips_outside_ci(monkeypatch):
    monkeypatch.setattr(helpers, "CI", False)
    with pytest.raises(pytest.skip.Exception, match="no such thing"):
        helpers.skip_or_fail("no such thing")


def test_skip_or_fail_fails_under_ci(monkeypatch):
    monkeypatch.setattr(helpers, "CI", True)
    with pytest.raises(pytest.fail.Exception, match="no such thing.*CI=true"):
        helpers.skip_or_fail("no such thing")


def test_missing_hosts_fail_under_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(helpers, "CI", True)
    monkeypatch.setenv("STRATA_SHARED_HOSTS", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="Datasette 0.64.8"):
        helpers.shared_hosts()
    (tmp_path / "datasette-0.64.8").mkdir()
    assert helpers.shared_hosts() == tmp_path


def test_shared_dir_is_beside_a_checkout():
    path = helpers.shared_dir("json-schema-test-suite")
    if path is None:
        helpers.skip_or_fail("no shared/ beside this checkout")
    assert path.is_dir() and path.name == "json-schema-test-suite"
    assert path.parent.name == "shared"
