"""Paying and cancelling: only the order's buyer (or staff); sellers never; nothing changes on refusal."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from commerce.fulfillment import commands as fc
from commerce.identity.principal import Principal, Role
from commerce.shared.errors import NotAuthorized
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import ADMIN, ANDRES, CAFE_SELLER, LAURA, TECH_SELLER, assert_no_leak


def _status(client: TestClient, order_id: str) -> tuple[str, int]:
    body = client.get(f"/v1/orders/{order_id}", headers=auth_headers(client, ADMIN)).json()
    return body["status"], len(body["payments"])


@pytest.mark.parametrize(("who", "expected"), [(LAURA, 404), (TECH_SELLER, 403), (CAFE_SELLER, 403)])
def test_nobody_but_the_buyer_pays_an_order(client: TestClient, who: str, expected: int) -> None:
    # ORD-1002 is Andrés's, pending payment, with a TEC-550 line (SEL-TECH). Another buyer may not even
    # see it (404, as a missing order); sellers lack orders:write (403, whatever the order).
    before = _status(client, "ORD-1002")
    response = client.post("/v1/orders/ORD-1002/payments", json={}, headers=auth_headers(client, who))
    assert response.status_code == expected, response.text
    assert_no_leak(response.text)
    assert _status(client, "ORD-1002") == before


def test_the_buyer_pays_its_own_order(client: TestClient) -> None:
    response = client.post("/v1/orders/ORD-1002/payments", json={}, headers=auth_headers(client, ANDRES))
    assert response.status_code == 201 and response.json()["status"] == "approved"


@pytest.mark.parametrize(("who", "order_id", "expected"), [(ANDRES, "ORD-1004", 404), (LAURA, "ORD-1002", 404),
                                                           (TECH_SELLER, "ORD-1004", 403),
                                                           (TECH_SELLER, "ORD-1002", 403)])
def test_nobody_but_the_buyer_cancels_an_order(client: TestClient, who: str, order_id: str, expected: int) -> None:
    # A seller of a line (SEL-TECH in both) may see the order but not cancel or refund it (403); another
    # buyer is told the order does not exist (404).
    before = _status(client, order_id)
    response = client.post(f"/v1/orders/{order_id}/cancel", json={"reason": "x"}, headers=auth_headers(client, who))
    assert response.status_code == expected, response.text
    assert _status(client, order_id) == before


def test_unknown_gateway_names_are_bounded_and_not_echoed_at_length(client: TestClient) -> None:
    response = client.post("/v1/orders/ORD-1002/payments", json={"gateway": "x" * 100_000},
                           headers=auth_headers(client, ANDRES))
    assert response.status_code == 422 and len(response.text) < 2_000


def test_a_seller_cannot_order_or_pay_as_a_buyer(client: TestClient) -> None:
    cafe = auth_headers(client, CAFE_SELLER)
    response = client.post("/v1/orders", json={"lines": [{"sku": "CAF-001", "quantity": 1}]}, headers=cafe)
    assert response.status_code in (403, 422)


@pytest.mark.parametrize("quantity", [0, -1, 10**6, 10**30, 1.5, "1e3"])
def test_order_quantities_are_bounded(client: TestClient, quantity: object) -> None:
    response = client.post("/v1/orders", json={"lines": [{"sku": "CAF-001", "quantity": quantity}]},
                           headers=auth_headers(client, LAURA))
    assert response.status_code == 422, response.text
    assert_no_leak(response.text)


CAFE = Principal.for_role(user_id=3, email=CAFE_SELLER, role=Role.CLIENTE, seller_id="SEL-CAFE")
TECH = Principal.for_role(user_id=5, email=TECH_SELLER, role=Role.CLIENTE, seller_id="SEL-TECH")


@pytest.mark.parametrize("command", [
    fc.StartPicking(order_id="ORD-1004", actor=TECH),
    fc.ShipOrder(order_id="ORD-1004", carrier="X", tracking_number="1", actor=TECH),
    fc.DeliverOrder(order_id="ORD-1001", actor=CAFE),
])
def test_warehouse_commands_are_staff_only_in_the_domain_too(platform: Platform, command: object) -> None:
    # The HTTP routes check staff; the commands must too (inventory:write is also a seller's scope).
    with pytest.raises(NotAuthorized):
        platform.bus.handle(command)  # type: ignore[arg-type]
