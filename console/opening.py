"""Opening the store for a front end: every way it can fail turned into one clear line, and who
is working recorded with every write."""

from __future__ import annotations

from console.checkpoints import take_if_due
from console.settings import Settings
from domain.application import Maillage
from domain.errors import MaillageError, StoreNotFoundError, StoreUnavailableError
from domain.kek import KeyFiles
from domain.store import one_line

CREATE_HINT = "create one with 'maillage store init' or try the demo with 'maillage demo'"


def open_store(
    settings: Settings, *, checkpoint: bool = True, found: bool | None = None
) -> Maillage:
    """Open the event store, turning every way it can fail into one clear line.

    Only a command that writes may create a missing store (``Settings.may_create``);
    any other names the path and how to create one, and makes nothing. The store's
    key-encryption key is looked for as ``domain.kek`` says; a read-only role (the auditor)
    only uses one handed to it (``$MAILLAGE_KEY_FILE``), never the user's own key files.
    With ``checkpoint``, an automatic checkpoint is taken when the newest is too old
    (``console.checkpoints``). A store without an administrator (new, or made before people
    were recorded) gets one at the first write of a command that may write (``found``, default:
    whether it may create the store): the proven identity, recorded as ``RoleGranted(admin)``
    (``Maillage.found_pending``); a command refused before writing records nothing.
    """
    try:
        app = Maillage(
            settings.location,
            create=settings.may_create,
            key_files=KeyFiles(explicit_only=settings.read_only),
        )
    except StoreNotFoundError as e:
        raise StoreNotFoundError(f"{e}: {CREATE_HINT}") from None
    except MaillageError:
        raise
    except Exception as e:  # the library reports connection problems in many types
        raise StoreUnavailableError(
            f"cannot open the store {settings.location.label}: {one_line(e)}"
        ) from e
    app.act_as(settings.actor, settings.command)  # who did what, with every write
    if checkpoint:
        take_if_due(app)
    founds = settings.may_create if found is None else found
    if founds and not settings.read_only and not app.location.read_only:
        app.founder = settings.user  # recorded as administrator at the first write, if none
    return app
