"""What the ``maillage devices …`` commands share: who acts (``--by``), the serials given as
arguments or in a file, Paris times, the views brought up to date. Finding an order, a
shipment, a kit or a school is the device service's (``domain.devices.service.find_*``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from console.opening import open_store
from console.settings import Settings
from domain.application import Maillage
from domain.errors import InvalidInputError, NotFoundError
from domain.store import ViewConnection
from domain.views.projector import caught_up
from domain.wording import local_time


def read_lines(path: Path) -> list[str]:
    """The meaningful lines of a serials file: trimmed, without blanks and ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"serials file {path} does not exist") from None
    except UnicodeDecodeError as e:
        raise InvalidInputError(f"serials file {path} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise InvalidInputError(f"cannot read serials file {path}: {e.strerror}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def given_serials(args: argparse.Namespace) -> list[str]:
    """Serials typed as arguments, then those of ``--serials-file``."""
    from_file = read_lines(args.serials_file) if args.serials_file is not None else []
    return [*args.serials, *from_file]


def who(args: argparse.Namespace, settings: Settings) -> str:
    return str(args.by) if args.by is not None else settings.user


def local(iso: str | datetime | None) -> str:
    """A UTC time as Paris wall time for people, with its zone (``2026-03-02 09:30 CET``)."""
    if iso is None:
        return ""
    return local_time(iso if isinstance(iso, datetime) else datetime.fromisoformat(iso))


def query_views(settings: Settings) -> tuple[Maillage, ViewConnection]:
    app = open_store(settings)
    return app, caught_up(app)
