"""Browser sessions: the hook where a web session's token becomes a login (``serve``).

``maillage serve`` (issue #18 item 3) keeps its accounts and sessions; a console it starts for
a browser is given the session's opaque token (``$MAILLAGE_WEB_SESSION``) and proves who works
with ``web_login``. Until the sessions are recorded here, no token is known: every one is refused.
"""

from __future__ import annotations

from domain.application import Maillage


def web_login(store: Maillage, token: str) -> str | None:
    """The login of the live browser session holding ``token`` (None: unknown or ended)."""
    return None
