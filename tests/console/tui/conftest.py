"""Fixtures of the console's screen tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def fixed_store(demo_template: Path, request: pytest.FixtureRequest) -> Path:
    """The demo at a path that does not change between runs (it shows in the header)."""
    folder = Path("/tmp/maillage-snapshots") / request.node.name.replace("[", "-").rstrip("]")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(demo_template, target)
    return target
