"""Build steps of the sqlite-strata wheel (metadata: pyproject.toml).

The package holds the libraries the Makefile builds (dist/*.so), stripped of debug information,
beside python/sqlite_strata/__init__.py. They are not Python extension modules: the wheel is
tagged py3-none-<platform> (any Python 3, this machine's platform)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution
from wheel.bdist_wheel import bdist_wheel

ROOT = Path(__file__).resolve().parent
LIBRARIES = ["strata", "lsm", "jsonschema", "timezone", "embed", "vec"]
VERSION = re.search(r'#define STRATA_VERSION "([^"]+)"',
                    (ROOT / "ext/common/version.h").read_text()).group(1)


class BuildWithMake(build_py):
    """Runs `make all` (a no-op after `make`), then copies the libraries into the package."""

    def run(self):
        super().run()
        jobs = os.environ.get("STRATA_MAKE_JOBS", "2")
        subprocess.run(["make", f"-j{jobs}", "all"], cwd=ROOT, check=True)
        package = Path(self.build_lib) / "sqlite_strata"
        package.mkdir(parents=True, exist_ok=True)
        for name in LIBRARIES:
            target = package / f"{name}.so"
            shutil.copyfile(ROOT / "dist" / f"{name}.so", target)
            # Debug information is three quarters of each file; the wheel does without it.
            if shutil.which("strip"):
                subprocess.run(["strip", "--strip-debug", str(target)], check=True)
            target.chmod(0o755)
        (package / "_version.py").write_text(f'__version__ = "{VERSION}"\n')


class BinaryDistribution(Distribution):
    """Holds compiled code, so the wheel is platform-specific (and goes to platlib)."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: the libraries do not use Python's C API, so any Python 3 loads them."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=VERSION,
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildWithMake, "bdist_wheel": PlatformWheel},
    # setuptools' scratch folders go beside the Makefile's, not over them
    options={"build": {"build_base": "build/python"},
             "egg_info": {"egg_base": "build/python"}},
)
