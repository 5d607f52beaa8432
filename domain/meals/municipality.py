"""A municipality that buys meal rounds: its contract, prices and social centre (CCAS)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from itertools import pairwise
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import municipality_id
from domain.meals.ordering import DAY_NAMES, WEEKDAYS
from domain.meals.welfare_alert import CATEGORIES, SEVERITIES

DEFAULT_ACKNOWLEDGE_WITHIN_MIN = 240
"""Minutes the CCAS has to acknowledge a welfare alert before it shows as overdue (default)."""
DEFAULT_MAX_ROUND_MIN = 240
"""Longest time from loading to the last delivery, minutes (default cold-chain route limit)."""


@dataclass(frozen=True)
class WelfareRules:
    """What the welfare watch raises by itself, as the municipality agreed it.

    An absent beneficiary whom nobody could reach raises an alert of
    ``absent_category``/``absent_severity``; across days, ``uneaten_count`` stops with the
    previous meal not eaten within ``uneaten_days`` days, or ``absences_count`` absences
    within ``absences_days`` days, raise one of ``pattern_category``/``pattern_severity``.
    """

    absent_category: str = "self_care_safety"
    absent_severity: str = "high"
    uneaten_count: int = 2
    uneaten_days: int = 7
    absences_count: int = 3
    absences_days: int = 30
    pattern_category: str = "health"
    pattern_severity: str = "medium"

    def __post_init__(self) -> None:
        for category in (self.absent_category, self.pattern_category):
            if category not in CATEGORIES:
                raise InvalidInputError(
                    f"category {category!r} is not one of {', '.join(CATEGORIES)}"
                )
        for severity in (self.absent_severity, self.pattern_severity):
            if severity not in SEVERITIES:
                raise InvalidInputError(
                    f"severity {severity!r} is not one of {', '.join(SEVERITIES)}"
                )
        counts = (
            (self.uneaten_count, self.uneaten_days, "uneaten meals"),
            (self.absences_count, self.absences_days, "absences"),
        )
        for count, days, what in counts:
            if not (1 <= count <= 20 and 1 <= days <= 90):
                raise InvalidInputError(
                    f"{what}: {count} within {days} days — 1 to 20 within 1 to 90 days"
                )


@dataclass(frozen=True)
class CcasMail:
    """Where the CCAS's alert mails go: an SMTP server (host, port), sender and recipient."""

    host: str
    port: int
    sender: str
    recipient: str

    def __post_init__(self) -> None:
        if not self.host.strip() or not 1 <= self.port <= 65535:
            raise InvalidInputError(f"SMTP server {self.host}:{self.port} is not HOST:PORT")
        for address in (self.sender, self.recipient):
            if "@" not in address or any(c.isspace() for c in address.strip()):
                raise InvalidInputError(f"{address!r} is not an e-mail address")


_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def normalise_insee(raw: str) -> str:
    """An INSEE commune code: 5 digits, or 2A/2B and 3 digits for Corsica."""
    code = raw.strip().upper()
    if not _INSEE_RE.match(code):
        raise InvalidInputError(
            f"INSEE code {raw!r} must be 5 digits (2A/2B + 3 digits in Corsica)"
        )
    return code


@dataclass(frozen=True)
class PriceBracket:
    """Prices for yearly incomes up to ``max_income_eur`` (None: any income above the others)."""

    name: str
    max_income_eur: int | None
    meal_price_cents: int
    delivery_price_cents: int


BRACKET_FORM = "NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS"
"""How a price bracket is written (the last one leaves MAX_INCOME_EUR empty)."""


def parse_bracket(text: str) -> PriceBracket:
    """A price bracket written ``NAME:MAX_INCOME_EUR:MEAL_CENTS:DELIVERY_CENTS`` (the command
    line's ``--bracket`` and the console's form read it here, alike)."""
    parts = text.strip().split(":")
    if len(parts) != 4:
        raise InvalidInputError(f"{text!r} is not {BRACKET_FORM}")
    name, max_income, meal, delivery = (p.strip() for p in parts)
    if not name:
        raise InvalidInputError(f"{text!r}: the bracket needs a name")
    try:
        return PriceBracket(name, int(max_income) if max_income else None, int(meal), int(delivery))
    except ValueError:
        raise InvalidInputError(f"{text!r}: income and prices are whole numbers") from None


def parse_brackets(text: str) -> list[PriceBracket]:
    """Price brackets written one after the other, separated by spaces, commas or semicolons."""
    parts = text.replace(";", " ").replace(",", " ").split()
    if not parts:
        raise InvalidInputError(f"a contract needs at least one price bracket ({BRACKET_FORM})")
    return [parse_bracket(part) for part in parts]


def parse_weekdays(text: str) -> tuple[int, ...]:
    """Days of the week: ``mon-fri``, ``mon-sat``, ``every-day`` or a list ``mon,wed,sat``."""
    value = text.strip().lower()
    if value in ("every-day", "daily", "mon-sun"):
        return tuple(range(7))
    days: set[int] = set()
    for part in value.split(","):
        ends = part.strip().split("-")
        if len(ends) not in (1, 2) or any(e not in DAY_NAMES for e in ends):
            raise InvalidInputError(
                f"{text!r} is not days like mon-fri, mon-sat, every-day or mon,wed,sat"
            )
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if last < first:
            raise InvalidInputError(f"{part.strip()!r} runs backwards: write mon-sat")
        days.update(range(first, last + 1))
    return tuple(sorted(days))


def weekdays_text(days: Iterable[int]) -> str:
    """Days written as ``parse_weekdays`` reads them: ``mon,tue,wed``."""
    return ",".join(DAY_NAMES[d] for d in sorted(days))


@dataclass(frozen=True)
class Contract:
    """What the municipality pays per meal delivered and per delivery, by income bracket."""

    brackets: tuple[PriceBracket, ...]

    def __post_init__(self) -> None:
        if not self.brackets:
            raise InvalidInputError("a contract needs at least one price bracket")
        for b in self.brackets:
            if b.meal_price_cents < 0 or b.delivery_price_cents < 0:
                raise InvalidInputError(f"price bracket {b.name!r} has a negative price")
        names = [b.name for b in self.brackets]
        if len(set(names)) != len(names):
            raise InvalidInputError("price bracket names must be distinct")
        limits = [b.max_income_eur for b in self.brackets]
        bounded = limits[:-1] if limits[-1] is None else limits
        if None in bounded or any(a >= b for a, b in pairwise(bounded)):
            raise InvalidInputError(
                "price brackets must be in increasing income order, only the last without a limit"
            )

    def bracket(self, name: str) -> PriceBracket:
        for b in self.brackets:
            if b.name == name:
                return b
        raise InvalidInputError(f"no price bracket named {name!r} in the contract")

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(b) for b in self.brackets]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> Contract:
        return cls(tuple(PriceBracket(**b) for b in data))


class Municipality(MaillageAggregate):
    """A municipality (commune) and its meal-delivery contract."""

    # Service settings until the municipality configures its own (``configure_service``).
    acknowledge_within_min: int = DEFAULT_ACKNOWLEDGE_WITHIN_MIN
    max_round_min: int = DEFAULT_MAX_ROUND_MIN
    depot_lat_lon: tuple[float, float] | None = None

    @staticmethod
    def create_id(insee_code: str) -> UUID:
        return municipality_id(insee_code)

    @event("Registered")
    def __init__(
        self,
        insee_code: str,
        name: str,
        depot: str,
        ccas_contact: str,
        contract: list[dict[str, Any]],
    ) -> None:
        self.insee_code = insee_code
        self.name = name
        self.depot = depot
        self.ccas_contact = ccas_contact
        self._contract = contract

    @classmethod
    def register(
        cls, insee_code: str, name: str, depot: str, ccas_contact: str, contract: Contract
    ) -> Municipality:
        """Register a municipality; its INSEE code and contract are checked first."""
        if not name.strip():
            raise InvalidInputError("a municipality needs a name")
        return cls(
            insee_code=normalise_insee(insee_code),
            name=name.strip(),
            depot=depot.strip(),
            ccas_contact=ccas_contact.strip(),
            contract=contract.to_json(),
        )

    @property
    def contract(self) -> Contract:
        """The contract in force for deliveries from now on."""
        return Contract.from_json(self._contract)

    def contract_on(self, day: date) -> Contract:
        """The contract whose prices apply to deliveries of ``day``."""
        chosen = self._contract_history[0][1]
        for effective_from, brackets in self._contract_history:
            if effective_from <= day.isoformat():
                chosen = brackets
        return Contract.from_json(chosen)

    @property
    def _contract_history(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return getattr(self, "_renewals", None) or [("0000-01-01", self._contract)]

    def renew_contract(self, contract: Contract, effective_from: date) -> None:
        """New prices for deliveries from ``effective_from`` on; earlier days keep theirs."""
        history = self._contract_history
        if effective_from.isoformat() <= history[-1][0]:
            raise RuleViolationError(
                f"a contract renewal must take effect after {history[-1][0]}, "
                f"not on {effective_from}"
            )
        if contract.to_json() != history[-1][1]:
            self._contract_renewed(
                contract=contract.to_json(), effective_from=effective_from.isoformat()
            )

    @event("ContractRenewed")
    def _contract_renewed(self, contract: list[dict[str, Any]], effective_from: str) -> None:
        self._renewals = [*self._contract_history, (effective_from, contract)]
        self._contract = contract

    def configure_service(
        self,
        acknowledge_within_min: int,
        max_round_min: int,
        depot_lat_lon: tuple[float, float] | None,
        by: str,
    ) -> None:
        """Agreed service levels: the CCAS's delay to acknowledge an alert, the longest
        round from loading to the last delivery, and where the rounds start."""
        if not 15 <= acknowledge_within_min <= 7 * 24 * 60:
            raise InvalidInputError(
                f"the delay to acknowledge an alert must be 15 min to 7 days, "
                f"not {acknowledge_within_min} min"
            )
        if not 30 <= max_round_min <= 12 * 60:
            raise InvalidInputError(
                f"the longest round must be 30 min to 12 h, not {max_round_min} min"
            )
        if depot_lat_lon is not None and not (
            -90 <= depot_lat_lon[0] <= 90 and -180 <= depot_lat_lon[1] <= 180
        ):
            raise InvalidInputError(f"depot position {depot_lat_lon} is not LAT,LON in degrees")
        if not by.strip():
            raise InvalidInputError("configuring a municipality needs the name of who does it")
        self._service_configured(
            acknowledge_within_min=acknowledge_within_min,
            max_round_min=max_round_min,
            depot_lat_lon=list(depot_lat_lon) if depot_lat_lon else None,
            by=by.strip(),
        )

    @property
    def delivery_weekdays(self) -> tuple[int, ...]:
        """The days meals are delivered (``date.weekday()``; Monday to Friday unless agreed)."""
        return tuple(getattr(self, "_delivery_weekdays", WEEKDAYS))

    def set_delivery_days(self, weekdays: Iterable[int], by: str) -> None:
        """Agree the days meals are delivered; each brings the meals until the next one."""
        days = sorted(set(weekdays))
        if not days or any(not 0 <= d <= 6 for d in days):
            raise InvalidInputError("delivery days must be one to seven days of the week")
        if not by.strip():
            raise InvalidInputError("configuring a municipality needs the name of who does it")
        if tuple(days) != self.delivery_weekdays:
            self._delivery_days_set(weekdays=days, by=by.strip())

    @event("DeliveryDaysSet")
    def _delivery_days_set(self, weekdays: list[int], by: str) -> None:
        self._delivery_weekdays = tuple(weekdays)

    @event("ServiceConfigured")
    def _service_configured(
        self,
        acknowledge_within_min: int,
        max_round_min: int,
        depot_lat_lon: list[float] | None,
        by: str,
    ) -> None:
        self.acknowledge_within_min = acknowledge_within_min
        self.max_round_min = max_round_min
        self.depot_lat_lon = (depot_lat_lon[0], depot_lat_lon[1]) if depot_lat_lon else None

    def accept_unserved(self, day: date, files: list[str], reason: str, by: str) -> None:
        """The operator accepts that these orders of ``day`` go undelivered (no van could
        serve them within the limits), naming who decides and why."""
        if not files:
            raise InvalidInputError("no unserved order to accept")
        if not reason.strip() or not by.strip():
            raise InvalidInputError("accepting unserved orders needs who decides and a reason")
        self._unserved_accepted(
            day=day.isoformat(), files=sorted(files), reason=reason.strip(), by=by.strip()
        )

    @property
    def welfare_rules(self) -> WelfareRules:
        """The welfare watch's rules (the default practice until configured)."""
        return WelfareRules(**getattr(self, "_welfare_rules", {}))

    def set_welfare_rules(self, rules: WelfareRules, by: str) -> None:
        """Agree what the welfare watch raises by itself (checked when ``rules`` was made)."""
        if not by.strip():
            raise InvalidInputError("configuring a municipality needs the name of who does it")
        if rules != self.welfare_rules:
            self._welfare_rules_set(rules=asdict(rules), by=by.strip())

    @event("WelfareRulesSet")
    def _welfare_rules_set(self, rules: dict[str, Any], by: str) -> None:
        self._welfare_rules = rules

    @property
    def ccas_mail(self) -> CcasMail | None:
        """Where alert mails go, or None when the municipality has not configured it."""
        mail = getattr(self, "_ccas_mail", None)
        return CcasMail(**mail) if mail else None

    def set_ccas_mail(self, mail: CcasMail, by: str) -> None:
        """The CCAS's SMTP server and addresses for alert mails."""
        if not by.strip():
            raise InvalidInputError("configuring a municipality needs the name of who does it")
        self._ccas_mail_set(mail=asdict(mail), by=by.strip())

    @event("CcasMailSet")
    def _ccas_mail_set(self, mail: dict[str, Any], by: str) -> None:
        self._ccas_mail = mail

    @event("UnservedOrdersAccepted")
    def _unserved_accepted(self, day: str, files: list[str], reason: str, by: str) -> None:
        self.unserved_accepted = {**getattr(self, "unserved_accepted", {}), day: files}
