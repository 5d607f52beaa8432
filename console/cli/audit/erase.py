"""``maillage audit erase-beneficiary``: crypto-shred a beneficiary on a data-protection
request — the same erasure as ``maillage meals beneficiaries erase``, where auditors look."""

from __future__ import annotations

import argparse

from console.cli.meals.beneficiaries import add_erase_arguments, cmd_beneficiaries_erase
from console.cli.tree import Level
from console.roles import mutating
from console.settings import Settings


def register(level: Level) -> None:
    """Register ``audit erase-beneficiary``."""
    erase = level.command(
        "erase-beneficiary",
        cmd_audit_erase_beneficiary,
        "crypto-shred a beneficiary: the key goes, the erasure is recorded, counts stay",
    )
    add_erase_arguments(erase)


@mutating
def cmd_audit_erase_beneficiary(args: argparse.Namespace, settings: Settings) -> int:
    return cmd_beneficiaries_erase(args, settings)
