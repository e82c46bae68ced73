"""The wheels `make wheel` builds (dist/wheels), installed the way users install them: pip
install --no-index --no-deps into a fresh virtual environment on /usr/bin/python3, made with
--system-site-packages (numpy, pytest and Datasette's Debian dependencies come from there).
The environment is made --without-pip (ensurepip takes 15 s here) and Debian's pip, visible
through the system site, installs into it: `VENV/bin/python -m pip install`.

Each environment is made once per test run, in a temporary folder removed at exit."""

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import helpers

WHEELS = helpers.ROOT / "dist" / "wheels"
PYTHON = "/usr/bin/python3"
_venvs = {}


def wheel(project):
    """dist/wheels/<project>-<version>-*.whl ('sqlite_strata' or 'datasette_strata')."""
    import pytest

    found = sorted(WHEELS.glob(f"{project}-{helpers.VERSION}-*.whl"))
    if not found:
        pytest.fail(f"{WHEELS} has no {project}-{helpers.VERSION} wheel: run `make wheel` "
                    "(make test and make test-asan do)")
    return found[-1]


def venv(*projects, site_paths=()):
    """The folder of a virtual environment holding the wheels of projects; site_paths are put
    on its sys.path too (a .pth file), e.g. the site-packages of the Datasette environment."""
    key = (projects, tuple(str(p) for p in site_paths))
    if key in _venvs:
        return _venvs[key]
    root = Path(tempfile.mkdtemp(prefix="strata-venv-"))
    atexit.register(shutil.rmtree, root, True)
    make(root)
    if site_paths:
        (site_packages(root) / "strata-tests.pth").write_text(
            "".join(f"{p}\n" for p in site_paths))
    proc = pip(root, *(str(wheel(p)) for p in projects))
    if proc.returncode != 0:
        raise RuntimeError(f"pip install of {projects} failed:\n{proc.stdout}{proc.stderr}")
    _venvs[key] = root
    return root


def make(root):
    """An empty virtual environment on /usr/bin/python3 that sees the system's packages."""
    subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", "--without-pip", str(root)],
                   check=True, capture_output=True)


def pip(root, *args, cwd=None):
    """`pip install --no-index --no-deps --quiet ARGS` into the environment at root."""
    return subprocess.run([str(python(root)), "-m", "pip", "install", "--no-index", "--no-deps",
                           "--quiet", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=900)


def site_packages(root):
    return Path(root) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / \
        "site-packages"


def python(root):
    return Path(root) / "bin" / "python"
