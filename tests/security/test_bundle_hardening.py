"""Issue #18 item 5: a session bundle cannot make the depot read without bound or write
outside its journal folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from drivers import bundle as bundles
from drivers.journal import ChunkInfo, JournalWriter


def journal_and_bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A real journal of a few chunks and its bundle."""
    journal = tmp_path / "van" / "VAN-1.journal"
    journal.parent.mkdir()
    closed: list[ChunkInfo] = []
    with JournalWriter(journal, chunk_bytes=1500, on_chunk_closed=closed.append) as j:
        gps = j.declare("gps")
        for i in range(60):
            j.write(gps, f"$GNGGA,{i:06d}.00,4723.4,N,00041.3,E,1,09,0.9,52,M,,M,,*00\r\n".encode())
    output = tmp_path / "session.tar"
    bundles.write_bundle(
        output, session_id="s-1", journal_name=journal.name, events=[], journal=journal,
        chunks=[{"seq": c.seq, "start": c.start, "end": c.end, "records": c.records,
                 "sha256": c.sha256} for c in closed],
    )  # fmt: skip
    return journal, output


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar makes the sparse member")
def test_a_sparse_8_gib_manifest_is_refused_without_reading_it(tmp_path: Path) -> None:
    member = tmp_path / bundles.MANIFEST
    with member.open("wb") as f:
        f.truncate(8 << 30)  # a hole: no disk used
    archive = tmp_path / "bomb.tar"
    subprocess.run(
        ["tar", "--sparse", "--format=pax", "-cf", str(archive), "-C", str(tmp_path),
         bundles.MANIFEST],
        check=True,
    )  # fmt: skip
    member.unlink()
    assert archive.stat().st_size < 64 * 1024
    with pytest.raises(bundles.BundleError, match="announces 8,589,934,592 bytes"):
        bundles.read_bundle(archive)


def test_a_member_that_is_a_link_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo(bundles.MANIFEST)
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(bundles.BundleError, match="not a plain file"):
        bundles.read_bundle(archive)


def test_a_link_planted_in_the_journal_folder_is_never_followed(tmp_path: Path) -> None:
    journal, archive = journal_and_bundle(tmp_path)
    bundle = bundles.read_bundle(archive)
    depot = tmp_path / "depot"
    depot.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    target = depot / journal.name
    (depot / (journal.name + ".partial")).symlink_to(victim)  # the old temporary name

    assert bundles.write_journal(bundle, target) == "written"
    assert victim.read_text() == "precious\n"
    assert target.read_bytes() == journal.read_bytes() and not target.is_symlink()
    left = sorted(p.name for p in depot.iterdir())
    assert left == sorted([journal.name, journal.name + ".partial"])  # no temporary file left

    # A link at the journal's own name is refused, before and while writing.
    target.unlink()
    target.symlink_to(victim)
    for check in (bundles.check_journal_target, bundles.write_journal):
        with pytest.raises(bundles.BundleError, match="symbolic link"):
            check(bundle, target)
    assert victim.read_text() == "precious\n"


def test_a_chunk_bigger_than_its_manifest_says_is_refused_before_reading(tmp_path: Path) -> None:
    _, archive = journal_and_bundle(tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(bundles.MANIFEST).read())  # type: ignore[union-attr]
    first = manifest["chunks"][0]
    first["end"] = first["start"] + 10  # the member is longer than announced
    bundle = bundles.read_bundle(archive)
    bundle.chunks[0] = bundles.BundleChunk(
        first["seq"], first["member"], first["start"], first["end"], first["records"],
        first["sha256"], bytes.fromhex(first["closing"]),
    )  # fmt: skip
    with pytest.raises(bundles.BundleError, match="more than the 10 allowed"):
        bundles.verify_bundle(bundle, {c.seq: c.sha256 for c in bundle.chunks})
