"""Session bundles without the domain: a journal's chunks packed with their closing records,
read back and checked against the session's hashes, the journal rebuilt byte for byte; damage,
missing or foreign chunks and files that are not bundles are refused, naming what is wrong."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from drivers.bundle import (
    CLOSING_BYTES,
    BundleError,
    check_journal_target,
    read_bundle,
    verify_bundle,
    write_bundle,
    write_journal,
)
from drivers.journal import JournalWriter, read_journal

EVENTS = [{"originator_id": "x", "originator_version": 1, "topic": "t", "state": "{}"}]


def journal_with_chunks(path: Path) -> list[dict[str, Any]]:
    """A journal of several chunks and the rows a session would have recorded for them."""
    with JournalWriter(path, chunk_bytes=600) as j:
        gps, imu = j.declare("gps"), j.declare("imu")
        for i in range(40):
            j.write(gps, f"$GNGGA,{i}*00\r\n".encode())
            j.write(imu, bytes([0x55, 0x51, i]) + bytes(8))
        j.note("tail of the last chunk", imu)
    return [
        {"seq": c.seq, "sha256": c.sha256, "start": c.start, "end": c.end, "records": c.records}
        for c in j.chunks
    ]


@pytest.fixture
def packed(tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    journal = tmp_path / "van.journal"
    chunks = journal_with_chunks(journal)
    bundle = tmp_path / "session.tar"
    write_bundle(
        bundle, session_id="s-1", journal_name=journal.name, events=EVENTS, journal=journal,
        chunks=chunks,
    )  # fmt: skip
    return journal, bundle, chunks


def hashes(chunks: list[dict[str, Any]]) -> dict[int, str]:
    return {c["seq"]: c["sha256"] for c in chunks}


def test_a_bundle_round_trips_and_rebuilds_the_journal(
    packed: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    journal, path, chunks = packed
    assert len(chunks) >= 3
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert names == ["manifest.json", "events.json"] + [
        f"chunks/{c['seq']:06d}.bin" for c in chunks
    ]
    bundle = read_bundle(path)
    assert bundle.session_id == "s-1" and bundle.events == EVENTS
    assert [c.sha256 for c in bundle.chunks] == [c["sha256"] for c in chunks]
    verify_bundle(bundle, hashes(chunks))

    target = tmp_path / "depot" / journal.name
    target.parent.mkdir()
    check_journal_target(bundle, target)
    assert write_journal(bundle, target) == "written"
    assert target.read_bytes() == journal.read_bytes()[: chunks[-1]["end"] + CLOSING_BYTES]
    _, report = read_journal(target)
    assert report.intact and len(report.chunks) == len(chunks)
    assert write_journal(bundle, target) == "kept"  # the same bytes: left alone
    assert write_journal(bundle, journal) == "kept"  # the original holds them and more


def test_a_flipped_byte_in_a_chunk_is_refused_naming_the_chunk(
    packed: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    _, path, chunks = packed
    with tarfile.open(path) as tar:
        offset = tar.getmember("chunks/000001.bin").offset_data + 7
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))
    bundle = read_bundle(path)  # the manifest and events are intact
    with pytest.raises(BundleError, match=r"chunk 1 \(chunks/000001.bin\) is damaged"):
        verify_bundle(bundle, hashes(chunks))


def test_chunks_must_be_exactly_those_of_the_session(
    packed: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    _, path, chunks = packed
    bundle = read_bundle(path)
    more = {**hashes(chunks), len(chunks): "00" * 32}
    with pytest.raises(BundleError, match=f"chunk {len(chunks)} recorded on the session is not"):
        verify_bundle(bundle, more)
    fewer = hashes(chunks[:-1])
    with pytest.raises(BundleError, match=f"chunk {len(chunks) - 1} of the bundle was never"):
        verify_bundle(bundle, fewer)
    other = {**hashes(chunks), 0: "ab" * 32}
    with pytest.raises(BundleError, match="chunk 0: the manifest's SHA-256 is not the session's"):
        verify_bundle(bundle, other)


def test_a_journal_changed_since_its_hashes_were_recorded_is_not_exported(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "van.journal"
    chunks = journal_with_chunks(journal)
    data = bytearray(journal.read_bytes())
    data[chunks[2]["start"] + 30] ^= 1
    journal.write_bytes(bytes(data))
    out = tmp_path / "b.tar"
    with pytest.raises(BundleError, match="chunk 2 does not match the SHA-256"):
        write_bundle(
            out, session_id="s", journal_name="j", events=[], journal=journal, chunks=chunks
        )
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_what_is_not_a_bundle_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(BundleError, match="is not a session bundle"):
        read_bundle(junk)
    with pytest.raises(BundleError, match="no bundle at"):
        read_bundle(tmp_path / "missing.tar")
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        tar.add(junk, arcname="manifest.json")
    with pytest.raises(BundleError, match=r"manifest\.json is not JSON"):
        read_bundle(other)


def test_a_different_journal_of_the_same_name_is_never_overwritten(
    packed: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    _, path, _ = packed
    bundle = read_bundle(path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    other = elsewhere / bundle.journal_name
    journal_with_chunks(other)  # same layout, other timestamps: other bytes
    with pytest.raises(BundleError, match="a different journal"):
        check_journal_target(bundle, other)
    before = other.read_bytes()
    with pytest.raises(BundleError, match="a different journal"):
        write_journal(bundle, other)
    assert other.read_bytes() == before
