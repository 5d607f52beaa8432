"""Install time: the kernels compiled one per core against one after another, and a wheel.

In a copy of the tracked files (``git ls-files``): ``pip install -e . --no-deps`` (built in
an isolated environment, as users run it) into a fresh virtual environment with
``MAILLAGE_BUILD_JOBS=1`` (the anchor: one kernel after another, as before) and with the
default (one per core); then ``python -m build --wheel`` and ``pip install`` of that wheel
into a fresh environment with no compiler on the PATH, the field laptop's case.
Dependencies are not installed (``--no-deps``): the figures are maillage's own build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench.common import Figure

ROOT = Path(__file__).resolve().parents[1]
console = Console()


def _copy_tree(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(path)], check=True)
    return path / "bin" / "python"


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def editable_install_s(jobs: int | None) -> float:
    """``pip install -e . --no-deps`` in a fresh copy and venv (build isolated, as users run it)."""
    with tempfile.TemporaryDirectory(prefix="maillage-install-") as tmp:
        src = Path(tmp) / "src"
        _copy_tree(src)
        python = _venv(Path(tmp) / "venv")
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        if jobs:
            env["MAILLAGE_BUILD_JOBS"] = str(jobs)
        argv = [str(python), "-m", "pip", "install", "-q", "--no-deps"]
        return _timed([*argv, "-e", "."], src, env)


def wheel_s() -> tuple[float, float]:
    """Build a wheel, then install it where no compiler can run (seconds each)."""
    with tempfile.TemporaryDirectory(prefix="maillage-wheel-") as tmp:
        src, dist, nocc = Path(tmp) / "src", Path(tmp) / "dist", Path(tmp) / "nocc"
        _copy_tree(src)
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        build = [sys.executable, "-m", "build", "--wheel", "-o", str(dist)]
        built = _timed(build, src, env)
        nocc.mkdir()
        for tool in ("cc", "gcc", "c++", "g++"):
            (nocc / tool).write_text("#!/bin/sh\nexit 1\n")
            (nocc / tool).chmod(0o755)
        python = _venv(Path(tmp) / "venv")
        wheel = next(dist.glob("*.whl"))
        env = {**env, "PATH": f"{nocc}:{env['PATH']}", "CC": "false"}
        install = [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)]
        return built, _timed(install, Path(tmp), env)


def run() -> list[Figure]:
    console.print("  install: editable install, one kernel after another…")
    serial = editable_install_s(1)
    console.print("  install: editable install, one kernel per core…")
    parallel = editable_install_s(None)
    console.print("  install: wheel build and install without a compiler…")
    built, installed = wheel_s()
    return [
        Figure(
            "pip install -e . (kernels one per core)",
            parallel,
            serial,
            "s",
            "the same install compiling one kernel after another",
            higher_is_better=False,
        ),
        Figure(
            "pip install of the wheel, no compiler",
            installed,
            built,
            "s",
            "building that wheel (python -m build --wheel)",
            higher_is_better=False,
        ),
    ]
