"""Routing decisions visible in the chat response and the admin log; erasure requests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth_headers

LAURA = "laura.gomez@example.co"
ADMIN = "admin@mestocker.example.co"


def _chat(client: TestClient, headers: dict[str, str], message: str, thread: str = "p-1") -> dict:
    response = client.post(f"/v1/chat/threads/{thread}/messages", json={"message": message}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_turn_carries_its_routing_decision(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    public = _chat(client, laura, "¿dónde está mi pedido 1001?")["routing"]
    assert public["classification"] == "public" and public["policy_target"] == "local"
    assert public["model"] == "offline" and public["fallback"] is False and public["reason"]
    sensitive = _chat(client, laura, "estoy embarazada, ¿el pedido llega antes del 20?", thread="p-2")["routing"]
    assert sensitive["classification"] == "sensitive" and sensitive["policy_target"] == "local"


def test_routing_log_is_for_admins_and_holds_no_raw_values(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    _chat(client, laura, "mi cédula es 1.020.345.678, ¿dónde está el pedido 1001?")
    assert client.get("/v1/routing-logs", headers=laura).status_code == 403
    rows = client.get("/v1/routing-logs", headers=auth_headers(client, ADMIN)).json()
    assert rows and rows[0]["classification"] == "confidential" and set(rows[0]["entities"]) == {"CO_CEDULA"}
    assert rows[0]["model"] == "offline" and rows[0]["channel"] == "web"
    dumped = str(rows)
    assert "1.020.345.678" not in dumped and "1020345678" not in dumped and "laura" not in dumped


def test_erasure_anonymises_only_the_subjects_rows(client: TestClient) -> None:
    laura, admin = auth_headers(client, LAURA), auth_headers(client, ADMIN)
    _chat(client, laura, "¿dónde está mi pedido 1001?")
    _chat(client, admin, "¿cuánto café huila hay en bogotá?", thread="a-1")
    erased = client.post("/v1/privacy/erasure", json={}, headers=laura)
    assert erased.status_code == 200 and erased.json()["routing_logs_anonymised"] >= 1
    rows = client.get("/v1/routing-logs", headers=admin).json()
    assert sum(1 for r in rows if r["principal_hash"] is None) == erased.json()["routing_logs_anonymised"]
    assert any(r["principal_hash"] for r in rows), "other people's rows stay linked"
    assert erased.json()["conversations_deleted"] == 1
    assert client.get("/v1/chat/threads/p-1", headers=laura).json()["messages"] == []
    assert client.get("/v1/chat/threads/a-1", headers=admin).json()["messages"] != []
    other = client.post("/v1/privacy/erasure", json={"user_id": 1}, headers=laura)
    assert other.status_code == 403


def test_recent_notifications_are_the_buyers_own(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    placed = client.post("/v1/orders", json={"lines": [{"sku": "CAF-002", "quantity": 1}]}, headers=laura)
    assert placed.status_code == 201
    from infra.bootstrap import Platform

    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.relay.drain()
    mine = client.get("/v1/notifications", headers=laura).json()
    assert mine and mine[0]["order_id"] == placed.json()["id"] and placed.json()["id"] in mine[0]["text"]
    andres = client.get("/v1/notifications", headers=auth_headers(client, "andres.restrepo@example.co")).json()
    assert all(n["order_id"] != placed.json()["id"] for n in andres)
    assert client.get("/v1/notifications", headers=auth_headers(client, ADMIN)).json() == []
    assert client.get("/v1/notifications").status_code == 401
