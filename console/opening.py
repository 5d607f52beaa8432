"""Opening the store and finding what a command names, shared by every command module."""

from __future__ import annotations

from console.settings import Settings
from domain.application import Maillage
from domain.errors import MaillageError, NotFoundError, StoreUnavailableError
from domain.ids import municipality_id
from domain.meals.municipality import Municipality, normalise_insee
from domain.store import ViewConnection, one_line
from domain.views.catalogue import all_views
from domain.views.projector import Projector


def open_store(settings: Settings) -> Maillage:
    """Open the event store, turning every way it can fail into one clear line."""
    try:
        app = Maillage(settings.location)
    except MaillageError:
        raise
    except Exception as e:  # the library reports connection problems in many types
        raise StoreUnavailableError(
            f"cannot open the store {settings.location.label}: {one_line(e)}"
        ) from e
    app.act_as(settings.actor, settings.command)  # who did what, with every write
    return app


def municipality(app: Maillage, insee: str) -> Municipality:
    """The municipality with this INSEE code, or a clear error naming the code."""
    code = normalise_insee(insee)
    try:
        return app.get(municipality_id(code), Municipality)
    except NotFoundError:
        raise NotFoundError(f"no municipality with INSEE code {code}: add it first") from None


def views_caught_up(app: Maillage) -> ViewConnection:
    """A connection to views brought up to the end of the log (the caller closes it)."""
    with Projector(app, all_views()) as projector:
        projector.catch_up()
    return ViewConnection.open(app.location)
