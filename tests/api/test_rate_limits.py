"""Request rate limits: per principal, per IP for anonymous callers, per chat user; 429 + Retry-After.

Each test turns on small limits (tests/conftest.py turns them off by default). One test runs the
counters in a real Redis shared by two API processes (two platforms), the production setup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Platform, bootstrap
from tests.conftest import auth_headers, make_settings, seeded_database
from tests.security.conftest import ANDRES, LAURA

MakeClient = Callable[..., TestClient]


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from seeded_database(request, tmp_path)


@pytest.fixture
def make_client(database_url: str, tmp_path: Path) -> Iterator[MakeClient]:
    """`make_client(api_limits=…, …)`: a client over a platform with those limits (others off)."""
    platforms: list[Platform] = []
    clients: list[TestClient] = []

    def make(**limits: str) -> TestClient:
        platform = bootstrap(make_settings(tmp_path / f"p{len(platforms)}", database_url, **limits))
        platforms.append(platform)
        client = TestClient(create_app(platform, background_worker=False))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for platform in platforms:
        platform.close()


def assert_rate_limited(response: httpx.Response, *, detail_starts: str) -> int:
    """A 429 problem with `Retry-After` (seconds, also named in the Spanish detail); returns the wait."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    body = response.json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert body["title"] == "Demasiadas solicitudes" and body["instance"] == response.request.url.path
    assert body["detail"].startswith(detail_starts)
    assert re.search(rf"\b{wait} s\b", body["detail"]), body["detail"]
    return wait


def test_each_principal_has_its_own_quota(make_client: MakeClient) -> None:
    client = make_client(api_limits="3/minute")
    laura, andres = auth_headers(client, LAURA), auth_headers(client, ANDRES)
    assert [client.get("/v1/orders", headers=laura).status_code for _ in range(3)] == [200] * 3
    assert_rate_limited(client.get("/v1/orders", headers=laura), detail_starts="Demasiadas solicitudes")
    # Another route, same principal: the quota is the caller's, not the route's.
    assert_rate_limited(client.get("/v1/notifications", headers=laura), detail_starts="Demasiadas solicitudes")
    # Someone else is not slowed down by Laura.
    assert client.get("/v1/orders", headers=andres).status_code == 200


def test_probes_are_never_limited(make_client: MakeClient) -> None:
    client = make_client(api_limits="1/minute", anonymous_limits="1/minute")
    assert {client.get(path).status_code for path in ["/healthz", "/readyz"] * 10} == {200}
    assert client.get("/v1/products").status_code == 200
    assert client.get("/v1/products").status_code == 429


def test_anonymous_callers_and_bad_tokens_are_counted_per_ip(make_client: MakeClient) -> None:
    client = make_client(anonymous_limits="3/minute", api_limits="100/minute")
    laura = auth_headers(client, LAURA)  # the login itself is the IP's first request
    assert client.get("/v1/products").status_code == 200
    # A forged token is no principal: it pays into the IP's quota (and is refused, 401).
    assert client.get("/v1/orders", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert_rate_limited(client.get("/v1/products"), detail_starts="Demasiadas solicitudes")
    assert_rate_limited(client.post("/v1/auth/token", data={"username": ANDRES, "password": "x"}),
                        detail_starts="Demasiadas solicitudes")
    # A logged-in caller from the same address has its own quota.
    assert client.get("/v1/orders", headers=laura).status_code == 200


def test_the_quota_comes_back_after_retry_after(make_client: MakeClient) -> None:
    client = make_client(anonymous_limits="2/2 second")
    assert [client.get("/v1/products").status_code for _ in range(2)] == [200, 200]
    wait = assert_rate_limited(client.get("/v1/products"), detail_starts="Demasiadas solicitudes")
    assert wait <= 2
    time.sleep(wait + 0.1)
    assert client.get("/v1/products").status_code == 200


def test_chat_turns_have_a_stronger_limit_and_are_not_run_beyond_it(make_client: MakeClient) -> None:
    client = make_client(chat_limits="2/minute", api_limits="100/minute")
    laura, andres = auth_headers(client, LAURA), auth_headers(client, ANDRES)
    for text in ("hola", "¿qué puedes hacer?"):
        assert client.post("/v1/chat/threads/t1/messages", json={"message": text}, headers=laura).status_code == 200
    refused = client.post("/v1/chat/threads/t1/messages", json={"message": "tercer mensaje"}, headers=laura)
    assert_rate_limited(refused, detail_starts="Estás enviando mensajes al asistente muy rápido")
    streamed = client.post("/v1/chat/threads/t1/messages/stream", json={"message": "cuarto"}, headers=laura)
    assert_rate_limited(streamed, detail_starts="Estás enviando mensajes al asistente muy rápido")
    # The refused turns never reached the assistant; reading the thread is not a turn.
    history = client.get("/v1/chat/threads/t1", headers=laura)
    assert history.status_code == 200
    said = [m["text"] for m in history.json()["messages"] if m.get("role") == "user"]
    assert said == ["hola", "¿qué puedes hacer?"]
    # The rest of the API still answers Laura, and Andrés still chats.
    assert client.get("/v1/orders", headers=laura).status_code == 200
    assert client.post("/v1/chat/threads/a1/messages", json={"message": "hola"}, headers=andres).status_code == 200


def test_a_limit_left_empty_is_off(make_client: MakeClient) -> None:
    client = make_client(anonymous_limits="")
    assert {client.get("/v1/products").status_code for _ in range(30)} == {200}


@pytest.mark.redis
def test_redis_counters_are_shared_by_every_api_process(make_client: MakeClient, redis_url: str) -> None:
    storage = redis_url.rsplit("/", 1)[0] + "/3"  # a database of its own: no other test's counters
    shared = {"api_limits": "4/minute", "rate_limit_storage_url": storage, "jwt_secret": "s" * 40}
    one, two = make_client(**shared), make_client(**shared)
    andres = auth_headers(one, ANDRES)
    codes = [client.get("/v1/orders", headers=andres).status_code for client in (one, two, one, two)]
    assert codes == [200] * 4
    assert_rate_limited(two.get("/v1/orders", headers=andres), detail_starts="Demasiadas solicitudes")
    assert_rate_limited(one.get("/v1/orders", headers=andres), detail_starts="Demasiadas solicitudes")
