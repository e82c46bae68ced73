"""Peers for oracles and benchmarks, installed on demand into a cache outside the repository.

Peers come from the npm registry (npm_package) or Debian (scripts/install-deps --bench). Their
code and binaries are used by tests and benchmarks only; nothing of theirs is committed or
shipped. The cache is $STRATA_CACHE, default ~/.cache/strata.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

CACHE = Path(os.environ.get("STRATA_CACHE", Path.home() / ".cache" / "strata"))


class PeerUnavailable(Exception):
    """The peer cannot be had on this machine; the message says why."""


def _npm(args, cwd, timeout):
    """Runs npm with args in cwd; PeerUnavailable when npm is missing or hangs."""
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable(f"npm is not installed, so `npm {' '.join(args)}` cannot run")
    try:
        return subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PeerUnavailable(f"`npm {' '.join(args)}` timed out after {timeout} s")


def npm_package(name, version=None, timeout=600):
    """Installs npm package `name` (optionally pinned) into the cache once.

    Returns the package's folder (…/node_modules/<name>). Raises PeerUnavailable when npm is
    missing or the install fails.
    """
    spec = f"{name}@{version}" if version else name
    prefix = CACHE / "npm" / re.sub(r"[^A-Za-z0-9._-]", "_", spec)
    pkg_dir = prefix / "node_modules" / name
    if (pkg_dir / "package.json").exists():
        return pkg_dir
    prefix.mkdir(parents=True, exist_ok=True)
    proc = _npm(["install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                 spec], prefix, timeout)
    if proc.returncode != 0 or not (pkg_dir / "package.json").exists():
        raise PeerUnavailable(f"npm install {spec} failed: {proc.stderr.strip()[-500:]}")
    return pkg_dir


def find_file(folder, pattern):
    """First file under `folder` matching glob `pattern`, or PeerUnavailable."""
    hits = sorted(Path(folder).rglob(pattern))
    if not hits:
        raise PeerUnavailable(f"no {pattern} inside {folder}")
    return hits[0]


def npm_tarball(name, version, timeout=600):
    """Unpacks npm package `name@version` into the cache without running its install scripts
    (npm pack), for packages whose scripts would download or compile things. Returns the
    unpacked folder (…/package)."""
    spec = f"{name}@{version}"
    dest = CACHE / "npm-pack" / re.sub(r"[^A-Za-z0-9._-]", "_", spec)
    unpacked = dest / "package"
    if (unpacked / "package.json").exists():
        return unpacked
    dest.mkdir(parents=True, exist_ok=True)
    proc = _npm(["pack", "--silent", spec], dest, timeout)
    tarballs = sorted(dest.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        raise PeerUnavailable(f"npm pack {spec} failed: {proc.stderr.strip()[-500:]}")
    subprocess.run(["tar", "xzf", str(tarballs[0])], cwd=dest, check=True)
    tarballs[0].unlink()
    return unpacked
