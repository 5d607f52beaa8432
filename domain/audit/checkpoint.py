"""Checkpoints: a dated chain head, kept outside the store, optionally signed with HMAC-SHA256.

A checkpoint says "on this date the chain of store S reached position P with
link H". Verifying against it (``Verifier(checkpoint=…)``) catches what the
chain alone cannot: a rewrite of the whole tail, e.g. the newest rows deleted
(SQLite then hands their ids out again) and others appended and chained afresh.

Signing: with an audit key, ``hmac`` is HMAC-SHA256 over the canonical JSON of
every other field (sorted keys, no spaces), so the file cannot be edited to
match a rewritten store without the key. Without a key the checkpoint is
written unsigned and is only as trustworthy as the place it is kept; the
command line says so. The key is a value here: the console reads it from the
setting (environment) or a key file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

from domain.audit.verify import Report
from domain.errors import InvalidInputError

FORMAT: Final = "maillage-audit-checkpoint/1"
MIN_KEY_BYTES: Final = 16
"""Shorter audit keys are refused: HMAC is only as strong as its key."""

SignatureStatus = Literal["valid", "invalid", "unsigned", "no key"]


def check_key(key: bytes) -> bytes:
    """The key itself, or ``InvalidInputError`` if it is too short to be worth anything."""
    if len(key) < MIN_KEY_BYTES:
        raise InvalidInputError(
            f"the audit key has {len(key)} bytes: use at least {MIN_KEY_BYTES} "
            "(e.g. 32 random bytes, hex-encoded)"
        )
    return key


@dataclass(frozen=True)
class Checkpoint:
    """A chain head at a position, at a time (UTC), of one store (its chain's ``store_id``)."""

    position: int
    head: str
    """The link at ``position``, hex."""
    events: int
    """Events verified up to ``position`` when it was made."""
    created_at: str
    """When it was made: ISO 8601, UTC."""
    store_id: str
    store: str
    """Where the store was (for people; moving the store does not matter)."""
    hmac: str | None = None
    format: str = FORMAT
    history_bytes: int | None = None
    """How many bytes of the store's history file (every link up to ``position``) it vouches
    for, and their SHA-256 (``history_sha256``): automatic checkpoints keep the chain's links
    outside the store, so that verification names the first event that differs."""
    history_sha256: str | None = None

    def message(self) -> bytes:
        """What the HMAC covers: every field but ``hmac``, as canonical JSON (the history's
        fields only when there is a history, so older checkpoints keep their signature)."""
        body = {
            k: v
            for k, v in asdict(self).items()
            if k != "hmac" and not (k.startswith("history_") and v is None)
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: bytes) -> Checkpoint:
        """This checkpoint with its HMAC-SHA256 under ``key``."""
        mac = hmac.new(check_key(key), self.message(), hashlib.sha256).hexdigest()
        return replace(self, hmac=mac)

    def signature(self, key: bytes | None) -> SignatureStatus:
        """Whether the HMAC holds under ``key`` (``unsigned``/``no key`` when it cannot tell)."""
        if self.hmac is None:
            return "unsigned"
        if key is None:
            return "no key"
        expected = hmac.new(key, self.message(), hashlib.sha256).hexdigest()
        return "valid" if hmac.compare_digest(expected, self.hmac) else "invalid"

    def to_json(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if v is not None or k == "hmac"}
        return json.dumps(fields, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Read a checkpoint file's text; ``InvalidInputError`` names what is wrong."""
        try:
            data: Any = json.loads(text)
        except ValueError as e:
            raise InvalidInputError(f"not a maillage audit checkpoint (not JSON: {e})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInputError(f"not a maillage audit checkpoint (format is not {FORMAT})")
        types: dict[str, tuple[type, ...]] = {
            "position": (int,),
            "head": (str,),
            "events": (int,),
            "created_at": (str,),
            "store_id": (str,),
            "store": (str,),
            "hmac": (str, type(None)),
            "history_bytes": (int, type(None)),
            "history_sha256": (str, type(None)),
        }
        for name, allowed in types.items():
            value = data.get(name)
            if not isinstance(value, allowed) or isinstance(value, bool):
                raise InvalidInputError(f"the checkpoint's {name!r} is missing or malformed")
        if data["position"] < 0 or len(data["head"]) != 64:
            raise InvalidInputError("the checkpoint's position or head is malformed")
        unknown = set(data) - set(types) - {"format"}
        if unknown:
            raise InvalidInputError(
                f"the checkpoint has unknown fields: {', '.join(sorted(unknown))}"
            )
        return cls(**data)


def make_checkpoint(
    report: Report, store_label: str, now: datetime, key: bytes | None
) -> Checkpoint:
    """The checkpoint of an intact verification run (signed if a key is given)."""
    if not report.intact or report.facts.store_id is None:
        raise InvalidInputError("a checkpoint is only made of an intact chain")
    if now.tzinfo is None:
        raise ValueError("checkpoint times must be aware (UTC)")
    checkpoint = Checkpoint(
        position=report.last_position,
        head=report.head.hex(),
        events=report.events,
        created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
        store_id=report.facts.store_id,
        store=store_label,
    )
    return checkpoint.signed(key) if key is not None else checkpoint


HISTORY_RECORD: Final = struct.Struct(">Q32s")
"""One link of a checkpoint's history: notification id (big-endian), link."""


def history_records(links: Iterable[tuple[int, bytes]]) -> bytes:
    """Links as the history file keeps them (appended checkpoint after checkpoint)."""
    pack = HISTORY_RECORD.pack
    return b"".join(pack(n, link) for n, link in links)


@dataclass(frozen=True)
class History:
    """The chain's links up to a checkpoint, as kept outside the store."""

    links: dict[int, bytes]
    created_at: str
    """When the checkpoint vouching for them was made (for people)."""

    @property
    def last(self) -> int:
        return max(self.links, default=0)

    @classmethod
    def parse(cls, data: bytes, checkpoint: Checkpoint) -> History:
        """The history a checkpoint vouches for; ``InvalidInputError`` if it is not that one."""
        size = checkpoint.history_bytes
        if size is None or checkpoint.history_sha256 is None:
            raise InvalidInputError("this checkpoint keeps no history")
        part = data[:size]
        if len(part) != size or hashlib.sha256(part).hexdigest() != checkpoint.history_sha256:
            raise InvalidInputError(
                "the checkpoint's history file is not the one it vouches for (changed or cut)"
            )
        links = {n: link for n, link in HISTORY_RECORD.iter_unpack(part)}
        return cls(links, checkpoint.created_at)
