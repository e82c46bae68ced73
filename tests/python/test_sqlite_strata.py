"""The Python package sqlite-strata, imported from its wheel installed in a fresh virtual
environment on /usr/bin/python3 (never from the checkout): loading, the error where Python
cannot load extensions, and the vector helpers against numpy."""

import importlib
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from array import array

import numpy as np
import pytest

import helpers
import wheels


@pytest.fixture(scope="module")
def venv():
    return wheels.venv("sqlite_strata")


@pytest.fixture(scope="module")
def strata(venv):
    site = str(wheels.site_packages(venv))
    sys.path.insert(0, site)
    try:
        sys.modules.pop("sqlite_strata", None)
        module = importlib.import_module("sqlite_strata")
    finally:
        sys.path.remove(site)
    assert module.__file__.startswith(site), module.__file__
    return module


def connect(strata, *names):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    strata.load(conn, *names)
    return conn


def test_wheel_holds_the_libraries_and_is_tagged_for_any_python3():
    path = wheels.wheel("sqlite_strata")
    assert path.name == f"sqlite_strata-{helpers.VERSION}-py3-none-linux_x86_64.whl"
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        wheel_file = z.read(f"sqlite_strata-{helpers.VERSION}.dist-info/WHEEL").decode()
    for lib in helpers.EXTENSIONS + ["strata"]:
        assert f"sqlite_strata/{lib}.so" in names
    assert "Root-Is-Purelib: false" in wheel_file
    assert "Tag: py3-none-linux_x86_64" in wheel_file


def test_installed_libraries_are_stripped_and_need_no_libcurl(strata):
    for lib in helpers.EXTENSIONS + ["strata"]:
        path = strata.loadable_path(None if lib == "strata" else lib) + ".so"
        sections = subprocess.run(["readelf", "-S", path], capture_output=True, text=True,
                                  check=True).stdout
        assert ".debug_info" not in sections, path
        needed = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                                check=True).stdout
        assert "libcurl" not in needed, path


def test_version_and_paths(strata, venv):
    assert strata.__version__ == helpers.VERSION
    assert strata.EXTENSIONS == tuple(helpers.EXTENSIONS)
    assert strata.loadable_path() == os.path.join(os.path.dirname(strata.__file__), "strata")
    assert strata.loadable_path("vec").endswith("sqlite_strata/vec")
    assert os.path.exists(strata.loadable_path("vec") + ".so")
    with pytest.raises(ValueError, match="unknown extension 'vector'"):
        strata.loadable_path("vector")


def test_load_all(strata):
    conn = connect(strata)
    for name in helpers.EXTENSIONS + ["strata"]:
        assert helpers.scalar(conn, f"SELECT {name}_version()") == helpers.version_of(name)


def test_load_some(strata):
    conn = connect(strata, "vec", "timezone")
    assert helpers.scalar(conn, "SELECT vec_length(vec_f32('[1,2]'))") == 2
    assert helpers.scalar(conn, "SELECT tz_offset('2024-01-01 12:00:00', 'Asia/Tokyo')") == 32400
    with pytest.raises(sqlite3.OperationalError, match="no such function: jsonschema_version"):
        conn.execute("SELECT jsonschema_version()")
    with pytest.raises(ValueError, match="unknown extension"):
        strata.load(conn, "nope")


def test_loading_is_off_afterwards(strata):
    conn = connect(strata, "vec")
    with pytest.raises(sqlite3.OperationalError, match="not authorized"):
        conn.execute("SELECT load_extension(?)", [strata.loadable_path("timezone")])


class RecordingConnection:
    """A connection whose load_extension fails as a missing system library makes it fail."""

    def __init__(self):
        self.calls = []

    def enable_load_extension(self, on):
        self.calls.append(on)

    def load_extension(self, path):
        raise sqlite3.OperationalError("libicuuc.so.72: cannot open shared object file: "
                                       "No such file or directory")


def test_a_failed_load_names_the_packages_and_turns_loading_off(strata):
    conn = RecordingConnection()
    with pytest.raises(strata.LoadError) as e:
        strata.load(conn)
    assert conn.calls == [True, False]
    message = str(e.value)
    assert "libicuuc.so.72" in message and "apt-get install libicu72 libcjson1" in message
    assert isinstance(e.value, sqlite3.OperationalError)


def test_without_libcjson_the_error_says_what_to_install(venv, tmp_path):
    # A real missing library: libcjson hidden in a private mount namespace (as root).
    unshare = shutil.which("unshare")
    real = os.path.realpath("/usr/lib/x86_64-linux-gnu/libcjson.so.1")
    if helpers.ASAN or unshare is None or not os.path.exists(real) or subprocess.run(
            [unshare, "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs root and unshare -m (and no ASan preload) to hide libcjson")
    script = tmp_path / "child.sh"
    script.write_text(f'mount --bind /dev/null "{real}" && exec "$@"\n')
    code = ("import sqlite3, sqlite_strata\n"
            "try:\n"
            "    sqlite_strata.load(sqlite3.connect(':memory:'))\n"
            "except sqlite_strata.LoadError as e:\n"
            "    print(e)\n")
    proc = subprocess.run([unshare, "-m", "sh", str(script), str(wheels.python(venv)), "-c",
                           code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "libcjson.so.1" in proc.stdout
    assert "apt-get install libicu72 libcjson1" in proc.stdout


def python_without_extension_loading():
    """An interpreter on PATH whose sqlite3 cannot load extensions (pyenv's default build)."""
    for name in ("python3", "python3.11", "python3.12", "python3.13", "python"):
        exe = shutil.which(name)
        if exe is None or os.path.realpath(exe) == os.path.realpath(sys.executable):
            continue
        probe = subprocess.run([exe, "-c", "import sqlite3; print(hasattr("
                                "sqlite3.Connection, 'enable_load_extension'))"],
                               capture_output=True, text=True)
        if probe.stdout.strip() == "False":
            return exe
    return None


def test_python_without_extension_loading_is_told_which_to_use(strata, venv):
    class NoLoading:
        pass

    with pytest.raises(strata.LoadError, match="/usr/bin/python3"):
        strata.load(NoLoading())
    exe = python_without_extension_loading()
    if exe is None:
        pytest.skip("no Python without extension loading on PATH; the fake above stands in")
    proc = subprocess.run([exe, "-c", "import sqlite3, sqlite_strata; "
                           "sqlite_strata.load(sqlite3.connect(':memory:'))"],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(wheels.site_packages(venv))))
    assert proc.returncode != 0
    assert "cannot load extensions" in proc.stderr and "/usr/bin/python3" in proc.stderr, \
        proc.stderr


# ---- vectors, against numpy ------------------------------------------------------------------

RNG = np.random.default_rng(17)


def test_serialize_float32_matches_numpy(strata):
    v = RNG.standard_normal(384).astype(np.float32)
    expected = v.tobytes()
    assert strata.serialize_float32(v.tolist()) == expected
    assert strata.serialize_float32(v) == expected
    assert strata.serialize_float32(v.astype(np.float64)) == expected  # rounded like numpy
    assert strata.serialize_float32(v.astype(">f4")) == expected
    assert strata.serialize_float32(array("d", v.tolist())) == expected
    matrix = np.stack([v, v * 2])
    assert strata.serialize_float32(matrix[:, 0]) == matrix[:, 0].copy().tobytes()
    assert strata.serialize_float32(range(3)) == np.arange(3, dtype=np.float32).tobytes()


def test_serialize_float32_refuses_what_is_not_a_vector(strata):
    with pytest.raises(ValueError, match="one-dimensional"):
        strata.serialize_float32(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="already serialized"):
        strata.serialize_float32(b"\x00\x00\x80\x3f")
    with pytest.raises(ValueError, match="outside float32's range"):
        strata.serialize_float32([1e39])
    with pytest.raises(ValueError, match="at least one element"):
        strata.serialize_float32([])
    with pytest.raises(TypeError, match="expected numbers"):
        strata.serialize_float32(["a"])


def test_float32_vectors_in_sql(strata):
    conn = connect(strata)
    vectors = RNG.standard_normal((50, 8)).astype(np.float32)
    query = RNG.standard_normal(8).astype(np.float32)
    conn.execute("CREATE VIRTUAL TABLE items USING vec0(embedding float[8])")
    # numpy float32 arrays go in as they are (buffer protocol) ...
    conn.executemany("INSERT INTO items(rowid, embedding) VALUES (?, ?)",
                     [(i + 1, v) for i, v in enumerate(vectors)])
    rows = conn.execute("SELECT rowid, distance FROM items WHERE embedding MATCH ? AND k = 5",
                        [strata.serialize_float32(query)]).fetchall()
    oracle = np.linalg.norm(vectors - query, axis=1)
    order = np.argsort(oracle)[:5]
    assert [r[0] for r in rows] == [int(i) + 1 for i in order]
    assert np.allclose([r[1] for r in rows], oracle[order], rtol=1e-5)
    assert helpers.scalar(conn, "SELECT vec_type(?)", strata.serialize_float32(query)) == \
        "float32"
    # ... but a float64 array is 8 bytes an element: vec0 refuses the wrong size instead of
    # reading garbage; serialize_float32 converts it.
    with pytest.raises(sqlite3.OperationalError, match="vec0"):
        conn.execute("INSERT INTO items(rowid, embedding) VALUES (100, ?)",
                     [query.astype(np.float64)])
    conn.execute("INSERT INTO items(rowid, embedding) VALUES (100, ?)",
                 [strata.serialize_float32(query.astype(np.float64))])


def test_serialize_int8_and_its_subtype(strata):
    v = RNG.integers(-128, 128, 16).astype(np.int8)
    w = RNG.integers(-128, 128, 16).astype(np.int8)
    assert strata.serialize_int8(v) == v.tobytes()
    assert strata.serialize_int8(v.tolist()) == v.tobytes()
    assert strata.serialize_int8(v.astype(np.int64)) == v.tobytes()
    with pytest.raises(ValueError, match="element 1 is 128, outside -128..127"):
        strata.serialize_int8([0, 128])
    with pytest.raises(TypeError, match="not an integer"):
        strata.serialize_int8([0.5])
    with pytest.raises(TypeError, match="not an integer"):
        strata.serialize_int8(np.zeros(4, dtype=np.float32))
    conn = connect(strata, "vec")
    a, b = strata.serialize_int8(v), strata.serialize_int8(w)
    # A bound BLOB has no subtype: functions read it as float32 unless vec_int8() tags it.
    assert helpers.scalar(conn, "SELECT vec_type(?)", a) == "float32"
    assert helpers.scalar(conn, "SELECT vec_type(vec_int8(?))", a) == "int8"
    oracle = float(np.linalg.norm(v.astype(np.float64) - w.astype(np.float64)))
    got = helpers.scalar(conn, "SELECT vec_distance_l2(vec_int8(?), vec_int8(?))", a, b)
    assert got == pytest.approx(oracle, rel=1e-6)
    # vec0 takes an untagged BLOB as its column's type
    conn.execute("CREATE VIRTUAL TABLE q USING vec0(embedding int8[16])")
    conn.execute("INSERT INTO q(rowid, embedding) VALUES (1, ?)", [a])
    assert helpers.scalar(conn, "SELECT vec_to_json(embedding) FROM q") == \
        "[" + ",".join(str(x) for x in v.tolist()) + "]"


def test_serialize_float16(strata):
    v = RNG.standard_normal(12).astype(np.float16)
    assert strata.serialize_float16(v) == v.tobytes()
    assert strata.serialize_float16(v.astype(np.float32)) == v.tobytes()
    assert strata.serialize_float16(v.tolist()) == v.tobytes()
    with pytest.raises(ValueError, match="float16's range"):
        strata.serialize_float16([70000.0])
    conn = connect(strata, "vec")
    values = helpers.scalar(conn, "SELECT vec_to_json(vec_f32(vec_f16(?)))",
                            strata.serialize_float16(v))
    assert np.allclose(np.array(eval(values)), v.astype(np.float64), atol=1e-6)


def test_serialize_bit(strata):
    bits = RNG.integers(0, 2, 64)
    assert strata.serialize_bit(bits.tolist()) == np.packbits(bits, bitorder="little").tobytes()
    assert strata.serialize_bit(bits.astype(bool)) == np.packbits(bits, bitorder="little").tobytes()
    with pytest.raises(ValueError, match="multiple of 8"):
        strata.serialize_bit([1, 0, 1])
    with pytest.raises(ValueError, match="not 0 or 1"):
        strata.serialize_bit([2] * 8)
    conn = connect(strata, "vec")
    assert helpers.scalar(conn, "SELECT vec_to_json(vec_bit(?))",
                          strata.serialize_bit(bits.tolist())) == \
        "[" + ",".join(str(b) for b in bits.tolist()) + "]"
    q = RNG.integers(0, 2, 64)
    assert helpers.scalar(conn, "SELECT vec_distance_hamming(vec_bit(?), vec_bit(?))",
                          strata.serialize_bit(bits), strata.serialize_bit(q)) == \
        int(np.sum(bits != q))
