"""The chat API: turns as JSON and as SSE, thread ownership, persistence across a restart."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Platform
from tests.conftest import auth_headers

CAFE_SELLER = "ventas@cafeorigen.example.co"
LAURA = "laura.gomez@example.co"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)


def _events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_turn_returns_agent_reply_tool_calls_and_routing(client: TestClient) -> None:
    headers = auth_headers(client, CAFE_SELLER)
    response = client.post("/v1/chat/threads/t-1/messages", json={"message": "¿Cuántas unidades hay de CAF-001?"},
                           headers=headers)
    assert response.status_code == 200, response.text
    turn = response.json()
    assert turn["thread_id"] == "t-1" and turn["agent"] == "inventory"
    assert turn["tool_calls"] == [{"name": "get_stock", "args": {"sku": "CAF-001"}, "status": "ok"}]
    assert turn["pending_confirmation"] is None and turn["routing"]["model"]
    assert "CAF-001" in turn["reply"]


def test_chat_needs_a_token_and_a_message(client: TestClient) -> None:
    assert client.post("/v1/chat/threads/t/messages", json={"message": "hola"}).status_code == 401
    headers = auth_headers(client, LAURA)
    empty = client.post("/v1/chat/threads/t/messages", json={"message": "   "}, headers=headers)
    assert empty.status_code == 422 and "vacío" in empty.json()["detail"]
    bad_thread = client.post("/v1/chat/threads/a%20b/messages", json={"message": "hola"}, headers=headers)
    assert bad_thread.status_code == 422


def test_one_thread_id_never_reaches_another_users_conversation(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    client.post("/v1/chat/threads/shared/messages", json={"message": "¿dónde está mi pedido 1001?"}, headers=laura)
    seller = auth_headers(client, CAFE_SELLER)
    history = client.get("/v1/chat/threads/shared", headers=seller)
    missing = client.get("/v1/chat/threads/never-used", headers=seller)
    # The same problem body, except `instance` (the path the caller asked for).
    assert history.status_code == missing.status_code == 404
    assert {**history.json(), "instance": ""} == {**missing.json(), "instance": ""}
    assert len(client.get("/v1/chat/threads/shared", headers=laura).json()["messages"]) == 2


def test_streamed_turn_ends_with_the_same_final_object(client: TestClient) -> None:
    headers = auth_headers(client, CAFE_SELLER)
    with client.stream("POST", "/v1/chat/threads/s-1/messages/stream", json={"message": "stock de CAF-002 en BOG"},
                       headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = _events(body)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "agent" and "tool_call" in kinds and kinds[-1] == "final"
    final = events[-1][1]
    assert final["tool_calls"][0] == {"name": "get_stock", "args": {"sku": "CAF-002", "warehouse": "BOG"},
                                      "status": "ok"}


def test_a_restarted_server_continues_the_conversation(platform: Platform) -> None:
    with TestClient(create_app(platform, background_worker=False)) as first:
        headers = auth_headers(first, CAFE_SELLER)
        first.post("/v1/chat/threads/r-1/messages", json={"message": "¿cuánto hay de CAF-001 en Bogotá?"},
                   headers=headers)
    with TestClient(create_app(platform, background_worker=False)) as second:
        follow = second.post("/v1/chat/threads/r-1/messages", json={"message": "¿y en Medellín?"}, headers=headers)
    assert follow.json()["tool_calls"][0]["args"] == {"sku": "CAF-001", "warehouse": "MED"}
