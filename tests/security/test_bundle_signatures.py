"""Issue #18 item 5: the depot imports only bundles signed by a registered field laptop; an
unsigned, unknown-key or altered bundle is refused before anything is recorded."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from console.cli import main
from domain.application import Maillage
from domain.store import StoreLocation
from drivers import bundle as bundles
from drivers.journal import ChunkInfo, JournalWriter


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def events_in(store: Path) -> int:
    app = Maillage(StoreLocation.parse(str(store)))
    try:
        return app.count_events()
    finally:
        app.close()


def bundle_of(tmp_path: Path, signer: tuple[str, Ed25519PrivateKey] | None) -> Path:
    tmp_path.mkdir(exist_ok=True)
    journal = tmp_path / "VAN-1.journal"
    closed: list[ChunkInfo] = []
    with JournalWriter(journal, chunk_bytes=1500, on_chunk_closed=closed.append) as j:
        gps = j.declare("gps")
        for i in range(40):
            j.write(gps, f"$GNGGA,{i:06d}.00,4723.4,N,00041.3,E,1,09,0.9,52,M,,M,,*00\r\n".encode())
    output = tmp_path / f"{'signed' if signer else 'unsigned'}.tar"
    bundles.write_bundle(
        output, session_id="s-1", journal_name=journal.name, events=[{"note": "as recorded"}],
        journal=journal, signer=signer,
        chunks=[{"seq": c.seq, "start": c.start, "end": c.end, "records": c.records,
                 "sha256": c.sha256} for c in closed],
    )  # fmt: skip
    return output


def rewritten(original: Path, output: Path, change: dict[str, bytes]) -> Path:
    """The bundle with some members' bytes replaced, every other member as it was."""
    with tarfile.open(original) as src, tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as dst:
        for info in src.getmembers():
            data = change.get(info.name, src.extractfile(info).read())  # type: ignore[union-attr]
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return output


def test_unsigned_unknown_and_altered_bundles_are_refused_before_recording(
    tmp_path: Path, laptop_key: str, register_laptop
) -> None:
    depot = tmp_path / "depot.sqlite"
    register_laptop(depot)
    before = events_in(depot)
    signed = bundle_of(tmp_path, bundles_signer())
    stranger = bundle_of(tmp_path / "other", ("stranger", Ed25519PrivateKey.generate()))

    # Altered with every hash recomputed: new events, their SHA-256 in the manifest.
    with tarfile.open(signed) as tar:
        manifest = json.loads(tar.extractfile(bundles.MANIFEST).read())  # type: ignore[union-attr]
    forged_events = json.dumps([{"note": "forged"}]).encode()
    manifest["events"]["sha256"] = hashlib.sha256(forged_events).hexdigest()
    altered = rewritten(signed, tmp_path / "altered.tar", {
        bundles.EVENTS: forged_events, bundles.MANIFEST: json.dumps(manifest, indent=1).encode()
    })  # fmt: skip
    # A signature copied from a genuine bundle onto an impostor laptop name.
    with tarfile.open(signed) as tar:
        sig = json.loads(tar.extractfile(bundles.SIGNATURE).read())  # type: ignore[union-attr]
    renamed = rewritten(signed, tmp_path / "renamed.tar", {
        bundles.SIGNATURE: json.dumps({**sig, "ed25519": "00" * 64}).encode()
    })  # fmt: skip

    for path, reason in (
        (bundle_of(tmp_path / "u", None), "is not signed"),
        (stranger, "signed by laptop 'stranger', whose key is not registered here"),
        (altered, "does not match laptop test-laptop's key: it was altered"),
        (renamed, "does not match laptop test-laptop's key: it was altered"),
    ):
        code, _, err = run("--store", str(depot), "sessions", "import", str(path))
        assert code == 2 and reason in err and "nothing recorded" in err, err
        assert err.count("\n") == 1
    assert events_in(depot) == before


def bundles_signer() -> tuple[str, Ed25519PrivateKey]:
    from console.recording.laptop_keys import signer

    return signer(None)


def test_a_laptop_name_cannot_be_given_another_key(
    tmp_path: Path, laptop_key: str, register_laptop
) -> None:
    depot = tmp_path / "depot.sqlite"
    register_laptop(depot)
    code, out, _ = run("--store", str(depot), "sessions", "keys", "register", "test-laptop",
                       laptop_key.upper())  # fmt: skip
    assert code == 0 and "already registered" in out
    other = "ab" * 32
    code, _, err = run("--store", str(depot), "sessions", "keys", "register", "test-laptop", other)
    assert code == 2 and "already registered with another key" in err
    code, _, err = run("--store", str(depot), "sessions", "keys", "register", "x/../y", other)
    assert code == 2 and "invalid laptop key name" in err
    code, _, err = run("--store", str(depot), "sessions", "keys", "register", "lap", "zz")
    assert code == 2 and "64 hexadecimal digits" in err


def test_keys_create_makes_an_owner_only_file_and_refuses_a_second(
    tmp_path: Path, monkeypatch
) -> None:
    from console.recording.laptop_keys import LAPTOP_KEY_DIR_ENV

    monkeypatch.setenv(LAPTOP_KEY_DIR_ENV, str(tmp_path / "k"))
    code, out, err = run("sessions", "keys", "create", "VAN-12-laptop", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert len(made["public_key"]) == 64
    assert Path(made["file"]).stat().st_mode & 0o077 == 0
    code, _, err = run("sessions", "keys", "create", "VAN-12-laptop")
    assert code == 2 and "already exists" in err
