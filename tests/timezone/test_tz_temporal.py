"""Differential tests against the TC39 Temporal polyfill (npm @js-temporal/polyfill, run by node):
tz_add, tz_diff with every largest/smallest unit and rounding mode, and tz_trunc.

node's ICU carries its own (older) tz data, so only zones and years where it agrees with the
system tzdata are compared: well-known zones, 2000-2024.
"""

import json
import random
import shutil
import subprocess

import pytest

import helpers

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe",
         "Pacific/Apia", "America/Santiago", "America/Havana", "Pacific/Chatham", "Europe/Dublin",
         "America/Sao_Paulo", "Europe/Paris", "Asia/Tokyo", "Australia/Sydney", "Asia/Kolkata"]
MODES = ["ceil", "floor", "expand", "trunc", "halfCeil", "halfFloor", "halfExpand", "halfTrunc",
         "halfEven"]
INCREMENTS = {"nanosecond": [1], "second": [1, 15, 30], "minute": [1, 5, 15], "hour": [1, 2, 6],
              "day": [1, 2], "week": [1], "month": [1, 3], "year": [1]}
UNITS = ["nanosecond", "second", "minute", "hour", "day", "week", "month", "year"]

NODE_SCRIPT = r"""
const { Temporal } = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  try {
    if (c.op === 'add') {
      return Temporal.ZonedDateTime.from(c.a).add(Temporal.Duration.from(c.span)).toString();
    }
    if (c.op === 'diff') {
      const a = Temporal.ZonedDateTime.from(c.a), b = Temporal.ZonedDateTime.from(c.b);
      return b.until(a, { largestUnit: c.largest, smallestUnit: c.smallest,
                          roundingMode: c.mode, roundingIncrement: c.inc }).toString();
    }
    const z = Temporal.ZonedDateTime.from(c.a);
    if (c.unit === 'day') return z.startOfDay().toString();
    return z.round({ smallestUnit: c.unit, roundingMode: 'trunc' }).toString();
  } catch (e) { return 'ERR ' + e.message; }
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def temporal():
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the Temporal polyfill cannot run")
    try:
        pkg = helpers.peers.npm_package("@js-temporal/polyfill", "0.5.1")
    except helpers.peers.PeerUnavailable as e:
        pytest.skip(f"Temporal polyfill unavailable: {e}")

    def run(cases):
        proc = subprocess.run(["node", "-e", NODE_SCRIPT, str(pkg)], input=json.dumps(cases),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return run


@pytest.fixture(scope="module")
def db():
    c = helpers.connect("timezone")
    yield c
    c.close()


def random_zdt(db, rng, zone, end=1704067200):
    t = rng.randint(946684800, end)  # 2000 .. 2024
    if rng.random() < 0.3:
        t -= t % 3600  # on the hour, so ties and exact units happen
    return db.execute("SELECT tz_convert(?, ?)", (t, zone)).fetchone()[0]


def test_add_matches_temporal(db, temporal):
    rng = random.Random(1)
    cases = []
    for _ in range(3000):
        zone = rng.choice(ZONES)
        sign = rng.choice(["", "-"])
        y, mo, w, d, h, mi = (rng.choice([0, 0, rng.randint(1, 3)]), rng.randint(0, 14),
                              rng.choice([0, 0, 1, 2]), rng.randint(0, 40), rng.randint(0, 60),
                              rng.randint(0, 90))
        span = f"{sign}P{y}Y{mo}M{w}W{d}DT{h}H{mi}M"
        # Starts before 2019, so that results stay in years where node's tz data agrees.
        cases.append({"op": "add", "a": random_zdt(db, rng, zone, 1546300800), "span": span})
    want = temporal(cases)
    got = [db.execute("SELECT tz_add(?, ?)", (c["a"], c["span"])).fetchone()[0] for c in cases]
    bad = [(c, g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not bad, f"{len(bad)} of {len(cases)} differ, first: {bad[:3]}"


def test_diff_matches_temporal(db, temporal):
    rng = random.Random(2)
    cases = []
    for _ in range(4000):
        zone = rng.choice(ZONES)
        a = random_zdt(db, rng, zone)
        if rng.random() < 0.5:
            b = random_zdt(db, rng, zone)
        else:  # close pairs: differences of hours to days around the same transitions
            hours = rng.randint(-200, 200)
            span = f"{'-' if hours < 0 else ''}PT{abs(hours)}H"
            b = db.execute("SELECT tz_add(?, ?)", (a, span)).fetchone()[0]
        largest = rng.choice(UNITS[1:])
        smallest = rng.choice([u for u in UNITS if UNITS.index(u) <= UNITS.index(largest)])
        inc = rng.choice(INCREMENTS[smallest]) if smallest != largest else 1
        cases.append({"op": "diff", "a": a, "b": b, "largest": largest, "smallest": smallest,
                      "mode": rng.choice(MODES), "inc": inc})
    want = temporal(cases)
    got = []
    for c in cases:
        try:
            got.append(db.execute("SELECT tz_diff(?, ?, ?, ?, ?, ?)",
                                  (c["a"], c["b"], c["largest"], c["smallest"], c["mode"],
                                   c["inc"])).fetchone()[0])
        except Exception as e:
            got.append(f"ERR {e}")
    bad = [(c, g, w) for c, g, w in zip(cases, got, want)
           if g != w and not (g.startswith("ERR") and w.startswith("ERR"))]
    assert not bad, f"{len(bad)} of {len(cases)} differ, first: {bad[:3]}"


def test_trunc_matches_temporal(db, temporal):
    rng = random.Random(3)
    cases = [{"op": "trunc", "a": random_zdt(db, rng, rng.choice(ZONES)),
              "unit": rng.choice(["second", "minute", "hour", "day"])} for _ in range(2000)]
    want = temporal(cases)
    got = [db.execute("SELECT tz_trunc(?, ?, ?)",
                      (c["a"], c["unit"], c["a"][c["a"].index("[") + 1:-1])).fetchone()[0]
           for c in cases]
    bad = [(c, g, w) for c, g, w in zip(cases, got, want) if g != w]
    assert not bad, f"{len(bad)} of {len(cases)} differ, first: {bad[:3]}"
