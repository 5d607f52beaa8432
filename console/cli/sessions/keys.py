"""``maillage sessions keys create|register|list``: the field laptops' signing keys.

A laptop makes its key once (``create``: an Ed25519 key in a file only its account reads, in
``$MAILLAGE_LAPTOP_KEY_DIR``, else the user's config folder) and signs every bundle it exports
with it (the keys on disk: ``console.recording.laptop_keys``); the depot registers the laptop's
public key (``register``, an event of its log) and imports only bundles a registered key
signed."""

from __future__ import annotations

import argparse

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.recording.laptop_keys import create_key
from console.roles import mutating, store_free
from console.settings import Settings
from domain.sensing import service


def register(level: Level) -> None:
    """Register ``sessions keys`` and its actions."""
    keys = level.group("keys", "field laptops' signing keys: bundles are signed and checked")
    create = keys.command(
        "create", cmd_keys_create, "make this laptop's signing key (prints its public key)",
        json=True,
    )  # fmt: skip
    create.add_argument("name", metavar="NAME", help="the laptop's name, e.g. VAN-12-laptop")
    reg = keys.command(
        "register", cmd_keys_register, "register a laptop's public key at the depot", json=True
    )
    reg.add_argument("name", metavar="NAME")
    reg.add_argument("public_key", metavar="PUBLICKEY", help="64 hex digits (keys create)")


@store_free
def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    name, public, path = create_key(args.name)
    print_result(
        args,
        {"name": name, "public_key": public, "file": str(path)},
        f"laptop key {name} created in {path}; register it at the depot with:\n"
        f"  maillage sessions keys register {name} {public}",
    )
    return EXIT_OK


@mutating
def cmd_keys_register(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    added = service.register_laptop_key(app, args.name, args.public_key, settings.user)
    print_result(
        args,
        {"name": args.name, "registered": added},
        f"laptop {args.name}: key {'registered' if added else 'already registered'}",
    )
    return EXIT_OK
