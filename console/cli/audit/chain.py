"""``maillage audit verify|checkpoint``: verify the tamper-evident chain, export dated
checkpoints.

``verify`` and ``checkpoint`` only read the store, so the auditor role may run them.

The audit key (HMAC-SHA256 of checkpoints) comes from, in this order:
``--key-file FILE``, ``$MAILLAGE_AUDIT_KEY`` (the key itself, UTF-8), or
``$MAILLAGE_AUDIT_KEY_FILE``; a key file's surrounding whitespace is ignored.
Without a key, ``checkpoint`` writes an unsigned file and says so on stderr;
``verify --against`` then checks an unsigned checkpoint's head but refuses a
signed one it cannot check (exit 2), and with a key it refuses an unsigned one
(a forger could have removed the signature) and any invalid signature (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from console.checkpoints import (
    KEY_ENV,
    KEY_FILE_ENV,
    audit_key,
    checkpoint_line,
    export_checkpoint,
    history,
    latest,
    take_quietly,
)
from console.cli.output import (
    EXIT_FAILURE,
    EXIT_OK,
    progress_bar,
)
from console.cli.tree import Level
from console.opening import open_store
from console.settings import Settings
from domain.application import Maillage
from domain.audit import service as audit
from domain.audit.checkpoint import Checkpoint, History
from domain.audit.verify import Report
from domain.errors import InvalidInputError, MaillageError
from domain.store import one_line
from domain.wording import local_time


def register(level: Level) -> None:
    """Register ``audit verify`` and ``audit checkpoint``."""
    key_help = f"HMAC key file (default: ${KEY_ENV}, else the file named by ${KEY_FILE_ENV})"
    verify = level.command(
        "verify",
        cmd_audit_verify,
        "recompute the chain over every stored event and name the first bad position",
        json=True,
    )
    verify.add_argument(
        "--against",
        type=Path,
        metavar="CHECKPOINT",
        help="check against this exported checkpoint (default: the newest automatic one)",
    )
    verify.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="check the chain alone, not against the newest automatic checkpoint",
    )
    verify.add_argument("--key-file", type=Path, metavar="FILE", help=key_help)
    checkpoint = level.command(
        "checkpoint",
        cmd_audit_checkpoint,
        "verify the chain, then export its head as a dated (optionally signed) checkpoint",
        json=True,
    )
    checkpoint.add_argument("--output", type=Path, required=True, metavar="FILE")
    checkpoint.add_argument("--force", action="store_true", help="replace FILE if it exists")
    checkpoint.add_argument("--key-file", type=Path, metavar="FILE", help=key_help)


class CheckpointRefusedError(MaillageError):
    """The checkpoint given to ``verify --against`` cannot be trusted (exit 1)."""


def _read_checkpoint(path: Path, key: bytes | None) -> Checkpoint:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"cannot read the checkpoint {path}: {one_line(e)}") from e
    try:
        checkpoint = Checkpoint.from_json(text)
    except InvalidInputError as e:
        raise InvalidInputError(f"{path}: {e}") from None
    status = checkpoint.signature(key)
    if status == "invalid":
        raise CheckpointRefusedError(
            f"checkpoint {path}: its signature is invalid (the file was altered, "
            "or it was signed with another key)"
        )
    if status == "no key":
        raise InvalidInputError(
            f"checkpoint {path} is signed: give the audit key (${KEY_ENV}, ${KEY_FILE_ENV} "
            "or --key-file) to check it"
        )
    if status == "unsigned" and key is not None:
        raise CheckpointRefusedError(
            f"checkpoint {path} is not signed but an audit key is configured: refusing it "
            "(its signature may have been removed)"
        )
    return checkpoint


@dataclass(frozen=True)
class Against:
    """What a verification checks the store against: a checkpoint and its history, if any."""

    checkpoint: Checkpoint | None = None
    history: History | None = None
    source: str = ""
    """Which checkpoint, for people: the file given, or the automatic one used."""


def _automatic(app: Maillage, key: bytes | None) -> Against:
    """The newest automatic checkpoint of the store (nothing when there is none yet)."""
    store_id = app.store_id()
    found = latest(store_id) if store_id else None
    if found is None:
        return Against()
    path, checkpoint = found
    if checkpoint.signature(key) == "invalid":
        raise CheckpointRefusedError(
            f"the automatic checkpoint {path}: its signature is invalid (the file was altered, "
            "or it was signed with another key)"
        )
    return Against(checkpoint, history(store_id, checkpoint), f"the automatic checkpoint {path}")


def _verify(
    settings: Settings, against: Against | None, key: bytes | None = None
) -> tuple[Report, str, Against]:
    """Run the verification with a progress bar on stderr (when it is a terminal); without
    ``against``, against the newest automatic checkpoint, extended when the chain is intact."""
    app = open_store(settings, checkpoint=False)
    try:
        used = against if against is not None else _automatic(app, key)
        with progress_bar() as bar:
            task = bar.add_task("verifying the audit chain", total=None)

            def progress(position: int, total: int | None) -> None:
                bar.update(task, completed=position, total=total)

            report = audit.verify_chain(app, used.checkpoint, progress, used.history)
        if against is None and report.intact:
            take_quietly(app)
        return report, app.location.label, used
    finally:
        app.close()


def _against_line(against: Against) -> str:
    cp = against.checkpoint
    if cp is None:
        return "  no checkpoint yet: the first one is taken now"
    signed = "signed" if cp.hmac is not None else "NOT signed"
    kept = f", its history of {len(against.history.links):,} links" if against.history else ""
    return (
        f"  checked against {against.source} ({_local(cp.created_at)}, position {cp.position:,}"
        f"{kept}, {signed})"
    )


def _intact_lines(report: Report) -> list[str]:
    lines = [
        f"audit chain intact: {report.events:,} events up to position {report.last_position:,}",
        f"  head {report.head.hex()}",
        f"  {report.seconds:.1f} s, {report.rate:,.0f} events/s",
    ]
    facts = report.facts
    if facts.backfilled_through:
        lines.append(
            f"  note: positions 1–{facts.backfilled_through:,} were written before the chain "
            f"existed; they were linked when it was added, on {_local(facts.created_at)}"
        )
    cp = report.checkpoint
    if cp is not None:
        signed = "signed" if cp.hmac is not None else "NOT signed"
        lines.append(
            f"  matches the checkpoint of {_local(cp.created_at)} at position {cp.position:,} "
            f"({signed})"
        )
    return lines


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    key, _ = audit_key(args.key_file)
    against = None
    if args.against is not None:
        against = Against(_read_checkpoint(args.against, key), None, str(args.against))
    elif args.no_checkpoint:
        against = Against()
    report, _, used = _verify(settings, against, key)
    if args.json:
        print(json.dumps({**report.as_json(), "checked_against": used.source or None}, indent=2))
    elif report.finding is not None:
        print(report.finding.line())
        if used.checkpoint is not None:
            print(_against_line(used))
    else:
        print("\n".join(_intact_lines(report)))
        if args.against is None and not args.no_checkpoint:
            print(_against_line(used))
    return EXIT_OK if report.intact else EXIT_FAILURE


def cmd_audit_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    key, source = audit_key(args.key_file)
    app = open_store(settings, checkpoint=False)
    try:
        with progress_bar() as bar:
            task = bar.add_task("verifying the audit chain", total=None)

            def progress(position: int, total: int | None) -> None:
                bar.update(task, completed=position, total=total)

            report, checkpoint = export_checkpoint(
                app, args.output, key, progress, force=args.force
            )
    finally:
        app.close()
    if checkpoint is None:
        print(json.dumps(report.as_json(), indent=2) if args.json else report.finding.line())
        print("maillage: no checkpoint written: the chain is broken", file=sys.stderr)
        return EXIT_FAILURE
    if key is None:
        print(
            f"maillage: warning: no audit key (${KEY_ENV}, ${KEY_FILE_ENV} or --key-file): "
            "the checkpoint is NOT signed; keep it where the store's writers cannot change it",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"file": str(args.output), **json.loads(checkpoint.to_json())}, indent=2))
    else:
        print(checkpoint_line(args.output, checkpoint, source))
    return EXIT_OK


def _local(moment: str | datetime) -> str:
    """A stored time (ISO, UTC) as people read it: Paris, zone shown."""
    return local_time(moment if isinstance(moment, datetime) else datetime.fromisoformat(moment))
