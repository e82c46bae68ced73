"""Vector BLOBs as numbers: which BLOBs are vectors, and their short preview.

A BLOB does not say what it holds: a float32 vector, an int8 one, a bit one and a JPEG are all
bytes. render_cell sees the value, the column's name and, on table pages, the table, but not the
declared type of a query's column nor the SQLite subtype a function gave the value. So the type
comes from what can be known, in this order:

1. the schema: the column of a vec0 table (`embedding float[4]`, `int8[8]`, `bit[64]`,
   `float16[4]`), or an ordinary column declared with such a type (`embedding float[384]`).
   On a table page that is the column itself; in a query result, a column of that name in any
   table of the database, when all of them agree on the type;
2. a query column that is a constructor call, named by its SQL text: `vec_int8(...)`,
   `vec_bit(...)`, `vec_f16(...)`, `vec_f32(...)`;
3. otherwise the guess that it is float32, taken only when the BLOB reads as a plausible one:
   at least 2 and at most 8192 elements, every one finite and either 0 or of magnitude
   1e-6 to 1e6, not all 0. Embeddings pass; text, images, compressed and random data almost
   never do (4 random bytes pass with odds of about 1 in 6.4, so 8 bytes with 1 in 41 and
   64 bytes with 1 in 8 x 10^12). An int8, bit or float16 vector outside a declared column is
   not guessed: it stays "<Binary>" (or, rarely, would read as plausible float32).

The size must fit the type (dimensions x element size), else no preview is shown.
"""

import math
import re
import struct

TYPES = {  # name -> (bits per element, struct code or None for bits)
    "float32": (32, "f"),
    "float16": (16, "e"),
    "int8": (8, "b"),
    "bit": (1, None),
}
# vec0 and sqlite-vec spellings of the element types
SPELLINGS = {"float": "float32", "float32": "float32", "f32": "float32", "float16": "float16",
             "f16": "float16", "int8": "int8", "i8": "int8", "bit": "bit"}
TYPE_DECL = re.compile(r"^\s*(float32|float16|float|f32|f16|int8|i8|bit)\s*\[\s*(\d+)\s*\]",
                       re.IGNORECASE)
CONSTRUCTOR = re.compile(r"^\s*(vec_f32|vec_f16|vec_int8|vec_bit)\s*\(", re.IGNORECASE)
CONSTRUCTOR_TYPES = {"vec_f32": "float32", "vec_f16": "float16", "vec_int8": "int8",
                     "vec_bit": "bit"}
MAX_DIMS = 8192
SHOWN = 8  # elements shown in full; longer vectors show the first SHOWN - 2 and the count


def declared_type(decl):
    """(type, dims) of a declared vector type such as 'float[384]' or 'INT8 [8]', or None."""
    m = TYPE_DECL.match(decl or "")
    if not m:
        return None
    return SPELLINGS[m.group(1).lower()], int(m.group(2))


def constructor_type(column):
    """The type a query column named by a constructor call holds ('vec_int8(?)' -> 'int8')."""
    m = CONSTRUCTOR.match(column or "")
    return CONSTRUCTOR_TYPES[m.group(1).lower()] if m else None


def decode(blob, kind):
    """The elements of blob read as vector type kind, or None when its size does not fit."""
    bits, code = TYPES[kind]
    n = len(blob) * 8 // bits
    if len(blob) == 0 or n > MAX_DIMS or (len(blob) * 8) % bits:
        return None
    if code is None:
        return [(blob[i >> 3] >> (i & 7)) & 1 for i in range(n)]
    return list(struct.unpack(f"<{n}{code}", blob))


def plausible_float32(blob):
    """The elements when blob reads as a plausible float32 vector (module docstring), else
    None."""
    if len(blob) % 4 or not 8 <= len(blob) <= 4 * MAX_DIMS:
        return None
    values = struct.unpack(f"<{len(blob) // 4}f", blob)
    nonzero = False
    for v in values:
        if v == 0:
            continue
        if not math.isfinite(v) or not 1e-6 <= abs(v) <= 1e6:
            return None
        nonzero = True
    return list(values) if nonzero else None


def format_number(v, kind):
    if kind in ("int8", "bit"):
        return str(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    s = f"{v:.6g}"  # float32 holds about 7 significant digits; 6 read cleanly
    return s if any(c in s for c in ".e") else s + ".0"


def preview(values, kind):
    """'[0.25, 0.5, 0.75, 1.0]', or for a long vector its first values, an ellipsis and the
    element count: '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, …] 384 dims'."""
    if len(values) <= SHOWN:
        return "[" + ", ".join(format_number(v, kind) for v in values) + "]"
    head = ", ".join(format_number(v, kind) for v in values[:SHOWN - 2])
    return f"[{head}, \u2026] {len(values)} dims"


def describe(blob, kind=None, dims=None):
    """(text, type, dims) for blob as type kind with dims elements (guessing float32 when kind
    is None; any count when dims is None), or None when it is not shown as a vector."""
    if kind is None:
        values, kind = plausible_float32(blob), "float32"
    else:
        values = decode(blob, kind)
    if values is None or (dims is not None and len(values) != dims):
        return None
    return preview(values, kind), kind, len(values)
