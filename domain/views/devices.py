"""Read models of the device service: schools and devices as tables for the console."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.devices.device import Device
from domain.devices.establishment import Establishment
from domain.store import ViewConnection
from domain.views.view import View, event_state

_ESTABLISHMENT_FIELDS = (
    "uai",
    "name",
    "kind",
    "address",
    "postcode",
    "commune",
    "latitude_deg",
    "longitude_deg",
)


class EstablishmentsView(View):
    """One row per registered school."""

    name = "establishments"
    version = 1
    tables = ("establishments_view",)
    topics = (get_topic(Establishment.Registered), get_topic(Establishment.DetailsUpdated))

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS establishments_view ("
            "id TEXT PRIMARY KEY, uai TEXT NOT NULL UNIQUE, name TEXT NOT NULL, "
            "kind TEXT NOT NULL, address TEXT NOT NULL, postcode TEXT NOT NULL, "
            "commune TEXT NOT NULL, latitude_deg DOUBLE PRECISION, longitude_deg DOUBLE PRECISION)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        registered = self.topics[0]
        for n in notifications:
            s = event_state(n)
            if n.topic == registered:
                conn.execute(
                    "INSERT INTO establishments_view VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (str(n.originator_id), *(s[f] for f in _ESTABLISHMENT_FIELDS)),
                )
                continue
            changed = {k: v for k, v in s["changed"].items() if k in _ESTABLISHMENT_FIELDS}
            if changed:
                assignments = ", ".join(f"{k} = ?" for k in changed)
                conn.execute(
                    f"UPDATE establishments_view SET {assignments} WHERE id = ?",
                    (*changed.values(), str(n.originator_id)),
                )


class DevicesView(View):
    """One row per device with its current status (the big table of the Devices mode)."""

    name = "devices"
    version = 1
    tables = ("devices_view",)
    topics = (get_topic(Device.Announced),)

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS devices_view ("
            "id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, model TEXT NOT NULL, "
            "kind TEXT NOT NULL, order_reference TEXT NOT NULL, status TEXT NOT NULL, "
            "establishment_uai TEXT)"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS devices_view_status ON devices_view (status, serial)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        rows = []
        for n in notifications:
            s = event_state(n)
            rows.append(
                (str(n.originator_id), s["serial"], s["model"], s["kind"], s["order_reference"])
            )
        conn.executemany(
            "INSERT INTO devices_view (id, serial, model, kind, order_reference, status) "
            "VALUES (?, ?, ?, ?, ?, 'announced')",
            rows,
        )


DEVICE_COLUMNS = ("serial", "model", "kind", "status", "order_reference", "establishment")


def device_rows(conn: ViewConnection) -> list[tuple[str, ...]]:
    """Every device as display values, with its school's name when allocated (by serial)."""
    rows = conn.fetchall(
        "SELECT d.id, d.serial, d.model, d.kind, d.status, d.order_reference, "
        "COALESCE(e.name || ' (' || e.uai || ')', '') "
        "FROM devices_view d LEFT JOIN establishments_view e ON e.uai = d.establishment_uai "
        "ORDER BY d.serial"
    )
    return [tuple(str(v) for v in r) for r in rows]


def device_counts(conn: ViewConnection) -> dict[str, int]:
    """How many devices are in each status."""
    return {
        str(status): int(n)
        for status, n in conn.fetchall("SELECT status, COUNT(*) FROM devices_view GROUP BY status")
    }


def establishment_count(conn: ViewConnection) -> int:
    row = conn.fetchone("SELECT COUNT(*) FROM establishments_view")
    return int(row[0]) if row else 0
