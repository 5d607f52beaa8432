"""Fixtures of the console's screen tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.identity import assumed


@pytest.fixture(autouse=True)
def as_claire() -> Iterator[None]:
    """The console's tests work as claire (their proven identity, as a test chooses it): on the
    demo store, which has no administrator yet, she may work in any role."""
    with assumed("claire"):
        yield


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
