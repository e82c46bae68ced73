"""datasette-strata: strata's SQLite extensions on every connection Datasette opens.

- prepare_connection loads strata (or the configured extensions), registers the operator's
  embedding clients, local models and JSON schemas, locks the registries so visitor SQL can
  use them and change nothing, and leaves SQL load_extension() off;
- render_cell shows vector BLOBs as numbers (vectors.py says how a vector is recognised);
- get_metadata hides vec0's shadow tables from table lists;
- extra_template_vars keeps the temp schema out of the database page's "attached databases".

The configuration is documented in docs/datasette.md of the strata repository.
"""

import markupsafe
from pluggy import HookimplMarker

from . import config as _config
from . import schema, vectors
from .config import PLUGIN, ConfigError

__all__ = ["ConfigError"]

# datasette.hookimpl itself; made here so that the package imports without Datasette (the
# benchmarks and tools use config.prepare on plain connections)
hookimpl = HookimplMarker("datasette")

# Datasette's own catalogue: only root may query it, and nobody embeds there, so it gets the
# functions and the lock but not the clients, models and schemas (a model costs its loading on
# every connection).
INTERNAL = "_internal"


def _settings(datasette, database=None):
    return _config.parse(datasette.plugin_config(PLUGIN, database=database))


@hookimpl
def startup(datasette):
    # A configuration error stops `datasette serve` with its message, instead of failing every
    # request: apply it once to a scratch connection.
    import sqlite3

    config = _settings(datasette)
    conn = sqlite3.connect(":memory:")
    try:
        _config.prepare(conn, config, datasette.setting("sql_time_limit_ms"))
    finally:
        conn.close()


@hookimpl
def prepare_connection(conn, database, datasette):
    config = _settings(datasette, database)
    _config.prepare(conn, config, datasette.setting("sql_time_limit_ms"),
                    registries=database != INTERNAL)


@hookimpl
def get_metadata(datasette, key, database, table):
    # Datasette asks for a database's hidden tables with key=None; everything else is left
    # alone (this hook runs on every metadata lookup, and must not read plugin_config, which
    # would call it again).
    if database is None or key is not None or database not in datasette.databases:
        return None
    hidden = schema.facts(datasette.databases[database]).shadow_tables
    if not hidden:
        return None
    return {"databases": {database: {"tables": {t: {"hidden": True} for t in hidden}}}}


@hookimpl
def extra_template_vars(view_name, database, datasette):
    # Datasette 0.64 lists every schema but main as an attached database, temp included once
    # anything opened it: the configuration does, on read-only connections (its temp tables
    # are dropped again, and temp stays empty). temp is the connection's scratch space, not a
    # database to join with, so the list leaves it out.
    if view_name != "database" or database not in datasette.databases:
        return None

    async def attached():
        found = await datasette.databases[database].attached_databases()
        return {"attached_databases": [d.name for d in found if d.name != "temp"]}

    return attached()


@hookimpl
def render_cell(value, column, table, database, datasette):
    if not isinstance(value, bytes) or database not in datasette.databases:
        return None
    if not _settings(datasette, database).render_vectors:
        return None
    facts = schema.facts(datasette.databases[database])
    if table is not None:  # a table page: the column's own declaration
        declared = facts.column(table, column)
    else:  # a query: the columns of that name in the database, or a constructor call
        declared = facts.by_name(column)
        if declared is None and vectors.constructor_type(column):
            declared = (vectors.constructor_type(column), None)
    described = vectors.describe(value, *declared) if declared else vectors.describe(value)
    if described is None:
        return None
    text, kind, dims = described
    return markupsafe.Markup(
        '<span class="strata-vector" data-type="{kind}" data-dims="{dims}" '
        'title="{kind}[{dims}], {size:,} bytes">{text}</span>').format(
            kind=kind, dims=dims, size=len(value), text=text)
