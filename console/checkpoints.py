"""Automatic checkpoints of the audit chain, kept outside the store.

Each store (by its id) has a folder in ``$MAILLAGE_CHECKPOINT_DIR``, else the user's data
directory (``~/.local/share/maillage/checkpoints/<store id>/`` on Linux), holding:

- ``links.bin``: the chain's links, position after position (``domain.audit.checkpoint``'s
  history records), appended as the chain grows;
- one ``<UTC time>.json`` checkpoint per take: the chain's head at a position, the length
  and SHA-256 of ``links.bin`` it vouches for, signed with the audit key when one is set.

A checkpoint is taken at every audit report, after every intact ``audit verify``, and when
any command opens a store whose newest checkpoint is older than ``$MAILLAGE_CHECKPOINT_EVERY``
(default ``24h``; ``off`` never). Taking one verifies only the events written since the
previous one. ``audit verify`` checks against the newest by default: a store rewritten
since — even with its chain deleted and linked again — fails at the first event that differs
from the history.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from console.settings import data_dir
from domain import clock
from domain.application import Maillage
from domain.audit import service as audit
from domain.audit.checkpoint import (
    Checkpoint,
    History,
    check_key,
    history_records,
    make_checkpoint,
)
from domain.audit.verify import Report, Verifier
from domain.errors import InvalidInputError, MaillageError
from domain.store import one_line

CHECKPOINT_DIR_ENV: Final = "MAILLAGE_CHECKPOINT_DIR"
CHECKPOINT_EVERY_ENV: Final = "MAILLAGE_CHECKPOINT_EVERY"
DEFAULT_EVERY: Final = timedelta(hours=24)
HISTORY_FILE: Final = "links.bin"
_EVERY = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


KEY_ENV: Final = "MAILLAGE_AUDIT_KEY"
KEY_FILE_ENV: Final = "MAILLAGE_AUDIT_KEY_FILE"


def audit_key(key_file: Path | None) -> tuple[bytes | None, str]:
    """The audit key (HMAC of checkpoints) and where it came from (``None, ""``: none)."""
    if key_file is None and os.environ.get(KEY_ENV):
        return check_key(os.environ[KEY_ENV].encode()), f"${KEY_ENV}"
    if key_file is None and os.environ.get(KEY_FILE_ENV):
        key_file = Path(os.environ[KEY_FILE_ENV]).expanduser()
    if key_file is None:
        return None, ""
    try:
        key = key_file.read_bytes().strip()
    except OSError as e:
        raise InvalidInputError(f"cannot read the audit key file {key_file}: {one_line(e)}") from e
    return check_key(key), str(key_file)


def every() -> timedelta | None:
    """How old the newest checkpoint may be before a command takes one (None: never)."""
    text = os.environ.get(CHECKPOINT_EVERY_ENV, "").strip().lower()
    if not text:
        return DEFAULT_EVERY
    if text in ("off", "never", "0"):
        return None
    match = _EVERY.match(text)
    if not match or not any(match.groups()):
        raise InvalidInputError(
            f"${CHECKPOINT_EVERY_ENV} is not a duration like 24h, 90m or 1d, nor off"
        )
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def folder(store_id: str) -> Path:
    """Where the checkpoints of one store are kept."""
    base = os.environ.get(CHECKPOINT_DIR_ENV)
    root = Path(base).expanduser() if base else data_dir() / "checkpoints"
    return root / store_id


def latest(store_id: str) -> tuple[Path, Checkpoint] | None:
    """The newest automatic checkpoint of a store (its file and content), if any."""
    where = folder(store_id)
    if not where.is_dir():
        return None
    for path in sorted(where.glob("*.json"), reverse=True):
        try:
            return path, Checkpoint.from_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, InvalidInputError):
            continue
    return None


def history(store_id: str, checkpoint: Checkpoint) -> History | None:
    """The links the checkpoint vouches for (None if it keeps none or the file is gone)."""
    if checkpoint.history_bytes is None:
        return None
    try:
        data = (folder(store_id) / HISTORY_FILE).read_bytes()
    except OSError:
        return None
    return History.parse(data, checkpoint)


def take(app: Maillage, key: bytes | None) -> tuple[Path, Checkpoint]:
    """Verify the events written since the newest checkpoint and record a new one.

    Raises ``MaillageError`` when the chain is broken (no checkpoint is made of it).
    """
    store_id = app.store_id()
    where = folder(store_id)
    previous = latest(store_id)
    start = previous[1] if previous and previous[1].history_bytes is not None else None
    with Verifier.of(app, resume=start, collect=True) as verifier:
        report = verifier.run()
        links = verifier.collected or []
    if report.finding is not None:
        raise MaillageError(report.finding.line())
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = where / HISTORY_FILE
    kept = start.history_bytes if start is not None and start.history_bytes else 0
    with open(path, "ab") as f:
        f.truncate(kept)  # what a crash appended after the newest checkpoint
        f.write(history_records(links))
        f.flush()
        os.fsync(f.fileno())
    data = path.read_bytes()
    now = clock.now()
    checkpoint = replace(
        make_checkpoint(report, app.location.label, now, None),
        history_bytes=len(data),
        history_sha256=hashlib.sha256(data).hexdigest(),
    )
    if key is not None:
        checkpoint = checkpoint.signed(key)
    name = f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.json"
    target = where / name
    partial = target.with_name(name + ".partial")
    partial.write_text(checkpoint.to_json(), encoding="utf-8")
    partial.replace(target)
    return target, checkpoint


def take_if_due(app: Maillage) -> None:
    """Take a checkpoint if the newest one is older than ``every()`` (a warning if it fails)."""
    try:
        interval = every()
        if interval is None:
            return
        found = latest(app.store_id())
        if found is not None and clock.now() - _made(found[1]) < interval:
            return
    except (MaillageError, OSError) as e:  # a folder this account may not read
        print(f"maillage: warning: no automatic checkpoint: {one_line(e)}", file=sys.stderr)
        return
    take_quietly(app)


def take_quietly(app: Maillage) -> Path | None:
    """Take a checkpoint (signed if an audit key is set); a failure is one warning line on
    stderr, never the command's end. Returns the checkpoint's file."""
    try:
        path, _ = take(app, audit_key(None)[0])
    except (MaillageError, OSError) as e:
        print(f"maillage: warning: no automatic checkpoint: {one_line(e)}", file=sys.stderr)
        return None
    return path


def _made(checkpoint: Checkpoint) -> datetime:
    return datetime.fromisoformat(checkpoint.created_at)


def export_checkpoint(
    app: Maillage,
    output: Path,
    key: bytes | None,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    force: bool = False,
) -> tuple[Report, Checkpoint | None]:
    """Verify the whole chain, then write its head to ``output`` as a dated checkpoint (signed
    with ``key`` when there is one; the file appears whole or not at all). No checkpoint when
    the chain is broken: the report says where (``maillage audit checkpoint``)."""
    if output.exists() and not force:
        raise InvalidInputError(f"{output} exists: checkpoints are kept (use --force to replace)")
    if not output.parent.is_dir():
        raise InvalidInputError(f"cannot write {output}: {output.parent} is not a folder")
    report = audit.verify_chain(app, None, progress)
    if report.finding is not None:
        return report, None
    checkpoint = make_checkpoint(report, app.location.label, clock.now(), key)
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_text(checkpoint.to_json(), encoding="utf-8")
        partial.replace(output)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {output}: {one_line(e)}") from e
    return report, checkpoint


def checkpoint_line(output: Path, checkpoint: Checkpoint, key_source: str) -> str:
    """What was written, in words (the key's source, or that it is not signed)."""
    signed = f"signed with the key from {key_source}" if checkpoint.hmac else "not signed"
    return (
        f"checkpoint written to {output}: position {checkpoint.position:,}, "
        f"{checkpoint.events:,} events, head {checkpoint.head} ({signed})"
    )
