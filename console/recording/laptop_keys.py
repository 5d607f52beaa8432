"""The field laptop's signing keys on disk: where they are, which one signs a bundle.

A laptop makes its key once (an Ed25519 key in a file only its account reads, in
``$MAILLAGE_LAPTOP_KEY_DIR``, else the user's config folder) and signs every bundle it exports
with it. ``maillage sessions keys|export`` and the console's "Export session bundle…" both
find the key here, so they refuse alike when there is none.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from domain.errors import InvalidInputError, NotFoundError
from domain.kek import default_key_dir, read_key_file, write_key_file
from domain.sensing.laptop_key import check_key_name

LAPTOP_KEY_DIR_ENV = "MAILLAGE_LAPTOP_KEY_DIR"
SUFFIX = ".signing.key"


def key_dir() -> Path:
    """The folder of this laptop's signing keys."""
    folder = os.environ.get(LAPTOP_KEY_DIR_ENV)
    return Path(folder).expanduser() if folder else default_key_dir().parent / "laptop-keys"


def public_hex(key: Ed25519PrivateKey) -> str:
    """A key's public half as the depot registers it: 64 hexadecimal digits."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_names() -> list[str]:
    """The names of the signing keys this laptop holds."""
    folder = key_dir()
    found = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    return [path.name.removesuffix(SUFFIX) for path in found]


def signer(name: str | None) -> tuple[str, Ed25519PrivateKey]:
    """This laptop's signing key: the one named, else the only one there is."""
    folder = key_dir()
    if name is None:
        names = key_names()
        if len(names) != 1:
            raise NotFoundError(
                f"{'no' if not names else len(names)} laptop signing keys in {folder}: "
                + ("create one with 'maillage sessions keys create NAME'" if not names
                   else "choose one with --key NAME")
            )  # fmt: skip
        name = names[0]
    path = folder / f"{check_key_name(name)}{SUFFIX}"
    if not path.is_file():
        raise NotFoundError(f"no laptop signing key {name!r} in {folder}")
    return name, Ed25519PrivateKey.from_private_bytes(read_key_file(path).secret)


def create_key(name: str) -> tuple[str, str, Path]:
    """Make this laptop's key ``name``: its checked name, public key (hex) and file."""
    name = check_key_name(name)
    path = key_dir() / f"{name}{SUFFIX}"
    key = Ed25519PrivateKey.generate()
    try:
        write_key_file(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    except FileExistsError:
        raise InvalidInputError(f"a signing key {name!r} already exists at {path}") from None
    return name, public_hex(key), path
