"""Real Datasette 0.64.8 for host tests.

venv() builds a virtual environment on Debian's Python once (in the user cache) from the sources
in ../shared/hosts, as their README says; Server runs `datasette serve` on 127.0.0.1 for the
length of a `with` block and talks to it over HTTP, the way a visitor does."""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import helpers

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`datasette serve ARGS` on 127.0.0.1; the process must still be alive at the end."""

    def __init__(self, *args, cwd=None, env=None, start_timeout=90):
        self.args = [str(a) for a in args]
        self.cwd = cwd
        self.env = dict(os.environ, **(env or {}))
        self.start_timeout = start_timeout
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        exe = venv() / "bin/datasette"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([str(exe), "serve", *self.args, "-h", "127.0.0.1", "-p",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.cwd, env=self.env)
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

    def get(self, path, timeout=60):
        """(status, body bytes) of GET path."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def query(self, database, sql, **params):
        """Runs sql as a visitor does on /<database>.json; returns the rows (list of dicts) or
        raises QueryError with Datasette's message."""
        qs = urllib.parse.urlencode({"sql": sql, "_shape": "array", **params})
        status, body = self.get(f"/{database}.json?{qs}")
        data = json.loads(body)
        if status != 200 or isinstance(data, dict):
            raise QueryError(data.get("error") if isinstance(data, dict) else body)
        return data

    def value(self, database, sql, **params):
        rows = self.query(database, sql, **params)
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
