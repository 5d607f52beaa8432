"""Read models of the meal service: beneficiaries, rounds and their stops, welfare alerts.

No view keeps a personal value in clear: the beneficiaries view keeps the
sealed values as the log stores them (opened on read with the person's key)
and empties them when the person is erased.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.ids import municipality_id
from domain.meals.beneficiary import Beneficiary
from domain.meals.meal_round import DELIVERED, MealRound
from domain.meals.municipality import DEFAULT_ACKNOWLEDGE_WITHIN_MIN, Municipality
from domain.meals.welfare_alert import WelfareAlert
from domain.personal import ERASED, Personal, PersonalAsSealed, SubjectKeys, open_sealed
from domain.store import ViewConnection
from domain.views.view import View, event_state, stored_id, stored_time

if TYPE_CHECKING:
    pass

_TOPICS = {
    get_topic(Beneficiary.Registered): "registered",
    get_topic(Beneficiary.Activated): "activated",
    get_topic(Beneficiary.Stopped): "stopped",
    get_topic(Beneficiary.Deceased): "deceased",
    get_topic(Beneficiary.DietPrescribed): "diet",
    get_topic(Beneficiary.Erased): "erased",
    get_topic(Beneficiary.DetailsCorrected): "corrected",
}


def _sealed(value: Any) -> str:
    """A sealed value as the view keeps it: its stored form, never opened ('' for none)."""
    if isinstance(value, dict) and value.get("_type_") == PersonalAsSealed.name:
        return json.dumps(value["_data_"], separators=(",", ":"), sort_keys=True)
    return ""


class BeneficiariesView(View):
    """One row per beneficiary: file, status, price bracket, and the personal data (identity
    and address, diet) as sealed in the log — opened on read (``beneficiary_list``), never
    kept in clear; emptied once the person is erased."""

    name = "beneficiaries"
    version = 3
    tables = ("beneficiaries_view",)
    topics = tuple(_TOPICS)

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS beneficiaries_view ("
            "id TEXT PRIMARY KEY, insee_code TEXT NOT NULL, file_number TEXT NOT NULL, "
            "status TEXT NOT NULL, price_bracket TEXT NOT NULL, personal TEXT NOT NULL, "
            "diet TEXT NOT NULL, erased INTEGER NOT NULL, UNIQUE (insee_code, file_number))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            kind = _TOPICS[n.topic]
            s = event_state(n)
            key = str(n.originator_id)
            if kind == "registered":
                conn.execute(
                    "INSERT INTO beneficiaries_view VALUES (?, ?, ?, 'pending', ?, ?, '', 0)",
                    (key, s["insee_code"], s["file_number"], s["price_bracket"],
                     _sealed(s["personal"])),
                )  # fmt: skip
            elif kind in ("activated", "stopped", "deceased"):
                status = {"activated": "active"}.get(kind, kind)
                conn.execute("UPDATE beneficiaries_view SET status = ? WHERE id = ?", (status, key))
            elif kind == "diet":
                conn.execute(
                    "UPDATE beneficiaries_view SET diet = ? WHERE id = ? AND erased = 0",
                    (_sealed(s["diet"]), key),
                )
            elif kind == "corrected":
                if s.get("personal"):
                    conn.execute(
                        "UPDATE beneficiaries_view SET personal = ? WHERE id = ? AND erased = 0",
                        (_sealed(s["personal"]), key),
                    )
            else:  # erased: nothing personal is kept, not even sealed
                conn.execute(
                    "UPDATE beneficiaries_view SET personal = '', diet = '', erased = 1 "
                    "WHERE id = ?",
                    (key,),
                )


class RoundsView(View):
    """Rounds and their stops: status, meals planned and delivered, open excursions."""

    name = "rounds"
    version = 3
    tables = ("rounds_view", "round_stops_view")
    topics = tuple(
        get_topic(e)
        for e in (
            MealRound.Planned, MealRound.Reordered, MealRound.Loaded, MealRound.StopRecorded,
            MealRound.ExcursionOpened, MealRound.BoxReleased, MealRound.Completed,
            MealRound.Replanned, MealRound.Cancelled, MealRound.StopAmended,
        )
    )  # fmt: skip

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS rounds_view ("
            "id TEXT PRIMARY KEY, day TEXT NOT NULL, depot TEXT NOT NULL, postman TEXT NOT NULL, "
            "vehicle TEXT NOT NULL, status TEXT NOT NULL, stops INTEGER NOT NULL, "
            "meals INTEGER NOT NULL, meals_delivered INTEGER NOT NULL, "
            "stops_recorded INTEGER NOT NULL, open_excursions INTEGER NOT NULL, van TEXT NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS rounds_view_day ON rounds_view (day)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS round_stops_view ("
            "round_id TEXT NOT NULL, beneficiary_id TEXT NOT NULL, position INTEGER NOT NULL, "
            "meals INTEGER NOT NULL, box TEXT NOT NULL, outcome TEXT, "
            "PRIMARY KEY (round_id, beneficiary_id))"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            kind = n.topic.rsplit(".", 1)[-1]
            s = event_state(n)
            rid = str(n.originator_id)
            if kind == "Planned":
                conn.execute(
                    "INSERT INTO rounds_view VALUES (?, ?, ?, ?, ?, 'planned', 0, 0, 0, 0, 0, ?)",
                    (rid, s["day"], s["depot"], s["postman"], s["vehicle"], s.get("van", "")),
                )
                _set_stops(conn, rid, s["stops"])
            elif kind == "Replanned":
                _set_stops(conn, rid, s["stops"])
            elif kind == "StopAmended":
                who = stored_id(s["beneficiary"])
                change = (s["outcome"] in DELIVERED) - (s["previous"] in DELIVERED)
                conn.execute(
                    "UPDATE round_stops_view SET outcome = ? "
                    "WHERE round_id = ? AND beneficiary_id = ?",
                    (s["outcome"], rid, who),
                )
                conn.execute(
                    "UPDATE rounds_view SET meals_delivered = meals_delivered + ? * (SELECT meals "
                    "FROM round_stops_view WHERE round_id = ? AND beneficiary_id = ?) WHERE id = ?",
                    (change, rid, who, rid),
                )
            elif kind == "Cancelled":
                _set_stops(conn, rid, [])
                conn.execute("UPDATE rounds_view SET status = 'cancelled' WHERE id = ?", (rid,))
            elif kind == "Reordered":
                conn.executemany(
                    "UPDATE round_stops_view SET position = ? "
                    "WHERE round_id = ? AND beneficiary_id = ?",
                    [(i, rid, stored_id(b)) for i, b in enumerate(s["order"])],
                )
            elif kind in ("Loaded", "Completed"):
                conn.execute("UPDATE rounds_view SET status = ? WHERE id = ?", (kind.lower(), rid))
            elif kind == "StopRecorded":
                who = stored_id(s["beneficiary"])
                conn.execute(
                    "UPDATE round_stops_view SET outcome = ? "
                    "WHERE round_id = ? AND beneficiary_id = ?",
                    (s["outcome"], rid, who),
                )
                delivered = 1 if s["outcome"] in DELIVERED else 0
                conn.execute(
                    "UPDATE rounds_view SET stops_recorded = stops_recorded + 1, "
                    "meals_delivered = meals_delivered + ? * (SELECT meals FROM round_stops_view "
                    "WHERE round_id = ? AND beneficiary_id = ?) WHERE id = ?",
                    (delivered, rid, who, rid),
                )
            elif kind == "ExcursionOpened":
                conn.execute(
                    "UPDATE rounds_view SET open_excursions = open_excursions + 1 WHERE id = ?",
                    (rid,),
                )
            else:  # BoxReleased
                conn.execute(
                    "UPDATE rounds_view SET open_excursions = open_excursions - 1 WHERE id = ?",
                    (rid,),
                )


def _set_stops(conn: ViewConnection, rid: str, stops: list[dict[str, Any]]) -> None:
    """A planned round's stops (replacing any it had) and its counts."""
    conn.execute("DELETE FROM round_stops_view WHERE round_id = ?", (rid,))
    conn.executemany(
        "INSERT INTO round_stops_view VALUES (?, ?, ?, ?, ?, NULL)",
        [(rid, stored_id(x["beneficiary"]), i, int(x["meals"]), x["box"])
         for i, x in enumerate(stops)],
    )  # fmt: skip
    conn.execute(
        "UPDATE rounds_view SET stops = ?, meals = ? WHERE id = ?",
        (len(stops), sum(int(x["meals"]) for x in stops), rid),
    )


class WelfareAlertsView(View):
    """The CCAS inbox: every alert, its state and its dates (the note stays sealed), and each
    municipality's delay to acknowledge one (to tell which are overdue)."""

    name = "welfare_alerts"
    version = 2
    tables = ("welfare_alerts_view", "welfare_service_levels")
    topics = tuple(
        get_topic(e)
        for e in (
            WelfareAlert.Raised,
            WelfareAlert.Acknowledged,
            WelfareAlert.Closed,
            Municipality.Registered,
            Municipality.ServiceConfigured,
        )
    )

    def create(self, conn: ViewConnection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS welfare_alerts_view ("
            "id TEXT PRIMARY KEY, beneficiary_id TEXT NOT NULL, municipality_id TEXT NOT NULL, "
            "category TEXT NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL, "
            "raised_at TEXT NOT NULL, acknowledged_at TEXT, closed_at TEXT, outcome TEXT)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS welfare_service_levels ("
            "municipality_id TEXT PRIMARY KEY, insee_code TEXT NOT NULL, "
            "acknowledge_within_min INTEGER NOT NULL)"
        )

    def apply(self, conn: ViewConnection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            kind = n.topic.rsplit(".", 1)[-1]
            s = event_state(n)
            aid = str(n.originator_id)
            if n.topic == _MUNICIPALITY_REGISTERED:
                conn.execute(
                    "INSERT INTO welfare_service_levels VALUES (?, ?, ?)",
                    (aid, s["insee_code"], DEFAULT_ACKNOWLEDGE_WITHIN_MIN),
                )
            elif n.topic == _SERVICE_CONFIGURED:
                conn.execute(
                    "UPDATE welfare_service_levels SET acknowledge_within_min = ? "
                    "WHERE municipality_id = ?",
                    (s["acknowledge_within_min"], aid),
                )
            elif kind == "Raised":
                conn.execute(
                    "INSERT INTO welfare_alerts_view "
                    "VALUES (?, ?, ?, ?, ?, 'raised', ?, NULL, NULL, NULL)",
                    (aid, stored_id(s["beneficiary_id"]), stored_id(s["municipality_id"]),
                     s["category"], s["severity"], stored_time(s["timestamp"])),
                )  # fmt: skip
            elif kind == "Acknowledged":
                conn.execute(
                    "UPDATE welfare_alerts_view SET status = 'acknowledged', acknowledged_at = ? "
                    "WHERE id = ?",
                    (stored_time(s["at"]), aid),
                )
            else:
                conn.execute(
                    "UPDATE welfare_alerts_view SET status = 'closed', closed_at = ?, outcome = ? "
                    "WHERE id = ?",
                    (stored_time(s["timestamp"]), s["outcome"], aid),
                )


_MUNICIPALITY_REGISTERED = get_topic(Municipality.Registered)
_SERVICE_CONFIGURED = get_topic(Municipality.ServiceConfigured)


def overdue_alerts(conn: ViewConnection, now: datetime, insee_code: str | None = None) -> set[str]:
    """Ids of the alerts raised before ``now`` and still not acknowledged within their
    municipality's delay (``insee_code``: only that municipality's)."""
    rows = conn.fetchall(
        "SELECT a.id, a.raised_at, COALESCE(m.acknowledge_within_min, ?) "
        "FROM welfare_alerts_view a LEFT JOIN welfare_service_levels m "
        "ON m.municipality_id = a.municipality_id WHERE a.status = 'raised'"
        + (" AND m.insee_code = ?" if insee_code else ""),
        (DEFAULT_ACKNOWLEDGE_WITHIN_MIN, *([insee_code] if insee_code else [])),
    )
    return {
        aid
        for aid, raised_at, within_min in rows
        if datetime.fromisoformat(raised_at) + timedelta(minutes=within_min) < now
    }


@dataclass(frozen=True)
class MealsToday:
    """The dashboard's meal figures for one day."""

    meals_planned: int
    meals_delivered: int
    rounds: int
    rounds_under_way: int
    open_excursions: int
    open_alerts: int
    overdue_alerts: int


def meals_today(
    conn: ViewConnection, day: str, now: datetime, insee_code: str | None = None
) -> MealsToday:
    """Figures of ``day`` (ISO date) as of ``now``; overdue alerts by each municipality's delay.
    With ``insee_code`` (a scoped user) the alerts counted are that municipality's only."""
    row = conn.fetchone(
        "SELECT COALESCE(SUM(meals), 0), COALESCE(SUM(meals_delivered), 0), COUNT(*), "
        "COALESCE(SUM(CASE WHEN status = 'loaded' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(open_excursions), 0) FROM rounds_view WHERE day = ?",
        (day,),
    )
    scope, params = "", [now.astimezone(UTC).isoformat()]
    if insee_code is not None:
        scope, params = " AND municipality_id = ?", [*params, str(municipality_id(insee_code))]
    alerts = conn.fetchone(
        "SELECT COALESCE(SUM(CASE WHEN status != 'closed' THEN 1 ELSE 0 END), 0) "
        f"FROM welfare_alerts_view WHERE raised_at <= ?{scope}",
        params,
    )
    assert row is not None and alerts is not None
    overdue = overdue_alerts(conn, now, insee_code)
    return MealsToday(*(int(v) for v in row), int(alerts[0]), len(overdue))


# ----------------------------------------------------------------------------- queries

BENEFICIARY_FIELDS = ("id", "insee_code", "file_number", "status", "name", "address",
                      "price_bracket", "regime", "texture")  # fmt: skip
ROUND_FIELDS = ("id", "day", "postman", "vehicle", "status", "stops", "meals",
                "meals_delivered", "open_excursions", "van")  # fmt: skip
ALERT_FIELDS = ("id", "raised_at", "category", "severity", "status", "outcome", "file_number",
                "insee_code", "beneficiary_id")  # fmt: skip


def beneficiary_list(
    conn: ViewConnection, keys: SubjectKeys, insee: str | None = None
) -> list[dict[str, Any]]:
    """Beneficiaries by municipality and file number (one municipality's with ``insee``), their
    personal data opened with ``keys`` for display (``ERASED`` once erased, ``SEALED`` without
    the store's key-encryption key)."""
    where, params = ("WHERE insee_code = ?", (insee,)) if insee else ("", ())
    rows = conn.fetchall(
        "SELECT id, insee_code, file_number, status, price_bracket, personal, diet, erased "
        f"FROM beneficiaries_view {where} ORDER BY insee_code, file_number",
        params,
    )
    out = []
    for bid, code, file_number, status, bracket, personal, diet, erased in rows:
        who, food = _open(keys, personal, erased), _open(keys, diet, erased)
        out.append(
            {
                "id": bid, "insee_code": code, "file_number": file_number, "status": status,
                "name": who.field("name") if who else "",
                "address": who.field("address") if who else "",
                "price_bracket": bracket,
                "regime": food.field("regime") if food else "",
                "texture": food.field("texture") if food else "",
            }
        )  # fmt: skip
    return out


def _open(keys: SubjectKeys, sealed: str, erased: int) -> Personal | None:
    """A sealed value the view keeps, opened (None when there is none)."""
    if erased:
        return Personal(UUID(int=0), ERASED)
    if not sealed:
        return None
    return open_sealed(keys, json.loads(sealed))


def round_list(
    conn: ViewConnection,
    day: str | None = None,
    insee: str | None = None,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Rounds and their progress by day and postman: one day's with ``day``, those with a stop
    in one municipality with ``insee``."""
    where, params = ["1 = 1"], []
    if day:
        where.append("day = ?")
        params.append(day)
    if insee:
        where.append(
            "EXISTS (SELECT 1 FROM round_stops_view s JOIN beneficiaries_view b "
            "ON b.id = s.beneficiary_id WHERE s.round_id = r.id AND b.insee_code = ?)"
        )
        params.append(insee)
    order = "day DESC, postman" if newest_first else "day, postman"
    rows = conn.fetchall(
        f"SELECT {', '.join(ROUND_FIELDS)} FROM rounds_view r WHERE {' AND '.join(where)} "
        f"ORDER BY {order}",
        params,
    )
    return [dict(zip(ROUND_FIELDS, r, strict=True)) for r in rows]


def alert_list(
    conn: ViewConnection, now: datetime, insee: str | None = None, newest_first: bool = False
) -> list[dict[str, Any]]:
    """The welfare inbox (one municipality's with ``insee``), each alert marked ``overdue``
    when it was not acknowledged within its municipality's delay at ``now``."""
    rows = conn.fetchall(
        "SELECT a.id, a.raised_at, a.category, a.severity, a.status, a.outcome, "
        "b.file_number, m.insee_code, a.beneficiary_id FROM welfare_alerts_view a "
        "LEFT JOIN beneficiaries_view b ON b.id = a.beneficiary_id "
        "LEFT JOIN welfare_service_levels m ON m.municipality_id = a.municipality_id "
        + ("WHERE m.insee_code = ? " if insee else "")
        + ("ORDER BY a.raised_at DESC" if newest_first else "ORDER BY a.raised_at"),
        (insee,) if insee else (),
    )
    overdue = overdue_alerts(conn, now, insee)
    return [{**dict(zip(ALERT_FIELDS, r, strict=True)), "overdue": r[0] in overdue} for r in rows]
