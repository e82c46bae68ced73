-- strata: five SQLite extensions in one file, dist/strata.so (or one .so each).
-- Each later part of this tour shows one extension on data it makes itself.
SELECT strata_version() AS strata, sqlite_version() AS sqlite;
SELECT 'lsm' AS extension, lsm_version() AS version
UNION ALL SELECT 'jsonschema', jsonschema_version()
UNION ALL SELECT 'timezone', timezone_version()
UNION ALL SELECT 'embed', embed_version()
UNION ALL SELECT 'vec', vec_version();
