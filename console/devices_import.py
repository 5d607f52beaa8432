"""``maillage devices import manifest|schools``: big files in, bad lines reported, progress shown."""

from __future__ import annotations

import argparse
from typing import Any


def add_import_commands(areas: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register ``import manifest`` and ``import schools`` under ``maillage devices``."""
    # Filled in by the manifest import work (issue 4, item 2).
