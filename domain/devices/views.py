"""Read models of the device service: schools, devices, orders, shipments, kits and counts.

Every view reads plain JSON event states (``event_state``), never the mapper.
The devices view keeps one row per device and follows every ``Device`` event:
the ``Announced`` path stays a single ``executemany`` insert (imports of
400,000 devices), and the other events of a batch are folded into one set of
column changes per device, then written with one ``executemany`` per shape of
change (a batch of 10,000 staged devices is one statement).

Progress figures (per school, per order, per holder) are queries over
``devices_view`` backed by partial indexes: they cost nothing while devices
are only announced, and counting them at query time cannot drift from the
rows, unlike counters that would need each device's previous status read
back during projection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.devices.device import EVENT_STATUS, Device
from domain.devices.establishment import Establishment
from domain.devices.inventory_count import InventoryCount
from domain.devices.mobile_classroom_kit import MobileClassroomKit
from domain.devices.purchase_order import PurchaseOrder
from domain.devices.shipment import Shipment
from domain.store import ViewConnection
from domain.views.view import View, event_state, event_time, stored_time

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


# ---------------------------------------------------------------------------- devices

DELIVERED_OR_BEYOND: tuple[str, ...] = (
    "delivered",
    "pending_acceptance",
    "handed_over",
    "returned",
    "handed_over_for_good",
)
"""Statuses that count as "delivered" in "delivered X of Y"."""

_DELIVERED_SQL = "(" + " OR ".join(f"status = '{s}'" for s in DELIVERED_OR_BEYOND) + ")"
# The very same text in the partial index and in the queries: SQLite only uses a
# partial index when the query's WHERE repeats the index's condition. ORs, not
# IN: SQLite builds the IN list afresh for every row it inserts, which slowed
# the bulk insert of announcements by a sixth; the ORs cost nothing measurable.

_NO_HOLDER = {"holder": None, "holder_role": None}
_CLEARED = {"establishment_uai": None, "shipment_reference": None}


def _at(kind: str, reference: str | None) -> dict[str, Any]:
    return {"location_kind": kind, "location_ref": reference}


_NOWHERE = {"location_kind": None, "location_ref": None}

_CHANGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Received": lambda s: {**_at("depot", s["depot"]), "delivery_note": s["delivery_note"]},
    "Staged": lambda s: {},
    "Allocated": lambda s: {"establishment_uai": s["uai"], "allocated_uai": s["uai"]},
    "Packed": lambda s: {
        **_at("shipment", s["shipment_reference"]),
        "shipment_reference": s["shipment_reference"],
    },
    "Dispatched": lambda s: {},
    "Delivered": lambda s: {**_at("establishment", s["uai"]), "establishment_uai": s["uai"]},
    "HandedOver": lambda s: {
        **_at("holder", s["holder"]),
        "holder": s["holder"],
        "holder_role": s["role"],
    },
    "CharterSigned": lambda s: {},
    "Returned": lambda s: {**_at("establishment", s["uai"]), **_NO_HOLDER},
    "HandedOverForGood": lambda s: {},
    "FaultReported": lambda s: {},
    "SentToRepair": lambda s: {**_at("repair", s["repairer"]), **_NO_HOLDER},
    "Repaired": lambda s: {**_at("depot", s["depot"]), **_CLEARED},
    "ReportedLost": lambda s: dict(_NOWHERE),
    "ReportedStolen": lambda s: dict(_NOWHERE),
    "Recovered": lambda s: {**_at("depot", s["depot"]), **_CLEARED, **_NO_HOLDER},
}
"""Device event → the columns it changes besides ``status`` (the aggregate's own rules)."""

_TIME_ONLY = frozenset(
    {
        "Staged",
        "Dispatched",
        "CharterSigned",
        "HandedOverForGood",
        "FaultReported",
        "ReportedLost",
        "ReportedStolen",
    }
)
"""Device events whose change needs no field of their state but their time: not decoded
(their ``_CHANGES`` get an empty state, so a rule that reads a field would fail loudly)."""

_DEVICE_EVENTS = tuple(getattr(Device, kind) for kind in EVENT_STATUS)
_KINDS = {get_topic(getattr(Device, kind)): kind for kind in EVENT_STATUS}

DEVICE_VIEW_COLUMNS: tuple[str, ...] = (
    "id",
    "serial",
    "model",
    "kind",
    "order_reference",
    "status",
    "establishment_uai",
    "allocated_uai",
    "holder",
    "holder_role",
    "shipment_reference",
    "location_kind",
    "location_ref",
    "delivery_note",
    "updated_at",
)


class DevicesView(View):
    """One row per device: its status and where it is (the big table of the Devices mode).

    ``establishment_uai`` is the school the device is allocated or delivered to,
    cleared with the aggregate when it comes back through a depot (repair,
    recovery); ``allocated_uai`` is the school it was last allocated to and is
    kept then, for "delivered X of Y". ``location_kind``/``location_ref`` mirror
    the aggregate's custody location (depot, shipment, establishment, holder,
    repair; empty while lost or stolen).
    """

    name = "devices"
    version = 2
    tables = ("devices_view",)
    topics = (get_topic(Device.Announced), *(get_topic(e) for e in _DEVICE_EVENTS))

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS devices_view ("
            "id TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE, model TEXT NOT NULL, "
            "kind TEXT NOT NULL, order_reference TEXT NOT NULL, status TEXT NOT NULL, "
            "establishment_uai TEXT, allocated_uai TEXT, holder TEXT, holder_role TEXT, "
            "shipment_reference TEXT, location_kind TEXT, location_ref TEXT, "
            "delivery_note TEXT, updated_at TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS devices_view_status ON devices_view (status, serial)"
        )
        # Partial indexes: announced devices (all of a bulk import) are in none of them.
        for name, columns, condition in (
            ("school", "allocated_uai, status", "allocated_uai IS NOT NULL"),
            ("holder", "holder, serial", "holder IS NOT NULL"),
            ("place", "location_kind, location_ref", "location_kind IS NOT NULL"),
            ("delivered", "order_reference, model", _DELIVERED_SQL),
        ):
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS devices_view_{name} "
                f"ON devices_view ({columns}) WHERE {condition}"
            )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        announced = self.topics[0]
        rows = []
        changes: dict[str, dict[str, Any]] = {}
        for n in notifications:
            if n.topic == announced:
                s = event_state(n)
                rows.append(
                    (
                        str(n.originator_id),
                        s["serial"],
                        s["model"],
                        s["kind"],
                        s["order_reference"],
                        s["timestamp"]["_data_"],
                    )
                )
                continue
            kind = _KINDS[n.topic]
            if kind in _TIME_ONLY:
                change = _CHANGES[kind]({})
                change["updated_at"] = event_time(n)
            else:
                s = event_state(n)
                change = _CHANGES[kind](s)
                change["updated_at"] = s["timestamp"]["_data_"]
            change["status"] = EVENT_STATUS[kind]
            changes.setdefault(str(n.originator_id), {}).update(change)
        # A device's creation always comes before its other events: insert first.
        conn.executemany(
            "INSERT INTO devices_view (id, serial, model, kind, order_reference, status, "
            "updated_at) VALUES (?, ?, ?, ?, ?, 'announced', ?)",
            rows,
        )
        by_shape: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for device, change in changes.items():
            shape = tuple(sorted(change))
            by_shape.setdefault(shape, []).append((*(change[c] for c in shape), device))
        for shape, params in by_shape.items():
            assignments = ", ".join(f"{c} = ?" for c in shape)
            conn.executemany(f"UPDATE devices_view SET {assignments} WHERE id = ?", params)


def device_rows(conn: ViewConnection) -> list[tuple[str, ...]]:
    """Every device as display values, with its school's name when allocated (by serial)."""
    rows = conn.fetchall(
        "SELECT d.id, d.serial, d.model, d.kind, d.status, d.order_reference, "
        "COALESCE(e.name || ' (' || e.uai || ')', d.establishment_uai, '') "
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


@dataclass(frozen=True)
class DeviceRow:
    """One row of ``devices_view``."""

    id: str
    serial: str
    model: str
    kind: str
    order_reference: str
    status: str
    establishment_uai: str | None
    allocated_uai: str | None
    holder: str | None
    holder_role: str | None
    shipment_reference: str | None
    location_kind: str | None
    location_ref: str | None
    delivery_note: str | None
    updated_at: str

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_SELECT_DEVICES = f"SELECT {', '.join(DEVICE_VIEW_COLUMNS)} FROM devices_view"


def find_devices(
    conn: ViewConnection,
    *,
    status: str | None = None,
    uai: str | None = None,
    order: str | None = None,
    holder: str | None = None,
    limit: int | None = None,
) -> list[DeviceRow]:
    """Devices matching every filter given, by serial (``uai``: allocated to that school)."""
    terms, params = [], []
    for column, value in (
        ("status", status),
        ("allocated_uai", uai),
        ("order_reference", order),
        ("holder", holder),
    ):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    tail = " LIMIT ?" if limit is not None else ""
    rows = conn.fetchall(
        f"{_SELECT_DEVICES}{where} ORDER BY serial{tail}",
        (*params, *([limit] if limit is not None else [])),
    )
    return [DeviceRow(*r) for r in rows]


def device_by_serial(conn: ViewConnection, serial: str) -> DeviceRow | None:
    """The row of one device, or ``None`` if no such serial was announced."""
    row = conn.fetchone(f"{_SELECT_DEVICES} WHERE serial = ?", (serial.strip().upper(),))
    return None if row is None else DeviceRow(*row)


def devices_of_holder(conn: ViewConnection, holder: str) -> list[DeviceRow]:
    """Devices a pupil or teacher (pseudonymous reference) holds or was given for good."""
    return find_devices(conn, holder=holder.strip())


def serials_at(conn: ViewConnection, location_kind: str, location_ref: str) -> list[str]:
    """Serials the view places at a depot, school, shipment, holder or repairer."""
    rows = conn.fetchall(
        "SELECT serial FROM devices_view WHERE location_kind = ? AND location_ref = ? "
        "ORDER BY serial",
        (location_kind, location_ref),
    )
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class EstablishmentProgress:
    """A school's devices: how many in each status, and "delivered X of Y"."""

    uai: str
    name: str | None
    by_status: dict[str, int]
    delivered: int
    allocated: int

    @property
    def label(self) -> str:
        return f"delivered {self.delivered} of {self.allocated}"

    def as_json(self) -> dict[str, Any]:
        return {
            "uai": self.uai,
            "name": self.name,
            "by_status": self.by_status,
            "delivered": self.delivered,
            "allocated": self.allocated,
        }


def establishments_progress(
    conn: ViewConnection, uai: str | None = None
) -> list[EstablishmentProgress]:
    """Per school (or just ``uai``): devices by status among those last allocated to it.

    Y counts every device whose last allocation was to the school (wherever it
    is now, e.g. lost or back at a depot for repair); X those of them that are
    delivered or beyond.
    """
    where = "allocated_uai IS NOT NULL" + (" AND allocated_uai = ?" if uai else "")
    rows = conn.fetchall(
        f"SELECT allocated_uai, status, COUNT(*) FROM devices_view WHERE {where} "
        "GROUP BY allocated_uai, status",
        (uai,) if uai else (),
    )
    names = dict(conn.fetchall("SELECT uai, name FROM establishments_view"))
    counts: dict[str, dict[str, int]] = {}
    for school, status, n in rows:
        counts.setdefault(str(school), {})[str(status)] = int(n)
    if uai is not None and uai not in counts and uai in names:
        counts[uai] = {}
    return [
        EstablishmentProgress(
            uai=school,
            name=names.get(school),
            by_status=dict(sorted(by_status.items())),
            delivered=sum(n for s, n in by_status.items() if s in DELIVERED_OR_BEYOND),
            allocated=sum(by_status.values()),
        )
        for school, by_status in sorted(counts.items())
    ]


# ---------------------------------------------------------------------------- orders


class PurchaseOrdersView(View):
    """Purchase orders, their lines (ordered and received) and their delivery notes."""

    name = "orders"
    version = 1
    tables = ("purchase_orders_view", "purchase_order_lines_view", "delivery_notes_view")
    topics = tuple(
        get_topic(e)
        for e in (
            PurchaseOrder.Placed,
            PurchaseOrder.DeliveryNoteRecorded,
            PurchaseOrder.LineAmended,
        )
    )

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS purchase_orders_view ("
            "id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, region TEXT NOT NULL, "
            "buyer TEXT NOT NULL, placed_by TEXT NOT NULL, placed_at TEXT NOT NULL, "
            "status TEXT NOT NULL, notes INTEGER NOT NULL, updated_at TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS purchase_order_lines_view ("
            "order_id TEXT NOT NULL, reference TEXT NOT NULL, model TEXT NOT NULL, "
            "kind TEXT NOT NULL, ordered INTEGER NOT NULL, received INTEGER NOT NULL, "
            "PRIMARY KEY (order_id, model))"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS delivery_notes_view ("
            "order_id TEXT NOT NULL, reference TEXT NOT NULL, note_reference TEXT NOT NULL, "
            "model TEXT NOT NULL, quantity INTEGER NOT NULL, recorded_at TEXT NOT NULL, "
            "recorded_by TEXT NOT NULL, PRIMARY KEY (order_id, note_reference, model))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        placed, noted, _ = self.topics
        for n in notifications:
            s = event_state(n)
            oid = str(n.originator_id)
            at = stored_time(s["timestamp"])
            if n.topic == placed:
                conn.execute(
                    "INSERT INTO purchase_orders_view VALUES (?, ?, ?, ?, ?, ?, 'placed', 0, ?)",
                    (oid, s["reference"], s["region"], s["buyer"], s["by"], at, at),
                )
                conn.executemany(
                    "INSERT INTO purchase_order_lines_view VALUES (?, ?, ?, ?, ?, 0)",
                    [
                        (oid, s["reference"], x["model"], x["kind"], x["quantity"])
                        for x in s["lines"]
                    ],
                )
                continue
            if n.topic == noted:
                conn.executemany(
                    "INSERT INTO delivery_notes_view SELECT id, reference, ?, ?, ?, ?, ? "
                    "FROM purchase_orders_view WHERE id = ?",
                    [
                        (s["note_reference"], model, q, at, s["by"], oid)
                        for model, q in s["received"].items()
                    ],
                )
                conn.executemany(
                    "UPDATE purchase_order_lines_view SET received = received + ? "
                    "WHERE order_id = ? AND model = ?",
                    [(q, oid, model) for model, q in s["received"].items()],
                )
                conn.execute(
                    "UPDATE purchase_orders_view SET notes = notes + 1 WHERE id = ?", (oid,)
                )
            else:  # LineAmended
                conn.execute(
                    "INSERT INTO purchase_order_lines_view "
                    "SELECT id, reference, ?, ?, ?, 0 FROM purchase_orders_view WHERE id = ? "
                    "ON CONFLICT (order_id, model) DO UPDATE SET ordered = excluded.ordered",
                    (s["model"], s["kind"], s["quantity"], oid),
                )
            # The order's status, as the aggregate works it out from its lines.
            conn.execute(
                "UPDATE purchase_orders_view SET updated_at = ?, status = CASE "
                "WHEN (SELECT SUM(received) FROM purchase_order_lines_view WHERE order_id = ?) = 0 "
                "THEN 'placed' "
                "WHEN EXISTS (SELECT 1 FROM purchase_order_lines_view "
                "WHERE order_id = ? AND received < ordered) THEN 'partially_received' "
                "ELSE 'fully_received' END WHERE id = ?",
                (at, oid, oid, oid),
            )


@dataclass(frozen=True)
class OrderLineProgress:
    """One order line: ordered, received on delivery notes, delivered to schools."""

    model: str
    kind: str
    ordered: int
    received: int
    delivered: int

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OrderProgress:
    """A purchase order and where its devices stand, line by line."""

    reference: str
    region: str
    buyer: str
    status: str
    placed_at: str
    lines: list[OrderLineProgress]
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ordered(self) -> int:
        return sum(x.ordered for x in self.lines)

    @property
    def received(self) -> int:
        return sum(x.received for x in self.lines)

    @property
    def delivered(self) -> int:
        return sum(x.delivered for x in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "region": self.region,
            "buyer": self.buyer,
            "status": self.status,
            "placed_at": self.placed_at,
            "ordered": self.ordered,
            "received": self.received,
            "delivered": self.delivered,
            "lines": [x.as_json() for x in self.lines],
            "delivery_notes": self.notes,
        }


def orders_progress(conn: ViewConnection, reference: str | None = None) -> list[OrderProgress]:
    """Every order (or just ``reference``) with ordered, received and delivered per line.

    Delivered counts the order's devices of that model that are delivered or
    beyond, order by order so that the partial index on those statuses answers
    it (for all orders at once SQLite would rather read the status index and the rows).
    """
    only = " WHERE reference = ?" if reference else ""
    param = (reference,) if reference else ()
    orders = conn.fetchall(
        "SELECT id, reference, region, buyer, status, placed_at FROM purchase_orders_view"
        f"{only} ORDER BY reference",
        param,
    )
    if not orders:
        return []
    lines = conn.fetchall(
        "SELECT reference, model, kind, ordered, received FROM purchase_order_lines_view"
        f"{only} ORDER BY reference, model",
        param,
    )
    delivered: dict[tuple[str, str], int] = {}
    for order in orders:  # one index range per order (orders are few)
        for model, n in conn.fetchall(
            f"SELECT model, COUNT(*) FROM devices_view WHERE {_DELIVERED_SQL} "
            "AND order_reference = ? GROUP BY model",
            (order[1],),
        ):
            delivered[(str(order[1]), str(model))] = int(n)
    notes: dict[str, list[dict[str, Any]]] = {}
    for ref, note, model, quantity, at, by in conn.fetchall(
        "SELECT reference, note_reference, model, quantity, recorded_at, recorded_by "
        f"FROM delivery_notes_view{only} ORDER BY recorded_at, note_reference, model",
        param,
    ):
        notes.setdefault(str(ref), []).append(
            {"note": note, "model": model, "quantity": int(quantity), "at": at, "by": by}
        )
    by_order: dict[str, list[OrderLineProgress]] = {}
    for ref, model, kind, ordered, received in lines:
        by_order.setdefault(str(ref), []).append(
            OrderLineProgress(
                str(model), str(kind), int(ordered), int(received), delivered.get((ref, model), 0)
            )
        )
    return [
        OrderProgress(
            str(ref), str(region), str(buyer), str(status), str(at),
            by_order.get(str(ref), []), notes.get(str(ref), []),
        )
        for _, ref, region, buyer, status, at in orders
    ]  # fmt: skip


# ---------------------------------------------------------------------------- shipments


class ShipmentsView(View):
    """Shipments (school, status, seal, counts) and the serials in each with their fate."""

    name = "shipments"
    version = 1
    tables = ("shipments_view", "shipment_items_view")
    topics = tuple(
        get_topic(e)
        for e in (
            Shipment.Prepared, Shipment.Packed, Shipment.Sealed, Shipment.Dispatched,
            Shipment.Delivered, Shipment.PartiallyDelivered, Shipment.Lost,
        )
    )  # fmt: skip

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS shipments_view ("
            "id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, uai TEXT NOT NULL, "
            "depot TEXT NOT NULL, status TEXT NOT NULL, devices INTEGER NOT NULL, "
            "delivered INTEGER NOT NULL, missing INTEGER NOT NULL, seal_number TEXT, "
            "carrier TEXT, recipient TEXT, prepared_by TEXT NOT NULL, prepared_at TEXT NOT NULL, "
            "updated_at TEXT NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS shipments_view_uai ON shipments_view (uai)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS shipment_items_view ("
            "shipment_id TEXT NOT NULL, reference TEXT NOT NULL, serial TEXT NOT NULL, "
            "position INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (shipment_id, serial))"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS shipment_items_serial ON shipment_items_view (serial)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            s = event_state(n)
            sid = str(n.originator_id)
            at = stored_time(s["timestamp"])
            kind = n.topic.rsplit(".", 1)[-1]
            if kind == "Prepared":
                conn.execute(
                    "INSERT INTO shipments_view VALUES "
                    "(?, ?, ?, ?, 'packing', 0, 0, 0, NULL, NULL, NULL, ?, ?, ?)",
                    (sid, s["reference"], s["uai"], s["depot"], s["by"], at, at),
                )
                continue
            if kind == "Packed":
                row = conn.fetchone(
                    "SELECT reference, devices FROM shipments_view WHERE id = ?", (sid,)
                )
                assert row is not None  # prepared first
                reference, count = str(row[0]), int(row[1])
                conn.executemany(
                    "INSERT INTO shipment_items_view VALUES (?, ?, ?, ?, 'packed')",
                    [(sid, reference, x, count + i) for i, x in enumerate(s["serials"])],
                )
                conn.execute(
                    "UPDATE shipments_view SET devices = devices + ?, updated_at = ? WHERE id = ?",
                    (len(s["serials"]), at, sid),
                )
            elif kind == "Sealed":
                conn.execute(
                    "UPDATE shipments_view SET status = 'sealed', seal_number = ?, updated_at = ? "
                    "WHERE id = ?",
                    (s["seal_number"], at, sid),
                )
            elif kind == "Dispatched":
                conn.execute(
                    "UPDATE shipments_view SET status = 'in_transit', carrier = ?, updated_at = ? "
                    "WHERE id = ?",
                    (s["carrier"], at, sid),
                )
            elif kind == "Delivered":
                conn.execute(
                    "UPDATE shipment_items_view SET state = 'delivered' WHERE shipment_id = ?",
                    (sid,),
                )
                conn.execute(
                    "UPDATE shipments_view SET status = 'delivered', recipient = ?, "
                    "delivered = devices, updated_at = ? WHERE id = ?",
                    (s["recipient"], at, sid),
                )
            elif kind == "PartiallyDelivered":
                conn.executemany(
                    "UPDATE shipment_items_view SET state = ? WHERE shipment_id = ? AND serial = ?",
                    [(state, sid, x) for state in ("delivered", "missing") for x in s[state]],
                )
                conn.execute(
                    "UPDATE shipments_view SET status = 'partially_delivered', recipient = ?, "
                    "delivered = ?, missing = ?, updated_at = ? WHERE id = ?",
                    (s["recipient"], len(s["delivered"]), len(s["missing"]), at, sid),
                )
            else:  # Lost
                conn.execute(
                    "UPDATE shipment_items_view SET state = 'lost' WHERE shipment_id = ?", (sid,)
                )
                conn.execute(
                    "UPDATE shipments_view SET status = 'lost', missing = devices, updated_at = ? "
                    "WHERE id = ?",
                    (at, sid),
                )


SHIPMENT_VIEW_COLUMNS: tuple[str, ...] = (
    "reference",
    "uai",
    "depot",
    "status",
    "devices",
    "delivered",
    "missing",
    "seal_number",
    "carrier",
    "recipient",
    "prepared_by",
    "prepared_at",
    "updated_at",
)


def shipments(
    conn: ViewConnection,
    *,
    reference: str | None = None,
    uai: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Shipments as dicts of ``SHIPMENT_VIEW_COLUMNS`` (with ``serials`` for one reference)."""
    terms, params = [], []
    for column, value in (("reference", reference), ("uai", uai), ("status", status)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    out = [
        dict(zip(SHIPMENT_VIEW_COLUMNS, row, strict=True))
        for row in conn.fetchall(
            f"SELECT {', '.join(SHIPMENT_VIEW_COLUMNS)} FROM shipments_view{where} "
            "ORDER BY prepared_at, reference",
            params,
        )
    ]
    if reference is not None:
        for shipment in out:
            shipment["items"] = [
                {"serial": serial, "state": state}
                for serial, state in conn.fetchall(
                    "SELECT serial, state FROM shipment_items_view WHERE reference = ? "
                    "ORDER BY position",
                    (shipment["reference"],),
                )
            ]
    return out


# ---------------------------------------------------------------------------- kits


class KitsView(View):
    """Mobile classroom kits, their devices (missing ones flagged) and their reservations."""

    name = "kits"
    version = 1
    tables = ("kits_view", "kit_devices_view", "kit_reservations_view")
    topics = tuple(
        get_topic(e)
        for e in (
            MobileClassroomKit.Assembled, MobileClassroomKit.Reserved,
            MobileClassroomKit.ReservationCancelled, MobileClassroomKit.CheckedOut,
            MobileClassroomKit.CheckedIn,
        )
    )  # fmt: skip

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kits_view ("
            "id TEXT PRIMARY KEY, reference TEXT NOT NULL UNIQUE, uai TEXT NOT NULL, "
            "cart_id TEXT NOT NULL, status TEXT NOT NULL, devices INTEGER NOT NULL, "
            "missing INTEGER NOT NULL, checked_out_reservation TEXT, assembled_by TEXT NOT NULL, "
            "assembled_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kit_devices_view ("
            "kit_id TEXT NOT NULL, reference TEXT NOT NULL, serial TEXT NOT NULL, "
            "position INTEGER NOT NULL, missing INTEGER NOT NULL, PRIMARY KEY (kit_id, serial))"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kit_reservations_view ("
            "reservation_id TEXT PRIMARY KEY, kit_id TEXT NOT NULL, kit_reference TEXT NOT NULL, "
            "uai TEXT NOT NULL, class_name TEXT NOT NULL, start_at TEXT NOT NULL, "
            "end_at TEXT NOT NULL, status TEXT NOT NULL, booked_by TEXT NOT NULL, "
            "updated_at TEXT NOT NULL)"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS kit_reservations_start "
            "ON kit_reservations_view (start_at, kit_reference)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            s = event_state(n)
            kid = str(n.originator_id)
            at = stored_time(s["timestamp"])
            kind = n.topic.rsplit(".", 1)[-1]
            if kind == "Assembled":
                conn.execute(
                    "INSERT INTO kits_view VALUES (?, ?, ?, ?, 'available', ?, 0, NULL, ?, ?, ?)",
                    (kid, s["reference"], s["uai"], s["cart_id"], len(s["serials"]), s["by"],
                     at, at),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO kit_devices_view VALUES (?, ?, ?, ?, 0)",
                    [(kid, s["reference"], x, i) for i, x in enumerate(s["serials"])],
                )
            elif kind == "Reserved":
                conn.execute(
                    "INSERT INTO kit_reservations_view SELECT ?, id, reference, uai, ?, ?, ?, "
                    "'booked', ?, ? FROM kits_view WHERE id = ?",
                    (s["reservation_id"], s["class_name"], stored_time(s["start"]),
                     stored_time(s["end"]), s["by"], at, kid),
                )  # fmt: skip
                conn.execute("UPDATE kits_view SET updated_at = ? WHERE id = ?", (at, kid))
            elif kind == "ReservationCancelled":
                self._reservation(conn, s["reservation_id"], "cancelled", at)
                conn.execute("UPDATE kits_view SET updated_at = ? WHERE id = ?", (at, kid))
            elif kind == "CheckedOut":
                self._reservation(conn, s["reservation_id"], "checked_out", at)
                conn.execute(
                    "UPDATE kits_view SET status = 'checked_out', checked_out_reservation = ?, "
                    "updated_at = ? WHERE id = ?",
                    (s["reservation_id"], at, kid),
                )
            else:  # CheckedIn
                self._reservation(conn, s["reservation_id"], "returned", at)
                conn.execute("UPDATE kit_devices_view SET missing = 0 WHERE kit_id = ?", (kid,))
                conn.executemany(
                    "UPDATE kit_devices_view SET missing = 1 WHERE kit_id = ? AND serial = ?",
                    [(kid, x) for x in s["missing"]],
                )
                conn.execute(
                    "UPDATE kits_view SET status = ?, missing = ?, checked_out_reservation = NULL, "
                    "updated_at = ? WHERE id = ?",
                    ("incomplete" if s["missing"] else "available", len(s["missing"]), at, kid),
                )

    @staticmethod
    def _reservation(conn: ViewConnection, reservation_id: str, status: str, at: str) -> None:
        conn.execute(
            "UPDATE kit_reservations_view SET status = ?, updated_at = ? WHERE reservation_id = ?",
            (status, at, reservation_id),
        )


KIT_VIEW_COLUMNS: tuple[str, ...] = (
    "reference",
    "uai",
    "cart_id",
    "status",
    "devices",
    "missing",
    "checked_out_reservation",
    "assembled_by",
    "assembled_at",
)
RESERVATION_COLUMNS: tuple[str, ...] = (
    "reservation_id",
    "kit_reference",
    "uai",
    "class_name",
    "start_at",
    "end_at",
    "status",
    "booked_by",
)


def kits(
    conn: ViewConnection, *, reference: str | None = None, uai: str | None = None
) -> list[dict[str, Any]]:
    """Kits as dicts of ``KIT_VIEW_COLUMNS`` plus their ``serials`` and ``missing_serials``."""
    terms, params = [], []
    for column, value in (("reference", reference), ("uai", uai)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    out = [
        dict(zip(KIT_VIEW_COLUMNS, row, strict=True))
        for row in conn.fetchall(
            f"SELECT {', '.join(KIT_VIEW_COLUMNS)} FROM kits_view{where} ORDER BY reference", params
        )
    ]
    members: dict[str, list[tuple[str, int]]] = {}
    for ref, serial, missing in conn.fetchall(
        "SELECT reference, serial, missing FROM kit_devices_view ORDER BY reference, position"
    ):
        members.setdefault(str(ref), []).append((str(serial), int(missing)))
    for kit in out:
        items = members.get(kit["reference"], [])
        kit["serials"] = [s for s, _ in items]
        kit["missing_serials"] = [s for s, m in items if m]
    return out


def reservations(
    conn: ViewConnection,
    *,
    kit: str | None = None,
    uai: str | None = None,
    start: str | None = None,
    end: str | None = None,
    include_closed: bool = False,
) -> list[dict[str, Any]]:
    """A kit reservation calendar: reservations overlapping [start, end) (ISO UTC), earliest first.

    Cancelled and returned reservations are left out unless ``include_closed``.
    """
    terms, params = [], []
    for term, value in (
        ("kit_reference = ?", kit),
        ("uai = ?", uai),
        ("end_at > ?", start),
        ("start_at < ?", end),
    ):
        if value is not None:
            terms.append(term)
            params.append(value)
    if not include_closed:
        terms.append("status IN ('booked', 'checked_out')")
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    return [
        dict(zip(RESERVATION_COLUMNS, row, strict=True))
        for row in conn.fetchall(
            f"SELECT {', '.join(RESERVATION_COLUMNS)} FROM kit_reservations_view{where} "
            "ORDER BY start_at, kit_reference",
            params,
        )
    ]


# ---------------------------------------------------------------------------- counts


class InventoryCountsView(View):
    """Every inventory count: where, when, by whom and what it found (for the overdue list)."""

    name = "inventory"
    version = 1
    tables = ("inventory_counts_view",)
    topics = (get_topic(InventoryCount.Counted),)

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS inventory_counts_view ("
            "id TEXT PRIMARY KEY, location_kind TEXT NOT NULL, location_ref TEXT NOT NULL, "
            "counted_at TEXT NOT NULL, counted_by TEXT NOT NULL, expected INTEGER NOT NULL, "
            "scanned INTEGER NOT NULL, missing INTEGER NOT NULL, unexpected INTEGER NOT NULL, "
            "misplaced INTEGER NOT NULL)"
        )
        conn.execute(
            "CREATE INDEX IF NOT EXISTS inventory_counts_place "
            "ON inventory_counts_view (location_kind, location_ref, counted_at)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        rows = []
        for n in notifications:
            s = event_state(n)
            rows.append(
                (
                    str(n.originator_id),
                    s["location_kind"],
                    s["location_ref"],
                    stored_time(s["timestamp"]),
                    s["by"],
                    len(s["expected"]),
                    len(s["scanned"]),
                    len(s["missing"]),
                    len(s["unexpected"]),
                    len(s["misplaced"]),
                )
            )
        conn.executemany(
            "INSERT INTO inventory_counts_view VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


def last_counted(conn: ViewConnection) -> dict[str, str | None]:
    """``kind:reference`` of every place to count → ISO time of its last count (None: never).

    Places to count: depots and schools where the view places devices now, and
    every place counted before.
    """
    places: dict[str, str | None] = {
        f"{kind}:{ref}": None
        for kind, ref in conn.fetchall(
            "SELECT DISTINCT location_kind, location_ref FROM devices_view "
            "WHERE location_kind IN ('depot', 'establishment')"
        )
    }
    for kind, ref, at in conn.fetchall(
        "SELECT location_kind, location_ref, MAX(counted_at) FROM inventory_counts_view "
        "GROUP BY location_kind, location_ref"
    ):
        places[f"{kind}:{ref}"] = str(at)
    return places
