"""Manufacturers' manifests (CSV or JSON lines) turned into device announcements, in batches.

A manifest of 400,000 lines goes in ``batch_size`` lines per transaction. Every
line is checked — empty serial, bad encoding, malformed line, unknown order or
model, a serial twice in the file or already announced with other details —
and a bad line is set aside with its line number while the good ones are
recorded. Ids come from the serials, so importing the same file again records
nothing new, and an import killed half-way resumes where the last committed
batch ended: before each batch, the serials already in the store are looked up
and skipped (or reported, if their details differ).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain import clock
from domain.application import Maillage
from domain.bulk import creation_events
from domain.devices.device import DEVICE_KINDS, Device
from domain.devices.purchase_order import PurchaseOrder
from domain.errors import InvalidInputError, MaillageError, NotFoundError
from domain.ids import device_id_hex, purchase_order_id
from domain.store import ViewConnection
from domain.text import control_problem, visible
from domain.views.projector import caught_up

FIELDS = ("serial", "model", "kind", "order_reference")
"""What a manifest line gives, in the announcement's order."""
ManifestFormat = Literal["csv", "jsonl"]
BATCH_SIZE = 5000
"""Lines per transaction: big enough to amortise a commit, small enough to lose little."""
MAX_FIELD_CHARS = 256
"""A serial, model, kind or order reference longer than this is a damaged line, not a device."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line set aside: where, the serial if one could be read, what is wrong, the text."""

    line: int
    serial: str
    problem: str
    text: str


@dataclass
class ManifestReport:
    """What an import did: lines read, devices announced, already there, lines set aside."""

    read: int = 0
    announced: int = 0
    already_announced: int = 0
    over_order: int = 0
    """Lines set aside because their order line had no room left."""
    bad: list[BadLine] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line both front ends print."""
        over = f" ({self.over_order:,} over their order line)" if self.over_order else ""
        return (
            f"{self.read:,} lines read: {self.announced:,} devices announced, "
            f"{self.already_announced:,} already announced, {len(self.bad):,} set aside{over}"
        )


class ManifestHeaderError(InvalidInputError):
    """The CSV header does not name the columns a manifest needs."""


def csv_columns(header: bytes) -> list[int]:
    """Positions of the manifest fields in a CSV header (names in any case and order)."""
    try:
        names = [
            n.strip().lower().lstrip("\ufeff")
            for n in next(csv.reader([header.decode("utf-8-sig")]), [])
        ]
    except UnicodeDecodeError as e:
        raise ManifestHeaderError(
            f"line 1: the manifest's header is not UTF-8 text (byte {e.start + 1})"
        ) from None
    except csv.Error as e:
        raise ManifestHeaderError(f"line 1: the manifest's header is not CSV ({e})") from None
    twice = sorted({n for n in names if names.count(n) > 1 and n})
    if twice:
        raise ManifestHeaderError(
            f"line 1: the manifest's header names the column(s) {', '.join(twice)} twice: "
            "which one holds the data is ambiguous"
        )
    missing = [f for f in FIELDS if f not in names]
    if missing:
        raise ManifestHeaderError(
            f"the manifest's header lacks the column(s) {', '.join(missing)} "
            f"(it needs {', '.join(FIELDS)})"
        )
    return [names.index(f) for f in FIELDS]


def parse_line(raw: bytes, fmt: ManifestFormat, columns: list[int]) -> dict[str, str] | str:
    """The line's fields as text, or the problem with it in words."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8 text (byte {e.start + 1})"
    if fmt == "jsonl":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            return f"not a JSON object ({e.msg} at column {e.colno})"
        if not isinstance(obj, dict):
            return "not a JSON object"
        missing = [f for f in FIELDS if f not in obj]
        if missing:
            return f"no {', '.join(missing)}"
        return {f: str(obj[f]) for f in FIELDS}
    try:
        values = text.split(",") if '"' not in text else next(csv.reader([text]), [])
    except csv.Error as e:  # a field over the csv module's limit, an unclosed quote…
        return f"not a CSV line ({e})"
    if len(values) <= max(columns):
        return f"{len(values)} columns where the header has at least {max(columns) + 1}"
    return {f: values[i] for f, i in zip(FIELDS, columns, strict=True)}


def field_problem(fields: dict[str, str]) -> str | None:
    """A field too long or holding a control character (NUL, escape, newline…), in words."""
    for name in FIELDS:
        value = fields[name]
        if len(value) > MAX_FIELD_CHARS:
            return f"the {name} has {len(value):,} characters (at most {MAX_FIELD_CHARS})"
        if problem := control_problem(f"the {name}", value):
            return problem
    return None


class _Orders:
    """Purchase orders named by the manifest, read once each, and the room left on their lines:
    a manifest never announces more devices than an order line allows (amend the line first)."""

    def __init__(self, app: Maillage) -> None:
        self.app = app
        self.cache: dict[str, PurchaseOrder | None] = {}
        self.announced: dict[tuple[str, str], int] | None = None

    def take(self, reference: str, model: str) -> str | None:
        """Count one more new device on the order line, or say why the line has no room."""
        if self.announced is None:
            self.announced = _announced_per_line(self.app)
        order = self.cache[reference]
        assert order is not None  # a line reaches here only once its order was found
        ordered = order.ordered_quantity(model)
        count = self.announced.get((reference, model), 0)
        if count >= ordered:
            return (
                f"order {reference} allows {ordered:,} {model}, all already announced: amend "
                f"the line with a reason first (maillage devices orders amend {reference} "
                f"--line '{model}:{order.ordered_kind(model)}:QTY' --reason …)"
            )
        self.announced[(reference, model)] = count + 1
        return None

    def problem(self, reference: str, model: str, kind: str) -> str | None:
        """What is wrong with announcing ``model`` as ``kind`` on order ``reference``."""
        if reference not in self.cache:
            try:
                self.cache[reference] = self.app.get(purchase_order_id(reference), PurchaseOrder)
            except NotFoundError:
                self.cache[reference] = None
        order = self.cache[reference]
        if order is None:
            return f"order {reference!r} is not recorded"
        ordered_as = order.ordered_kind(model)
        if ordered_as is None:
            return f"model {model!r} is not on order {reference} ({', '.join(order.lines)})"
        if ordered_as != kind:
            return f"kind {kind!r}, but order {reference} has {model!r} as {ordered_as}"
        return None


def _checked(fields: dict[str, str], orders: _Orders) -> tuple[dict[str, str] | None, str | None]:
    """The normalised announcement, or the problem with it."""
    if problem := field_problem(fields):
        return None, problem
    serial = fields["serial"].strip().upper()
    if not serial:
        return None, "the serial is empty"
    model, kind, order = (fields[f].strip() for f in ("model", "kind", "order_reference"))
    if kind not in DEVICE_KINDS:
        return None, f"kind {kind!r} is not one of {', '.join(DEVICE_KINDS)}"
    problem = orders.problem(order, model, kind)
    if problem:
        return None, problem
    return {"serial": serial, "model": model, "kind": kind, "order_reference": order}, None


def _already_stored(app: Maillage, ids_hex: list[str]) -> dict[str, dict[str, Any]]:
    """Creation states of the devices among ``ids_hex`` already in the store, by hex id."""
    if not ids_hex:
        return {}
    conn = ViewConnection.open(app.location)
    try:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids_hex), 900):  # under SQLite's bound-parameter limit
            part = ids_hex[start : start + 900]
            rows = conn.fetchall(
                f"SELECT originator_id, state FROM {app.events_table} "
                f"WHERE originator_version = 1 AND originator_id IN ({', '.join('?' * len(part))})",
                tuple(part),
            )
            for oid, state in rows:
                found[UUID(str(oid)).hex] = json.loads(bytes(state))
        return found
    finally:
        conn.close()


def import_manifest(
    app: Maillage,
    lines: Iterable[tuple[int, bytes]],
    fmt: ManifestFormat,
    columns: list[int] | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ManifestReport], None] | None = None,
) -> ManifestReport:
    """Announce the devices of ``lines`` — (line number, bytes without the newline) — in batches.

    ``columns`` are the CSV positions from ``csv_columns`` (unused for JSON
    lines). ``on_batch`` is called after each committed batch (progress).
    """
    if fmt == "csv" and columns is None:
        raise ValueError("a CSV manifest needs the columns of its header")
    report = ManifestReport()
    orders = _Orders(app)
    first_line: dict[str, int] = {}
    for batch in _batches(lines, batch_size):
        ready: list[tuple[int, bytes, dict[str, str]]] = []
        for number, raw in batch:
            if not raw.strip():
                continue  # blank lines are not lines of the manifest
            report.read += 1
            parsed = parse_line(raw, fmt, columns or [])
            if isinstance(parsed, str):
                report.bad.append(BadLine(number, "", parsed, _shown(raw)))
                continue
            fields, problem = _checked(parsed, orders)
            if fields is None:
                serial = parsed["serial"].strip().upper()
                serial = "" if field_problem({**parsed, "serial": serial}) else serial
                report.bad.append(BadLine(number, serial, str(problem), _shown(raw)))
                continue
            seen = first_line.setdefault(fields["serial"], number)
            if seen != number:
                report.bad.append(
                    BadLine(
                        number,
                        fields["serial"],
                        f"serial {fields['serial']} is already on line {seen}",
                        _shown(raw),
                    )
                )
                continue
            ready.append((number, raw, fields))
        _record(app, ready, report, orders)
        if on_batch:
            on_batch(report)
    return report


def _announced_per_line(app: Maillage) -> dict[tuple[str, str], int]:
    """Devices already announced per (order, model), from the views brought up to date."""
    conn = caught_up(app)
    try:
        rows = conn.fetchall(
            "SELECT order_reference, model, COUNT(*) FROM devices_view "
            "GROUP BY order_reference, model"
        )
    finally:
        conn.close()
    return {(str(order), str(model)): int(n) for order, model, n in rows}


def _record(
    app: Maillage,
    ready: list[tuple[int, bytes, dict[str, str]]],
    report: ManifestReport,
    orders: _Orders,
) -> None:
    """Record one batch's new announcements in one transaction, skipping those already there."""
    ids = [device_id_hex(f["serial"]) for _, _, f in ready]
    stored = _already_stored(app, ids)
    rows = []
    for (number, raw, fields), id_hex in zip(ready, ids, strict=True):
        existing = stored.get(id_hex)
        if existing is None:
            if problem := orders.take(fields["order_reference"], fields["model"]):
                report.over_order += 1
                report.bad.append(BadLine(number, fields["serial"], problem, _shown(raw)))
                continue
            rows.append((id_hex, fields))
        elif all(existing.get(f) == fields[f] for f in FIELDS):
            report.already_announced += 1
        else:
            report.bad.append(
                BadLine(
                    number,
                    fields["serial"],
                    f"serial {fields['serial']} is already announced as {existing.get('model')!r} "
                    f"on order {existing.get('order_reference')}",
                    _shown(raw),
                )
            )
    if rows:
        try:
            app.record_stored(creation_events(Device, Device.Announced, rows, clock.now()))
        except IntegrityError:
            first = ready[0][0]
            raise ConcurrentImportError(
                f"another import announced some of these devices at the same time: the lines "
                f"from {first:,} on were not recorded by this one ({report.announced:,} devices "
                "announced before); run it again to record what remains"
            ) from None
        report.announced += len(rows)


def _batches(lines: Iterable[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _shown(raw: bytes) -> str:
    """The line as text for the report (undecodable bytes shown as �, control characters as
    ``\\xNN``), at most 200 characters."""
    return visible(raw[:800].decode("utf-8", "replace"))[:200]


class ConcurrentImportError(MaillageError):
    """Another import recorded the same devices between this one's check and its write."""
