"""A concern the postman reports about a beneficiary, followed by the CCAS to closure.

raised → acknowledged by a CCAS coordinator → follow-up actions → closed with an
outcome. The notes are personal (health) data and are sealed like the
beneficiary's own.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError, RuleViolationError
from domain.personal import Personal
from domain.wording import local_time

ALERT_NAMESPACE = UUID("7d0c8a4e-3f5b-5c59-9a51-6f1d2b9e0a17")
"""Namespace of welfare alert ids (uuid5 of what the alert says and when)."""
CATEGORIES = ("health", "self_care_safety", "mobility", "home", "other")
SEVERITIES = ("low", "medium", "high", "urgent")
OUTCOMES = ("resolved", "referred", "hospitalised", "no_action_needed", "deceased", "other")


def reference_of(alert_id: UUID) -> str:
    """An alert's reference: ``W-`` and the first 8 hex digits of its id, upper case."""
    return f"W-{alert_id.hex[:8].upper()}"


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


class WelfareAlert(MaillageAggregate):
    """One welfare alert and its trail."""

    @staticmethod
    def create_id(
        beneficiary_id: UUID, category: str, severity: str, note: Personal, raised_by: str
    ) -> UUID:
        """An id from what the alert says and when it is raised (UTC): the same alert raised
        twice at the same instant is one alert, and a replayed demo gives the same references."""
        text = note.value if isinstance(note.value, str) else ""
        name = f"{beneficiary_id}|{clock.now().isoformat()}|{category}|{severity}|{raised_by}|"
        return uuid5(ALERT_NAMESPACE, name + hashlib.sha256(text.encode()).hexdigest())

    @event("Raised")
    def __init__(
        self,
        beneficiary_id: UUID,
        municipality_id: UUID,
        round_id: UUID | None,
        category: str,
        severity: str,
        note: Personal,
        raised_by: str,
        rule: str = "",
    ) -> None:
        self.beneficiary_id = beneficiary_id
        self.municipality_id = municipality_id
        self.round_id = round_id
        self.category = category
        self.severity = severity
        self.note = note
        self.raised_by = raised_by
        self.rule = rule
        self.notified: dict[str, Any] | None = None
        self.status = "raised"
        self.acknowledged_by: str | None = None
        self.acknowledged_on: datetime | None = None
        self.follow_ups: list[dict[str, object]] = []
        self.outcome: str | None = None

    @classmethod
    def raise_alert(
        cls,
        beneficiary_id: UUID,
        municipality_id: UUID,
        category: str,
        severity: str,
        note: str,
        raised_by: str,
        round_id: UUID | None = None,
        rule: str = "",
    ) -> WelfareAlert:
        """The postman reports a concern (or the welfare watch, naming its ``rule``); the note
        is sealed with the beneficiary's key."""
        if not raised_by.strip():
            raise InvalidInputError("a welfare alert needs the name of who raised it")
        return cls(
            beneficiary_id=beneficiary_id,
            municipality_id=municipality_id,
            round_id=round_id,
            category=_choice(category, CATEGORIES, "category"),
            severity=_choice(severity, SEVERITIES, "severity"),
            note=Personal(beneficiary_id, note.strip()),
            raised_by=raised_by.strip(),
            rule=rule,
        )

    @property
    def label(self) -> str:
        """The alert as people name it: its category and when it was raised (Paris time)."""
        raised = local_time(self.created_on)
        return f"the {self.category.replace('_', ' ')} alert raised {raised}"

    @property
    def reference(self) -> str:
        """How people and mails name the alert: ``W-1A2B3C4D`` (no id, nothing personal)."""
        return reference_of(self.id)

    def record_notified(self, recipient: str, at: datetime) -> None:
        """The CCAS was told by mail (reference only) at ``at``."""
        if self.notified is not None:
            raise RuleViolationError(f"welfare alert {self.reference} was already notified")
        self._notified(recipient=recipient, at=at)

    @event("CcasNotified")
    def _notified(self, recipient: str, at: datetime) -> None:
        self.notified = {"recipient": recipient, "at": at}

    def acknowledge(self, coordinator: str) -> None:
        """A CCAS coordinator takes the alert in hand."""
        if self.status != "raised":
            raise RuleViolationError(f"{self.label} is already {self.status}")
        if not coordinator.strip():
            raise InvalidInputError("acknowledging needs the coordinator's name")
        self._acknowledged(coordinator=coordinator.strip(), at=clock.now())

    @event("Acknowledged")
    def _acknowledged(self, coordinator: str, at: datetime) -> None:
        self.status = "acknowledged"
        self.acknowledged_by = coordinator
        self.acknowledged_on = at

    def add_follow_up(self, by: str, action: str) -> None:
        """Something the CCAS did about it (a call, a visit, a referral)."""
        if self.status != "acknowledged":
            raise RuleViolationError(
                f"{self.label} is {self.status}: follow-ups come after acknowledgement"
            )
        if not action.strip():
            raise InvalidInputError("a follow-up needs a description of the action")
        self._followed_up(by=by.strip(), action=Personal(self.beneficiary_id, action.strip()))

    @event("FollowedUp")
    def _followed_up(self, by: str, action: Personal) -> None:
        self.follow_ups.append({"by": by, "action": action})

    def close(self, outcome: str, by: str) -> None:
        """The alert is settled with an outcome."""
        if self.status != "acknowledged":
            raise RuleViolationError(
                f"{self.label} is {self.status}: only an acknowledged alert can close"
            )
        self._closed(outcome=_choice(outcome, OUTCOMES, "outcome"), by=by.strip())

    @event("Closed")
    def _closed(self, outcome: str, by: str) -> None:
        self.status = "closed"
        self.outcome = outcome
        self.closed_by = by

    def trail(self, with_notes: bool) -> dict[str, Any]:
        """Who did what and when; the note and follow-up texts only ``with_notes`` (they are
        health data: an auditor checks the trail, not what was written)."""

        def text(value: object) -> str | None:
            return value.text() if with_notes and isinstance(value, Personal) else None

        return {
            "category": self.category,
            "severity": self.severity,
            "status": self.status,
            "raised_at": self.created_on.isoformat(),
            "raised_by": self.raised_by,
            "note": text(self.note),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_on.isoformat() if self.acknowledged_on else None,
            "follow_ups": [{"by": f["by"], "action": text(f["action"])} for f in self.follow_ups],
            "outcome": self.outcome,
            "closed_by": getattr(self, "closed_by", None),
            "notes_shown": with_notes,
        }

    def is_overdue(self, now: datetime, acknowledge_within: timedelta) -> bool:
        """Not acknowledged within the configured delay after it was raised."""
        return self.status == "raised" and now - self.created_on > acknowledge_within
