"""libcurl is opened on the first remote-embedding call, not when a .so loads (remote_curl.c).

So strata loads where libcurl4 is missing (a binary wheel on a slim system), every extension but
the remote half of embed works there, and a process that never calls rembed maps none of
libcurl's thirty-odd libraries."""

import os
import shutil
import subprocess
import sys

import pytest

import helpers

SO_NAMES = helpers.EXTENSIONS + ["strata"]


@pytest.mark.parametrize("name", SO_NAMES)
def test_no_so_needs_libcurl(name):
    proc = subprocess.run(["readelf", "-d", f"{helpers.so_path(name)}.so"], capture_output=True,
                          text=True, check=True)
    needed = [line for line in proc.stdout.splitlines() if "(NEEDED)" in line]
    assert needed, proc.stdout
    assert not [line for line in needed if "libcurl" in line], needed


CHILD = r"""
import sqlite3, sys
def curl_mapped():
    return "libcurl" in open("/proc/self/maps").read()
conn = sqlite3.connect(":memory:", isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.enable_load_extension(False)
print("after load", curl_mapped())
conn.execute("SELECT vec_length(vec_f32('[1,2]')), tz_offset('2024-07-01 12:00:00', 'Europe/Paris'),"
             " jsonschema_matches('{}', '1')").fetchall()
conn.execute("INSERT INTO temp.rembed_clients(name, options) VALUES ('c', 'ollama')")
print("after other extensions and registering a client", curl_mapped())
try:
    conn.execute("SELECT rembed('c', 'hi')").fetchall()
    print("rembed ok")
except sqlite3.Error as e:
    print("rembed error", e)
print("after rembed", curl_mapped())
print("debug", conn.execute("SELECT rembed_debug()").fetchone()[0].replace("\n", " "))
"""


def run_child(*prefix):
    proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, helpers.so_path("strata")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_libcurl_is_mapped_on_the_first_remote_call():
    out = run_child()
    assert out[0] == "after load False"
    assert out[1] == "after other extensions and registering a client False"
    # nothing listens on Ollama's port here, or something does: either way libcurl ran
    assert out[3] == "after rembed True"
    assert "libcurl/" in out[4]


def test_everything_else_works_without_libcurl(tmp_path):
    # Hide libcurl the way a system without libcurl4 lacks it: a private mount namespace in
    # which the library file is an empty device, so dlopen() fails ("file too short").
    if helpers.ASAN:
        pytest.skip("the child runs without the ASan runtime preloaded")
    unshare = shutil.which("unshare")
    real = os.path.realpath("/usr/lib/x86_64-linux-gnu/libcurl.so.4")
    probe = subprocess.run([unshare or "unshare", "-m", "true"], capture_output=True)
    if unshare is None or probe.returncode != 0 or not os.path.exists(real):
        pytest.skip("needs root and unshare -m to hide libcurl in a mount namespace")
    script = tmp_path / "child.sh"
    script.write_text(f'mount --bind /dev/null "{real}" && exec "$@"\n')
    out = run_child(unshare, "-m", "sh", str(script))
    assert out[0] == "after load False"
    assert out[1] == "after other extensions and registering a client False"
    assert out[2].startswith("rembed error rembed: client 'c': "), out[2]
    assert "remote embeddings need libcurl, which cannot be loaded (Debian: apt-get install " \
           "libcurl4)" in out[2]
    assert "remote embeddings need libcurl" in out[4]
