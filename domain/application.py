"""The one event-sourced application that holds every aggregate of maillage.

All three services share this application so that the whole history is one
totally ordered log: one audit chain, one replay. It adds to the library's
``Application``:

- ``save_batch`` / ``record_stored``: many aggregates in one transaction, the
  latter for creation events encoded directly by ``domain.bulk`` (imports of
  hundreds of thousands of records);
- ``edit``: get → command → save with one automatic retry when someone else
  changed the same aggregate meanwhile;
- who did what: once the console has said who works (``act_as``), the recorder
  prepends a ``CommandRecord`` (role, user, command, scope, time, event count)
  to every write transaction, in the same transaction and under the audit
  chain (``domain.audit.command_record``); ``command(name)`` names what a
  thread or task is doing. Without an actor nothing is added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, StoredEvent

from domain.audit.chain import INFO_TABLE
from domain.audit.command_record import Actor, current_command, naming, stored_record
from domain.errors import ConcurrentEditError, NotFoundError
from domain.kek import KeyFiles
from domain.personal import KEYS_INFO_TABLE, Erasure, PersonalAsSealed, SubjectKeys
from domain.store import StoreLocation, ViewConnection

A = TypeVar("A", bound=Aggregate)


class Maillage(Application[UUID]):
    """Every aggregate of maillage, in one store."""

    name = "maillage"

    actor: Actor | None = None
    """Who works with this application: recorded with every write transaction (None: nothing)."""
    default_command: str = "console"
    """The command recorded for writes outside any ``command()`` block."""
    founder: str | None = None
    """Whoever becomes the store's first administrator at its first write, if it has none yet
    (``found_pending``; set by the console for a store that is new or made before people were
    recorded)."""
    command_namer: Callable[[], str | None] | None = None
    """Names a write made outside any ``command()`` block from where it runs (the TUI names
    the screen and worker that wrote); ``default_command`` when it gives nothing."""

    def __init__(
        self,
        location: StoreLocation,
        env: dict[str, str] | None = None,
        *,
        create: bool = True,
        key_files: KeyFiles | None = None,
    ) -> None:
        """Open the store; with ``create`` false a missing store is refused, nothing is made.

        ``key_files`` finds the store's key-encryption key (default: the environment's, else
        the per-store key file of the user's config directory, see ``domain.kek``). A first
        open that fails leaves nothing behind (no empty file or folder).
        """
        if not create:  # a command that only reads: a read-only store is read as it is
            location = location.for_reading()
        created = location.prepare(create)
        self.location = location
        self.key_files = key_files or KeyFiles()
        settings = location.library_env()
        settings.update(env or {})
        try:
            with location.setup_lock():
                super().__init__(env=settings)
            self.subject_keys.start(self.store_id())
        except BaseException:
            location.discard(created)
            raise
        if hasattr(self.recorder, "command_record"):
            self.recorder.command_record = self._command_record

    def act_as(self, actor: Actor | None, default_command: str = "console") -> None:
        """Record ``actor`` with every later write; ``default_command`` names writes outside
        ``command()`` (the command line's words, "console" in the TUI). None records nothing."""
        if actor is not None and not hasattr(self.recorder, "command_record"):
            raise TypeError(f"{type(self.recorder).__name__} cannot record who did what")
        self.default_command = default_command
        self.actor = actor

    def command(self, name: str) -> AbstractContextManager[None]:
        """Name the command of the writes made in this block, in this thread or task only."""
        return naming(name)

    def _command_record(self, events: int) -> StoredEvent | None:
        """The record the recorder prepends to a write of ``events`` events (None: no actor)."""
        actor = self.actor
        if actor is None:
            return None
        named = current_command() or (self.command_namer() if self.command_namer else None)
        return stored_record(self.mapper, actor, named or self.default_command, events)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        self.subject_keys = SubjectKeys(self.location, self.key_files, self.erasure_in_log)
        transcoder.register(PersonalAsSealed(self.subject_keys))

    def store_id(self) -> str:
        """The store's own id (its audit chain's ``store_id``, which the key tables keep too,
        so that its key file and checkpoints are found even if the chain's facts are deleted)."""
        conn = ViewConnection.open(self.location)
        try:
            row = conn.fetchone(f"SELECT value FROM {INFO_TABLE} WHERE key = 'store_id'")
            if row is None and conn.table_exists(KEYS_INFO_TABLE):
                row = conn.fetchone(f"SELECT value FROM {KEYS_INFO_TABLE} WHERE key = 'store_id'")
        finally:
            conn.close()
        return str(row[0]) if row else ""

    def erase_subject(self, erasure: Erasure) -> bool:
        """Crypto-shred a person's data: delete their key, leave a tombstone (views must be
        purged and the files scrubbed too: ``domain.meals.service.erase_beneficiary``)."""
        return self.subject_keys.erase(erasure)

    def erasure_in_log(self, subject: UUID) -> Erasure | None:
        """An erasure the log records for a subject without a tombstone (older stores)."""
        label, erased = str(subject), None
        for stored in self.recorder.select_events(subject):
            if stored.topic.endswith(".Registered") or stored.topic.endswith(".Erased"):
                state = json.loads(stored.state)
                if stored.topic.endswith(".Registered") and "file_number" in state:
                    label = f"beneficiary file {state['file_number']} of {state.get('insee_code')}"
                elif stored.topic.endswith(".Erased"):
                    when = datetime.fromisoformat(state["timestamp"]["_data_"])
                    erased = (when, str(state.get("by", "")))
        if erased is None:
            return None
        return Erasure(subject, label, erased[0], erased[1])

    def close(self) -> None:
        if hasattr(self, "subject_keys"):
            self.subject_keys.close()
        super().close()

    def construct_env(self, name: str, env: Any = None) -> Any:
        # The store is chosen by the location only: ignore stray library variables
        # from the process environment (a PERSISTENCE_MODULE left in a shell).
        from eventsourcing.utils import Environment

        return Environment(name, dict(env or {}))

    def get(self, aggregate_id: UUID, kind: type[A]) -> A:
        """Load an aggregate, or raise ``NotFoundError`` naming its kind."""
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"no {kind.__name__.lower()} with id {aggregate_id}") from None
        if not isinstance(found, kind):
            raise NotFoundError(
                f"{aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
            )
        return found

    def edit(self, aggregate_id: UUID, kind: type[A], command: Callable[[A], None]) -> A:
        """get → command → save; on a concurrent edit, reload and apply the command once more.

        The command is a guard-then-trigger method call on the aggregate, so applying
        it to the fresh state re-checks every rule against what the other user did.
        """

        def apply() -> list[Aggregate]:
            aggregate = self.get(aggregate_id, kind)
            command(aggregate)
            return [aggregate]

        (edited,) = self.save_together(apply, f"this {_spoken(kind.__name__)}")
        return cast(A, edited)

    def save_together(
        self, command: Callable[[], Sequence[Aggregate]], what: str = "one of these records"
    ) -> list[Aggregate]:
        """Run a command over one or more aggregates and record all their events in one
        transaction; if someone else changed one of them meanwhile, run it once more on
        fresh state (the one retry loop of every edit).

        ``command`` loads the aggregates and applies every guard-then-trigger method; if any
        guard refuses, it raises before anything is saved.
        """
        for attempt in (1, 2):
            aggregates = list(command())
            try:
                self.save_batch(aggregates)
            except IntegrityError:
                if attempt == 2:
                    raise ConcurrentEditError(
                        f"{what} was changed by someone else twice while saving; "
                        "reload and try again"
                    ) from None
                continue
            return aggregates
        raise AssertionError("unreachable")

    def found_pending(self) -> None:
        """Record the pending founder as the store's administrator now, if the store has none
        (``domain.people.service.found``); nothing when no founder is pending."""
        login, self.founder = self.founder, None
        if login is not None:
            from domain.people import service as people

            if not people.is_founded(self):
                people.found(self, login)

    def save(self, *objects: Any, **kwargs: Any) -> Any:
        """The library's save, after the pending founding (the first write of a new store)."""
        self.found_pending()
        return super().save(*objects, **kwargs)

    def save_batch(self, aggregates: Iterable[Aggregate]) -> list[int]:
        """Save the pending events of many aggregates in one transaction.

        Returns the notification ids given to the events, in order. Either every
        event is recorded or none is (a duplicate id raises ``IntegrityError``).
        """
        recordings = self.save(*aggregates)
        return [r.notification.id for r in recordings]

    def record_stored(self, stored: Sequence[StoredEvent]) -> list[int]:
        """Record events already encoded by ``domain.bulk`` in one transaction.

        This is the import path: no aggregate objects are built. All or nothing.
        """
        if not stored:
            return []
        self.found_pending()
        return list(self.recorder.insert_events(stored) or [])

    @property
    def events_table(self) -> str:
        """Name of the stored-events table on this backend."""
        return str(self.recorder.events_table_name)  # type: ignore[attr-defined]

    def count_events(self) -> int:
        """Events in the log (the last position, unless rows were removed)."""
        conn = ViewConnection.open(self.location)
        try:
            row = conn.fetchone(f"SELECT COUNT(*) FROM {self.events_table}")
            return int(row[0]) if row else 0
        finally:
            conn.close()

    def last_position(self) -> int:
        """Notification id of the newest event (0 for an empty store)."""
        return int(self.recorder.max_notification_id() or 0)


def _spoken(class_name: str) -> str:
    """A class name as people say it: ``MealRound`` → ``meal round``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", class_name).lower()
