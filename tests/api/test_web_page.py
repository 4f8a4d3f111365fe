"""The web chat page and its live-notification stream (SSE)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import notifications
from api.routers.web import STATIC_DIR
from api.security import decode_access_token
from infra.bootstrap import Platform
from infra.channels.web_push import InProcessWebPushHub
from tests.conftest import DEMO_PASSWORD
from tests.services import serve_app

BUYER = "laura.gomez@example.co"
OTHER_BUYER = "andres.restrepo@example.co"


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The page does not depend on the database kind: SQLite only."""
    target = tmp_path / "mestocker.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def web_app(platform: Platform) -> FastAPI:
    return create_app(platform, background_worker=False)


@pytest.fixture
def web_client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as client:
        web_app.state.web_push = InProcessWebPushHub()
        yield client


# --------------------------------------------------------------------------------------------
# The page and its assets
# --------------------------------------------------------------------------------------------


def test_page_is_served_at_the_root(web_client: TestClient) -> None:
    response = web_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert '<html lang="es-CO">' in html
    assert 'aria-live="polite"' in html
    assert "Nueva conversación" in html
    for email in ("laura.gomez@example.co", "ventas@cafeorigen.example.co", "admin@mestocker.example.co"):
        assert f'data-email="{email}"' in html


@pytest.mark.parametrize(("name", "content_type"), [
    ("app.js", "text/javascript; charset=utf-8"),
    ("styles.css", "text/css; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"),
])
def test_assets_load_with_their_content_type(web_client: TestClient, name: str, content_type: str) -> None:
    assert f"/static/{name}" in web_client.get("/").text
    response = web_client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content == (STATIC_DIR / name).read_bytes()


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/..%2Fapp.py", "/static/%2E%2Fapp.js",
                                  "/static/../routers/web.py"])
def test_only_existing_assets_are_served(web_client: TestClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"] == "Recurso no encontrado."


def test_page_references_nothing_outside_the_server(web_client: TestClient) -> None:
    external = re.compile(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.IGNORECASE)
    for path in ("/", "/static/app.js", "/static/styles.css"):
        text = web_client.get(path).text
        assert not external.findall(text), f"{path} references an external URL"
        assert "@import" not in text


# --------------------------------------------------------------------------------------------
# Live notifications over SSE
# --------------------------------------------------------------------------------------------


def test_notification_stream_rejects_a_missing_or_invalid_token(web_client: TestClient) -> None:
    missing = web_client.get("/v1/notifications/stream")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    for params, headers in (({"access_token": "no-es-un-token"}, {}), ({}, {"Authorization": "Bearer roto"})):
        response = web_client.get("/v1/notifications/stream", params=params, headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"] == "Token de acceso inválido."


def _login(base_url: str, email: str) -> str:
    response = httpx.post(f"{base_url}/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _frames(lines: Iterator[str]) -> Iterator[list[str]]:
    """Group SSE lines into frames (blank-line separated)."""
    frame: list[str] = []
    for line in lines:
        if line:
            frame.append(line)
        elif frame:
            yield frame
            frame = []


@pytest.fixture
def live(web_app: FastAPI) -> Iterator[tuple[str, InProcessWebPushHub]]:
    with serve_app(web_app) as base_url:
        hub = InProcessWebPushHub()
        web_app.state.web_push = hub
        yield base_url, hub


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_stream_delivers_a_payload_to_its_user_only(live: tuple[str, InProcessWebPushHub],
                                                    web_app: FastAPI) -> None:
    base_url, hub = live
    token = _login(base_url, BUYER)
    user_id = decode_access_token(token, secret=web_app.state.jwt_secret).user_id
    other_id = decode_access_token(_login(base_url, OTHER_BUYER), secret=web_app.state.jwt_secret).user_id
    assert user_id != other_id
    with httpx.stream("GET", f"{base_url}/v1/notifications/stream", params={"access_token": token},
                      timeout=httpx.Timeout(5.0)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = _frames(response.iter_lines())
        assert ": conectado" in next(frames)
        # Published to someone else first: if it leaked, it would arrive first.
        hub.publish(other_id, {"type": "notification", "text": "Tu pedido ORD-2002 fue enviado."})
        hub.publish(user_id, {"type": "notification", "text": "Tu pedido ORD-1001 fue enviado…",
                              "order_id": "ORD-1001"})
        frame = next(frames)
        assert frame[0] == "event: notification"
        assert frame[1] == 'data: {"type": "notification", "text": "Tu pedido ORD-1001 fue enviado…", ' \
                           '"order_id": "ORD-1001"}'
    # The server notices the disconnect and releases the subscription.
    _wait_for(lambda: hub.subscriber_count(user_id) == 0)


def test_stream_accepts_the_authorization_header_and_sends_heartbeats(
    live: tuple[str, InProcessWebPushHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(notifications, "POLL_SECONDS", 0.1)
    base_url, _hub = live
    headers = {"Authorization": f"Bearer {_login(base_url, BUYER)}"}
    with httpx.stream("GET", f"{base_url}/v1/notifications/stream", headers=headers,
                      timeout=httpx.Timeout(5.0)) as response:
        frames = _frames(response.iter_lines())
        assert ": conectado" in next(frames)
        assert next(frames) == [": ping"]


def test_two_open_pages_of_one_user_both_receive(live: tuple[str, InProcessWebPushHub], web_app: FastAPI) -> None:
    base_url, hub = live
    token = _login(base_url, BUYER)
    user_id = decode_access_token(token, secret=web_app.state.jwt_secret).user_id
    received: list[list[str]] = []

    def listen() -> None:
        with httpx.stream("GET", f"{base_url}/v1/notifications/stream", params={"access_token": token},
                          timeout=httpx.Timeout(5.0)) as response:
            frames = _frames(response.iter_lines())
            next(frames)
            received.append(next(frames))

    pages = [threading.Thread(target=listen) for _ in range(2)]
    for page in pages:
        page.start()
    _wait_for(lambda: hub.subscriber_count(user_id) == 2)
    hub.publish(user_id, {"text": "Tu pedido ORD-1001 fue entregado."})
    for page in pages:
        page.join(timeout=10)
    assert len(received) == 2
    assert all(frame[0] == "event: notification" for frame in received)
