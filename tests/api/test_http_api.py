"""The HTTP API as a client sees it: authentication, precise statuses, Spanish errors, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from commerce.fulfillment.models import StockLevel
from commerce.marketplace.models import Order
from commerce.shared import idempotency
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from tests.conftest import auth_headers

LAURA = "laura.gomez@example.co"
ANDRES = "andres.restrepo@example.co"
CAFE_SELLER = "ventas@cafeorigen.example.co"
TECH_SELLER = "soporte@tecnohogar.example.co"
ADMIN = "admin@mestocker.example.co"


def _order_count(platform: Platform) -> int:
    with platform.read_uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Order)) or 0


def _on_hand(platform: Platform, sku: str, warehouse: str) -> tuple[int, int]:
    with platform.read_uow() as uow:
        level = uow.session.scalars(select(StockLevel).where(StockLevel.sku == sku,
                                                             StockLevel.warehouse == warehouse)).one()
        return level.on_hand, level.reserved


def test_login_rejects_a_wrong_password_in_spanish(client: TestClient) -> None:
    response = client.post("/v1/auth/token", data={"username": LAURA, "password": "nope"})
    assert response.status_code == 401
    assert "contraseña" in response.json()["detail"].lower() or "credenciales" in response.json()["detail"].lower()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
def test_protected_routes_need_a_valid_token(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/orders", headers=headers)
    assert response.status_code == 401
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_buyer_cannot_read_another_buyers_order(client: TestClient) -> None:
    andres = auth_headers(client, ANDRES)
    assert client.get("/v1/orders/ORD-1002", headers=andres).status_code == 200
    response = client.get("/v1/orders/ORD-1001", headers=andres)
    assert response.status_code in (403, 404)
    assert "SV123456789CO" not in response.text and "Laura" not in response.text


def test_a_seller_sees_only_its_own_skus(client: TestClient) -> None:
    cafe = auth_headers(client, CAFE_SELLER)
    assert client.get("/v1/inventory/CAF-001", headers=cafe).status_code == 200
    denied = client.get("/v1/inventory/TEC-550", headers=cafe)
    assert denied.status_code == 403
    assert denied.json()["detail"]


def test_unknown_resources_are_404_in_spanish(client: TestClient) -> None:
    admin = auth_headers(client, ADMIN)
    response = client.get("/v1/orders/ORD-999999", headers=admin)
    assert response.status_code == 404
    assert "no existe" in response.json()["detail"].lower() or "no encontr" in response.json()["detail"].lower()
    assert client.get("/v1/inventory/XXX-000", headers=admin).status_code == 404


def test_malformed_json_is_a_422_and_writes_nothing(client: TestClient, platform: Platform) -> None:
    before = _order_count(platform)
    headers = {**auth_headers(client, LAURA), "Content-Type": "application/json"}
    response = client.post("/v1/orders", content=b'{"lines": [', headers=headers)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str | list)
    assert _order_count(platform) == before


@pytest.mark.parametrize("lines", [
    [{"sku": "CAF-001", "quantity": -3}],
    [{"sku": "CAF-001", "quantity": 0}],
    [],
    [{"sku": "CAF-001"}],
    [{"sku": "CAF-001", "quantity": 1, "price_cop": 1}],
])
def test_invalid_order_bodies_change_nothing(client: TestClient, platform: Platform, lines: list[dict]) -> None:
    before = _order_count(platform), _on_hand(platform, "CAF-001", "BOG")
    response = client.post("/v1/orders", json={"lines": lines}, headers=auth_headers(client, LAURA))
    assert response.status_code == 422
    assert (_order_count(platform), _on_hand(platform, "CAF-001", "BOG")) == before


def test_unknown_sku_is_rejected_without_a_partial_order(client: TestClient, platform: Platform) -> None:
    before = _order_count(platform), _on_hand(platform, "CAF-001", "BOG")
    body = {"lines": [{"sku": "CAF-001", "quantity": 1}, {"sku": "NOPE-404", "quantity": 1}], "warehouse": "BOG"}
    response = client.post("/v1/orders", json=body, headers=auth_headers(client, LAURA))
    assert response.status_code in (404, 422)
    assert "NOPE-404" in response.json()["detail"]
    assert (_order_count(platform), _on_hand(platform, "CAF-001", "BOG")) == before


def test_more_than_available_is_a_409(client: TestClient, platform: Platform) -> None:
    before = _on_hand(platform, "CAF-001", "BOG")
    body = {"lines": [{"sku": "CAF-001", "quantity": 500}], "warehouse": "BOG"}
    response = client.post("/v1/orders", json=body, headers=auth_headers(client, LAURA))
    assert response.status_code == 409
    assert _on_hand(platform, "CAF-001", "BOG") == before


def test_idempotency_key_replays_and_rejects_a_different_body(client: TestClient, platform: Platform) -> None:
    headers = {**auth_headers(client, LAURA), "Idempotency-Key": "laura-retry-1"}
    body = {"lines": [{"sku": "CAF-002", "quantity": 1}], "warehouse": "BOG"}
    first = client.post("/v1/orders", json=body, headers=headers)
    assert first.status_code == 201
    count = _order_count(platform)
    again = client.post("/v1/orders", json=body, headers=headers)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/orders", json={**body, "lines": [{"sku": "CAF-002", "quantity": 2}]}, headers=headers)
    assert other.status_code == 422
    assert _order_count(platform) == count


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_concurrent_requests_with_one_key_create_one_order(client: TestClient, platform: Platform) -> None:
    headers = {**auth_headers(client, LAURA), "Idempotency-Key": "laura-double-click"}
    body = {"lines": [{"sku": "CAF-003", "quantity": 1}], "warehouse": "BOG"}
    before = _order_count(platform)

    def post(_: int) -> tuple[int, str | None]:
        response = client.post("/v1/orders", json=body, headers=headers)
        return response.status_code, response.json().get("id")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(8)))
    assert _order_count(platform) == before + 1
    created = {order_id for status, order_id in results if status == 201}
    assert len(created) == 1
    assert all(status in (201, 409) for status, _ in results)


class ProcessDied(Exception):
    """Stands for a SIGKILL of the API process: what would run after this point never runs."""


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_an_order_whose_process_died_before_storing_the_response_is_replayed_not_placed_twice(
    client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by bench/bench_resilience.py: an API worker killed between the order's commit and the
    # key's completion left a pending claim; the retry after STALE_AFTER took it over and placed a second order.
    headers = {**auth_headers(client, LAURA), "Idempotency-Key": "laura-killed-mid-request"}
    body = {"lines": [{"sku": "CAF-002", "quantity": 1}], "warehouse": "BOG"}
    before = _order_count(platform)
    handle = platform.bus.handle

    def dies_after_the_order(message: Any, **options: Any) -> Any:
        if isinstance(message, idempotency.CompleteIdempotentRequest | idempotency.ReleaseIdempotencyKey):
            raise ProcessDied
        return handle(message, **options)

    monkeypatch.setattr(platform.bus, "handle", dies_after_the_order)
    with pytest.raises(ProcessDied):
        client.post("/v1/orders", json=body, headers=headers)
    monkeypatch.undo()
    assert _order_count(platform) == before + 1
    with platform.uow() as uow:  # the retry comes after the claim would count as abandoned
        uow.session.execute(update(idempotency.IdempotencyRecord)
                            .where(idempotency.IdempotencyRecord.key == "laura-killed-mid-request")
                            .values(created_at=utcnow() - idempotency.STALE_AFTER - timedelta(seconds=1)))
        uow.commit()

    again = client.post("/v1/orders", json=body, headers=headers)

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _order_count(platform) == before + 1
    with platform.read_uow() as uow:
        newest = uow.session.scalars(select(Order.id).order_by(Order.created_at.desc(), Order.id.desc())).first()
    assert again.json()["id"] == newest
    assert again.json()["lines"][0]["sku"] == "CAF-002" and again.json()["status"] == "pending_payment"


def test_products_search_ignores_accents_and_price_filter(client: TestClient) -> None:
    results = client.get("/v1/products", params={"q": "cafe"}).json()
    skus = {p["sku"] for p in results}
    assert {"CAF-001", "CAF-002"} <= skus and not any(s.startswith("TEC") for s in skus)
    cheap = client.get("/v1/products", params={"q": "cafe", "max_price_cop": 30000}).json()
    assert all(p["price_cop"] <= 30000 for p in cheap)
    assert len(cheap) < len(results)


def test_openapi_documents_the_public_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/orders", "/v1/orders/{order_id}", "/v1/inventory/{sku}", "/v1/products", "/v1/auth/token"):
        assert path in spec["paths"], path


SELLER_BODY = {"id": "SEL-NUEVO", "legal_name": "Nueva Tienda S.A.S.", "nit": "800.197.268-4", "city": "Cali",
               "contact_email": "hola@nueva.example.co"}


@pytest.mark.parametrize("nit", ["800.197.268-5", "800197268", "ABC-123", "12"])
def test_an_invalid_nit_is_a_422_and_registers_nothing(client: TestClient, nit: str) -> None:
    admin = auth_headers(client, ADMIN)
    response = client.post("/v1/sellers", json={**SELLER_BODY, "nit": nit}, headers=admin)
    assert response.status_code == 422
    assert "NIT" in response.json()["detail"] or "nit" in str(response.json()["detail"]).lower()
    assert client.get("/v1/sellers/SEL-NUEVO", headers=admin).status_code == 404


def test_staff_registers_a_seller_once(client: TestClient) -> None:
    admin = auth_headers(client, ADMIN)
    created = client.post("/v1/sellers", json=SELLER_BODY, headers=admin)
    assert created.status_code == 201 and created.json()["nit"] == "800197268-4"
    again = client.post("/v1/sellers", json={**SELLER_BODY, "id": "SEL-OTRO"}, headers=admin)
    assert again.status_code == 409 and "NIT" in again.json()["detail"]
    assert client.post("/v1/sellers", json=SELLER_BODY, headers=auth_headers(client, CAFE_SELLER)).status_code == 403
    assert client.get("/v1/sellers/SEL-CAFE", headers=auth_headers(client, TECH_SELLER)).status_code == 403
