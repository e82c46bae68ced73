"""What a database file's schema says about vectors: vec0's shadow tables (to hide them) and the
vector type of each column (to render its BLOBs).

Datasette asks for hidden tables synchronously (get_metadata) and render_cell runs per cell, so
the facts are read once per state of the file, on a private read-only connection with strata's
vec loaded before its schema is read: SQLite then marks vec0's shadow tables itself (PRAGMA
table_list says 'shadow', from vec0's xShadowName). The cache key is the file's and its WAL's
size, time and inode, so a schema change is seen on the next request. In-memory databases have
no file to read: their BLOBs are only guessed at (vectors.py), and they have no hidden tables.
"""

import os
import re
import sqlite3
import threading
import urllib.parse
from dataclasses import dataclass, field

import sqlite_strata

from . import vectors


@dataclass(frozen=True)
class Facts:
    shadow_tables: frozenset = frozenset()
    # (table, column) lower-cased -> (type, dims) of a declared vector column
    columns: dict = field(default_factory=dict)

    def column(self, table, column):
        return self.columns.get(((table or "").lower(), (column or "").lower()))

    def by_name(self, column):
        """(type, dims or None) when every vector column of that name has one type, else None."""
        found = {v for (t, c), v in self.columns.items() if c == (column or "").lower()}
        kinds = {kind for kind, _ in found}
        if len(kinds) != 1:
            return None
        dims = {d for _, d in found}
        return kinds.pop(), (dims.pop() if len(dims) == 1 else None)


EMPTY = Facts()
_cache = {}
_lock = threading.Lock()


def facts(db):
    """The Facts of a Datasette Database (EMPTY for in-memory ones or when unreadable)."""
    path = getattr(db, "path", None)
    if not path or getattr(db, "is_memory", False):
        return EMPTY
    try:
        key = tuple(_stat(p) for p in (path, path + "-wal"))
    except OSError:
        return EMPTY
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        found = read(path, immutable=not getattr(db, "is_mutable", True))
        _cache[path] = (key, found)
        return found


def _stat(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def read(path, immutable=False):
    """Facts of the database file at path; EMPTY when it cannot be read."""
    mode = "immutable=1" if immutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?{mode}", uri=True)
    except sqlite3.Error:
        return EMPTY
    try:
        # before any statement, so that the schema is read with vec0 registered
        sqlite_strata.load(conn, "vec")
        conn.execute("PRAGMA trusted_schema=OFF")
        shadow = frozenset(r[0] for r in conn.execute(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'"))
        columns = {}
        tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        for name, sql in tables.fetchall():
            if name in shadow or name.startswith("sqlite_"):
                continue
            if sql and VIRTUAL.match(sql):
                declared = vec0_columns(sql)
            else:
                declared = conn.execute("SELECT name, type FROM pragma_table_info(?)",
                                        [name]).fetchall()
            for column, decl in declared:
                found = vectors.declared_type(decl)
                if found:
                    columns[(name.lower(), column.lower())] = found
        return Facts(shadow, columns)
    except sqlite3.Error:
        return EMPTY
    finally:
        conn.close()


VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\s+TABLE\s", re.IGNORECASE)
VEC0_ARGS = re.compile(r"\sUSING\s+vec0\s*\((.*)\)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
COLUMN = re.compile(r'\s*("(?:[^"]|"")+"|\[[^\]]+\]|`(?:[^`]|``)+`|[^\s,()]+)\s+(.*)$', re.DOTALL)


def vec0_columns(sql):
    """[(column, declaration)] of a CREATE VIRTUAL TABLE ... USING vec0(...) statement."""
    m = VEC0_ARGS.search(sql)
    if not m:
        return []
    out = []
    for arg in split_arguments(m.group(1)):
        c = COLUMN.match(arg)
        if c:
            out.append((unquote(c.group(1)), c.group(2)))
    return out


def split_arguments(text):
    """Splits at commas outside quotes, brackets and parentheses."""
    args, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == "[":
            quote = "]"
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [a.strip() for a in args if a.strip()]


def unquote(name):
    if len(name) >= 2 and name[0] in "\"`" and name[-1] == name[0]:
        return name[1:-1].replace(name[0] * 2, name[0])
    if len(name) >= 2 and name[0] == "[" and name[-1] == "]":
        return name[1:-1]
    return name
