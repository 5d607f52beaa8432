"""``maillage sessions keys create|register|list``: the field laptops' signing keys.

A laptop makes its key once (``create``: an Ed25519 key in a file only its account reads, in
``$MAILLAGE_LAPTOP_KEY_DIR``, else the user's config folder) and signs every bundle it exports
with it; the depot registers the laptop's public key (``register``, an event of its log) and
imports only bundles a registered key signed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating, store_free
from console.settings import Settings
from domain.errors import InvalidInputError, NotFoundError
from domain.kek import default_key_dir, read_key_file, write_key_file
from domain.sensing import service
from domain.sensing.laptop_key import check_key_name

LAPTOP_KEY_DIR_ENV = "MAILLAGE_LAPTOP_KEY_DIR"
SUFFIX = ".signing.key"


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


def key_dir() -> Path:
    folder = os.environ.get(LAPTOP_KEY_DIR_ENV)
    return Path(folder).expanduser() if folder else default_key_dir().parent / "laptop-keys"


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signer(name: str | None) -> tuple[str, Ed25519PrivateKey]:
    """This laptop's signing key: the one named, else the only one there is."""
    folder = key_dir()
    if name is None:
        found = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
        if len(found) != 1:
            raise NotFoundError(
                f"{'no' if not found else len(found)} laptop signing keys in {folder}: "
                + ("create one with 'maillage sessions keys create NAME'" if not found
                   else "choose one with --key NAME")
            )  # fmt: skip
        path = found[0]
        name = path.name.removesuffix(SUFFIX)
    else:
        path = folder / f"{check_key_name(name)}{SUFFIX}"
        if not path.is_file():
            raise NotFoundError(f"no laptop signing key {name!r} in {folder}")
    return name, Ed25519PrivateKey.from_private_bytes(read_key_file(path).secret)


@store_free
def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    name = check_key_name(args.name)
    path = key_dir() / f"{name}{SUFFIX}"
    key = Ed25519PrivateKey.generate()
    try:
        write_key_file(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    except FileExistsError:
        raise InvalidInputError(f"a signing key {name!r} already exists at {path}") from None
    public = public_hex(key)
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
