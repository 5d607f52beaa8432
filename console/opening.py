"""Opening the store for a front end: every way it can fail turned into one clear line, and who
is working recorded with every write."""

from __future__ import annotations

from console.settings import Settings
from domain.application import Maillage
from domain.errors import MaillageError, StoreNotFoundError, StoreUnavailableError
from domain.store import one_line

CREATE_HINT = "create one with 'maillage store init' or try the demo with 'maillage demo'"


def open_store(settings: Settings) -> Maillage:
    """Open the event store, turning every way it can fail into one clear line.

    Only a command that writes may create a missing store (``Settings.may_create``);
    any other names the path and how to create one, and makes nothing.
    """
    try:
        app = Maillage(settings.location, create=settings.may_create)
    except StoreNotFoundError as e:
        raise StoreNotFoundError(f"{e}: {CREATE_HINT}") from None
    except MaillageError:
        raise
    except Exception as e:  # the library reports connection problems in many types
        raise StoreUnavailableError(
            f"cannot open the store {settings.location.label}: {one_line(e)}"
        ) from e
    app.act_as(settings.actor, settings.command)  # who did what, with every write
    return app
