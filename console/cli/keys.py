"""``maillage keys info|rotate``: the key-encryption key that wraps every person's data key.

The key is never in the store (``domain.kek``): a file with owner-only permissions in the
user's config directory, one per store, or ``$MAILLAGE_KEY_FILE`` / ``$MAILLAGE_KEY`` on a
depot server. Back it up apart from the store's backups (a store without its key opens no
personal data). ``rotate`` makes a new key, rewraps every data key with it in one
transaction, and keeps the old key file as a dated backup (``<id>.key.<time>.bak``) until
you delete it: backups of the store made before the rotation need it.
"""

from __future__ import annotations

import argparse

from console.cli.output import EXIT_OK, print_result
from console.cli.tree import Level
from console.opening import open_store
from console.roles import mutating
from console.settings import Settings
from domain.application import Maillage
from domain.errors import InvalidInputError


def register(level: Level) -> None:
    """Register ``keys`` and its actions."""
    keys = level.group("keys", "the key that wraps every person's data key (kept outside)")
    keys.command("info", cmd_keys_info, "where the store's key-encryption key is", json=True)
    keys.command(
        "rotate",
        cmd_keys_rotate,
        "rewrap every data key with a new key-encryption key (the old one kept as a backup)",
        json=True,
    )


def key_facts(app: Maillage) -> dict[str, object]:
    """Where the store's KEK is and whether it opens the store's data keys."""
    keys = app.subject_keys
    kek = keys.kek
    return {
        "store_id": keys.store_id,
        "key_file": app.key_files.describe(keys.store_id),
        "key": "here" if kek is not None else "MISSING: personal data reads as sealed",
        "fingerprint": keys.kek_fingerprint(),
        "data_keys": keys.count(),
    }


def cmd_keys_info(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        facts = key_facts(app)
    finally:
        app.close()
    shown = {**facts, "store_id": str(facts["store_id"])[:8]}  # a store, as people name it
    text = "\n".join(f"{k.replace('_id', '').replace('_', ' ')}: {v}" for k, v in shown.items())
    print_result(args, facts, text)
    return EXIT_OK


@mutating
def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    app = open_store(settings)
    try:
        store_id = app.subject_keys.store_id
        if app.subject_keys.kek is None:
            raise InvalidInputError(
                "the store's key-encryption key is not here "
                f"({app.key_files.describe(store_id)}): nothing to rotate"
            )
        new = app.key_files.stage(store_id)
        count = app.subject_keys.rotate(new)
        backup = app.key_files.rotate_files(store_id, new)
    finally:
        app.close()
    result = {"rewrapped": count, "key_file": str(app.key_files.path(store_id)),
              "old_key_backup": str(backup), "fingerprint": new.fingerprint}  # fmt: skip
    print_result(
        args,
        result,
        f"{count} data keys rewrapped with a new key ({new.fingerprint}) in "
        f"{result['key_file']}; the old key is kept as {backup}: delete it once no backup of "
        "the store from before needs it",
    )
    return EXIT_OK
