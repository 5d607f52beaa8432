"""Device actions from anywhere: imports with progress, staging, allocation, shipments from
preparation to delivery, hand-over and kits — the console's path to ``maillage devices …``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.importing.devices import (
    Progress as Advance,
)
from console.importing.devices import (
    bad_lines_report,
    import_manifest_file,
    import_schools_file,
    manifest_format,
    write_bad_lines,
)
from console.tui.palette import PaletteCommand, area_commands
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import Progress, ask, ask_and_record, record_with_progress
from domain.devices import service
from domain.devices.device import CHARTER_SIGNERS, HOLDER_ROLES
from domain.devices.inputs import enrolments
from domain.devices.manifest import BadLine
from domain.wording import plural

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


def serials(text: str) -> list[str]:
    """Serials typed or pasted, separated by spaces, commas or semicolons."""
    return text.replace(",", " ").replace(";", " ").split()


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The devices palette entries."""
    entries = (
        ("import a manifest", "A manufacturer's manifest, CSV or JSON lines, with progress "
         "(maillage devices import manifest)", import_manifest),
        ("import the schools directory", "The national school directory's CSV export, with "
         "progress (maillage devices import schools)", import_schools),
        ("stage devices", "Image devices and record their enrolment (maillage devices stage)",
         stage),
        ("allocate devices", "Set staged devices aside for a school (maillage devices allocate)",
         allocate),
        ("prepare a shipment", "Open a shipment for a school (maillage devices shipments prepare)",
         prepare_shipment),
        ("seal a shipment", "Close it with a numbered seal (maillage devices shipments seal)",
         seal),
        ("dispatch a shipment", "It leaves the depot (maillage devices shipments dispatch)",
         dispatch),
        ("deliver a shipment", "It arrives, a recipient signs (maillage devices shipments "
         "deliver)", deliver),
        ("hand over a device", "To a pupil or teacher (maillage devices hand-over)", hand_over),
        ("reserve a kit", "Book a mobile classroom kit for a class (maillage devices kits "
         "reserve)", reserve_kit),
        ("check a kit out", "The class takes the kit (maillage devices kits check-out)",
         check_out_kit),
        ("check a kit in", "The kit comes back, its serials scanned (maillage devices kits "
         "check-in)", check_in_kit),
    )  # fmt: skip
    return area_commands(app, "Devices", entries)


def _by(app: MaillageApp) -> Field:
    return Field("by", "Done by", required=True, value=app.settings.user)


def _done_by(
    app: MaillageApp, title: str, name: str, fields: list[Choice | Field], *then: Any, **ask: Any
) -> None:
    """A devices form: ``fields`` and who does it, then ``ask_and_record``'s write (and
    question)."""
    ask_and_record(app, title, name, [*fields, _by(app)], *then, **ask)


Importer = Callable[["MaillageApp", Path, Advance], tuple[str, list[BadLine]]]
"""Reads a file into the store; says what it did and which lines it set aside."""


def _imported(app: MaillageApp, title: str, what: str, run: Importer) -> None:
    fields: list[Choice | Field] = [Field("file", f"{what} file", required=True)]

    def then(v: FormValues) -> None:
        path = Path(v["file"]).expanduser()

        def write(progress: Progress) -> str:
            def advance(done: int, total: int) -> None:
                progress(f"{path.name}: bytes read", done, total)

            text, bad = run(app, path, advance)
            if bad:
                write_bad_lines(bad_lines_report(path), bad)
                text += f"; bad lines listed in {bad_lines_report(path)}"
            return text

        record_with_progress(app, f"import {what}", title, write)

    ask(app, title, fields, then)


def _manifest(app: MaillageApp, path: Path, advance: Advance) -> tuple[str, list[BadLine]]:
    report = import_manifest_file(app.store, path, manifest_format(path), progress=advance)
    return report.summary, report.bad


def _schools(app: MaillageApp, path: Path, advance: Advance) -> tuple[str, list[BadLine]]:
    report = import_schools_file(app.store, path, advance)
    return (
        f"{report.read:,} schools read: {report.registered:,} registered, "
        f"{report.updated:,} updated, {len(report.bad):,} set aside",
        report.bad,
    )


def import_manifest(app: MaillageApp) -> None:
    _imported(app, "Import a manifest", "manifest", _manifest)


def import_schools(app: MaillageApp) -> None:
    _imported(app, "Import the schools directory", "schools", _schools)


def stage(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        n = service.stage(app.store, enrolments(v["enrolments"].split()), v["image"], v["by"])
        return f"{plural(n, 'device')} staged with {v['image']}"

    pairs = Field("enrolments", "SERIAL=ENROLMENT pairs (spaces between pairs)", required=True)
    _done_by(app, "Stage devices", "stage", [pairs, Field("image", "Image version", True)], write)


def allocate(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        n = service.allocate(app.store, serials(v["serials"]), v["uai"], v["by"])
        return f"{plural(n, 'device')} allocated to {v['uai'].upper()}"

    which = Field("serials", "Serials (spaces or commas between)", required=True)
    school = Field("uai", "School (UAI)", required=True)
    _done_by(app, "Allocate devices to a school", "allocate", [which, school], write)


def prepare_shipment(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        s = service.prepare_shipment(app.store, v["reference"], v["uai"], v["depot"], v["by"])
        return f"shipment {s.reference} prepared for {s.uai}"

    fields: list[Choice | Field] = [_shipment(""), Field("uai", "School (UAI)", required=True),
                                    Field("depot", "From depot", required=True)]  # fmt: skip
    _done_by(app, "Prepare a shipment", "prepare shipment", fields, write)


def _shipment(reference: str) -> Field:
    return Field("reference", "Shipment reference", required=True, value=reference)


def seal(app: MaillageApp, reference: str = "") -> None:
    def write(v: FormValues) -> str:
        s = service.seal(app.store, v["reference"], v["seal"], v["by"])
        return f"shipment {s.reference} sealed with {v['seal']}"

    _done_by(
        app, "Seal a shipment", "seal", [_shipment(reference), Field("seal", "Seal number", True)],
        write,
        question=lambda v: f"Seal shipment {v['reference'].upper()}? Nothing can be added after.",
    )  # fmt: skip


def _one_detail(
    app: MaillageApp,
    subject: Field,
    detail: Field,
    title: str,
    name: str,
    act: Callable[[str, str, str], str],
) -> None:
    """A form of a shipment or kit (``subject``), one detail and who does it; ``act(reference,
    detail, by)`` records it and says what was recorded."""
    _done_by(app, title, name, [subject, detail],
             lambda v: act(v["reference"], v[detail.name], v["by"]))  # fmt: skip


def dispatch(app: MaillageApp, reference: str = "") -> None:
    def act(ref: str, carrier: str, by: str) -> str:
        s = service.dispatch(app.store, ref, carrier, by)
        return f"shipment {s.reference} dispatched with {carrier}"

    carrier = Field("carrier", "Carrier", required=True)
    _one_detail(app, _shipment(reference), carrier, "Dispatch a shipment", "dispatch", act)


def deliver(app: MaillageApp, reference: str = "") -> None:
    def act(ref: str, recipient: str, by: str) -> str:
        s = service.deliver(app.store, ref, recipient, by)
        return f"shipment {s.reference} delivered: {plural(len(s.delivered_serials), 'device')}"

    recipient = Field("recipient", "Received by", required=True)
    _one_detail(app, _shipment(reference), recipient, "Deliver a shipment", "deliver", act)


def hand_over(app: MaillageApp, serial: str = "") -> None:
    def write(v: FormValues) -> str:
        d = service.hand_over(
            app.store, v["serial"], v["holder"], v["role"], v["minor"] == "yes", v["by"],
            v["charter"] or None,
        )  # fmt: skip
        return f"device {d.serial} handed over: now {d.status.replace('_', ' ')}"

    fields: list[Choice | Field] = [
        Field("serial", "Serial", required=True, value=serial),
        Field("holder", "Holder (pseudonymous reference, never a name)", required=True),
        Choice("role", "Holder's role", HOLDER_ROLES),
        Choice("minor", "A pupil under 18 (a parent signs)", ("no", "yes")),
        Choice("charter", "Charter signed on the spot by", ("", *CHARTER_SIGNERS)),
    ]
    _done_by(app, "Hand over a device", "hand over", fields, write)


def _kit(reference: str) -> Field:
    return Field("reference", "Kit reference", required=True, value=reference)


def reserve_kit(app: MaillageApp, reference: str = "") -> None:
    def write(v: FormValues) -> str:
        rid = service.kit_reserve(
            app.store, v["reference"], v["class_name"], v["start"], v["end"], v["by"]
        )
        return f"reservation {rid}: {v['class_name']}"

    fields: list[Choice | Field] = [
        _kit(reference),
        Field("class_name", "Class", required=True),
        Field("start", "From (YYYY-MM-DD HH:MM, Paris)", required=True, kind="moment"),
        Field("end", "Until (YYYY-MM-DD HH:MM, Paris)", required=True, kind="moment"),
    ]
    _done_by(app, "Reserve a kit", "reserve kit", fields, write)


def check_out_kit(app: MaillageApp, reference: str = "") -> None:
    def act(ref: str, reservation: str, by: str) -> str:
        kit = service.kit_check_out(app.store, ref, reservation, by)
        return f"kit {kit.reference} checked out for {kit.checked_out_reservation}"

    reservation = Field("reservation", "Reservation", required=True)
    _one_detail(app, _kit(reference), reservation, "Check a kit out", "check out kit", act)


def check_in_kit(app: MaillageApp, reference: str = "") -> None:
    def act(ref: str, scanned: str, by: str) -> str:
        missing = service.kit_check_in(app.store, ref, serials(scanned), by)
        state = f"missing {', '.join(missing)}" if missing else "complete"
        return f"kit {ref.upper()} checked in: {state}"

    scanned = Field("serials", "Serials scanned back", required=True)
    _one_detail(app, _kit(reference), scanned, "Check a kit in", "check in kit", act)
