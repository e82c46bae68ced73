"""datasette-strata's version is strata's (ext/common/version.h), and it needs the sqlite-strata
of the same version (metadata: pyproject.toml)."""

import re
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent.parent.parent
VERSION = re.search(r'#define STRATA_VERSION "([^"]+)"',
                    (ROOT / "ext/common/version.h").read_text()).group(1)

setup(
    version=VERSION,
    install_requires=[f"sqlite-strata=={VERSION}", "datasette>=0.64"],
    options={"build": {"build_base": str(ROOT / "build/python/datasette-strata")},
             "egg_info": {"egg_base": str(ROOT / "build/python/datasette-strata")}},
)
