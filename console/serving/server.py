"""The aiohttp application of ``maillage serve``: textual-serve's terminal behind a login.

textual-serve (the Textualize project's own server) gives the terminal page's script
(xterm.js), the websocket protocol and ``AppService``, which runs one console process per
websocket and relays its screen. This module extends its ``Server``: a login page in front,
a session middleware, a guarded websocket, and a console process started as the signed-in
person — the process gets the session's token in ``$MAILLAGE_WEB_SESSION`` and proves who it
is with it (``web_login``); nothing the browser sends becomes a flag or a variable.

- Passwords: argon2id (``domain.people.credentials``); failures slow down per login and per
  client address (``throttle``); an unknown login and a wrong password get the same answer.
- Cookies: ``HttpOnly; SameSite=Strict; Secure`` (``__Host-`` prefixed); ``Secure`` can be
  dropped only when serving on a loopback address (``--insecure-cookies``, for a test browser
  on http://127.0.0.1).
- CSRF: the login form carries a random token also kept in a cookie; the logout form a token
  derived from the session (HMAC with the server's key); a request whose ``Origin`` is not
  the public URL's is refused, websocket included.
- Idle timeout: a session not seen for ``--idle-minutes`` is deleted and its console process
  ended; logout deletes the session and ends its console process at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from console.serving.identity import WEB_SESSION_ENV, may_sign_in
from console.serving.pages import console_page, ended_page, login_page
from console.serving.throttle import Throttle
from domain.application import Maillage
from domain.people import credentials

log = logging.getLogger("maillage.serve")

LOOPBACK = ("127.0.0.1", "::1", "localhost")
CLEARED_ENV = ("MAILLAGE_ROLE", "MAILLAGE_USER", "MAILLAGE_SCOPE", WEB_SESSION_ENV)
"""Variables of the server's environment never passed to a console process: who it is comes
from the session's token only."""
SEEN_EVERY_S = 30.0
"""A working session's ``last_seen`` is written at most this often (keystrokes count)."""
REFUSED = "login or password not recognised"


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    idle_minutes: float = credentials.DEFAULT_IDLE_MINUTES
    public_url: str = ""
    secure_cookies: bool = True
    trust_proxy: bool = False
    """Take the client's address from ``X-Forwarded-For`` (set by the reverse proxy)."""
    reap_every_s: float = 30.0

    @property
    def url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def session_cookie(self) -> str:
        return "__Host-maillage-session" if self.secure_cookies else "maillage-session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-maillage-csrf" if self.secure_cookies else "maillage-csrf"


class ConsoleProcess(AppService):
    """textual-serve's per-websocket process, started without a shell, with the session's
    token as its only identity, and stoppable at once (logout, idle timeout)."""

    def __init__(self, argv: list[str], token: str, **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self.token = token

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width, height)
        for name in CLEARED_ENV:
            env.pop(name, None)
        env[WEB_SESSION_ENV] = self.token
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def end(self) -> None:
        """End the console process now (SIGTERM, then SIGKILL after 5 s) and close the socket."""
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        await self.remote_close()


@dataclass
class _Live:
    """The console processes of one browser session and when it was last marked seen."""

    processes: set[ConsoleProcess] = field(default_factory=set)
    marked_s: float = 0.0


class ConsoleServer(Server):
    """textual-serve's server with a login in front (see the module's notes)."""

    def __init__(self, store: Maillage, options: ServeOptions, console_argv: list[str]) -> None:
        super().__init__(" ".join(console_argv), options.host, options.port, "maillage",
                         options.url)  # fmt: skip
        self.store = store
        self.options = options
        self.console_argv = console_argv
        self.key = secrets.token_bytes(32)
        self.login_throttle = Throttle(free=3)
        self.addr_throttle = Throttle(free=10)
        self.live: dict[str, _Live] = {}
        self._reaper: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ application

    def application(self) -> web.Application:
        """The aiohttp application (tests drive it with aiohttp's test client)."""
        app = web.Application(middlewares=[self._headers, self._same_origin])
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/login", self.handle_login_page, name="login"),
                web.post("/login", self.handle_login),
                web.post("/logout", self.handle_logout, name="logout"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, show_index=False, name="static"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def _make_app(self) -> web.Application:
        return self.application()

    async def on_startup(self, app: web.Application) -> None:
        self._reaper = asyncio.create_task(self._reap_forever())
        print(f"maillage serve: the console on {self.options.url} (Ctrl+C stops)", flush=True)

    async def on_shutdown(self, app: web.Application) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for live in list(self.live.values()):
            for process in list(live.processes):
                await process.end()

    def initialize_logging(self) -> None:
        logging.basicConfig(level="WARNING", format="maillage serve: %(message)s")

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as raised:  # redirects and refusals get the headers too
            response = raised
        self._secure(request, response)
        if isinstance(response, web.HTTPException):
            raise response
        return response

    def _secure(self, request: web.Request, response: web.StreamResponse) -> None:
        """The headers every answer carries (a streamed one sets them before it starts)."""
        ws = "wss" if self.options.url.startswith("https") else "ws"
        host = urlsplit(self.options.url).netloc
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"connect-src 'self' {ws}://{host}; img-src 'self' data:; font-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")

    @web.middleware
    async def _same_origin(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Refuse a form post or websocket sent by another site's page."""
        origin = request.headers.get("Origin")
        guarded = request.method == "POST" or request.path == "/ws"
        if guarded and origin is not None and origin != self.options.origin:
            return web.Response(status=403, text="refused: this request came from another site")
        return await handler(request)

    # ------------------------------------------------------------------ cookies

    def _set_cookie(self, response: web.StreamResponse, name: str, value: str) -> None:
        response.set_cookie(
            name, value, path="/", httponly=True, samesite="Strict",
            secure=self.options.secure_cookies,
        )  # fmt: skip

    def _token(self, request: web.Request) -> str:
        return request.cookies.get(self.options.session_cookie, "")

    def _logout_csrf(self, token: str) -> str:
        return hmac.new(self.key, b"logout\x00" + token.encode(), hashlib.sha256).hexdigest()

    def client_address(self, request: web.Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if self.options.trust_proxy and forwarded:
            return forwarded.split(",")[-1].strip()
        return request.remote or "unknown"

    async def _login_of(self, token: str, *, touch: bool = True) -> str | None:
        if not token:
            return None
        return await asyncio.to_thread(
            credentials.web_login, self.store, token, self.options.idle_minutes, touch=touch
        )

    # ------------------------------------------------------------------ pages

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        token = self._token(request)
        login = await self._login_of(token)
        if login is None:
            raise web.HTTPSeeOther("/login")
        ws = "wss" if self.options.url.startswith("https") else "ws"
        websocket_url = f"{ws}://{urlsplit(self.options.url).netloc}/ws"
        page = console_page(login, self._logout_csrf(token), websocket_url, "/static/")
        return web.Response(text=page, content_type="text/html")

    def _login_form(self, status: int, message: str = "", login: str = "") -> web.Response:
        csrf = secrets.token_urlsafe(24)
        response = web.Response(
            status=status, text=login_page(csrf, message, login), content_type="text/html"
        )
        self._set_cookie(response, self.options.csrf_cookie, csrf)
        return response

    async def handle_login_page(self, request: web.Request) -> web.StreamResponse:
        return self._login_form(200)

    async def handle_login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        sent, kept = str(form.get("csrf", "")), request.cookies.get(self.options.csrf_cookie, "")
        if not sent or not kept or not hmac.compare_digest(sent, kept):
            return self._login_form(403, "this form has expired: sign in again")
        login = str(form.get("login", "")).strip()[:64]
        password = str(form.get("password", ""))
        keys = (f"login:{login}", f"addr:{self.client_address(request)}")
        wait_s = max(self.login_throttle.wait_s(keys[0]), self.addr_throttle.wait_s(keys[1]))
        if wait_s > 0:
            return self._login_form(
                429, f"too many failed sign-ins: try again in {int(wait_s) + 1} s", login
            )
        ok = await asyncio.to_thread(self._check, login, password)
        if not ok:
            self.login_throttle.failed(keys[0])
            self.addr_throttle.failed(keys[1])
            return self._login_form(401, REFUSED, login)
        self.login_throttle.succeeded(keys[0])
        token = await asyncio.to_thread(credentials.open_session, self.store, login)
        response = web.HTTPSeeOther("/")
        self._set_cookie(response, self.options.session_cookie, token)
        response.del_cookie(self.options.csrf_cookie, path="/")
        raise response

    def _check(self, login: str, password: str) -> bool:
        """The password is right and the login was granted a role (else the same refusal)."""
        return credentials.verify_password(self.store, login, password) and may_sign_in(
            self.store, login
        )

    async def handle_logout(self, request: web.Request) -> web.StreamResponse:
        token = self._token(request)
        form = await request.post()
        sent = str(form.get("csrf", ""))
        if not token or not hmac.compare_digest(sent, self._logout_csrf(token)):
            return web.Response(status=403, text="refused: this form has expired")
        await self.end_session(token)
        response = web.Response(text=ended_page("You are signed out."), content_type="text/html")
        response.del_cookie(self.options.session_cookie, path="/")
        return response

    async def end_session(self, token: str) -> None:
        """Delete the session and end its console processes."""
        await asyncio.to_thread(credentials.close_session, self.store, token)
        live = self.live.pop(token, None)
        for process in list(live.processes if live else ()):
            await process.end()

    # ------------------------------------------------------------------ downloads

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file the session's own console sent to its browser (a statement, a report): any
        other key, or one of another session's console, gets the answer of a missing one.
        Always an attachment (never shown by the browser as a page of this site)."""
        token = self._token(request)
        if await self._login_of(token) is None:
            return web.Response(status=403, text="refused: sign in first")
        key = request.match_info["key"]
        live = self.live.get(token)
        try:
            meta = await self.download_manager.get_download_metadata(key)
        except KeyError:
            meta = None
        if meta is None or live is None or meta.app_service not in live.processes:
            return web.Response(status=404, text="no such file")
        response = web.StreamResponse()
        response.content_type = meta.mime_type
        if meta.encoding:
            response.charset = meta.encoding
        response.headers["Content-Disposition"] = (
            f"attachment; filename*=UTF-8''{quote(meta.file_name, safe='')}"
        )
        self._secure(request, response)
        await response.prepare(request)
        async for chunk in self.download_manager.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # ------------------------------------------------------------------ the console

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        token = self._token(request)
        if await self._login_of(token) is None:
            return web.Response(status=403, text="refused: sign in first")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width", "80"), 80, 20, 500)
        height = _int(request.query.get("height", "24"), 24, 10, 300)
        await websocket.prepare(request)
        process = ConsoleProcess(
            self.console_argv,
            token,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        live = self.live.setdefault(token, _Live())
        live.processes.add(process)
        try:
            await process.start(width, height)
            await self._relay(websocket, process, token)
        except asyncio.CancelledError:
            pass
        finally:
            live.processes.discard(process)
            await process.end()
            if not live.processes and self.live.get(token) is live:
                self.live.pop(token, None)
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, process: ConsoleProcess,
                     token: str) -> None:  # fmt: skip
        """textual-serve's message loop; typing keeps the session alive."""
        loop = asyncio.get_running_loop()
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = message.json()
            except ValueError:  # not JSON: not from the terminal's script
                continue
            if not isinstance(envelope, list) or len(envelope) < 1:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                live = self.live.get(token)
                if live is not None and loop.time() - live.marked_s > SEEN_EVERY_S:
                    live.marked_s = loop.time()
                    if await self._login_of(token) is None:
                        break
                await process.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await process.set_terminal_size(
                    _int(str(data.get("width")), 80, 20, 500),
                    _int(str(data.get("height")), 24, 10, 300),
                )
            elif kind == "ping" and isinstance(data, str):
                await websocket.send_json(["pong", data[:64]])
            elif kind == "blur":
                await process.blur()
            elif kind == "focus":
                await process.focus()

    async def reap(self) -> int:
        """End the sessions idle too long (their rows and console processes); how many."""
        ended = 0
        for token in list(self.live):
            if await self._login_of(token, touch=False) is None:
                await self.end_session(token)
                ended += 1
        await asyncio.to_thread(credentials.expire_sessions, self.store, self.options.idle_minutes)
        return ended

    async def _reap_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.reap_every_s)
            try:
                await self.reap()
            except Exception:  # keep serving; the next round tries again
                log.exception("ending idle sessions failed")


def _int(text: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text)))
    except ValueError:
        return default


def console_argv() -> list[str]:
    """The console process of a browser session: this Python, the console's module."""
    return [sys.executable, "-m", "console.cli"]
