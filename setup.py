"""Build hook: compile the Cython kernels in parallel (one job per core).

The kernels and their flags are declared in pyproject.toml; this file only makes
``build_ext`` use every core, so ``pip install -e .`` and ``python -m build --wheel``
compile them side by side instead of one after another.
"""

import os

from setuptools import setup
from setuptools.command.build_ext import build_ext


class ParallelBuildExt(build_ext):
    """``build_ext`` with ``--parallel`` set to the number of cores unless given
    (``MAILLAGE_BUILD_JOBS=1`` compiles one kernel at a time, to compare)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            self.parallel = int(os.environ.get("MAILLAGE_BUILD_JOBS", 0)) or os.cpu_count() or 1


setup(cmdclass={"build_ext": ParallelBuildExt})
