"""A field laptop's signing key, registered at the depot: bundles it signs are the only ones the
depot imports (``maillage sessions keys register``).

The private key never leaves the laptop; the log keeps the public key (Ed25519, 32 bytes in
hex), under the laptop's name, and who registered it.
"""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError
from domain.ids import NAMESPACE, uuid5

LAPTOP_KEY_NS = uuid5(NAMESPACE, "laptop-signing-key")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PUBLIC_RE = re.compile(r"^[0-9a-f]{64}$")


def laptop_key_id(name: str) -> UUID:
    return uuid5(LAPTOP_KEY_NS, name)


def check_key_name(name: str) -> str:
    """A laptop's name: letters, digits, ``.``, ``_``, ``-`` (it names a file too)."""
    if not _NAME_RE.match(name):
        raise InvalidInputError(
            f"invalid laptop key name {name!r}: letters, digits, '.', '_' or '-', at most 64"
        )
    return name


class LaptopKey(MaillageAggregate):
    """The public key a field laptop signs its bundles with."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return laptop_key_id(name)

    @event("Registered")
    def __init__(self, name: str, public_key_hex: str, by: str) -> None:
        self.name = name
        self.public_key_hex = public_key_hex
        self.registered_by = by

    @classmethod
    def register(cls, name: str, public_key_hex: str, by: str) -> LaptopKey:
        """A laptop's public key is registered (32 bytes of Ed25519, in hex)."""
        key = public_key_hex.strip().lower()
        if not _PUBLIC_RE.match(key):
            raise InvalidInputError(
                "a laptop's public key is 64 hexadecimal digits (maillage sessions keys create "
                "prints it)"
            )
        return cls(name=check_key_name(name), public_key_hex=key, by=by)
