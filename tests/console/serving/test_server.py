"""The login in front of the console (aiohttp's test client on the real application): the
password, the same refusal for an unknown login, throttling, cookies, CSRF and origin,
logout and the idle timeout."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from console.serving.server import ConsoleProcess, ConsoleServer, ServeOptions
from domain import clock
from domain.application import Maillage
from domain.people import credentials
from domain.people import service as people
from domain.store import StoreLocation

PASSWORD = "claire's long password"
SLEEPER = [sys.executable, "-c", "import sys; print('__GANGLION__', flush=True); sys.stdin.read()"]
"""A stand-in console process: announces itself as textual-serve expects, then waits."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Maillage]:
    app = Maillage(StoreLocation.parse(str(tmp_path / "store.sqlite")))
    people.found(app, "boss")
    people.grant(app, "claire", "ccas", "37261", "boss")
    credentials.set_password(app, "claire", PASSWORD, "boss")
    credentials.set_password(app, "nogrant", PASSWORD, "boss")
    yield app
    app.close()


@pytest.fixture
async def client(store: Maillage) -> AsyncIterator[TestClient]:
    server = ConsoleServer(store, _options(), SLEEPER)
    async with TestClient(TestServer(server.application(), port=0)) as c:
        c.console_server = server  # type: ignore[attr-defined]
        yield c


async def until(condition: Callable[[], object], what: str, timeout_s: float = 30.0) -> None:
    """Wait (bounded) for a condition of the server, which works in the same event loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def _started(server: ConsoleServer) -> bool:
    return any(p.pid is not None for live in server.live.values() for p in live.processes)


def _options(**changes: object) -> ServeOptions:
    base = {"host": "127.0.0.1", "port": 0, "secure_cookies": False, "reap_every_s": 3600.0}
    return ServeOptions(**{**base, **changes})  # type: ignore[arg-type]


def _origin(c: TestClient) -> dict[str, str]:
    server: ConsoleServer = c.console_server  # type: ignore[attr-defined]
    return {"Origin": server.options.origin}


async def _form(c: TestClient) -> str:
    page = await c.get("/login")
    assert page.status == 200
    found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found is not None
    return found.group(1)


async def _sign_in(c: TestClient, login: str, password: str) -> tuple[int, str]:
    csrf = await _form(c)
    response = await c.post(
        "/login",
        data={"csrf": csrf, "login": login, "password": password},
        allow_redirects=False,
        headers=_origin(c),
    )
    return response.status, await response.text()


async def test_the_console_page_needs_a_signed_in_session(client: TestClient) -> None:
    response = await client.get("/", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await client.get("/ws")).status == 403
    status, _ = await _sign_in(client, "claire", PASSWORD)
    assert status == 303
    page = await client.get("/")
    text = await page.text()
    assert page.status == 200 and 'id="who">claire<' in text and "textual.js" in text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


async def test_wrong_password_unknown_login_and_ungranted_login_get_one_answer(
    client: TestClient,
) -> None:
    answers = {
        await _sign_in(client, "claire", "not the password"),
        await _sign_in(client, "nobody", PASSWORD),
        await _sign_in(client, "nogrant", PASSWORD),  # a password, but no role granted
    }
    statuses = {status for status, _ in answers}
    assert statuses == {401}
    for _, text in answers:
        assert credentials_refusal(text) == "login or password not recognised"
    assert (await client.get("/", allow_redirects=False)).status == 303


def credentials_refusal(page: str) -> str:
    found = re.search(r'<p class="error" id="error">([^<]*)</p>', page)
    return found.group(1) if found else ""


async def test_failures_lock_the_login_even_for_the_right_password(
    client: TestClient, store: Maillage
) -> None:
    server: ConsoleServer = client.console_server  # type: ignore[attr-defined]
    now = [1000.0]
    server.login_throttle.now_s = server.addr_throttle.now_s = lambda: now[0]
    for _ in range(3):  # the third failure locks the login for 1 s
        assert (await _sign_in(client, "claire", "wrong guess"))[0] == 401
    status, text = await _sign_in(client, "claire", PASSWORD)
    assert status == 429 and "too many failed sign-ins" in text
    now[0] += 1.5
    assert (await _sign_in(client, "claire", "wrong guess"))[0] == 401  # the 4th: 2 s
    now[0] += 1.5
    assert (await _sign_in(client, "claire", PASSWORD))[0] == 429  # doubled: still waiting
    now[0] += 1.0
    assert (await _sign_in(client, "claire", PASSWORD))[0] == 303


async def test_one_address_guessing_many_logins_is_slowed_down(client: TestClient) -> None:
    server: ConsoleServer = client.console_server  # type: ignore[attr-defined]
    server.login_throttle.now_s = server.addr_throttle.now_s = lambda: 1000.0
    for n in range(10):  # ten failures from one address, each on another login
        assert (await _sign_in(client, f"guess{n}", "wrong guess"))[0] == 401
    status, _ = await _sign_in(client, "claire", PASSWORD)  # another login, same address
    assert status == 429


async def test_cookies_are_httponly_samesite_strict_and_secure_unless_on_loopback_trial(
    store: Maillage,
) -> None:
    for secure in (True, False):
        server = ConsoleServer(store, _options(secure_cookies=secure), SLEEPER)
        async with TestClient(
            TestServer(server.application(), port=0), cookie_jar=CookieJar(unsafe=True)
        ) as c:
            c.console_server = server  # type: ignore[attr-defined]
            page = await c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert csrf is not None
            kept = page.cookies[server.options.csrf_cookie]
            assert kept["httponly"] and kept["samesite"] == "Strict"
            assert bool(kept["secure"]) is secure
            response = await c.post(  # a Secure cookie is not sent back over http: by hand
                "/login",
                data={"csrf": csrf.group(1), "login": "claire", "password": PASSWORD},
                allow_redirects=False,
                headers={**_origin(c), "Cookie": f"{kept.key}={kept.value}"},
            )
            assert response.status == 303
            cookie = next(v for v in response.headers.getall("Set-Cookie") if "session=" in v)
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
            assert ("Secure" in cookie) is secure
            assert cookie.startswith("__Host-maillage-session=") is secure


async def test_login_without_its_form_token_or_from_another_site_is_refused(
    client: TestClient,
) -> None:
    csrf = await _form(client)
    data = {"login": "claire", "password": PASSWORD}
    missing = await client.post("/login", data=data, allow_redirects=False)
    assert missing.status == 403
    other_site = await client.post(
        "/login",
        data={**data, "csrf": csrf},
        allow_redirects=False,
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status == 403
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_a_hostile_login_is_shown_escaped(client: TestClient) -> None:
    _, page = await _sign_in(client, '"><script>alert(1)</script>', "wrong guess")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


async def test_logout_needs_its_token_ends_the_session_and_its_console_process(
    client: TestClient,
) -> None:
    server: ConsoleServer = client.console_server  # type: ignore[attr-defined]
    await _sign_in(client, "claire", PASSWORD)
    page = await (await client.get("/")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    ws = await client.ws_connect("/ws?width=80&height=24", headers=_origin(client))
    await until(lambda: _started(server), "the console process")
    (token,) = server.live
    (process,) = server.live[token].processes
    assert process.pid is not None and process._process.returncode is None  # type: ignore[union-attr]
    refused = await client.post("/logout", data={"csrf": "forged"}, headers=_origin(client))
    assert refused.status == 403 and server.live
    done = await client.post("/logout", data={"csrf": csrf.group(1)}, headers=_origin(client))
    assert done.status == 200 and "signed out" in await done.text()
    assert process._process.returncode is not None  # type: ignore[union-attr]
    assert not server.live
    assert credentials.web_login(server.store, token) is None
    await ws.close()
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_an_idle_session_is_ended_with_its_console_process(
    client: TestClient, store: Maillage
) -> None:
    server: ConsoleServer = client.console_server  # type: ignore[attr-defined]
    with clock.using_clock(clock.FixedClock(clock.now())) as fixed:
        await _sign_in(client, "claire", PASSWORD)
        ws = await client.ws_connect("/ws", headers=_origin(client))
        await until(lambda: _started(server), "the console process")
        (token,) = server.live
        (process,) = server.live[token].processes
        fixed.advance(timedelta(minutes=10))
        assert await server.reap() == 0
        fixed.advance(timedelta(minutes=10))
        assert await server.reap() == 1
        assert process._process.returncode is not None  # type: ignore[union-attr]
        assert credentials.web_login(store, token) is None
        await ws.close()


async def test_a_download_is_only_for_the_session_whose_console_sent_it(
    client: TestClient,
) -> None:
    server: ConsoleServer = client.console_server  # type: ignore[attr-defined]
    manager = server.download_manager
    assert (await client.get("/download/anything")).status == 403  # not signed in
    await _sign_in(client, "claire", PASSWORD)
    assert (await client.get("/download/unknown")).status == 404
    ws = await client.ws_connect("/ws", headers=_origin(client))
    await until(lambda: _started(server), "the console process")
    (own,) = [p for live in server.live.values() for p in live.processes]

    async def nothing(*_: object) -> None:
        return None

    other = ConsoleProcess(SLEEPER, "another session's token", write_bytes=nothing,
                           write_str=nothing, close=nothing, download_manager=manager)  # fmt: skip
    await manager.create_download(app_service=other, delivery_key="theirs",
                                  file_name="statement.md", open_method="download",
                                  mime_type="text/markdown")  # fmt: skip
    assert (await client.get("/download/theirs")).status == 404  # the answer of a missing one

    await manager.create_download(app_service=own, delivery_key="mine",
                                  file_name='relevé "mars"\r\n.html', open_method="browser",
                                  mime_type="text/html")  # fmt: skip
    chunks = manager._active_downloads["mine"].incoming_chunks
    chunks.put_nowait(b"<h1>Statement</h1>")
    chunks.put_nowait(b"")  # the console's end of the file
    response = await client.get("/download/mine")
    assert response.status == 200 and await response.read() == b"<h1>Statement</h1>"
    # always an attachment, the name quoted: never a page of this site, never a header split
    assert response.headers["Content-Disposition"] == (
        "attachment; filename*=UTF-8''relev%C3%A9%20%22mars%22%0D%0A.html"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    await ws.close()


async def test_a_websocket_from_another_site_is_refused(client: TestClient) -> None:
    await _sign_in(client, "claire", PASSWORD)
    response = await client.get("/ws", headers={"Origin": "https://evil.example"})
    assert response.status == 403


async def test_the_console_process_gets_the_token_and_none_of_the_servers_identity(
    store: Maillage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_ROLE", "operator")
    monkeypatch.setenv("MAILLAGE_SCOPE", "45234")
    monkeypatch.setenv("MAILLAGE_USER", "boss")
    seen = tmp_path / "env.json"
    writer = [sys.executable, "-c", "import json, os, sys; "
              f"open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ))); "
              "print('__GANGLION__', flush=True); sys.stdin.read()"]  # fmt: skip
    server = ConsoleServer(store, _options(), writer)
    async with TestClient(TestServer(server.application(), port=0)) as c:
        c.console_server = server  # type: ignore[attr-defined]
        await _sign_in(c, "claire", PASSWORD)
        ws = await c.ws_connect("/ws", headers=_origin(c))
        await until(lambda: seen.exists() and seen.stat().st_size > 0, "the process's variables")
        env = json.loads(seen.read_text())
        (token,) = server.live
        await ws.close()
    assert env["MAILLAGE_WEB_SESSION"] == token
    assert not {"MAILLAGE_ROLE", "MAILLAGE_SCOPE", "MAILLAGE_USER"} & set(env)
