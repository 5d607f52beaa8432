"""The custody chain of a device, or of every device of an establishment, as of a log position.

The steps are ``domain.devices.custody.custody_chain``'s (the same words, the
same references, the order of the log), kept up to the report's position: a
step's status and place follow only from the events before it, so the steps up
to the position are the chain as it stood there. The devices of an
establishment are those allocated to it up to the position (a device allocated
elsewhere afterwards keeps its whole chain, which shows the move). Holders
appear by their pseudonymous reference only, as the device records them.
"""

from __future__ import annotations

from collections import Counter

from domain.audit.reports.asof import LogAsOf
from domain.audit.reports.model import Cell, Report, Section
from domain.devices.custody import CustodyStep, custody_chain
from domain.devices.device import Device, status_label
from domain.devices.establishment import Establishment
from domain.devices.inputs import serial as normalise_serial
from domain.devices.uai import normalise_uai
from domain.errors import NotFoundError
from domain.ids import device_id, establishment_id

KIND = "custody"
STEP_COLUMNS = (
    "serial",
    "position",
    "time",
    "event",
    "what",
    "by",
    "where",
    "status",
    "references",
)


def _steps_as_of(log: LogAsOf, serial: str) -> list[CustodyStep]:
    """The custody steps of one device recorded up to the log's position."""
    steps = [s for s in custody_chain(log.app, serial) if s.position <= log.position]
    if not steps:
        raise NotFoundError(
            f"no device with serial {normalise_serial(serial)} in the log up to position "
            f"{log.position}"
        )
    return steps


def _step_rows(serial: str, steps: list[CustodyStep]) -> list[tuple[Cell, ...]]:
    return [
        (
            serial,
            s.position,
            s.when,
            s.event,
            s.what,
            s.by,
            s.where,
            s.status,
            "; ".join(f"{k}={v}" for k, v in s.references.items()),
        )
        for s in steps
    ]


def build_device_custody(log: LogAsOf, serial: str) -> Report:
    """The custody chain of one device (by serial), as of the log's position."""
    number = normalise_serial(serial)
    steps = _steps_as_of(log, number)
    device = log.get(device_id(number), Device, f"device with serial {number}")
    last = steps[-1]
    summary: tuple[tuple[str, Cell], ...] = (
        ("model", device.model),
        ("kind", device.kind),
        ("order", device.order_reference),
        ("status", status_label(device.status)),
        ("where", last.where),
        ("establishment", device.establishment_uai or "none"),
        ("steps", len(steps)),
        ("first_step", steps[0].when),
        ("last_step", last.when),
    )
    return Report(
        kind=KIND,
        title=f"Custody chain — device {device.serial}",
        subject=(("device", device.serial),),
        stated=log.stated,
        summary=summary,
        sections=(Section("Custody steps", STEP_COLUMNS, _step_rows(device.serial, steps)),),
        notes=_NOTES,
    )


def build_establishment_custody(log: LogAsOf, uai: str) -> Report:
    """The custody chains of every device allocated to an establishment, as of the position."""
    code = normalise_uai(uai)
    school = log.get(establishment_id(code), Establishment, f"establishment with UAI {code}")
    ids = list(dict.fromkeys(log.created(Device.Allocated, lambda e: e.uai == code)))
    devices = sorted(log.aggregates(ids, Device), key=lambda d: d.serial)
    device_rows: list[tuple[Cell, ...]] = []
    step_rows: list[tuple[Cell, ...]] = []
    statuses: Counter[str] = Counter()
    here = 0
    for device in devices:
        steps = _steps_as_of(log, device.serial)
        statuses[status_label(device.status)] += 1
        still = device.establishment_uai == code
        here += still
        device_rows.append(
            (
                device.serial,
                device.model,
                device.kind,
                status_label(device.status),
                steps[-1].where,
                "yes" if still else f"no (now {device.establishment_uai})",
                len(steps),
                steps[-1].when,
            )
        )
        step_rows += _step_rows(device.serial, steps)
    summary: list[tuple[str, Cell]] = [
        ("devices_allocated", len(devices)),
        ("still_allocated_here", here),
    ]
    summary += [(f"status_{s.replace(' ', '_')}", n) for s, n in sorted(statuses.items())]
    return Report(
        kind=KIND,
        title=f"Custody chains — {school.uai} {school.name}",
        subject=(("establishment", f"{school.uai} {school.name}"),),
        stated=log.stated,
        summary=tuple(summary),
        sections=(
            Section(
                "Devices",
                (
                    "serial",
                    "model",
                    "kind",
                    "status",
                    "where",
                    "allocated_here",
                    "steps",
                    "last_step",
                ),
                device_rows,
                note="" if device_rows else "No device was allocated to this establishment.",
            ),
            Section("Custody steps", STEP_COLUMNS, step_rows),
        ),
        notes=_NOTES,
    )


_NOTES: tuple[str, ...] = (
    "Steps are in the order of the log; each one's place and status are the device's after "
    "that step. Shipment seals and devices missing on delivery come from the shipment's events.",
    "Holders are pseudonymous references recorded at hand-over, never names.",
)
