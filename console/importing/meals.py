"""Beneficiaries' CSV files read from disk and handed to the meal domain: every line checked,
then all or nothing (``domain.meals.imports``)."""

from __future__ import annotations

from pathlib import Path

from domain.application import Maillage
from domain.errors import InvalidInputError
from domain.meals.imports import ImportReport, import_beneficiaries
from domain.meals.service import find_municipality


def read_beneficiaries_file(path: Path) -> str:
    """The text of a UTF-8 CSV file (a BOM is allowed), read before the store is opened so
    an unreadable file changes nothing."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise InvalidInputError(f"cannot read {path}: {e.strerror}") from None


def import_beneficiaries_text(
    app: Maillage, insee: str, text: str, dry_run: bool = False
) -> ImportReport:
    """Import a municipality's beneficiaries from a file's text: all lines or none, changes to
    registered files included (``dry_run``: listed, nothing recorded)."""
    return import_beneficiaries(app, find_municipality(app, insee), text, dry_run=dry_run)
