"""Who may open the console from a browser: a login that holds a role on the store.

The console process of a browser session proves who it is itself (``console.identity``: the
session's token in ``$MAILLAGE_WEB_SESSION`` → ``web_login``) and works as what that login was
granted (``console.settings``); the server only refuses, at sign-in, a login granted nothing,
with the same answer as a wrong password.
"""

from __future__ import annotations

from console.identity import WEB_SESSION_ENV
from domain.application import Maillage
from domain.people import service as people

__all__ = ["WEB_SESSION_ENV", "may_sign_in"]


def may_sign_in(store: Maillage, login: str) -> bool:
    """Only a login granted a role may open the console from a browser."""
    return bool(people.grants_of(store, login))
