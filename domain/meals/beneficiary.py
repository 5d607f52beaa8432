"""A person who receives meals: file, status, sealed personal data, diet, schedule.

Name, address, phone, contact person, access notes, home location and diet
are personal (health-related) data: they are ``Personal`` values, sealed with
the beneficiary's own key when stored (see ``domain.personal``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.ids import beneficiary_id
from domain.personal import Personal

STATUSES = ("pending", "active", "stopped", "deceased")
REGIMES = ("normal", "no_salt", "no_sugar", "low_fat", "gluten_free")
TEXTURES = ("normal", "minced", "mixed")
SUSPENSION_REASONS = ("hospital", "holiday", "family", "other")
MAX_MEALS_PER_DAY = 3
PERSONAL_FIELDS = ("name", "address", "phone", "contact_person", "access_notes")


def _check_pattern(pattern: dict[int, int]) -> dict[str, int]:
    """A weekly pattern {weekday 0=Monday..6: meals} as stored (string keys)."""
    out = {}
    for day, meals in pattern.items():
        if day not in range(7):
            raise InvalidInputError(f"weekday {day} is not 0 (Monday) to 6 (Sunday)")
        if meals not in range(MAX_MEALS_PER_DAY + 1):
            raise InvalidInputError(
                f"{meals} meals on weekday {day}: 0 to {MAX_MEALS_PER_DAY} allowed"
            )
        if meals:
            out[str(day)] = meals
    return out


class Beneficiary(MaillageAggregate):
    """One beneficiary of a municipality's meal service."""

    @staticmethod
    def create_id(insee_code: str, file_number: str) -> UUID:
        return beneficiary_id(insee_code, file_number)

    @event("Registered")
    def __init__(
        self,
        insee_code: str,
        file_number: str,
        municipality_id: UUID,
        personal: Personal,
        home: Personal,
        price_bracket: str,
        window_start: str,
        window_end: str,
        service_time_s: int,
    ) -> None:
        self.insee_code = insee_code
        self.file_number = file_number
        self.municipality_id = municipality_id
        self.personal = personal
        self.home = home
        self.price_bracket = price_bracket
        self.window_start = window_start
        self.window_end = window_end
        self.service_time_s = service_time_s
        self.status = "pending"
        self.active_from: str | None = None
        self.diet: Personal | None = None
        self.pattern: dict[str, int] = {}
        self.extras: dict[str, int] = {}
        self.suspensions: list[dict[str, str]] = []

    @classmethod
    def register(
        cls,
        insee_code: str,
        file_number: str,
        municipality_id: UUID,
        personal: dict[str, str],
        latitude_deg: float,
        longitude_deg: float,
        price_bracket: str,
        window: tuple[str, str] = ("08:30", "12:30"),
        service_time_s: int = 300,
    ) -> Beneficiary:
        """Open a beneficiary's file (pending until the first delivery is scheduled)."""
        file_number = file_number.strip()
        if not file_number:
            raise InvalidInputError("a beneficiary needs a file number")
        unknown = set(personal) - set(PERSONAL_FIELDS)
        if unknown:
            raise InvalidInputError(f"unknown personal fields: {', '.join(sorted(unknown))}")
        if not personal.get("name", "").strip():
            raise InvalidInputError(f"beneficiary file {file_number} has no name")
        if not (-90 <= latitude_deg <= 90 and -180 <= longitude_deg <= 180):
            raise InvalidInputError(f"beneficiary file {file_number} has an impossible position")
        start, end = window
        if not (_is_hhmm(start) and _is_hhmm(end) and start < end):
            raise InvalidInputError(
                f"delivery window {start}-{end} is not HH:MM-HH:MM, start first"
            )
        if not 0 < service_time_s <= 3600:
            raise InvalidInputError("service time at the stop must be 1 s to 1 h")
        subject = beneficiary_id(insee_code, file_number)
        return cls(
            insee_code=insee_code,
            file_number=file_number,
            municipality_id=municipality_id,
            personal=Personal(subject, {k: personal.get(k, "").strip() for k in PERSONAL_FIELDS}),
            home=Personal(subject, {"lat": latitude_deg, "lon": longitude_deg}),
            price_bracket=price_bracket,
            window_start=start,
            window_end=end,
            service_time_s=service_time_s,
        )

    # ------------------------------------------------------------------ guards

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise RuleViolationError(
                f"beneficiary file {self.file_number} is {self.status}: "
                f"this needs it to be {' or '.join(statuses)}"
            )

    # ------------------------------------------------------------------ commands

    def prescribe_diet(
        self, regime: str, texture: str, allergens: list[str], avoid: list[str]
    ) -> None:
        """Record the diet from the medical prescription."""
        self._require("pending", "active")
        if regime not in REGIMES:
            raise InvalidInputError(f"the regime is not one of {', '.join(REGIMES)}")
        if texture not in TEXTURES:
            raise InvalidInputError(f"the texture is not one of {', '.join(TEXTURES)}")
        value = {
            "regime": regime,
            "texture": texture,
            "allergens": sorted({a.strip().lower() for a in allergens if a.strip()}),
            "avoid": sorted({a.strip().lower() for a in avoid if a.strip()}),
        }
        self._diet_prescribed(diet=Personal(self.id, value))

    @event("DietPrescribed")
    def _diet_prescribed(self, diet: Personal) -> None:
        self.diet = diet

    def set_weekly_pattern(self, pattern: dict[int, int]) -> None:
        """Meals each weekday from now on (0 = Monday)."""
        self._require("pending", "active")
        self._pattern_set(pattern=_check_pattern(pattern))

    @event("WeeklyPatternSet")
    def _pattern_set(self, pattern: dict[str, int]) -> None:
        self.pattern = pattern

    def correct(
        self,
        personal: dict[str, str] | None = None,
        position: tuple[float, float] | None = None,
        window: tuple[str, str] | None = None,
        service_time_s: int | None = None,
    ) -> list[str]:
        """Correct the file's details (the earlier values stay in the log); returns the names
        of the fields that changed (never their values), nothing recorded when none did."""
        self._require("pending", "active", "stopped")
        changed: list[str] = []
        new_personal = None
        if personal:
            unknown = set(personal) - set(PERSONAL_FIELDS)
            if unknown:
                raise InvalidInputError(f"unknown personal fields: {', '.join(sorted(unknown))}")
            now = dict(self.personal.value) if not self.personal.erased else {}
            merged = {**now, **{k: v.strip() for k, v in personal.items()}}
            if not merged.get("name"):
                raise InvalidInputError(f"beneficiary file {self.file_number} needs a name")
            changed += [k for k in PERSONAL_FIELDS if merged.get(k, "") != now.get(k, "")]
            if changed:
                new_personal = Personal(self.id, merged)
        new_home = None
        if position is not None:
            lat, lon = position
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise InvalidInputError(f"beneficiary file {self.file_number}: impossible position")
            if self.home.erased or (self.home.value["lat"], self.home.value["lon"]) != (lat, lon):
                new_home = Personal(self.id, {"lat": lat, "lon": lon})
                changed.append("position")
        new_window = None
        if window is not None and tuple(window) != (self.window_start, self.window_end):
            start, end = window
            if not (_is_hhmm(start) and _is_hhmm(end) and start < end):
                raise InvalidInputError(f"delivery window {start}-{end} is not HH:MM-HH:MM")
            new_window = [start, end]
            changed.append("window")
        new_service = None
        if service_time_s is not None and service_time_s != self.service_time_s:
            if not 0 < service_time_s <= 3600:
                raise InvalidInputError("service time at the stop must be 1 s to 1 h")
            new_service = service_time_s
            changed.append("service time")
        if changed:
            self._details_corrected(
                personal=new_personal, home=new_home, window=new_window,
                service_time_s=new_service, fields=changed,
            )  # fmt: skip
        return changed

    @event("DetailsCorrected")
    def _details_corrected(
        self,
        personal: Personal | None,
        home: Personal | None,
        window: list[str] | None,
        service_time_s: int | None,
        fields: list[str],
    ) -> None:
        if personal is not None:
            self.personal = personal
        if home is not None:
            self.home = home
        if window is not None:
            self.window_start, self.window_end = window
        if service_time_s is not None:
            self.service_time_s = service_time_s

    def activate(self, first_day: date) -> None:
        """Deliveries start on ``first_day``; a diet and a weekly pattern are needed first."""
        self._require("pending")
        if self.diet is None:
            raise RuleViolationError(f"beneficiary file {self.file_number} has no diet prescribed")
        if not self.pattern:
            raise RuleViolationError(
                f"beneficiary file {self.file_number} has no meals in its week"
            )
        self._activated(first_day=first_day.isoformat())

    @event("Activated")
    def _activated(self, first_day: str) -> None:
        self.status = "active"
        self.active_from = first_day

    def add_extra_meals(self, day: date, meals: int) -> None:
        """One-off extra meals on ``day`` (on top of the weekly pattern)."""
        self._require("pending", "active")
        if meals not in range(1, MAX_MEALS_PER_DAY + 1):
            raise InvalidInputError(f"{meals} extra meals: 1 to {MAX_MEALS_PER_DAY} allowed")
        self._extras_added(day=day.isoformat(), meals=meals)

    @event("ExtraMealsAdded")
    def _extras_added(self, day: str, meals: int) -> None:
        self.extras[day] = self.extras.get(day, 0) + meals

    def suspend(self, start: date, resume: date, reason: str) -> None:
        """A temporary stop from ``start`` until ``resume`` (excluded); it ends by itself."""
        self._require("active")
        if reason not in SUSPENSION_REASONS:
            raise InvalidInputError(
                f"reason {reason!r} is not one of {', '.join(SUSPENSION_REASONS)}"
            )
        if resume <= start:
            raise InvalidInputError(f"resume date {resume} must come after the start {start}")
        for s in self.suspensions:
            if start.isoformat() < s["resume"] and s["start"] < resume.isoformat():
                raise RuleViolationError(
                    f"beneficiary file {self.file_number} is already suspended "
                    f"from {s['start']} to {s['resume']}"
                )
        self._suspended(start=start.isoformat(), resume=resume.isoformat(), reason=reason)

    @event("Suspended")
    def _suspended(self, start: str, resume: str, reason: str) -> None:
        self.suspensions.append({"start": start, "resume": resume, "reason": reason})

    def stop(self, last_day: date, reason: str) -> None:
        """The service ends after ``last_day``."""
        self._require("pending", "active")
        text = reason.strip()  # free text about the person: sealed with their key
        self._stopped(last_day=last_day.isoformat(), reason=Personal(self.id, text) if text else "")

    @event("Stopped")
    def _stopped(self, last_day: str, reason: str | Personal) -> None:
        self.status = "stopped"
        self.last_day = last_day

    def record_death(self, day: date) -> None:
        """The beneficiary died; no more meals after ``day``."""
        self._require("pending", "active", "stopped")
        self._deceased(day=day.isoformat())

    @event("Deceased")
    def _deceased(self, day: str) -> None:
        self.status = "deceased"
        self.last_day = day

    def record_erasure(self, by: str) -> None:
        """Record that the person's data is being erased (the key is deleted next)."""
        if getattr(self, "erased_by", None):
            raise RuleViolationError(f"beneficiary file {self.file_number} is already erased")
        if not by.strip():
            raise InvalidInputError("an erasure needs the name of who ordered it")
        self._erased(by=by.strip())

    @event("Erased")
    def _erased(self, by: str) -> None:
        self.erased_by = by

    # ------------------------------------------------------------------ queries

    @property
    def erased(self) -> bool:
        """Whether the person's data was erased (or is being erased): reports show no file."""
        return bool(getattr(self, "erased_by", None)) or self.personal.erased

    def suspended_on(self, day: date) -> bool:
        iso = day.isoformat()
        return any(s["start"] <= iso < s["resume"] for s in self.suspensions)

    def meals_on(self, day: date) -> int:
        """Meals to deliver for ``day`` by the schedule (0 when not served that day)."""
        iso = day.isoformat()
        if self.status not in ("active", "stopped", "deceased") or self.active_from is None:
            return 0
        if iso < self.active_from or (self.status != "active" and iso > self.last_day):
            return 0
        if self.suspended_on(day):
            return 0
        return self.pattern.get(str(day.weekday()), 0) + self.extras.get(iso, 0)

    def status_on(self, day: date) -> str:
        """Status as the operator sees it on ``day``: a suspension shows as paused."""
        if self.status == "active" and self.suspended_on(day):
            return "paused"
        return self.status


def _is_hhmm(text: str) -> bool:
    return (
        len(text) == 5
        and text[2] == ":"
        and text[:2].isdigit()
        and text[3:].isdigit()
        and (int(text[:2]) < 24 and int(text[3:]) < 60)
    )


def describe(beneficiary: Beneficiary) -> dict[str, Any]:
    """Non-personal facts of a beneficiary (safe for logs and billing)."""
    return {
        "id": str(beneficiary.id),
        "insee_code": beneficiary.insee_code,
        "file_number": beneficiary.file_number,
        "status": beneficiary.status,
        "price_bracket": beneficiary.price_bracket,
    }
