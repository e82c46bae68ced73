"""Runs the SQL examples of a Markdown document and compares them with the shown output.

The format is described in docs/developing.md ("Docs whose examples are tests"): each ```sql
block runs in order on one autocommit connection with dist/strata.so loaded; an ```output block
right after it holds what the sqlite3 shell's list mode would print.
"""

import difflib
import math
import re
import sqlite3
from dataclasses import dataclass

FENCE = re.compile(r"^(`{3,})\s*([\w-]*)\s*$")
NOT_TESTED = re.compile(r"<!--\s*not-tested\b")
ELSEWHERE = re.compile(r"^<!--\s*examples:", re.MULTILINE)


@dataclass
class Example:
    line: int  # 1-based line of the ```sql fence
    sql: str  # the block's text (SQL, or the language asked for)
    expected: str | None  # None: no output block; the SQL must simply run without error
    lang: str = "sql"


def parse(markdown, langs=("sql",)):
    """The runnable examples of a document, in order: ```sql blocks, or the blocks of the
    languages named (tests/python/test_docs_python.py runs ```python and ```sh ones)."""
    lines = markdown.splitlines()
    examples, i, skip_next = [], 0, False
    while i < len(lines):
        if NOT_TESTED.search(lines[i]):
            skip_next = True
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2), i
        body, i = [], i + 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        i += 1
        if lang not in langs:
            skip_next = False
            continue
        expected = None
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        m2 = FENCE.match(lines[j]) if j < len(lines) else None
        if m2 and m2.group(2) == "output":
            out, j = [], j + 1
            while j < len(lines) and lines[j].strip() != m2.group(1):
                out.append(lines[j])
                j += 1
            expected, i = "\n".join(out), j + 1
        if not skip_next:
            examples.append(Example(start + 1, "\n".join(body), expected, lang))
        skip_next = False
    return examples


def runs_elsewhere(markdown):
    """True for a document whose ```sql examples are run by another test, which it names with
    `<!-- examples: ... -->` (docs/datasette.md: over HTTP, by a Datasette visitor)."""
    return ELSEWHERE.search(markdown) is not None


def split_statements(sql):
    """Complete SQL statements of a block, as sqlite3.complete_statement sees them."""
    statements, current = [], ""
    for piece in re.split(r"(;)", sql):
        current += piece
        if piece == ";" and sqlite3.complete_statement(current):
            if current.strip() != ";":
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def format_real(x):
    """A REAL as SQLite 3.40's shell prints it: printf("%!.15g")."""
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    s = "%.15g" % x
    if "e" in s:
        mantissa, exponent = s.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}"
    return s if "." in s else s + ".0"


def format_value(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return format_real(v)
    if isinstance(v, bytes):
        raise ValueError("an example prints a BLOB; wrap it in hex() or a *_to_json() function")
    return str(v)


def run(conn, sql):
    """What the block prints: one line per row of every statement, errors as 'Error: ...'."""
    out = []
    for stmt in split_statements(sql):
        try:
            cur = conn.execute(stmt)
            for row in cur.fetchall():
                out.append("|".join(format_value(v) for v in row))
        except sqlite3.Error as e:
            out.append(f"Error: {e}")
    return "\n".join(out)


def failure(doc_name, ex, actual, failed=None):
    """What is wrong with an example that printed `actual` (None when nothing is): without an
    output block it must not fail (`failed`, default: an 'Error: ' line), with one it must
    print exactly that."""
    if ex.expected is None:
        if failed if failed is not None else "Error: " in actual:
            return f"{doc_name}:{ex.line}: example failed:\n{actual}"
        return None
    if actual.rstrip() == ex.expected.rstrip():
        return None
    diff = "\n".join(difflib.unified_diff(ex.expected.splitlines(), actual.splitlines(),
                                          "documented", "actual", lineterm=""))
    return f"{doc_name}:{ex.line}: output differs:\n{diff}"
