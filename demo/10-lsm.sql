-- lsm: an LSM-tree key/value store as a virtual table (docs/lsm.md). A time series of sensor
-- readings keyed by Unix time; the file readings.lsm lands in the current (scratch) folder.
CREATE VIRTUAL TABLE readings USING lsm1(readings.lsm, ts, UINT, sensor, celsius);
-- one transaction: the whole day goes into the log as a single record
BEGIN;
WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i < 287)
INSERT INTO readings SELECT 1767225600 + 300 * i, 'roof',
       round(4 + 6 * sin((i - 96) * 3.14159265 / 144), 1) FROM t;
COMMIT;
-- a range scan: the key bounds go to the engine, which reads only that slice
SELECT datetime(ts, 'unixepoch') AS time, celsius FROM readings
WHERE ts >= 1767225600 + 12 * 3600 AND ts < 1767225600 + 12 * 3600 + 1800;
-- the same slice newest first (ORDER BY on the key is a backward scan, no sorting)
SELECT datetime(ts, 'unixepoch') AS time, celsius FROM readings
WHERE ts BETWEEN 1767225600 + 12 * 3600 AND 1767225600 + 12 * 3600 + 1500 ORDER BY ts DESC LIMIT 3;
-- hourly averages of the afternoon
SELECT strftime('%H:00', ts, 'unixepoch') AS hour, round(avg(celsius), 2) AS avg_c
FROM readings WHERE ts >= 1767225600 + 13 * 3600 AND ts < 1767225600 + 17 * 3600 GROUP BY hour;
-- write the memtable to a sorted table file, check it, and look at the engine's figures
INSERT INTO readings(lsm1_command) VALUES ('flush');
INSERT INTO readings(lsm1_command) VALUES ('integrity-check');
SELECT stat, value FROM lsm_stats('readings') WHERE stat IN ('puts', 'flushes', 'memtable_entries');
-- DROP TABLE removes readings.lsm and its companion files
DROP TABLE readings;
