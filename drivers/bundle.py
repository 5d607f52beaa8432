"""Session bundles: a session's events and its journal chunks in one file, from van to depot.

A bundle is an uncompressed POSIX tar archive (``tar tf`` lists it, ``sha256sum`` checks a
chunk by hand) holding, in this order::

    manifest.json        format, session id, journal name, events' SHA-256, chunk table
    events.json          the session's stored events, exactly as stored (state as JSON text)
    chunks/000000.bin    the bytes of journal chunk 0 (``start``..``end`` of the journal)
    chunks/000001.bin    …
    signature.json       the laptop's name and its Ed25519 signature of manifest.json's bytes

The manifest holds the SHA-256 of the events and of every chunk, so its signature covers the
whole bundle: the depot checks it against the laptop's registered key before anything else.

Each chunk row of the manifest holds ``seq``, ``member``, ``start``, ``end``, ``records``,
``sha256`` and ``closing`` (hex of the journal's CHUNK record that closed it), so the depot
rebuilds the journal byte for byte up to the last recorded chunk: ``MAGIC``, then each chunk
followed by its closing record. This module packs and unpacks and checks hashes; it knows
nothing of the domain: the importer passes the hashes the session's events recorded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from drivers.journal import CHUNK, HEADER_BYTES, MAGIC, SYNC

FORMAT = "maillage-session-bundle/1"
MANIFEST, EVENTS, SIGNATURE = "manifest.json", "events.json", "signature.json"
SIGNATURE_MAX_BYTES = 4096
_HEAD = struct.Struct("<BQqBI")
_CHUNK = struct.Struct("<II32s")
_CRC = struct.Struct("<I")
CLOSING_BYTES = HEADER_BYTES + _CHUNK.size + _CRC.size
"""Length of the journal record that closes a chunk."""
_BLOCK = 1 << 20
MANIFEST_MAX_BYTES = 16 << 20
"""A manifest is a few kilobytes per hour of recording; more is not a bundle of ours."""
EVENTS_MAX_BYTES = 256 << 20
"""A session's events (read into memory): far above a day's recording."""


class BundleError(ValueError):
    """The bundle is not one, is damaged, or does not match the session it carries."""


@dataclass(frozen=True)
class BundleChunk:
    """One journal chunk as the manifest describes it."""

    seq: int
    member: str
    start: int
    end: int
    records: int
    sha256: str
    closing: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "member": self.member,
            "start": self.start,
            "end": self.end,
            "records": self.records,
            "sha256": self.sha256,
            "closing": self.closing.hex(),
        }


@dataclass
class SessionBundle:
    """A bundle opened for reading: its manifest, its events and its chunk table."""

    path: Path
    manifest: dict[str, Any]
    events: list[dict[str, Any]]
    chunks: list[BundleChunk]
    manifest_bytes: bytes = b""
    signature: dict[str, Any] | None = None
    """``{"key": laptop name, "ed25519": signature in hex}``, None when unsigned."""

    @property
    def session_id(self) -> str:
        return str(self.manifest["session_id"])

    @property
    def journal_name(self) -> str:
        return str(self.manifest["journal_name"])

    @property
    def journal_bytes(self) -> int:
        """Size of the journal rebuilt from the chunks."""
        return self.chunks[-1].end + CLOSING_BYTES if self.chunks else len(MAGIC)


def member_name(seq: int) -> str:
    return f"chunks/{seq:06d}.bin"


def closing_record(data: bytes) -> tuple[int, int, str] | None:
    """(seq, records, sha256) of a journal CHUNK record, or None if ``data`` is not a whole one."""
    if len(data) != CLOSING_BYTES or data[:2] != SYNC:
        return None
    kind, _, _, _, length = _HEAD.unpack_from(data, 2)
    (crc,) = _CRC.unpack_from(data, CLOSING_BYTES - _CRC.size)
    if kind != CHUNK or length != _CHUNK.size or zlib.crc32(data[2 : -_CRC.size]) != crc:
        return None
    seq, records, digest = _CHUNK.unpack_from(data, HEADER_BYTES)
    return seq, records, digest.hex()


# ---------------------------------------------------------------------- writing


def write_bundle(
    output: Path,
    *,
    session_id: str,
    journal_name: str,
    events: list[dict[str, Any]],
    journal: Path,
    chunks: list[Mapping[str, Any]],
    extra: Mapping[str, Any] | None = None,
    signer: tuple[str, Ed25519PrivateKey] | None = None,
) -> dict[str, Any]:
    """Write the bundle of a session whose recorded ``chunks`` (seq, sha256, start, end,
    records) are in ``journal``; every chunk is checked against its hash first. ``signer``
    (the laptop's name and key) signs the manifest.

    Written to a temporary file then renamed: a bundle on disk is always whole.
    """
    rows: list[BundleChunk] = []
    with journal.open("rb") as j:
        for c in sorted(chunks, key=lambda c: int(c["seq"])):
            seq, start, end = int(c["seq"]), int(c["start"]), int(c["end"])
            j.seek(start)
            data = j.read(end - start)
            closing = j.read(CLOSING_BYTES)
            if len(data) != end - start or hashlib.sha256(data).hexdigest() != c["sha256"]:
                raise BundleError(
                    f"journal {journal.name}: chunk {seq} does not match the SHA-256 the session "
                    "recorded (the journal was changed or damaged)"
                )
            parsed = closing_record(closing)
            if parsed is None or parsed[0] != seq or parsed[2] != c["sha256"]:
                raise BundleError(f"journal {journal.name}: chunk {seq} has no closing record")
            rows.append(
                BundleChunk(seq, member_name(seq), start, end, int(c["records"]), c["sha256"],
                            closing)
            )  # fmt: skip
    events_json = json.dumps(events, indent=1, ensure_ascii=False).encode()
    manifest = {
        "format": FORMAT,
        "session_id": session_id,
        "journal_name": journal_name,
        "exported_at_unix_s": round(time.time(), 3),
        "events": {"member": EVENTS, "count": len(events),
                   "sha256": hashlib.sha256(events_json).hexdigest()},
        "chunks": [r.as_json() for r in rows],
        **(extra or {}),
    }  # fmt: skip
    tmp = output.with_name(output.name + ".partial")
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar, journal.open("rb") as j:
            manifest_bytes = json.dumps(manifest, indent=1).encode()
            _add(tar, MANIFEST, manifest_bytes)
            _add(tar, EVENTS, events_json)
            for r in rows:
                j.seek(r.start)
                info = tarfile.TarInfo(r.member)
                info.size, info.mtime, info.mode = r.end - r.start, int(time.time()), 0o640
                tar.addfile(info, io.BytesIO(j.read(r.end - r.start)))
            if signer is not None:
                name, key = signer
                signature = {"key": name, "ed25519": key.sign(manifest_bytes).hex()}
                _add(tar, SIGNATURE, json.dumps(signature).encode())
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o640
    tar.addfile(info, io.BytesIO(data))


# ---------------------------------------------------------------------- reading


@contextlib.contextmanager
def _open_tar(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115 (closed below, after the checks)
    except FileNotFoundError:
        raise BundleError(f"no bundle at {path}") from None
    except (tarfile.TarError, OSError) as e:
        raise BundleError(f"{path} is not a session bundle ({e})") from None
    try:
        yield tar
    finally:
        tar.close()


def _member(tar: tarfile.TarFile, name: str, size_max: int | None = None) -> BinaryIO:
    """A member's bytes, streamed: a regular file (never a link, which tar would follow inside
    the archive), whose declared size is checked before anything is read."""
    try:
        info = tar.getmember(name)
        if not info.isreg():
            raise BundleError(f"the bundle's {name} is not a plain file")
        if size_max is not None and info.size > size_max:
            raise BundleError(
                f"the bundle's {name} announces {info.size:,} bytes, more than the "
                f"{size_max:,} allowed: refused without reading it"
            )
        f = tar.extractfile(info)
    except KeyError:
        f = None
    except (tarfile.TarError, OSError) as e:
        raise BundleError(f"bundle member {name} cannot be read ({e})") from None
    if f is None:
        raise BundleError(f"the bundle has no {name}")
    return f  # type: ignore[return-value]


def read_bundle(path: Path) -> SessionBundle:
    """Open a bundle: its manifest, events and chunk table (chunks' bytes are not read yet)."""
    with _open_tar(path) as tar:
        try:
            manifest_bytes = _member(tar, MANIFEST, MANIFEST_MAX_BYTES).read()
            manifest = json.loads(manifest_bytes)
        except (ValueError, UnicodeDecodeError) as e:
            raise BundleError(f"the bundle's {MANIFEST} is not JSON ({e})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BundleError(f"{path} is not a {FORMAT} bundle")
        raw_events = _member(tar, EVENTS, EVENTS_MAX_BYTES).read()
        signature = _signature(tar)
    expected = manifest.get("events", {}).get("sha256")
    if hashlib.sha256(raw_events).hexdigest() != expected:
        raise BundleError(f"the bundle's {EVENTS} is damaged: its SHA-256 is not the manifest's")
    try:
        events = json.loads(raw_events)
        chunks = [
            BundleChunk(int(c["seq"]), str(c["member"]), int(c["start"]), int(c["end"]),
                        int(c["records"]), str(c["sha256"]), bytes.fromhex(c["closing"]))
            for c in manifest["chunks"]
        ]  # fmt: skip
        if not (
            isinstance(manifest["session_id"], str) and isinstance(manifest["journal_name"], str)
        ):
            raise TypeError("session_id and journal_name must be text")
    except (KeyError, TypeError, ValueError) as e:
        raise BundleError(f"the bundle's manifest is incomplete ({e})") from None
    if not isinstance(events, list):
        raise BundleError(f"the bundle's {EVENTS} is not a list of events")
    if "/" in manifest["journal_name"] or manifest["journal_name"] in ("", ".", ".."):
        raise BundleError(f"the bundle names an unsafe journal {manifest['journal_name']!r}")
    return SessionBundle(path, manifest, events, chunks, manifest_bytes, signature)


def _signature(tar: tarfile.TarFile) -> dict[str, Any] | None:
    if SIGNATURE not in tar.getnames():
        return None
    try:
        found = json.loads(_member(tar, SIGNATURE, SIGNATURE_MAX_BYTES).read())
    except (ValueError, UnicodeDecodeError):
        found = None
    if not (
        isinstance(found, dict)
        and isinstance(found.get("key"), str)
        and isinstance(found.get("ed25519"), str)
    ):
        raise BundleError(f"the bundle's {SIGNATURE} is damaged")
    return found


def verify_signature(bundle: SessionBundle, public_key: Callable[[str], bytes | None]) -> str:
    """Check the bundle's signature with the key registered for the laptop it names
    (``public_key(name)``); returns the laptop's name. Unsigned, unknown or altered: refused."""
    if bundle.signature is None:
        raise BundleError("the bundle is not signed (export it with a laptop key)")
    name = bundle.signature["key"]
    raw = public_key(name)
    if raw is None:
        raise BundleError(
            f"the bundle is signed by laptop {name!r}, whose key is not registered here "
            "(maillage sessions keys register)"
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(
            bytes.fromhex(bundle.signature["ed25519"]), bundle.manifest_bytes
        )
    except (InvalidSignature, ValueError):
        raise BundleError(
            f"the bundle's signature does not match laptop {name}'s key: it was altered"
        ) from None
    return name


def _sha256_of(f: BinaryIO) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    while block := f.read(_BLOCK):
        sha.update(block)
        size += len(block)
    return sha.hexdigest(), size


def verify_bundle(bundle: SessionBundle, recorded: Mapping[int, str]) -> None:
    """Check every chunk against the SHA-256 its session recorded (``seq → sha256``).

    Raises ``BundleError`` naming the first chunk that is missing, extra, damaged or out of
    place; returns only if every byte of every chunk is as the session recorded it.
    """
    by_seq = {c.seq: c for c in bundle.chunks}
    missing = sorted(set(recorded) - set(by_seq))
    if missing:
        raise BundleError(f"chunk {missing[0]} recorded on the session is not in the bundle")
    extra = sorted(set(by_seq) - set(recorded))
    if extra:
        raise BundleError(f"chunk {extra[0]} of the bundle was never recorded on the session")
    position = len(MAGIC)
    with _open_tar(bundle.path) as tar:
        for seq in sorted(recorded):
            c = by_seq[seq]
            if c.sha256 != recorded[seq]:
                raise BundleError(f"chunk {seq}: the manifest's SHA-256 is not the session's")
            if c.start != position or c.end <= c.start:
                raise BundleError(f"chunk {seq} is out of place in the journal ({c.start})")
            digest, size = _sha256_of(_member(tar, c.member, c.end - c.start))
            if digest != recorded[seq] or size != c.end - c.start:
                raise BundleError(
                    f"chunk {seq} ({c.member}) is damaged: its SHA-256 is {digest[:12]}…, "
                    f"the session recorded {recorded[seq][:12]}…"
                )
            closing = closing_record(c.closing)
            if closing is None or closing[0] != seq or closing[2] != recorded[seq]:
                raise BundleError(f"chunk {seq}: its closing record is damaged")
            position = c.end + CLOSING_BYTES


def write_journal(bundle: SessionBundle, target: Path) -> str:
    """Rebuild the journal of a verified bundle at ``target``.

    Returns ``written``, ``kept`` (the file there already holds these bytes, maybe more) or
    raises ``BundleError`` when a different journal of that name is there.
    """
    _refuse_link(target)
    # A new file of a random name made in the journal folder (O_CREAT|O_EXCL: a link planted
    # there is never followed), then renamed over the target: nothing is written elsewhere.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    rebuilt = Path(name)
    try:
        with _open_tar(bundle.path) as tar, os.fdopen(fd, "wb") as out:
            out.write(MAGIC)
            for c in sorted(bundle.chunks, key=lambda c: c.seq):
                f = _member(tar, c.member, c.end - c.start)
                while block := f.read(_BLOCK):
                    out.write(block)
                out.write(c.closing)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            if _is_prefix(rebuilt, target):
                return "kept"
            if not _is_prefix(target, rebuilt):
                raise BundleError(
                    f"a different journal {target.name} is already in {target.parent}: "
                    "move it away first"
                )
        rebuilt.replace(target)
        return "written"
    finally:
        rebuilt.unlink(missing_ok=True)


def _refuse_link(target: Path) -> None:
    if target.is_symlink():
        raise BundleError(f"{target} is a symbolic link: a journal is never written through one")


def _read_nofollow(path: Path) -> BinaryIO:
    """Open a file for reading without following a symbolic link at its name."""
    try:
        return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")
    except OSError as e:
        raise BundleError(f"{path} cannot be read safely ({e.strerror or e})") from None


def _is_prefix(short: Path, long: Path) -> bool:
    """Whether the bytes of ``short`` begin ``long``."""
    if short.stat().st_size > long.stat().st_size:
        return False
    with _read_nofollow(short) as a, _read_nofollow(long) as b:
        while block := a.read(_BLOCK):
            if b.read(len(block)) != block:
                return False
    return True


def check_journal_target(bundle: SessionBundle, target: Path) -> None:
    """Refuse early (before anything is recorded) when ``target`` holds another journal."""
    _refuse_link(target)
    if not target.exists():
        return
    size = target.stat().st_size
    with _read_nofollow(target) as f:
        head = f.read(len(MAGIC))
    if head != MAGIC[: len(head)]:
        raise BundleError(f"{target} exists and is not a journal: move it away first")
    if size and bundle.chunks:
        first = bundle.chunks[0]
        with _open_tar(bundle.path) as tar, _read_nofollow(target) as f:
            f.seek(first.start)
            have = f.read(min(4096, first.end - first.start))
            want = _member(tar, first.member, first.end - first.start).read(len(have))
        if have != want:
            raise BundleError(
                f"a different journal {target.name} is already in {target.parent}: "
                "move it away first"
            )
