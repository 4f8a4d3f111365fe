"""Quantities, amounts and ids are strict: `true`, `"1"` or `1.5` is a 422 (HTTP) or a validation error
(commands), never a real order of one unit. JSON integers still pass."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from commerce.fulfillment import commands as fc
from commerce.marketplace import commands as mc
from commerce.marketplace.models import Order
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.security.conftest import ADMIN, LAURA, assert_no_leak

NOT_INTEGERS: list[Any] = [True, "1", 1.5]
NOT_TEXT: list[Any] = [1, True]


def _orders(platform: Platform) -> int:
    with platform.read_uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Order)) or 0)


def _refused(response: Any, field: str, message: str) -> None:
    assert response.status_code == 422, response.text[:300]
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"].startswith("Solicitud inválida")
    assert any(e["field"] == field and e["message"] == message for e in body["errors"]), body
    assert_no_leak(response.text)


@pytest.mark.parametrize("quantity", NOT_INTEGERS)
def test_an_order_quantity_that_is_not_an_integer_creates_nothing(
    client: TestClient, platform: Platform, quantity: Any
) -> None:
    laura, before = auth_headers(client, LAURA), _orders(platform)
    body = {"lines": [{"sku": "CAF-001", "quantity": quantity}]}
    _refused(client.post("/v1/orders", json=body, headers=laura), "lines.0.quantity", "debe ser un número entero")
    keyed = {**laura, "Idempotency-Key": f"strict-{quantity!r}"}
    _refused(client.post("/v1/orders", json=body, headers=keyed), "lines.0.quantity", "debe ser un número entero")
    assert _orders(platform) == before


@pytest.mark.parametrize("value", NOT_TEXT)
def test_ids_that_are_not_text_create_nothing(client: TestClient, platform: Platform, value: Any) -> None:
    laura, before = auth_headers(client, LAURA), _orders(platform)
    _refused(client.post("/v1/orders", json={"lines": [{"sku": value, "quantity": 1}]}, headers=laura),
             "lines.0.sku", "debe ser texto")
    _refused(client.post("/v1/orders", json={"lines": [{"sku": "CAF-001", "quantity": 1}], "warehouse": value},
                         headers=laura), "warehouse", "debe ser texto")
    assert _orders(platform) == before


@pytest.mark.parametrize("user_id", NOT_INTEGERS)
def test_an_erasure_user_id_that_is_not_an_integer_is_422(client: TestClient, user_id: Any) -> None:
    # Lax pydantic would read `true` as user 1 and erase that person's data.
    response = client.post("/v1/privacy/erasure", json={"user_id": user_id}, headers=auth_headers(client, ADMIN))
    _refused(response, "user_id", "debe ser un número entero")


def test_a_json_integer_quantity_still_places_the_order(client: TestClient, platform: Platform) -> None:
    before = _orders(platform)
    response = client.post("/v1/orders", json={"lines": [{"sku": "CAF-001", "quantity": 1}]},
                           headers=auth_headers(client, LAURA))
    assert response.status_code == 201, response.text[:300]
    assert response.json()["lines"][0]["quantity"] == 1
    assert _orders(platform) == before + 1


@pytest.mark.parametrize("value", NOT_INTEGERS)
def test_commands_refuse_coercible_numbers(value: Any) -> None:
    with pytest.raises(ValidationError):
        mc.OrderLineIn(sku="CAF-001", quantity=value)
    with pytest.raises(ValidationError):
        mc.UpdatePrice(sku="CAF-001", price_cop=value)
    with pytest.raises(ValidationError):
        fc.TransferStock(sku="CAF-001", from_warehouse="BOG", to_warehouse="MDE", quantity=value)
    with pytest.raises(ValidationError):
        fc.PurchaseLine(sku="CAF-001", quantity=value)


@pytest.mark.parametrize("value", NOT_TEXT)
def test_commands_refuse_ids_that_are_not_text(value: Any) -> None:
    with pytest.raises(ValidationError):
        mc.PayOrder(order_id=value)
    with pytest.raises(ValidationError):
        fc.ApprovePurchaseOrder(purchase_order_id=value)


def test_commands_take_integers_and_nested_lines_as_dicts() -> None:
    cmd = mc.PlaceOrder(buyer_id="BUY-001", lines=[{"sku": " caf-001 ", "quantity": 2}])  # type: ignore[list-item]
    assert cmd.lines[0].sku == "CAF-001" and cmd.lines[0].quantity == 2
