"""Opening the store and finding what a command names, shared by every command module."""

from __future__ import annotations

from uuid import UUID

from console.settings import Settings
from domain.application import Maillage
from domain.errors import (
    InvalidInputError,
    MaillageError,
    NotFoundError,
    StoreNotFoundError,
    StoreUnavailableError,
)
from domain.ids import municipality_id
from domain.meals.municipality import Municipality, normalise_insee
from domain.store import ViewConnection, one_line
from domain.views.catalogue import all_views
from domain.views.projector import Projector

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


def find_by_prefix(app: Maillage, text: str, table: str, what: str) -> UUID:
    """A full id, or a unique prefix of at least 6 characters, of a row of the view ``table``."""
    conn = views_caught_up(app)
    try:
        rows = conn.fetchall(
            f"SELECT id FROM {table} WHERE id LIKE ?", (text.strip().lower() + "%",)
        )
    finally:
        conn.close()
    if len(text.strip()) < 6 or not rows:
        raise NotFoundError(f"no {what} with id {text!r} (give at least 6 characters)")
    if len(rows) > 1:
        raise InvalidInputError(f"{len(rows)} {what}s start with {text!r}: give more characters")
    return UUID(rows[0][0])


def find_round(app: Maillage, text: str) -> UUID:
    """The meal round named by its id or a unique prefix of it."""
    return find_by_prefix(app, text, "rounds_view", "round")
