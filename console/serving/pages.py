"""The two HTML pages of ``maillage serve``: the login form and the console's terminal.

Plain HTML, every value escaped (``html.escape``); no inline script, so the
Content-Security-Policy can forbid inline scripts altogether.
"""

from __future__ import annotations

from html import escape

_STYLE = """
body { background: #0c181f; color: #e8eef2; font-family: system-ui, sans-serif; margin: 0; }
main.login { max-width: 22rem; margin: 12vh auto; padding: 2rem; background: #12232d; }
label { display: block; margin-top: 1rem; }
input { width: 100%; padding: .4rem; margin-top: .3rem; box-sizing: border-box; }
button { margin-top: 1.2rem; padding: .5rem 1.2rem; }
p.error { color: #ffb4a8; }
header.bar { display: flex; justify-content: space-between; align-items: center;
             padding: .2rem .8rem; background: #12232d; height: 2rem; }
header.bar form { margin: 0; } header.bar button { margin: 0; padding: .2rem .8rem; }
#terminal { position: absolute; top: 2.4rem; bottom: 0; left: 0; right: 0; }
"""


def login_page(csrf: str, message: str = "", login: str = "") -> str:
    """The login form; ``message`` (a refusal) and ``login`` (as typed) are escaped."""
    error = f'<p class="error" id="error">{escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>maillage — sign in</title>
<style>{_STYLE}</style></head>
<body><main class="login"><h1>maillage</h1>
<p>Sign in with the login and web password your administrator gave you.</p>{error}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{escape(csrf)}">
<label>Login <input name="login" id="login" autocomplete="username" required
 value="{escape(login)}"></label>
<label>Password <input name="password" id="password" type="password"
 autocomplete="current-password" required></label>
<button type="submit" id="sign-in">Sign in</button>
</form></main></body></html>
"""


def console_page(login: str, csrf: str, websocket_url: str, static_url: str) -> str:
    """The console in xterm.js (textual-serve's script), with the login and a logout form."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>maillage — {escape(login)}</title>
<link rel="stylesheet" href="{escape(static_url)}css/xterm.css">
<script src="{escape(static_url)}js/textual.js"></script>
<style>{_STYLE}</style></head>
<body><header class="bar"><span id="who">{escape(login)}</span>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{escape(csrf)}">
<button type="submit" id="logout">Log out</button></form></header>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{escape(websocket_url)}"
 data-font-size="16"></div></body></html>
"""


def ended_page(message: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>maillage</title><style>{_STYLE}</style>
</head><body><main class="login"><p id="ended">{escape(message)}</p>
<p><a href="/login">Sign in</a></p></main></body></html>
"""
