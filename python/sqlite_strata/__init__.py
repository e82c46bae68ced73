"""strata's SQLite extensions for Python: load them into a connection, and turn vectors into the
BLOBs they read.

    import sqlite3, sqlite_strata
    conn = sqlite3.connect("app.db")
    sqlite_strata.load(conn)                  # all five extensions (strata.so)
    sqlite_strata.load(conn, "vec", "timezone")   # or only some of them

The compiled libraries ship inside this package; see docs/python.md for what they need from the
system (ICU 72 and cJSON; libcurl only for remote embeddings).
"""

import os
import re
import sqlite3
import struct
import sys

try:
    from ._version import __version__
except ImportError:  # a source tree that was never built
    __version__ = "0+unknown"

__all__ = [
    "EXTENSIONS",
    "LoadError",
    "load",
    "loadable_path",
    "serialize_bit",
    "serialize_float16",
    "serialize_float32",
    "serialize_int8",
]

# One library per extension, and strata.so with all five.
EXTENSIONS = ("lsm", "jsonschema", "timezone", "embed", "vec")

_HERE = os.path.dirname(os.path.abspath(__file__))
# The Debian 12 packages that hold the libraries the .so files link (docs/python.md).
_SYSTEM_PACKAGES = "libicu72 libcjson1 (and libcurl4 for remote embeddings)"


class LoadError(sqlite3.OperationalError):
    """A strata library could not be loaded; the message says why and what to do."""


def loadable_path(name=None):
    """Path of the library of extension `name` (all five when None), without its suffix, as
    sqlite3's load_extension, Datasette's --load-extension and the sqlite3 shell's .load take it.
    SQLite derives the entry point from the file name (vec -> sqlite3_vec_init)."""
    if name is None:
        name = "strata"
    elif name not in EXTENSIONS and name != "strata":
        raise ValueError(f"sqlite_strata: unknown extension {name!r} "
                         f"(expected one of {', '.join(EXTENSIONS)})")
    return os.path.join(_HERE, name)


def load(conn, *names):
    """Loads strata into a sqlite3 connection: every extension, or only the ones named.

    Extension loading is enabled only for the call and disabled again afterwards, also when a
    load fails, so SQL run on the connection later cannot call load_extension()."""
    paths = [loadable_path(n) for n in names] if names else [loadable_path()]
    enable = getattr(conn, "enable_load_extension", None)
    if enable is None:
        raise LoadError(
            f"sqlite_strata: the sqlite3 module of {sys.executable} cannot load extensions "
            f"({type(conn).__module__}.{type(conn).__name__} has no enable_load_extension: "
            "Python was built without --enable-loadable-sqlite-extensions, as pyenv and some "
            "other builds are by default). Use an interpreter that can, such as Debian's "
            "/usr/bin/python3 (in a virtual environment: /usr/bin/python3 -m venv), or rebuild "
            "Python with --enable-loadable-sqlite-extensions.")
    enable(True)
    try:
        for path in paths:
            # The C API (not SELECT load_extension) runs no statement, so the schema is read
            # after the modules exist and SQLite knows vec0's shadow tables for what they are.
            try:
                conn.load_extension(path)
            except sqlite3.OperationalError as e:
                raise LoadError(_explain(path, e)) from e
    finally:
        enable(False)


def _explain(path, error):
    message = str(error)
    # "libicuuc.so.72: cannot open shared object file", ".../libcjson.so.1: file too short"
    missing = re.search(r"(lib[\w+-]+\.so[\w.]*)", message.replace(path, ""))
    if missing and os.path.exists(path + ".so"):
        return (f"sqlite_strata: cannot load {path}.so: {message}. This binary package was built "
                f"on Debian 12 and needs its libraries: apt-get install {_SYSTEM_PACKAGES}. "
                "Where they cannot be had (another ICU version, another distribution), build "
                "strata from source: pip install --no-build-isolation . in a strata checkout")
    return f"sqlite_strata: cannot load {path}.so: {message}"


# ---- vectors ----------------------------------------------------------------------------------
#
# Vectors are BLOBs of their elements in the machine's byte order (little-endian on x86-64 and
# arm64), as sqlite-vec lays them out. A BLOB bound from Python carries no SQLite subtype, so
# strata reads it as float32 unless told otherwise: vec0 columns take it as the column's type,
# and scalar functions need vec_int8(?), vec_bit(?) or vec_f16(?) around it (docs/python.md).


def _buffer(vector, fn):
    """A one-dimensional memoryview of vector when it has the buffer protocol, else None."""
    if isinstance(vector, (str, bytes, bytearray)):
        raise TypeError(f"{fn}: expected a sequence of numbers, got {type(vector).__name__} "
                        "(a BLOB is already serialized)")
    try:
        view = memoryview(vector)
    except TypeError:
        return None
    if view.ndim != 1:
        raise ValueError(f"{fn}: expected a one-dimensional vector, got shape {view.shape}")
    return view


def _numbers(view):
    """The elements of a buffer as Python numbers (numpy's explicit byte orders included)."""
    try:
        return view.tolist()
    except NotImplementedError:  # a format memoryview cannot read, e.g. numpy's '>f4'
        numpy = sys.modules.get("numpy")
        if numpy is None:
            raise
        return numpy.asarray(view.obj).tolist()


def _check_length(fn, n):
    if n == 0:
        raise ValueError(f"{fn}: a vector needs at least one element")


def serialize_float32(vector):
    """A float32 vector BLOB from a sequence of numbers or a one-dimensional buffer (numpy
    array, array.array, memoryview). Doubles are rounded to float32; values beyond its range
    are refused rather than turned into infinities."""
    fn = "serialize_float32"
    view = _buffer(vector, fn)
    if view is not None and view.format in ("f", "<f", "=f") and sys.byteorder == "little":
        _check_length(fn, len(view))
        return view.tobytes()
    values = _numbers(view) if view is not None else list(vector)
    _check_length(fn, len(values))
    return _pack(fn, "f", values, "float32's range (+-3.4e38)")


def _pack(fn, code, values, what):
    try:
        return struct.pack(f"={len(values)}{code}", *values)
    except OverflowError:
        raise ValueError(f"{fn}: a value is outside {what}") from None
    except struct.error as e:
        raise TypeError(f"{fn}: expected numbers: {e}") from None


def serialize_int8(vector):
    """An int8 vector BLOB from integers in [-128, 127] (a sequence, or a numpy int8 array).
    Floats are refused: quantize explicitly (numpy, or vec_quantize_int8 in SQL)."""
    fn = "serialize_int8"
    view = _buffer(vector, fn)
    if view is not None and view.format == "b":
        _check_length(fn, len(view))
        return view.tobytes()
    values = _numbers(view) if view is not None else list(vector)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) and not _is_integer(v):
            raise TypeError(f"{fn}: element {i} is {v!r}, not an integer "
                            "(quantize floats first, e.g. with vec_quantize_int8 in SQL)")
        if not -128 <= v <= 127:
            raise ValueError(f"{fn}: element {i} is {v}, outside -128..127")
    _check_length(fn, len(values))
    return struct.pack(f"={len(values)}b", *(int(v) for v in values))


def _is_integer(v):
    # numpy integer scalars are not int, but have an exact integer value
    return hasattr(v, "__index__")


def serialize_float16(vector):
    """A float16 vector BLOB (strata's float16[N] columns, vec_f16(?)) from numbers or a buffer.
    Values beyond float16's range are refused."""
    fn = "serialize_float16"
    view = _buffer(vector, fn)
    if view is not None and view.format in ("e", "<e", "=e") and sys.byteorder == "little":
        _check_length(fn, len(view))
        return view.tobytes()
    values = _numbers(view) if view is not None else list(vector)
    _check_length(fn, len(values))
    return _pack(fn, "e", values, "float16's range (+-65504)")


def serialize_bit(bits):
    """A bit vector BLOB from a sequence of 0/1 (or booleans) whose length is a multiple of 8:
    element i goes to bit i % 8 of byte i / 8, the order of vec_to_json and vec_quantize_binary.
    (numpy: numpy.packbits(bits, bitorder='little') gives the same bytes.)"""
    fn = "serialize_bit"
    view = _buffer(bits, fn)
    values = _numbers(view) if view is not None else list(bits)
    if not values or len(values) % 8:
        raise ValueError(f"{fn}: the number of bits must be a positive multiple of 8, "
                         f"got {len(values)}")
    out = bytearray(len(values) // 8)
    for i, b in enumerate(values):
        if b not in (0, 1):  # True and False compare equal to 1 and 0
            raise ValueError(f"{fn}: element {i} is {b!r}, not 0 or 1")
        if b:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)
