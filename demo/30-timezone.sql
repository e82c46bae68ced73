-- timezone: events are stored in UTC; the report needs local days in each office's zone.
CREATE TABLE office(name TEXT PRIMARY KEY, zone TEXT);
INSERT INTO office VALUES ('New York', 'America/New_York'), ('London', 'Europe/London'),
                          ('Lord Howe', 'Australia/Lord_Howe');
-- 240 sign-ups, one every 90 minutes from 2024-11-01 to 2024-11-16 (UTC), spread over offices.
CREATE TABLE signup(id INTEGER PRIMARY KEY, office TEXT, at TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 239)
INSERT INTO signup(office, at)
SELECT CASE i % 3 WHEN 0 THEN 'New York' WHEN 1 THEN 'London' ELSE 'Lord Howe' END,
       datetime('2024-11-01 00:00:00', '+' || (i * 90) || ' minutes')
FROM n;

-- The local day of each sign-up, and sign-ups per local day (first days shown).
SELECT s.office, date(tz_local(s.at, o.zone)) AS local_day, count(*) AS signups,
       min(tz_local(s.at, o.zone)) AS first_local
FROM signup s JOIN office o ON o.name = s.office
GROUP BY s.office, local_day
ORDER BY s.office, local_day
LIMIT 6;

-- New York fell back on 2024-11-03: that local day had 25 hours.
SELECT local_day, tz_hours_in_day(local_day || ' 17:00', 'America/New_York') AS hours
FROM (SELECT DISTINCT date(tz_local(at, 'America/New_York')) AS local_day FROM signup
      WHERE office = 'New York' ORDER BY 1 LIMIT 4);

-- Weekly buckets that start on local Monday midnight, and each office's current offset.
SELECT o.name, tz_trunc(s.at, 'week', o.zone) AS week_start, count(*) AS signups
FROM signup s JOIN office o ON o.name = s.office
GROUP BY o.name, week_start ORDER BY o.name, week_start;

SELECT o.name, n.utc_offset / 3600.0 AS utc_offset_hours, n.abbrev
FROM office o JOIN tz_names n ON n.name = o.zone ORDER BY o.name;

-- The sqlite-jiff README example, and a DST-safe "same time tomorrow".
SELECT jiff_duration('2024-11-03T01:59:59[America/Los_Angeles]',
                     '2024-11-03T02:00:01[America/New_York]', 'minutes') AS minutes,
       tz_add('2024-11-02T09:00[America/New_York]', 'P1D') AS tomorrow_9am,
       tz_format('2024-11-03T14:00Z', 'Europe/Paris', 'EEEE d MMMM y, HH:mm zzzz', 'fr') AS paris;
