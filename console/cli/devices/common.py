"""What the ``maillage devices …`` commands share: who acts, serials given, finding what a
reference names (an error names the reference as typed), Paris times."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from console.opening import open_store
from console.settings import Settings
from domain.application import Maillage
from domain.clock import PARIS
from domain.devices.establishment import Establishment
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.devices.purchase_order import PurchaseOrder
from domain.devices.shipment import Shipment
from domain.devices.uai import normalise_uai
from domain.errors import InvalidInputError, NotFoundError
from domain.ids import establishment_id, kit_id, purchase_order_id, shipment_id
from domain.store import ViewConnection
from domain.views.projector import caught_up

Handler = Callable[[argparse.Namespace, Settings], int]


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
    """A UTC time as Paris wall time for people."""
    if iso is None:
        return ""
    moment = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso)
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


def exists(app: Maillage, aggregate_id: Any, kind: type, message: str) -> Any:
    """The aggregate, or ``NotFoundError(message)`` naming what the user typed."""
    try:
        return app.get(aggregate_id, kind)
    except NotFoundError:
        raise NotFoundError(message) from None


def find_order(app: Maillage, reference: str) -> PurchaseOrder:
    return exists(
        app,
        purchase_order_id(reference),
        PurchaseOrder,
        f"no order {reference.strip()} is recorded",
    )


def find_shipment(app: Maillage, reference: str) -> Shipment:
    ref = reference.strip().upper()
    return exists(app, shipment_id(ref), Shipment, f"no shipment {ref} was prepared")


def find_kit(app: Maillage, reference: str) -> MobileClassroomKit:
    ref = reference.strip().upper()
    return exists(app, kit_id(ref), MobileClassroomKit, f"no kit {ref} was assembled")


def find_school(app: Maillage, uai: str) -> Establishment:
    code = normalise_uai(uai)
    return exists(
        app,
        establishment_id(code),
        Establishment,
        f"no establishment with UAI {code} is registered",
    )


def query_views(settings: Settings) -> tuple[Maillage, ViewConnection]:
    app = open_store(settings)
    return app, caught_up(app)
