"""``maillage audit …``: verify the tamper-evident chain and export dated checkpoints.

Both commands only read the store, so the auditor role may run them.

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
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from console.opening import open_store
from console.reports_cli import add_report_commands
from console.roles import mutating
from console.settings import Settings
from console.time_travel_cli import add_time_travel_commands
from domain import clock
from domain.audit.checkpoint import Checkpoint, check_key, make_checkpoint
from domain.audit.replay import replay
from domain.audit.verify import Report, Verifier
from domain.errors import InvalidInputError, MaillageError
from domain.store import one_line

KEY_ENV = "MAILLAGE_AUDIT_KEY"
KEY_FILE_ENV = "MAILLAGE_AUDIT_KEY_FILE"
EXIT_OK, EXIT_BROKEN = 0, 1

stderr = Console(stderr=True)


class CheckpointRefusedError(MaillageError):
    """The checkpoint given to ``verify --against`` cannot be trusted (exit 1)."""


def add_audit_commands(commands: Any, common: argparse.ArgumentParser, parser_class: type) -> None:
    """Register the ``audit`` command and its actions."""
    audit = commands.add_parser(
        "audit", parents=[common], help="the tamper-evident audit chain of the event log"
    )
    actions = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", required=True, parser_class=parser_class
    )
    key_help = f"HMAC key file (default: ${KEY_ENV}, else the file named by ${KEY_FILE_ENV})"

    text = "recompute the chain over every stored event and name the first bad position"
    verify = actions.add_parser("verify", parents=[common], help=text, description=text)
    verify.add_argument(
        "--against",
        type=Path,
        metavar="CHECKPOINT",
        help="also check the chain at an exported checkpoint's position (catches a rewritten tail)",
    )
    verify.add_argument("--key-file", type=Path, metavar="FILE", help=key_help)
    verify.add_argument("--json", action="store_true", help="print JSON for scripts")
    verify.set_defaults(handler=cmd_audit_verify)

    text = "verify the chain, then export its head as a dated (optionally signed) checkpoint"
    checkpoint = actions.add_parser("checkpoint", parents=[common], help=text, description=text)
    checkpoint.add_argument("--output", type=Path, required=True, metavar="FILE")
    checkpoint.add_argument("--force", action="store_true", help="replace FILE if it exists")
    checkpoint.add_argument("--key-file", type=Path, metavar="FILE", help=key_help)
    checkpoint.add_argument("--json", action="store_true", help="print JSON for scripts")
    checkpoint.set_defaults(handler=cmd_audit_checkpoint)

    text = "rebuild every view from the log in a scratch store and compare it with the live one"
    rep = actions.add_parser("replay", parents=[common], help=text, description=text)
    rep.add_argument("--scratch", type=Path, metavar="FILE", help="keep the scratch SQLite file")
    rep.add_argument("--json", action="store_true", help="print JSON for scripts")
    rep.set_defaults(handler=cmd_audit_replay)

    text = "crypto-shred a beneficiary: the key goes, the erasure is recorded, counts stay"
    erase = actions.add_parser("erase-beneficiary", parents=[common], help=text, description=text)
    erase.add_argument("file_number")
    erase.add_argument("--municipality", required=True, metavar="INSEE")
    erase.add_argument("--by", required=True, help="who ordered the erasure (e.g. the DPO)")
    erase.set_defaults(handler=cmd_audit_erase_beneficiary)
    add_report_commands(actions, common, parser_class)  # audit report KIND (reports_cli)
    add_time_travel_commands(actions, common, parser_class)  # audit state|events


# ----------------------------------------------------------------------------- helpers


def audit_key(key_file: Path | None) -> tuple[bytes | None, str]:
    """The audit key and where it came from (``None, ""`` when none is configured)."""
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


def _verify(settings: Settings, checkpoint: Checkpoint | None) -> tuple[Report, str]:
    """Run the verification with a progress bar on stderr (when it is a terminal)."""
    app = open_store(settings)
    try:
        with (
            Verifier.of(app, checkpoint=checkpoint) as verifier,
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=stderr,
                transient=True,
                disable=not stderr.is_terminal,
            ) as bar,
        ):
            task = bar.add_task("verifying the audit chain", total=None)
            for position, total in verifier.steps():
                bar.update(task, completed=position, total=total)
            assert verifier.report is not None
            return verifier.report, app.location.label
    finally:
        app.close()


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
            f"existed; they were linked when it was added, on {facts.created_at}"
        )
    cp = report.checkpoint
    if cp is not None:
        signed = "signed" if cp.hmac is not None else "NOT signed"
        lines.append(
            f"  matches the checkpoint of {cp.created_at} at position {cp.position:,} ({signed})"
        )
    return lines


# ----------------------------------------------------------------------------- commands


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    key, _ = audit_key(args.key_file)
    checkpoint = _read_checkpoint(args.against, key) if args.against is not None else None
    report, _ = _verify(settings, checkpoint)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif report.finding is not None:
        print(report.finding.line())
    else:
        print("\n".join(_intact_lines(report)))
    return EXIT_OK if report.intact else EXIT_BROKEN


def cmd_audit_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    output: Path = args.output
    if output.exists() and not args.force:
        raise InvalidInputError(f"{output} exists: checkpoints are kept (use --force to replace)")
    if not output.parent.is_dir():
        raise InvalidInputError(f"cannot write {output}: {output.parent} is not a folder")
    key, source = audit_key(args.key_file)
    report, label = _verify(settings, None)
    if report.finding is not None:
        print(json.dumps(report.as_json(), indent=2) if args.json else report.finding.line())
        print("maillage: no checkpoint written: the chain is broken", file=sys.stderr)
        return EXIT_BROKEN
    checkpoint = make_checkpoint(report, label, clock.now(), key)
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_text(checkpoint.to_json(), encoding="utf-8")
        partial.replace(output)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {output}: {one_line(e)}") from e
    if key is None:
        print(
            f"maillage: warning: no audit key (${KEY_ENV}, ${KEY_FILE_ENV} or --key-file): "
            "the checkpoint is NOT signed; keep it where the store's writers cannot change it",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({"file": str(output), **json.loads(checkpoint.to_json())}, indent=2))
    else:
        signed = f"signed with the key from {source}" if key is not None else "not signed"
        print(
            f"checkpoint written to {output}: position {checkpoint.position:,}, "
            f"{checkpoint.events:,} events, head {checkpoint.head} ({signed})"
        )
    return EXIT_OK


def cmd_audit_replay(args: argparse.Namespace, settings: Settings) -> int:
    if args.scratch is not None and args.scratch.exists():
        raise InvalidInputError(f"{args.scratch} exists: the replay needs an empty scratch file")
    app = open_store(settings)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=stderr,
            transient=True,
            disable=not stderr.is_terminal,
        ) as bar:
            task = bar.add_task("replaying the log", total=None)

            def progress(view: str, position: int, target: int) -> None:
                bar.update(task, description=f"replaying {view}", completed=position, total=target)

            report = replay(app, args.scratch, progress)
    finally:
        app.close()
    if args.json:
        print(
            json.dumps(
                {
                    "equal": report.equal,
                    "position": report.position,
                    "events_applied": report.events_applied,
                    "events_per_s": round(report.events_per_s),
                    "views": report.views,
                    "differences": [vars(d) for d in report.differences],
                },
                indent=2,
            )
        )
    else:
        state = "equal to" if report.equal else "DIFFERENT from"
        print(
            f"{len(report.views)} views replayed up to position {report.position:,}: "
            f"{state} the live views ({report.events_applied:,} events, "
            f"{report.events_per_s:,.0f} events/s)"
        )
        for d in report.differences:
            print(
                f"  {d.view}/{d.table}: {d.only_live} rows only live, "
                f"{d.only_replayed} only replayed"
            )
    return EXIT_OK if report.equal else EXIT_BROKEN


@mutating
def cmd_audit_erase_beneficiary(args: argparse.Namespace, settings: Settings) -> int:
    from console.meals_cli import cmd_beneficiaries_erase

    return cmd_beneficiaries_erase(args, settings)
