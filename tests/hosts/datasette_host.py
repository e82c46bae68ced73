"""Real Datasette 0.64.8 for host tests.

venv() builds a virtual environment on Debian's Python once (in the user cache) from the sources
in ../shared/hosts, as their README says; Server runs `datasette serve` on 127.0.0.1 for the
length of a `with` block and talks to it over HTTP, the way a visitor does. plugin_venv() is a
fresh environment next to that Datasette with the wheels of sqlite-strata and datasette-strata
installed (Server(..., python=plugin_python())); Browser renders a page in headless chromium."""

import fcntl
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import helpers
import wheels

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "strata"
VENV = CACHE / "datasette-0.64.8"
PACKAGES = ("asgi-csrf-0.9", "datasette-0.64.8")


def venv():
    """The virtual environment's folder (bin/datasette, bin/pip), built on first use."""
    hosts = helpers.shared_hosts()
    ready = VENV / ".strata-ready"
    if ready.exists():
        return VENV
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "datasette.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test runs build it once
        if ready.exists():
            return VENV
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(VENV)],
                       check=True, capture_output=True)
        with tempfile.TemporaryDirectory() as scratch:
            # pip builds in the source folder, and shared/ is read-only in CI: copy first.
            for name in PACKAGES:
                shutil.copytree(hosts / name, Path(scratch) / name)
            proc = subprocess.run([str(VENV / "bin/pip"), "install", "--no-deps", "--no-index",
                                   "--no-build-isolation", "--quiet",
                                   *(str(Path(scratch) / n) for n in PACKAGES)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"installing Datasette failed:\n{proc.stdout}{proc.stderr}")
        ready.touch()
    return VENV


def plugin_venv():
    """A fresh virtual environment (once per test run) on /usr/bin/python3 with the two wheels
    installed by `pip install --no-index --no-deps`, next to the Datasette of venv(): that
    environment's site-packages is on its path."""
    site = venv() / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    return wheels.venv("sqlite_strata", "datasette_strata", site_paths=[site])


def plugin_python():
    return wheels.python(plugin_venv())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`datasette serve ARGS` on 127.0.0.1; the process must still be alive at the end."""

    def __init__(self, *args, cwd=None, env=None, start_timeout=90, python=None):
        """python: run `python -m datasette` (an environment with plugins) instead of venv()'s
        datasette."""
        self.args = [str(a) for a in args]
        self.cwd = cwd
        self.env = dict(os.environ, **(env or {}))
        self.start_timeout = start_timeout
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [str(python), "-m", "datasette"] if python else [
            str(venv() / "bin/datasette")]
        self.root_opener = None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([*self.command, "serve", *self.args, "-h", "127.0.0.1",
                                      "-p", str(self.port)], stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"datasette exited with {self.proc.returncode} at startup:\n"
                                   f"{self.output()}")
            try:
                self.get("/-/versions.json")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"datasette did not answer:\n{self.output()}")
                time.sleep(0.2)

    def __exit__(self, *exc):
        crashed = self.proc.poll()
        if crashed is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        output = self.output()
        self.log.close()
        if crashed is not None:
            raise AssertionError(f"datasette died with {crashed} while serving:\n{output}")
        # A crash while closing connections (a dangling function) shows as a signal here.
        assert self.proc.returncode >= 0 or self.proc.returncode == -signal.SIGINT, (
            f"datasette ended with signal {-self.proc.returncode}:\n{output}")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def get(self, path, timeout=60, root=False):
        """(status, body bytes) of GET path; as the root actor when root (needs --root)."""
        opener = self.root() if root else urllib.request.build_opener()
        try:
            with opener.open(self.base + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def root(self):
        """An opener holding the root actor's cookie, from the URL `--root` printed."""
        if self.root_opener is None:
            m = re.search(r"http://\S+/-/auth-token\?token=\w+", self.output())
            assert m, f"no root token URL (start the server with --root):\n{self.output()}"
            jar = http.cookiejar.CookieJar()
            self.root_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            self.root_opener.open(m.group(0), timeout=60).read()
            assert any(c.name == "ds_actor" for c in jar), "the root token set no cookie"
        return self.root_opener

    def query(self, database, sql, root=False, **params):
        """Runs sql as a visitor does on /<database>.json (as root when root); returns the rows
        (list of dicts) or raises QueryError with Datasette's message."""
        qs = urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
        status, body = self.get(f"/{database}.json?{qs}", root=root)
        data = json.loads(body)
        if status != 200 or isinstance(data, dict):
            raise QueryError(data.get("error") if isinstance(data, dict) else body)
        return data

    def value(self, database, sql, root=False, **params):
        rows = self.query(database, sql, root=root, **params)
        return next(iter(rows[0].values())) if rows else None


class QueryError(Exception):
    pass


class Listener:
    """A TCP listener on 127.0.0.1 that counts connections: proof that no request left."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self):
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
                conn.close()
                n += 1
            except BlockingIOError:
                return n

    def close(self):
        self.sock.close()


def chromium():
    """Debian's chromium, or skip_or_fail (scripts/packages.txt installs it)."""
    exe = shutil.which("chromium")
    if exe is None:
        helpers.skip_or_fail("chromium is not installed (apt-get install chromium)")
    return exe


def browser_args(profile):
    """Flags for headless chromium as root in a container, with a fresh profile and nothing
    fetched from Google's services."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
            "--mute-audio", f"--user-data-dir={profile}"]


def browser_env():
    """The environment without make test-asan's preloaded sanitizer runtime, which chromium's
    launcher script and chromium itself do not run under."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def render_dom(url, timeout=120, extra=()):
    """The DOM of url after chromium rendered it (--dump-dom)."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([chromium(), *browser_args(profile), *extra, "--dump-dom", url],
                              capture_output=True, text=True, timeout=timeout,
                              env=browser_env())
    assert proc.returncode == 0, f"chromium failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc.stdout
