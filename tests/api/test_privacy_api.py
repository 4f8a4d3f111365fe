"""Routing decisions visible in the chat response and the admin log; erasure requests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from commerce.identity.principal import Principal
from tests.conftest import auth_headers

LAURA = "laura.gomez@example.co"
ADMIN = "admin@mestocker.example.co"


def _principal(client: TestClient, email: str) -> Principal:
    from commerce.identity.services import principal_by_email

    with client.app.state.platform.read_uow() as uow:  # type: ignore[attr-defined]
        principal = principal_by_email(uow=uow, email=email)
    assert principal is not None
    return principal


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
    assert client.get("/v1/chat/threads/p-1", headers=laura).status_code == 404  # erased
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


def test_erasure_deletes_the_subjects_support_tickets_in_one_command(client: TestClient) -> None:
    from commerce.support import OpenSupportTicket

    laura = auth_headers(client, LAURA)
    actor = _principal(client, LAURA)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.bus.handle(OpenSupportTicket(summary="Necesito ayuda con mi pedido", actor=actor))
    platform.bus.handle(OpenSupportTicket(summary="Otra consulta", actor=actor))
    erased = client.post("/v1/privacy/erasure", json={}, headers=laura)
    assert erased.status_code == 200 and erased.json()["support_tickets_deleted"] == 2
    assert client.post("/v1/privacy/erasure", json={}, headers=laura).json()["support_tickets_deleted"] == 0


def test_each_refusal_names_what_was_refused(client: TestClient) -> None:
    laura = auth_headers(client, LAURA)
    erasure = client.post("/v1/privacy/erasure", json={"user_id": 1}, headers=laura)
    routing_log = client.get("/v1/routing-logs", headers=laura)
    warehouse = client.post("/v1/fulfillment/orders/ORD-1001/picking", headers=laura)
    assert erasure.status_code == routing_log.status_code == warehouse.status_code == 403
    assert "borrar los datos personales de otra persona" in erasure.json()["detail"]
    assert "registro de enrutamiento" in routing_log.json()["detail"]
    assert "bodega" in warehouse.json()["detail"] and "despachos" in warehouse.json()["detail"]
    assert len({erasure.json()["detail"], routing_log.json()["detail"], warehouse.json()["detail"]}) == 3


def test_an_admin_may_erase_another_user(client: TestClient) -> None:
    _chat(client, auth_headers(client, LAURA), "¿dónde está mi pedido 1001?", thread="e-1")
    admin = auth_headers(client, ADMIN)
    erased = client.post("/v1/privacy/erasure", json={"user_id": _principal(client, LAURA).user_id}, headers=admin)
    assert erased.status_code == 200 and erased.json()["conversations_deleted"] == 1
    assert client.get("/v1/chat/threads/e-1", headers=auth_headers(client, LAURA)).status_code == 404


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_an_out_of_range_since_is_a_spanish_422(client: TestClient, since: str) -> None:
    admin = auth_headers(client, ADMIN)
    response = client.get("/v1/routing-logs", params={"since": since}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("Solicitud inválida") and "since" in response.json()["detail"]
    # The connection and the server are fine afterwards; an in-range moment still answers.
    assert client.get("/v1/routing-logs", params={"since": "2020-01-01T00:00:00-05:00"},
                      headers=admin).status_code == 200
