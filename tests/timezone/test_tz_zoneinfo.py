"""Differential tests of the timezone extension against Python's zoneinfo, which reads the same
system tzdata: every zone, random instants 1970-2100 (past 2037 only the POSIX footer rule
knows), and wall times probed around every transition in every disambiguation mode."""

import random
import zoneinfo
from datetime import datetime, timedelta, timezone

import pytest

import helpers

UTC = timezone.utc
ZONES = sorted(z for z in zoneinfo.available_timezones() if z not in ("localtime", "posixrules"))
T1970, T2100 = 0, int(datetime(2100, 12, 31, tzinfo=UTC).timestamp())
T1850 = int(datetime(1850, 1, 1, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def conn():
    c = helpers.connect("timezone")
    yield c
    c.close()


def sqlite_text(dt):
    """A naive or aware datetime as the extension's SQLite text (fraction omitted when 0)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def test_zone_list_matches_zoneinfo(conn):
    ours = {r[0] for r in conn.execute("SELECT name FROM tz_names")}
    assert ours == set(ZONES)


def test_random_instants_every_zone(conn):
    rng = random.Random(2026)
    rows = []
    for zone in ZONES:
        for _ in range(120):
            rows.append((zone, rng.randint(T1970, T2100)))
        for _ in range(20):  # the 64-bit TZif block before 1970 (Debian builds with backzone)
            rows.append((zone, rng.randint(T1850, T1970)))
    conn.execute("CREATE TEMP TABLE probe(zone TEXT, t INTEGER)")
    conn.executemany("INSERT INTO probe VALUES (?, ?)", rows)
    got = conn.execute("SELECT tz_offset(t, zone), tz_abbrev(t, zone), tz_is_dst(t, zone),"
                       " tz_local(t, zone) FROM probe ORDER BY rowid").fetchall()
    conn.execute("DROP TABLE probe")
    bad = []
    for (zone, t), (off, abbr, dst, local) in zip(rows, got):
        dt = datetime.fromtimestamp(t, zoneinfo.ZoneInfo(zone))
        want = (int(dt.utcoffset().total_seconds()), dt.tzname(), int(bool(dt.dst())),
                sqlite_text(dt))
        if (off, abbr, dst, local) != want:
            bad.append((zone, t, (off, abbr, dst, local), want))
    assert not bad, f"{len(bad)} mismatches, first: {bad[:5]}"


def transitions(conn, zone):
    return conn.execute("SELECT unix, offset_before, offset_after FROM"
                        " tz_transitions(?, 0, ?)", (zone, T2100)).fetchall()


def test_transitions_are_real_changes(conn):
    """Every transition we list is a change zoneinfo sees at that very second."""
    bad = []
    for zone in ZONES:
        zi = zoneinfo.ZoneInfo(zone)
        for at, before, after in transitions(conn, zone):
            b = datetime.fromtimestamp(at - 1, zi)
            a = datetime.fromtimestamp(at, zi)
            if (b.utcoffset().total_seconds(), a.utcoffset().total_seconds()) != (before, after):
                bad.append((zone, at))
    assert not bad, bad[:5]


def test_wall_times_around_transitions(conn):
    probes = []
    for zone in ZONES:
        for at, before, after in transitions(conn, zone):
            local = datetime(1970, 1, 1) + timedelta(seconds=at + before)
            for delta in (-3600, -1, 0, 1, 900, 1799, 1800, 3599, 3600, 7200):
                lt = local + timedelta(seconds=delta)
                if 1970 <= lt.year <= 2100:
                    probes.append((zone, lt))
    conn.execute("CREATE TEMP TABLE wall(zone TEXT, local TEXT)")
    conn.executemany("INSERT INTO wall VALUES (?, ?)",
                     [(z, sqlite_text(lt)) for z, lt in probes])
    got = conn.execute(
        "SELECT tz_utc(local, zone), tz_utc(local, zone, 'earlier'),"
        " tz_utc(local, zone, 'later'),"
        " CASE WHEN tz_utc(local, zone, 'earlier') = tz_utc(local, zone, 'later')"
        " THEN tz_utc(local, zone, 'reject') END FROM wall ORDER BY rowid").fetchall()
    conn.execute("DROP TABLE wall")
    bad = []
    for (zone, lt), row in zip(probes, got):
        zi = zoneinfo.ZoneInfo(zone)
        u0 = lt.replace(tzinfo=zi, fold=0).astimezone(UTC).replace(tzinfo=None)
        u1 = lt.replace(tzinfo=zi, fold=1).astimezone(UTC).replace(tzinfo=None)
        want = (sqlite_text(u0), sqlite_text(min(u0, u1)), sqlite_text(max(u0, u1)),
                sqlite_text(u0) if u0 == u1 else None)
        if tuple(row) != want:
            bad.append((zone, lt, row, want))
    assert len(probes) > 100000
    assert not bad, f"{len(bad)} of {len(probes)} mismatches, first: {bad[:5]}"


def test_reject_raises_in_gap_and_fold(conn):
    for local in ("2024-03-10 02:30:00", "2024-11-03 01:30:00"):
        with pytest.raises(Exception, match="tz_utc: .* falls in a"):
            conn.execute("SELECT tz_utc(?, 'America/New_York', 'reject')", (local,)).fetchone()


def add_months(d, months):
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    m += 1
    dim = [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31,
           30, 31, 30, 31][m - 1]
    return d.replace(year=y, month=m, day=min(d.day, dim))


def rfc9557(dt, zone):
    return dt.isoformat() + f"[{zone}]"


def test_add_calendar_units_every_zone(conn):
    """tz_add: months and days on the wall clock (day clamped), resolved like fold=0 (PEP 495's
    fold=0 is Temporal's `compatible`), then hours as exact time."""
    rng = random.Random(7)
    rows, want = [], []
    for zone in ZONES:
        zi = zoneinfo.ZoneInfo(zone)
        for _ in range(25):
            t = rng.randint(T1970, T2100 - 86400 * 800)
            sign = rng.choice((1, -1))
            months, days, hours = (sign * rng.randint(0, 30), sign * rng.randint(0, 400),
                                   sign * rng.randint(0, 50))
            start = datetime.fromtimestamp(t, zi)
            if rng.random() < 0.5:
                span = f"{'-' if sign < 0 else ''}P{abs(months)}M{abs(days)}DT{abs(hours)}H"
            else:
                span = f"{abs(months)} months {abs(days)} days {abs(hours)} hours"
                span += " ago" if sign < 0 else ""
            local = add_months(start.replace(tzinfo=None), months) + timedelta(days=days)
            resolved = local.replace(tzinfo=zi, fold=0).astimezone(UTC) + timedelta(hours=hours)
            rows.append((rfc9557(start, zone), span))
            want.append(rfc9557(resolved.astimezone(zi), zone))
    got = [one for (one,) in conn.execute(
        "SELECT tz_add(value ->> 0, value ->> 1) FROM json_each(?)",
        (__import__("json").dumps(rows),))]
    bad = [(r, g, w) for r, g, w in zip(rows, got, want) if g != w]
    assert not bad, f"{len(bad)} of {len(rows)} mismatches, first: {bad[:5]}"


def test_hours_in_day_every_zone(conn):
    """Day length = next local midnight - this local midnight, where both midnights exist."""
    rng = random.Random(11)
    rows, want = [], []
    for zone in ZONES:
        zi = zoneinfo.ZoneInfo(zone)
        for _ in range(20):
            day = datetime(1970, 1, 1) + timedelta(days=rng.randint(0, 47000))
            m0, m1 = day, day + timedelta(days=1)
            u0 = m0.replace(tzinfo=zi).astimezone(UTC)
            u1 = m1.replace(tzinfo=zi).astimezone(UTC)
            if (u0.astimezone(zi).replace(tzinfo=None) != m0
                    or u1.astimezone(zi).replace(tzinfo=None) != m1):
                continue  # midnight in a gap: the day starts at the transition instead
            rows.append((day.strftime("%Y-%m-%dT12:00") + f"[{zone}]", zone))
            want.append((u1 - u0).total_seconds() / 3600)
    got = [h for (h,) in conn.execute(
        "SELECT tz_hours_in_day(value ->> 0, value ->> 1) FROM json_each(?)",
        (__import__("json").dumps(rows),))]
    bad = [(r, g, w) for r, g, w in zip(rows, got, want) if g != w]
    assert len(rows) > 10000
    assert not bad, f"{len(bad)} mismatches, first: {bad[:5]}"
