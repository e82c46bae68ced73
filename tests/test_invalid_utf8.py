"""Invalid UTF-8 in an argument never reaches an error message as raw bytes.

sqlite3_value_text() hands back a BLOB's bytes unchanged; copied into a message, they made
Python raise UnicodeDecodeError instead of sqlite3.OperationalError. Every message now spells
such bytes \\xNN (ext/common/error_sql.c)."""

import sqlite3

import pytest

import helpers

BAD = "CAST(X'ff41e282' AS TEXT)"  # 0xFF, 'A', then a cut-short three-byte sequence

CALLS = [
    f"SELECT tz_local('2024-01-01 00:00:00', {BAD})",
    f"SELECT tz_offset('2024-01-01 00:00:00', {BAD})",
    f"SELECT tz_parse({BAD})",
    f"SELECT jiff_duration({BAD}, '2024-01-01', 'hours')",
    f"SELECT tz_format('2024-01-01', 'UTC', {BAD})",
    f"SELECT * FROM tz_transitions({BAD})",
    f"SELECT lembed({BAD}, 'text')",
    f"SELECT rembed({BAD}, 'text')",
    f"SELECT rembed_usage({BAD})",
    f"SELECT * FROM lsm_stats({BAD})",
    f"SELECT jsonschema_register('https://x/s.json', {BAD})",
    f"SELECT jsonschema_matches({BAD}, '1')",
    f"SELECT vec_length({BAD})",
]


@pytest.mark.parametrize("sql", CALLS)
def test_message_is_text(db, sql):
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(sql).fetchall()
    message = str(e.value)
    assert "\\xFF" in message or "\ufffd" not in message, message


def test_lsm1_key_error(db, tmp_path):
    db.execute(f"CREATE VIRTUAL TABLE kv USING lsm1('{tmp_path}/kv', k, UINT, v)")
    with pytest.raises(sqlite3.IntegrityError) as e:
        db.execute(f"INSERT INTO kv(k, v) VALUES ({BAD}, 1)")
    assert "(got \\xFFA\\xE2\\x82)" in str(e.value)


def test_escaped_bytes_are_named(db):
    with pytest.raises(sqlite3.OperationalError) as e:
        db.execute(f"SELECT tz_local('2024-01-01 00:00:00', {BAD})")
    assert "\\xFFA\\xE2\\x82" in str(e.value)
