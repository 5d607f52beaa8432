"""Every kernel module of ext/ is a compiled extension, with no pure-Python stand-in."""

from __future__ import annotations

import importlib
import importlib.machinery
from pathlib import Path

import pytest

MODULES = [
    "frames",
    "filters",
    "geodesy",
    "segments",
    "roughness",
    "potholes",
    "journal_walk",
    "mapmatch",
    "tsptw",
]


@pytest.mark.parametrize("name", MODULES)
def test_module_is_compiled(name: str) -> None:
    module = importlib.import_module(f"ext.{name}")
    path = Path(module.__file__ or "")
    assert any(path.name.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES), (
        f"ext.{name} was imported from {path}, not a compiled extension"
    )
    assert not (path.parent / f"{name}.py").exists(), "a pure-Python fallback must not exist"
    assert (path.parent / f"{name}.pyx").exists()
