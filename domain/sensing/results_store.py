"""Processing results kept by content beside the store: ``results/<sha256>.json``.

A ``SessionProcessed`` event records the SHA-256 of its results, not the results (tens of
thousands of segments). The bytes go into a content-addressed folder that belongs to the
store — ``results/`` beside an SQLite file, ``results/`` in the user's data directory for a
PostgreSQL store — so anything that reads the log (the segments view, a rebuild, an audit
replay into a scratch store) finds them again by hash and checks them. A file is never
overwritten: the same hash is the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_path

from domain.store import StoreLocation

RESULTS_DIRNAME = "results"

Status = Literal["ok", "missing", "damaged"]


def store_folder(location: StoreLocation, name: str) -> Path:
    """A folder that belongs to a store: beside an SQLite file, else in the user data directory."""
    if location.kind == "sqlite" and location.path is not None:
        return location.path.parent / name
    return user_data_path("maillage", appauthor=False) / name


def results_dir(location: StoreLocation) -> Path:
    """Where a store keeps its results files (the folder may not exist yet)."""
    return store_folder(location, RESULTS_DIRNAME)


def results_file(location: StoreLocation, sha256: str) -> Path:
    """The file that holds the results with this SHA-256."""
    return results_dir(location) / f"{sha256}.json"


def keep_results(location: StoreLocation, data: bytes) -> tuple[str, Path]:
    """Write ``data`` under its SHA-256 (once: an existing file is the same bytes).

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    sha = hashlib.sha256(data).hexdigest()
    return sha, keep_bytes(results_file(location, sha), sha, data)


def keep_bytes(target: Path, sha: str, data: bytes) -> Path:
    """Write ``data`` (whose SHA-256 is ``sha``) to ``target`` once, atomically; its path."""
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


@dataclass(frozen=True)
class LoadedResults:
    """Results read back by hash: ``ok`` with the values, or ``missing`` / ``damaged``."""

    status: Status
    path: Path
    results: dict[str, Any] | None = None


def load_results(location: StoreLocation, sha256: str) -> LoadedResults:
    """The results with this SHA-256, checked byte for byte against it."""
    path = results_file(location, sha256)
    return load_results_file(path, sha256)


def load_results_file(path: Path, sha256: str) -> LoadedResults:
    """Results from a file, if it holds exactly the bytes of this SHA-256."""
    try:
        data = path.read_bytes()
    except OSError:
        return LoadedResults("missing", path)
    if hashlib.sha256(data).hexdigest() != sha256:
        return LoadedResults("damaged", path)
    try:
        values = json.loads(data)
    except ValueError:
        return LoadedResults("damaged", path)
    if not isinstance(values, dict):
        return LoadedResults("damaged", path)
    return LoadedResults("ok", path, values)
