"""Every HTTP route: 401 without a (valid) token, 403 for the wrong role, and cross-party access."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import (
    ADMIN,
    ANDRES,
    CAFE_SELLER,
    LAURA,
    MAFE,
    MODA_SELLER,
    ROOT,
    TECH_SELLER,
    assert_no_leak,
)

# Routes anyone may call: probes, login, the public catalog, the web page and Meta's webhook (HMAC).
# Refresh and logout take the refresh token instead of an access token (which may have expired).
PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/v1/auth/token"), ("GET", "/v1/products"),
    ("GET", "/v1/products/{sku}/similar"),
    ("POST", "/v1/auth/refresh"), ("POST", "/v1/auth/logout"),
    ("GET", "/"), ("GET", "/index.html"), ("GET", "/static/{name}"),
    ("GET", "/v1/channels/whatsapp/webhook"), ("POST", "/v1/channels/whatsapp/webhook"),
    ("POST", "/v1/payments/{gateway}/notifications"),  # the gateways' signed notifications (docs/payments.md)
}
SAMPLE = {"order_id": "ORD-1001", "sku": "CAF-001", "seller_id": "SEL-CAFE", "thread_id": "t-1", "po_id": "PO-0001",
          "proposal_id": "1", "user_id": "1", "payment_id": "PAY-ORD-1001-1"}


def _api_routes() -> list[tuple[str, str]]:
    # The OpenAPI document lists every API route; building it needs no running platform.
    paths = create_app().openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


PROTECTED = [r for r in _api_routes() if r not in PUBLIC]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)


def test_every_non_public_route_is_in_the_protected_list() -> None:
    # A new route must be added here consciously: either it needs a token or it is in PUBLIC.
    assert len(PROTECTED) >= 15
    assert ("POST", "/v1/fulfillment/orders/{order_id}/picking") in PROTECTED


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic bGF1cmE6eA==", "Bearer "])
def test_every_protected_route_is_401_without_a_valid_token(client: TestClient, method: str, path: str,
                                                            authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.request(method, _url(path), headers=headers, json={} if method == "POST" else None)
    assert response.status_code == 401, (method, path, response.text)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert_no_leak(response.text)


STAFF_ONLY = [
    ("POST", "/v1/fulfillment/orders/ORD-1004/picking", None),
    ("POST", "/v1/fulfillment/orders/ORD-1004/shipment", {"carrier": "Servientrega", "tracking_number": "SV1"}),
    ("POST", "/v1/fulfillment/orders/ORD-1001/delivery", None),
    ("GET", "/v1/routing-logs", None),
    ("POST", "/v1/sellers", {"id": "SEL-EVIL", "legal_name": "Evil S.A.S.", "nit": "800.197.268-4",
                             "city": "Bogotá", "contact_email": "evil@example.co"}),
    ("POST", "/v1/privacy/erasure", {"user_id": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ONLY)
@pytest.mark.parametrize("who", [LAURA, CAFE_SELLER, TECH_SELLER])
def test_staff_routes_refuse_buyers_and_sellers(client: TestClient, platform: Platform, method: str, path: str,
                                                body: dict | None, who: str) -> None:
    response = client.request(method, path, json=body, headers=auth_headers(client, who))
    assert response.status_code == 403, response.text
    assert_no_leak(response.text)
    # Nothing moved: ORD-1004 is still paid, ORD-1001 still shipped.
    admin = auth_headers(client, ADMIN)
    assert client.get("/v1/orders/ORD-1004", headers=admin).json()["status"] == "paid"
    assert client.get("/v1/orders/ORD-1001", headers=admin).json()["status"] == "shipped"


def test_staff_can_run_the_warehouse_routes(client: TestClient) -> None:
    root = auth_headers(client, ROOT)
    assert client.post("/v1/fulfillment/orders/ORD-1004/picking", headers=root).json()["status"] == "picking"


@pytest.mark.parametrize(("who", "sku"), [(CAFE_SELLER, "TEC-550"), (TECH_SELLER, "CAF-001"), (LAURA, "CAF-001")])
def test_inventory_of_another_seller_or_for_a_buyer_is_403(client: TestClient, who: str, sku: str) -> None:
    response = client.get(f"/v1/inventory/{sku}", headers=auth_headers(client, who))
    assert response.status_code == 403
    assert "on_hand" not in response.text


@pytest.mark.parametrize("warehouse", [None, "BOG", "MED", "BAQ", "bog", "' OR '1'='1", "%"])
def test_low_stock_shows_a_seller_only_its_own_skus(client: TestClient, warehouse: str | None) -> None:
    params = {"warehouse": warehouse} if warehouse else {}
    for who, prefix in ((CAFE_SELLER, "CAF-"), (MODA_SELLER, "MOD-"), (TECH_SELLER, "TEC-")):
        response = client.get("/v1/inventory/low-stock", params=params, headers=auth_headers(client, who))
        assert response.status_code == 200
        assert all(row["sku"].startswith(prefix) for row in response.json()), (who, response.json())
    assert client.get("/v1/inventory/low-stock", headers=auth_headers(client, LAURA)).status_code == 403


def test_low_stock_for_staff_covers_every_seller(client: TestClient) -> None:
    rows = client.get("/v1/inventory/low-stock", headers=auth_headers(client, ADMIN)).json()
    assert len({row["sku"].split("-")[0] for row in rows}) >= 2


def test_a_seller_sees_another_sellers_record_as_403(client: TestClient) -> None:
    cafe = auth_headers(client, CAFE_SELLER)
    assert client.get("/v1/sellers/SEL-CAFE", headers=cafe).status_code == 200
    denied = client.get("/v1/sellers/SEL-MODA", headers=cafe)
    assert denied.status_code == 403 and "830045678" not in denied.text
    assert client.get("/v1/sellers/SEL-CAFE", headers=auth_headers(client, LAURA)).status_code == 403


@pytest.mark.parametrize("status", [None, "shipped", "paid", "pending_payment", "cancelled", "delivered"])
def test_order_list_filters_never_show_other_buyers_orders(client: TestClient, status: str | None) -> None:
    params = {"status": status} if status else {}
    for who, buyer in ((LAURA, "BUY-001"), (ANDRES, "BUY-002"), (MAFE, "BUY-003")):
        response = client.get("/v1/orders", params=params, headers=auth_headers(client, who))
        assert response.status_code == 200
        assert {o["buyer_id"] for o in response.json()} <= {buyer}


def test_order_list_status_filter_rejects_injection(client: TestClient) -> None:
    response = client.get("/v1/orders", params={"status": "paid' OR '1'='1"}, headers=auth_headers(client, LAURA))
    assert response.status_code == 422
    assert_no_leak(response.text)


def test_a_seller_sees_only_its_own_lines_of_a_shared_order(client: TestClient) -> None:
    # ORD-1001 holds CAF-001 (SEL-CAFE) and MOD-102 (SEL-MODA), paid by Laura with Nequi.
    order = client.get("/v1/orders/ORD-1001", headers=auth_headers(client, CAFE_SELLER))
    assert order.status_code == 200
    body = order.json()
    assert [line["sku"] for line in body["lines"]] == ["CAF-001"]
    assert body["payments"] == []
    assert body["total_cop"] == sum(line["subtotal_cop"] for line in body["lines"])
    assert "MOD-102" not in order.text and "nequi" not in order.text
    for secret in ("1020345678", "310 555 0101", "Calle 80", "Laura"):  # cédula, phone, address, name
        assert secret not in order.text


def test_a_sellers_order_list_is_trimmed_to_its_own_lines(client: TestClient) -> None:
    orders = client.get("/v1/orders", headers=auth_headers(client, MODA_SELLER)).json()
    assert orders and all(line["seller_id"] == "SEL-MODA" for o in orders for line in o["lines"])
    assert all(o["payments"] == [] for o in orders)


def test_buyers_and_staff_still_see_the_whole_order(client: TestClient) -> None:
    for who in (LAURA, ADMIN):
        body = client.get("/v1/orders/ORD-1001", headers=auth_headers(client, who)).json()
        assert {line["sku"] for line in body["lines"]} == {"CAF-001", "MOD-102"} and body["payments"]


def test_a_seller_without_lines_in_an_order_cannot_open_it(client: TestClient) -> None:
    response = client.get("/v1/orders/ORD-1001", headers=auth_headers(client, TECH_SELLER))
    assert response.status_code == 404 and "SV123456789CO" not in response.text
    missing = client.get("/v1/orders/ORD-9999", headers=auth_headers(client, TECH_SELLER))
    assert response.json() == {**missing.json(), "detail": missing.json()["detail"].replace("ORD-9999", "ORD-1001"),
                               "instance": missing.json()["instance"].replace("ORD-9999", "ORD-1001")}
