"""The key-encryption key (KEK) of a store: it wraps every person's data key and never lives
in the store, so a copied database reveals no personal data.

Where a store's KEK comes from, first match wins:

- ``$MAILLAGE_KEY``: the key itself, 64 hex digits (a secret given to a depot server);
- ``$MAILLAGE_KEY_FILE``: a key file at this path (a depot server, or an auditor handed it);
- otherwise a key file per store, named by the store's id (``audit_chain_info.store_id``),
  in ``$MAILLAGE_KEY_DIR`` or the user's config directory (``~/.config/maillage/keys/`` on
  Linux): created on first use of a new store, folder ``0700``, file ``0600``.

A key file holds 64 hex digits and a newline. One that others may read is refused (as ssh
refuses a private key left readable). Rotation (``rotate``) writes the new key beside the
old one, and keeps the old one as a dated backup once every data key is rewrapped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from platformdirs import user_config_path

from domain.errors import InvalidInputError, MaillageError

KEY_ENV: Final = "MAILLAGE_KEY"
KEY_FILE_ENV: Final = "MAILLAGE_KEY_FILE"
KEY_DIR_ENV: Final = "MAILLAGE_KEY_DIR"
KEK_BYTES: Final = 32


class KeyFileError(MaillageError):
    """A key file that exists but cannot be used (unreadable, malformed, readable by others)."""

    exit_code = 1


@dataclass(frozen=True)
class KeyEncryptionKey:
    """A KEK and where it came from (for people: a path or the variable's name)."""

    secret: bytes
    source: str

    def __repr__(self) -> str:
        return f"KeyEncryptionKey({self.fingerprint}, from {self.source})"

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it (stored beside each wrapped data key)."""
        return hashlib.sha256(b"maillage kek v1\x00" + self.secret).hexdigest()[:16]


def default_key_dir() -> Path:
    return user_config_path("maillage", appauthor=False) / "keys"


def _parse(text: str, source: str) -> KeyEncryptionKey:
    cleaned = text.strip()
    try:
        secret = bytes.fromhex(cleaned)
    except ValueError:
        secret = b""
    if len(secret) != KEK_BYTES:
        raise KeyFileError(f"the key in {source} is not {KEK_BYTES * 2} hex digits")
    return KeyEncryptionKey(secret, source)


class KeyFiles:
    """Finds (and on first use creates) the KEK of a store.

    ``explicit_only``: only a key given by the environment is used, never the per-store file
    of the config directory, and none is created (the auditor's role: no personal data unless
    the key is handed to it).
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, *, explicit_only: bool = False
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.explicit_only = explicit_only

    # ------------------------------------------------------------------ where

    def path(self, store_id: str) -> Path | None:
        """The key file of this store (None when the key is given as a secret)."""
        if self.env.get(KEY_ENV):
            return None
        if self.env.get(KEY_FILE_ENV):
            return Path(self.env[KEY_FILE_ENV]).expanduser()
        if self.explicit_only:
            return None
        folder = Path(self.env[KEY_DIR_ENV]).expanduser() if self.env.get(KEY_DIR_ENV) else None
        return (folder or default_key_dir()) / f"{store_id}.key"

    def describe(self, store_id: str) -> str:
        """Where this store's KEK is, for ``store info``."""
        if self.env.get(KEY_ENV):
            return f"${KEY_ENV}"
        path = self.path(store_id)
        if path is None:
            return f"none (read-only role: give ${KEY_FILE_ENV} to open personal data)"
        return str(path)

    # ------------------------------------------------------------------ reading

    def load(self, store_id: str) -> KeyEncryptionKey | None:
        """The store's KEK, or None if there is none here."""
        if self.env.get(KEY_ENV):
            return _parse(self.env[KEY_ENV], f"${KEY_ENV}")
        path = self.path(store_id)
        if path is None or not path.exists():
            return None
        return read_key_file(path)

    def candidates(self, store_id: str) -> list[KeyEncryptionKey]:
        """The KEK and the keys a rotation left beside it (its new key, its dated backups):
        a rotation interrupted after rewrapping still opens."""
        main = self.load(store_id)
        found = [main] if main is not None else []
        path = self.path(store_id)
        if path is not None and path.parent.is_dir():
            for other in sorted(path.parent.glob(path.name + ".*")):
                try:
                    found.append(read_key_file(other))
                except KeyFileError:
                    continue
        return found

    def create(self, store_id: str) -> KeyEncryptionKey:
        """A new KEK for a new store, written with owner-only permissions (an existing one
        is returned as it is: two first uses agree on one)."""
        path = self.path(store_id)
        if path is None:
            found = self.load(store_id)
            if found is None:
                raise KeyFileError(
                    f"no key-encryption key for store {store_id}: "
                    f"give ${KEY_FILE_ENV} (this role creates none)"
                )
            return found
        with contextlib.suppress(FileExistsError):  # another console made it first
            write_key_file(path, os.urandom(KEK_BYTES))
        found = self.load(store_id)
        assert found is not None
        return found

    def rotate_files(self, store_id: str, new: KeyEncryptionKey) -> Path:
        """After every data key is rewrapped with ``new``: the old key file becomes a dated
        backup and ``new`` takes its place. Returns the backup's path."""
        path = self.path(store_id)
        if path is None:
            raise InvalidInputError(
                f"the key is given by ${KEY_ENV}: rotate with a key file (${KEY_FILE_ENV})"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        staged = pending_path(path)
        os.replace(path, backup)
        os.replace(staged, path)
        return backup

    def stage(self, store_id: str) -> KeyEncryptionKey:
        """A new KEK written beside the current one (``<name>.new``), before rewrapping."""
        path = self.path(store_id)
        if path is None:
            raise InvalidInputError(
                f"the key is given by ${KEY_ENV}: rotate with a key file (${KEY_FILE_ENV})"
            )
        staged = pending_path(path)
        staged.unlink(missing_ok=True)
        write_key_file(staged, os.urandom(KEK_BYTES))
        return read_key_file(staged)


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + ".new")


def write_key_file(path: Path, secret: bytes) -> None:
    """Create a key file (folder ``0700``, file ``0600``); ``FileExistsError`` if one is there."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret.hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key_file(path: Path) -> KeyEncryptionKey:
    """A key file's KEK; refused if others may read it or it is malformed."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"the key file {path} can be read by others (mode {stat.S_IMODE(mode):04o}): "
                f"chmod 600 {path}"
            )
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(f"cannot read the key file {path}: {e}") from None
    return _parse(text, str(path))
