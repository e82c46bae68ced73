"""Exact Temporal/Jiff examples (values from the Temporal polyfill and the sqlite-jiff README),
rounding modes, month-end clamping, and the bad-input table of every function."""

import os
import sqlite3
import string
import subprocess
import sys
import zoneinfo
from datetime import datetime, timezone

import pytest

import helpers

NY = "America/New_York"


@pytest.fixture(scope="module")
def db():
    c = helpers.connect("timezone")
    yield c
    c.close()


def one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize("a,b,unit,want", [
    ("2024-11-02T01:59:59[America/Los_Angeles]", "2024-11-02T02:00:01[America/New_York]",
     "minutes", 179.96666666666667),
    ("2024-11-03T01:59:59[America/Los_Angeles]", "2024-11-03T02:00:01[America/New_York]",
     "minutes", 119.96666666666667),
    ("2024-11-02T01:59:59[America/Los_Angeles]", "2024-11-02T02:00:01[America/New_York]",
     "hours", 2.9994444444444444),
    ("2024-11-02T01:59:59[America/Los_Angeles]", "2024-11-02T02:00:01[America/New_York]",
     "seconds", 10798.0),
    ("2024-03-11T00:00[America/New_York]", "2024-03-10T00:00[America/New_York]", "hours", 23.0),
    ("2024-10-07T00:00[Australia/Lord_Howe]", "2024-10-06T00:00[Australia/Lord_Howe]", "hours",
     23.5),
    ("2011-12-31T00:00[Pacific/Apia]", "2011-12-29T00:00[Pacific/Apia]", "hours", 24.0),
    ("2024-01-01 00:00:01.5", "2024-01-01 00:00:00", "ms", 1500.0),
    (86400, 0, "days", 1.0),
])
def test_duration(db, a, b, unit, want):
    assert one(db, "SELECT jiff_duration(?, ?, ?)", a, b, unit) == want
    assert one(db, "SELECT tz_duration(?, ?, ?)", a, b, unit) == want


@pytest.mark.parametrize("text,mode,want", [
    ("2024-03-10T02:30[America/New_York]", "compatible", "2024-03-10T03:30:00-04:00"),
    ("2024-03-10T02:30[America/New_York]", "earlier", "2024-03-10T01:30:00-05:00"),
    ("2024-03-10T02:30[America/New_York]", "later", "2024-03-10T03:30:00-04:00"),
    ("2024-11-03T01:30[America/New_York]", "compatible", "2024-11-03T01:30:00-04:00"),
    ("2024-11-03T01:30[America/New_York]", "later", "2024-11-03T01:30:00-05:00"),
    ("2024-03-31T01:30[Europe/London]", "compatible", "2024-03-31T02:30:00+01:00"),
    ("2024-03-31T01:30[Europe/London]", "earlier", "2024-03-31T00:30:00+00:00"),
    ("2024-10-06T02:15[Australia/Lord_Howe]", "compatible", "2024-10-06T02:45:00+11:00"),
    ("2024-10-06T02:15[Australia/Lord_Howe]", "earlier", "2024-10-06T01:45:00+10:30"),
    ("2024-04-07T01:45[Australia/Lord_Howe]", "compatible", "2024-04-07T01:45:00+11:00"),
    ("2024-04-07T01:45[Australia/Lord_Howe]", "later", "2024-04-07T01:45:00+10:30"),
    ("2011-12-30T12:00[Pacific/Apia]", "compatible", "2011-12-31T12:00:00+14:00"),
    ("2011-12-30T12:00[Pacific/Apia]", "earlier", "2011-12-29T12:00:00-10:00"),
    ("2024-09-08T00:00[America/Santiago]", "compatible", "2024-09-08T01:00:00-03:00"),
    ("2024-09-08T00:00[America/Santiago]", "earlier", "2024-09-07T23:00:00-04:00"),
    ("2018-11-04T00:00[America/Sao_Paulo]", "compatible", "2018-11-04T01:00:00-02:00"),
    ("2019-02-16T23:30[America/Sao_Paulo]", "later", "2019-02-16T23:30:00-03:00"),
])
def test_disambiguation(db, text, mode, want):
    zone = text[text.index("[") + 1:-1]
    assert one(db, "SELECT tz_parse(?, ?)", text, mode) == f"{want}[{zone}]"


@pytest.mark.parametrize("text,mode,want", [
    ("2024-06-14T17:30-05:00[America/New_York]", "use", "2024-06-14T18:30:00-04:00"),
    ("2024-06-14T17:30-05:00[America/New_York]", "prefer", "2024-06-14T17:30:00-04:00"),
    ("2024-06-14T17:30-05:00[America/New_York]", "ignore", "2024-06-14T17:30:00-04:00"),
    ("2024-11-03T01:30-05:00[America/New_York]", "reject", "2024-11-03T01:30:00-05:00"),
    ("2024-11-03T01:30-05:00[America/New_York]", "ignore", "2024-11-03T01:30:00-04:00"),
    ("2025-06-20T17:30Z[America/New_York]", "reject", "2025-06-20T13:30:00-04:00"),
])
def test_offset_modes(db, text, mode, want):
    assert one(db, "SELECT tz_parse(?, 'compatible', ?)", text, mode) == f"{want}[{NY}]"


def test_offset_zones_and_critical_zone(db):
    assert one(db, "SELECT tz_parse('2024-01-01T10:00+05:30[+05:30]')") == \
        "2024-01-01T10:00:00+05:30[+05:30]"
    assert one(db, "SELECT tz_parse('2024-01-01T10:00[!Europe/Paris]')") == \
        "2024-01-01T10:00:00+01:00[Europe/Paris]"
    assert one(db, "SELECT tz_abbrev(0, '+05:30') || '/' || tz_is_dst(0, '-08')") == "+05:30/0"
    with pytest.raises(Exception, match="offset does not match"):
        one(db, "SELECT tz_parse('2024-01-01T10:00+05:30[+05:00]')")


def test_offset_conflict_rejected(db):
    with pytest.raises(Exception, match="tz_parse: offset does not match time zone"):
        one(db, "SELECT tz_parse('2024-06-14T17:30-05:00[America/New_York]')")
    with pytest.raises(Exception, match="tz_parse: .* falls in a gap or fold"):
        one(db, "SELECT tz_parse('2024-03-10T02:30[America/New_York]', 'reject')")


@pytest.mark.parametrize("start,span,want", [
    ("2024-03-09T12:00[America/New_York]", "P1D", "2024-03-10T12:00:00-04:00"),
    ("2024-03-09T12:00[America/New_York]", "PT24H", "2024-03-10T13:00:00-04:00"),
    ("2024-03-09T02:30[America/New_York]", "P1D", "2024-03-10T03:30:00-04:00"),
    ("2024-03-09T02:30[America/New_York]", "P1DT1H", "2024-03-10T04:30:00-04:00"),
    ("2024-11-02T01:30[America/New_York]", "P1D", "2024-11-03T01:30:00-04:00"),
    ("2024-11-03T01:30-04:00[America/New_York]", "PT1H", "2024-11-03T01:30:00-05:00"),
    ("2024-01-31T10:00[America/New_York]", "P1M", "2024-02-29T10:00:00-05:00"),
    ("2024-01-31T10:00[America/New_York]", "1 month", "2024-02-29T10:00:00-05:00"),
    ("2024-05-31T10:00[America/New_York]", "-P1M", "2024-04-30T10:00:00-04:00"),
    ("2024-03-31T10:00[America/New_York]", "1 month ago", "2024-02-29T10:00:00-05:00"),
    ("2024-03-09T12:00[America/New_York]", "2h 30m", "2024-03-09T14:30:00-05:00"),
    ("2024-03-09T12:00[America/New_York]", "1 week, 1.5 hours", "2024-03-16T13:30:00-04:00"),
])
def test_add_ny(db, start, span, want):
    assert one(db, "SELECT tz_add(?, ?)", start, span) == f"{want}[{NY}]"


def test_add_other_zones(db):
    assert one(db, "SELECT tz_add('2011-12-29T12:00[Pacific/Apia]', 'P1D')") == \
        "2011-12-31T12:00:00+14:00[Pacific/Apia]"
    assert one(db, "SELECT tz_add('2011-12-29T12:00[Pacific/Apia]', 'PT24H')") == \
        "2011-12-31T12:00:00+14:00[Pacific/Apia]"
    assert one(db, "SELECT tz_add('2024-02-29 00:00', 'P1Y')") == "2025-02-28T00:00:00+00:00[UTC]"
    assert one(db, "SELECT tz_add('2024-01-31T00:00+05:30', 'P1M')") == \
        "2024-02-29T00:00:00+05:30[+05:30]"
    assert one(db, "SELECT tz_add('2024-03-30T01:30[Europe/London]', 'P1D')") == \
        "2024-03-31T02:30:00+01:00[Europe/London]"


@pytest.mark.parametrize("a,b,args,want", [
    ("2024-03-10T12:00[America/New_York]", "2024-03-09T12:00[America/New_York]", (), "PT23H"),
    ("2024-03-10T12:00[America/New_York]", "2024-03-09T12:00[America/New_York]", ("day",), "P1D"),
    ("2024-11-03T01:30-05:00[America/New_York]", "2024-11-02T01:30[America/New_York]", ("day",),
     "P1DT1H"),
    ("2011-12-31T12:00[Pacific/Apia]", "2011-12-29T12:00[Pacific/Apia]", (), "PT24H"),
    ("2011-12-31T12:00[Pacific/Apia]", "2011-12-29T12:00[Pacific/Apia]", ("day",), "P2D"),
    ("2021-02-28", "2020-02-29", ("year",), "P11M30D"),
    ("2021-03-01", "2020-02-29", ("year",), "P1Y1D"),
    ("2024-03-01T00:00[America/New_York]", "2024-01-31T00:00[America/New_York]", ("month",),
     "P1M1D"),
    ("2024-03-09T00:00[America/New_York]", "2024-03-13T05:00[America/New_York]", ("day",),
     "-P4DT5H"),
    ("2024-01-01T01:30Z", "2024-01-01T00:00Z", ("hour", "hour", "half-expand"), "PT2H"),
    ("2024-01-01T01:30Z", "2024-01-01T00:00Z", ("hour", "hour"), "PT1H"),
    ("2024-01-01T02:30Z", "2024-01-01T00:00Z", ("hour", "hour", "halfEven"), "PT2H"),
    ("2024-01-01T03:30Z", "2024-01-01T00:00Z", ("hour", "hour", "halfEven"), "PT4H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "floor"), "-PT2H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "ceil"), "-PT1H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "expand"), "-PT2H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "half-trunc"), "-PT1H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "half-floor"), "-PT2H"),
    ("2024-01-01T00:00Z", "2024-01-01T01:30Z", ("hour", "hour", "half-ceil"), "-PT1H"),
    ("2024-01-01T00:17:10Z", "2024-01-01T00:00Z", ("hour", "minute", "trunc", 5), "PT15M"),
    ("2024-01-01T00:00:01.25Z", "2024-01-01T00:00Z", (), "PT1.25S"),
    ("2024-01-01T00:00:00Z", "2024-01-01T00:00Z", (), "PT0S"),
    ("2024-03-01T00:00[America/New_York]", "2024-01-31T00:00[America/New_York]",
     ("month", "month", "half-expand"), "P1M"),
    ("2024-07-20T00:00[America/New_York]", "2024-01-01T00:00[America/New_York]",
     ("year", "month", "half-expand"), "P7M"),
    ("2024-03-13T12:00[America/New_York]", "2024-03-09T12:00[America/New_York]",
     ("week", "day"), "P4D"),
    ("2024-03-23T12:00[America/New_York]", "2024-03-09T12:00[America/New_York]",
     ("week", "day"), "P2W"),
])
def test_diff(db, a, b, args, want):
    marks = ", ?" * len(args)
    assert one(db, f"SELECT tz_diff(?, ?{marks})", a, b, *args) == want


def test_100_hours_relative_to_ny(db):
    start = "2024-03-09T00:00[America/New_York]"
    end = one(db, "SELECT tz_add(?, 'PT100H')", start)
    assert one(db, "SELECT tz_diff(?, ?, 'day')", end, start) == "P4DT5H"


@pytest.mark.parametrize("ts,unit,zone,want", [
    ("2024-11-03T01:45-05:00[America/New_York]", "hour", NY, "2024-11-03T01:00:00-05:00"),
    ("2024-09-08T12:00Z", "day", "America/Santiago", "2024-09-08T01:00:00-03:00"),
    ("2024-03-10T12:00Z", "day", "America/Havana", "2024-03-10T01:00:00-04:00"),
    ("2024-07-17 12:00", "week", "Europe/London", "2024-07-15T00:00:00+01:00"),
    ("2024-07-17 12:00", "month", "Australia/Lord_Howe", "2024-07-01T00:00:00+10:30"),
    ("2024-08-17 12:00", "quarter", "Asia/Tokyo", "2024-07-01T00:00:00+09:00"),
    ("2024-08-17 12:34:56.789", "year", "UTC", "2024-01-01T00:00:00+00:00"),
    ("2024-08-17 12:34:56.789", "second", "Asia/Kolkata", "2024-08-17T18:04:56+05:30"),
])
def test_trunc(db, ts, unit, zone, want):
    assert one(db, "SELECT tz_trunc(?, ?, ?)", ts, unit, zone) == f"{want}[{zone}]"


def test_trunc_week_start(db):
    assert one(db, "SELECT tz_trunc('2024-07-17 12:00', 'week', 'UTC', 'sunday')") == \
        "2024-07-14T00:00:00+00:00[UTC]"


@pytest.mark.parametrize("day,zone,hours", [
    ("2024-03-10 12:00", NY, 23.0), ("2024-11-03 12:00", NY, 25.0),
    ("2024-10-06 12:00", "Australia/Lord_Howe", 23.5),
    ("2024-04-07 00:00", "Australia/Lord_Howe", 24.5), ("2024-07-01", "UTC", 24.0),
])
def test_hours_in_day(db, day, zone, hours):
    assert one(db, "SELECT tz_hours_in_day(?, ?)", day, zone) == hours


def test_local_day_report(db):
    rows = db.execute(
        "SELECT date(tz_local(ts, 'America/Sao_Paulo')) d, count(*) FROM (SELECT"
        " '2024-01-01 02:30:00' ts UNION ALL SELECT '2024-01-01 03:30:00') GROUP BY d").fetchall()
    assert rows == [("2023-12-31", 1), ("2024-01-01", 1)]


def test_fraction_and_numbers(db):
    assert one(db, "SELECT tz_local(1.5, 'UTC')") == "1970-01-01 00:00:01.5"
    assert one(db, "SELECT tz_local('2024-01-01 00:00:00.000', 'UTC')") == "2024-01-01 00:00:00"
    assert one(db, "SELECT tz_convert('2024-01-01T00:00:00.123456789Z', 'Asia/Kolkata')") == \
        "2024-01-01T05:30:00.123456789+05:30[Asia/Kolkata]"
    assert one(db, "SELECT tz_local(0, '+05:30')") == "1970-01-01 05:30:00"
    assert one(db, "SELECT tz_offset(0, 'utc')") == 0


def test_format_uses_our_offsets(db):
    # ICU 72 does not know America/Ciudad_Juarez; the offset still comes from the system tzdata.
    zi = zoneinfo.ZoneInfo("America/Ciudad_Juarez")
    off = datetime(2024, 7, 1, 12, tzinfo=timezone.utc).astimezone(zi).strftime("%z")
    got = one(db, "SELECT tz_format('2024-07-01T12:00Z', 'America/Ciudad_Juarez', 'HH:mm xx')")
    assert got.endswith(off)
    assert one(db, "SELECT tz_format('2024-07-01T12:00Z', 'America/New_York',"
                   " 'EEEE d MMMM y HH:mm zzzz (z)')") == \
        "Monday 1 July 2024 08:00 Eastern Daylight Time (EDT)"
    assert one(db, "SELECT tz_format('2024-07-01T12:00Z', 'Europe/Paris', 'd MMMM y, HH:mm', 'fr')"
               ) == "1 juillet 2024, 14:00"
    assert one(db, "SELECT tz_format('2024-01-01T00:00Z', 'UTC', 'XXX ''quoted'' VV')") == \
        "Z quoted UTC"


# The pattern letters ICU defines; every other ASCII letter is reserved by the ICU/CLDR pattern
# syntax and must be an error, not dropped (ICU drops 'T' and what follows it).
ICU_PATTERN_LETTERS = set("GyMdkHmsSEDFwWahKzYeugAZvcLQqVUOXxrbB")


def test_format_letters_are_pattern_letters_or_errors(db):
    for letter in string.ascii_letters:
        pattern = "VV" if letter == "V" else letter  # V alone is refused (see BAD)
        if letter in ICU_PATTERN_LETTERS:
            assert one(db, "SELECT tz_format('2024-07-01T12:00Z', 'Europe/Paris', ?)", pattern)
            continue
        for where in (pattern, f"yyyy-MM-dd {pattern} HH", f"'a' {pattern}{pattern}"):
            with pytest.raises(sqlite3.OperationalError) as e:
                one(db, "SELECT tz_format(0, 'UTC', ?)", where)
            assert str(e.value) == (f"tz_format: unknown pattern letter '{letter}' "
                                    "(put literal text in single quotes)")


@pytest.mark.parametrize("zone", ["UTC", NY, "Europe/Paris", "Asia/Kolkata",
                                  "Australia/Lord_Howe", "America/St_Johns"])
def test_format_quoted_literals_match_zoneinfo(db, zone):
    zi = zoneinfo.ZoneInfo(zone)
    for ts in [0, 1711846800, 1719835200, 1730597400, 2000000000, 4102444800]:
        want = datetime.fromtimestamp(ts, zi)
        assert one(db, "SELECT tz_format(?, ?, ?)", ts, zone,
                   "yyyy-MM-dd'T'HH:mm:ssxxx") == want.isoformat()
        assert one(db, "SELECT tz_format(?, ?, ?)", ts, zone, "h 'o''clock' a, 'day' D") == \
            want.strftime("%-I o'clock %p, day ") + str(want.timetuple().tm_yday)
    # Letters outside ASCII are literal text, as in ICU.
    assert one(db, "SELECT tz_format(0, 'UTC', 'yyyy年MM月dd日')") == "1970年01月01日"


def test_format_per_row_patterns_and_locales(db):
    rows = db.execute("SELECT tz_format(0, 'UTC', p, l) FROM (SELECT 'yyyy' p, 'en' l"
                      " UNION ALL SELECT 'MMMM', 'fr' UNION ALL SELECT 'MMMM', 'de')").fetchall()
    assert rows == [("1970",), ("janvier",), ("Januar",)]
    rows = db.execute("SELECT tz_format(t, 'America/New_York', 'MMM zzzz') FROM"
                      " (SELECT 0 t UNION ALL SELECT 15552000)").fetchall()
    assert rows == [("Dec Eastern Standard Time",), ("Jun Eastern Daylight Time",)]
    with pytest.raises(Exception, match="tz_format: locale name too long"):
        one(db, "SELECT tz_format(0, 'UTC', 'yyyy', ?)", "x" * 100)


def test_tables(db):
    rows = db.execute("SELECT instant, offset_before, offset_after, abbrev, is_dst FROM"
                      " tz_transitions('Europe/London', '2024-01-01', '2025-01-01')").fetchall()
    assert rows == [("2024-03-31 01:00:00", 0, 3600, "BST", 1),
                    ("2024-10-27 01:00:00", 3600, 0, "GMT", 0)]
    assert db.execute("SELECT target FROM tz_names WHERE name = 'US/Eastern'").fetchone() == (NY,)
    assert db.execute("SELECT country FROM tz_names WHERE name = ?", (NY,)).fetchone() == ("US",)
    assert db.execute("SELECT count(*) FROM tz_transitions(NULL)").fetchone() == (0,)
    with pytest.raises(Exception, match="tz_transitions: unknown time zone 'Mars/Olympus'"):
        db.execute("SELECT * FROM tz_transitions('Mars/Olympus')").fetchall()


def test_extreme_arguments_do_not_crash(db):
    big = 1000000000
    assert one(db, "SELECT tz_diff('2024-03-01', '2000-01-01', 'year', 'year', 'ceil', ?)",
               big) == f"P{big}Y"
    assert one(db, "SELECT tz_diff('2024-03-01', '2000-01-01', 'week', 'day', 'expand', ?)",
               big).startswith("P")
    # Integer bounds outside years 0000 to 9999 (a day's slack, as every timestamp) are errors,
    # not clamped; the extreme accepted bounds select every transition.
    everything = one(db, "SELECT count(*) FROM tz_transitions('Europe/London')")
    assert everything > 200
    assert one(db, "SELECT count(*) FROM tz_transitions('Europe/London', ?, ?)",
               -62167219200 - 86400, 253402300799 + 86400) == everything
    for bounds in [(-9223372036854775808, 0), (0, 9223372036854775807),
                   (-62167219200 - 86401, 0), (0, 253402300799 + 86401), (-1e18, 0), (0, 1e300)]:
        with pytest.raises(sqlite3.OperationalError,
                           match=r"^tz_transitions: bound out of range \(years 0000 to 9999\)$"):
            one(db, "SELECT count(*) FROM tz_transitions('Europe/London', ?, ?)", *bounds)
    assert one(db, "SELECT tz_add('0000-01-01T00:00Z', 'PT1S')") == \
        "0000-01-01T00:00:01+00:00[UTC]"
    with pytest.raises(Exception, match="result out of range"):
        one(db, "SELECT tz_convert('0000-01-01T00:00Z', 'America/New_York')")
    with pytest.raises(Exception, match="result out of range"):
        one(db, "SELECT tz_add('9999-12-31T23:00Z', 'PT2H')")
    assert one(db, "SELECT tz_hours_in_day('9999-12-31 12:00', 'Pacific/Kiritimati')") == 24.0


def test_version(db):
    with open("/usr/share/zoneinfo/tzdata.zi") as f:
        version = f.readline().split()[-1]
    assert one(db, "SELECT tz_data_version()") == version
    assert one(db, "SELECT timezone_version()") == helpers.VERSION


BAD = [
    ("SELECT tz_local('2024-01-01', 'Mars/Olympus')", "tz_local: unknown time zone 'Mars/Olympus'"),
    ("SELECT tz_local('2024-13-01', 'UTC')", "tz_local: date out of range"),
    ("SELECT tz_local('yesterday', 'UTC')", "tz_local: expected a date"),
    ("SELECT tz_local('-0001-01-01', 'UTC')", "tz_local: year out of range"),
    ("SELECT tz_local('99999-01-01', 'UTC')", "tz_local: year out of range"),
    ("SELECT tz_local(1e18, 'UTC')", "tz_local: timestamp out of range"),
    ("SELECT tz_local(-1e18, 'UTC')", "tz_local: timestamp out of range"),
    ("SELECT tz_local(9223372036854775807, 'UTC')", "tz_local: timestamp out of range"),
    ("SELECT tz_local(253402300799, '+14:00')", "tz_local: result out of range"),
    ("SELECT tz_local(x'00', 'UTC')", "tz_local: timestamp must be text or a number"),
    ("SELECT tz_local(0, 5)", "tz_local: time zone must be text"),
    ("SELECT tz_local(0, '../../../etc/passwd')", "tz_local: unknown time zone"),
    ("SELECT tz_local(0, 'localtime')", "tz_local: unknown time zone"),
    ("SELECT tz_local('2024-01-01T10:00[Mars/Olympus]', 'UTC')", "unknown time zone 'Mars/Olympus'"),
    ("SELECT tz_local('2024-01-01T10:00[!u-ca=hebrew]', 'UTC')", "unsupported calendar"),
    ("SELECT tz_local('2024-01-01T10:00Z[!foo=bar]', 'UTC')", "unknown critical annotation"),
    ("SELECT tz_local('2024-01-01T10:00+25:00', 'UTC')", "offset out of range"),
    ("SELECT tz_local('2024-01-01T10:00:00.1234567890', 'UTC')", "more than 9 fractional"),
    ("SELECT tz_local('2024-01-01 10:00 trailing', 'UTC')", "unexpected text"),
    ("SELECT tz_offset('2024-01-01', 'Mars/Olympus')", "tz_offset: unknown time zone"),
    ("SELECT tz_abbrev('nope', 'UTC')", "tz_abbrev: expected a date"),
    ("SELECT tz_is_dst(0, '+99:00')", "tz_is_dst: unknown time zone"),
    ("SELECT tz_convert(0, '')", "tz_convert: unknown time zone"),
    ("SELECT tz_utc('2024-03-10 02:30', 'America/New_York', 'reject')", "tz_utc: '2024-03-10 02:30'"
     " falls in a gap"),
    ("SELECT tz_utc('2024-11-03 01:30', 'America/New_York', 'reject')", "falls in a fold"),
    ("SELECT tz_utc('2024-03-10 02:30', 'America/New_York', 'sooner')", "tz_utc: unknown"
     " disambiguation 'sooner'"),
    ("SELECT tz_utc('2024-03-10T02:30Z', 'America/New_York')", "tz_utc: expected a local"),
    ("SELECT tz_parse('2024-03-10T02:30', 'compatible', 'maybe')", "tz_parse: unknown offset mode"),
    ("SELECT tz_parse(5)", "tz_parse: expected text"),
    ("SELECT tz_duration(0, 0, 'fortnights')", "tz_duration: unknown unit 'fortnights'"),
    ("SELECT jiff_duration(0, 0, 'months')", "jiff_duration: unit 'month' has no fixed length"),
    ("SELECT jiff_duration('2024-11-02T01:59:59[America/Los_Angeles]', 'x', 'minutes')",
     "jiff_duration: expected a date"),
    ("SELECT tz_trunc(0, 'fortnight', 'UTC')", "tz_trunc: unknown unit"),
    ("SELECT tz_trunc(0, 'ms', 'UTC')", "tz_trunc: unit must be second or larger"),
    ("SELECT tz_trunc(0, 'week', 'UTC', 'someday')", "tz_trunc: unknown week start"),
    ("SELECT tz_hours_in_day(0, 'Mars/Olympus')", "tz_hours_in_day: unknown time zone"),
    ("SELECT tz_add(0, 'P1X')", "tz_add: malformed ISO 8601 duration"),
    ("SELECT tz_add(0, '3 parsecs')", "tz_add: unknown unit"),
    ("SELECT tz_add(0, 'P1.5D')", "tz_add: fraction on a calendar unit"),
    ("SELECT tz_add(0, '1.5 days')", "tz_add: fraction on a calendar unit"),
    ("SELECT tz_add(0, 'P99999Y')", "tz_add: duration out of range"),
    ("SELECT tz_add('9999-12-01', 'P1M')", "tz_add: result out of range"),
    ("SELECT tz_add(0, 5)", "tz_add: span must be text"),
    ("SELECT tz_diff(0, 0, 'hour', 'day')", "tz_diff: smallest unit is larger"),
    ("SELECT tz_diff(0, 0, 'hour', 'minute', 'sideways')", "tz_diff: unknown rounding mode"),
    ("SELECT tz_diff(0, 0, 'hour', 'minute', 'trunc', 7)", "tz_diff: increment must divide"),
    ("SELECT tz_diff(0, 0, 'hour', 'minute', 'trunc', 0)", "tz_diff: increment must divide"),
    ("SELECT tz_diff('2024-01-01T00:00[Europe/Paris]', '2024-01-01T00:00[Asia/Tokyo]', 'day')",
     "tz_diff: units of a day or more need both times in the same time zone"),
    ("SELECT tz_format(0, 'UTC', 'yyyy ''open')", "tz_format: unterminated quote"),
    ("SELECT tz_format(0, 'UTC', 'VVVV')", "tz_format: pattern letters V"),
    ("SELECT tz_format(0, 'Mars/Olympus', 'yyyy')", "tz_format: unknown time zone"),
    ("SELECT * FROM tz_transitions('UTC', 'soon')", "tz_transitions: expected a date"),
]


@pytest.mark.parametrize("sql,message", BAD, ids=[s for s, _ in BAD])
def test_bad_input(db, sql, message):
    with pytest.raises(Exception) as e:
        db.execute(sql).fetchall()
    assert message in str(e.value)


NULLS = [
    "tz_local(NULL, 'UTC')", "tz_local(0, NULL)", "tz_utc(NULL, 'UTC')",
    "tz_utc('2024-01-01', 'UTC', NULL)", "tz_offset(NULL, 'UTC')", "tz_abbrev(0, NULL)",
    "tz_is_dst(NULL, NULL)", "tz_convert(NULL, 'UTC')", "tz_parse(NULL)", "tz_valid(NULL)",
    "tz_duration(NULL, 0, 'hours')", "jiff_duration(0, 0, NULL)", "tz_trunc(NULL, 'day', 'UTC')",
    "tz_hours_in_day(0, NULL)", "tz_add(NULL, 'P1D')", "tz_add(0, NULL)", "tz_diff(NULL, 0)",
    "tz_diff(0, 0, NULL)", "tz_format(NULL, 'UTC', 'yyyy')", "tz_format(0, 'UTC', NULL)",
]


@pytest.mark.parametrize("expr", NULLS)
def test_null_in_null_out(db, expr):
    assert one(db, f"SELECT {expr}") is None


def test_flags_not_deterministic(db):
    # tzdata upgrades change results, so zone functions may not appear in indexes.
    db.execute("CREATE TEMP TABLE ev(ts TEXT)")
    with pytest.raises(Exception, match="non-deterministic"):
        db.execute("CREATE INDEX temp.ev_day ON ev(tz_local(ts, 'UTC'))")
    db.execute("CREATE TEMP VIEW ev_local AS SELECT tz_local(ts, 'Europe/Paris') FROM ev")


def test_tzdir_override_and_corrupt_file(tmp_path):
    """A TZDIR with one good zone and one corrupt file: the good one works, the corrupt one is a
    clear error, unknown names stay unknown (run in a child: TZDIR is read once per process)."""
    good = open("/usr/share/zoneinfo/Europe/Paris", "rb").read()
    (tmp_path / "Test").mkdir()
    (tmp_path / "Test" / "Good").write_bytes(good)
    (tmp_path / "Test" / "Bad").write_bytes(good[:60])
    (tmp_path / "tzdata.zi").write_text("# version 9999z\n")
    script = f"""
import sys; sys.path.insert(0, {str(helpers.ROOT / 'tests')!r})
import helpers
db = helpers.connect("timezone")
print(db.execute("SELECT tz_offset('2024-07-01', 'Test/Good'), tz_data_version(),"
                 " tz_valid('Europe/Paris'), (SELECT group_concat(name) FROM tz_names)").fetchone())
try:
    db.execute("SELECT tz_offset(0, 'Test/Bad')").fetchone()
except Exception as e:
    print(e)
"""
    env = dict(os.environ, TZDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "(7200, '9999z', 0, 'Test/Bad,Test/Good')"
    assert lines[1] == "tz_offset: time zone 'Test/Bad' has unreadable TZif data"


def test_connections_in_threads_share_the_cache():
    """Four connections in four threads hit the process-wide zone cache at once (the sqlite3
    module releases the GIL while a statement runs)."""
    import threading
    names = [r[0] for r in helpers.connect("timezone").execute("SELECT name FROM tz_names")]
    errors, results = [], []

    def work(k):
        try:
            c = helpers.connect("timezone")
            rows = c.execute(
                "SELECT count(tz_offset(1719835200 + value * 3600, name)) FROM"
                " (SELECT value ->> 0 name, key value FROM json_each(?))",
                (__import__("json").dumps([[n] for n in names[k::2]] * 3),)).fetchone()
            results.append(rows[0])
            c.close()
        except Exception as e:  # reported below, with the thread's failure
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k % 2,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == sorted([len(names[0::2]) * 3] * 2 + [len(names[1::2]) * 3] * 2)
