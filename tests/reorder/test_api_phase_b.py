"""Over HTTP: one proposal by id (owner or staff; another seller's is a 404), and staff marking an approved
purchase order sent and received (receipt movements, stock.updated). SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.fulfillment import commands as fc
from commerce.fulfillment.models import Movement, MovementKind, StockLevel
from infra.bootstrap import Platform
from tests.conftest import auth_headers
from tests.reorder.helpers import ADMIN_EMAIL, CAFE_EMAIL, TECH_EMAIL, outbox_names, run_cycle_and_relay


def test_one_proposal_by_id(client: TestClient, platform: Platform) -> None:
    result = run_cycle_and_relay(platform, "http-1")
    mine = next(p for p in result.proposals if p.seller_id == "SEL-CAFE")
    url = f"/v1/reorder/proposals/{mine.id}"
    got = client.get(url, headers=auth_headers(client, CAFE_EMAIL))
    assert got.status_code == 200
    assert got.json()["explanation"] == mine.explanation and got.json()["quantity"] == mine.quantity
    assert client.get(url, headers=auth_headers(client, ADMIN_EMAIL)).status_code == 200
    other = client.get(url, headers=auth_headers(client, TECH_EMAIL))
    missing = client.get("/v1/reorder/proposals/999999", headers=auth_headers(client, TECH_EMAIL))
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(mine.id), "N") == missing.json()["detail"].replace("999999", "N")
    assert client.get(url).status_code == 401


def test_staff_send_and_receive_an_approved_order(client: TestClient, platform: Platform) -> None:
    result = run_cycle_and_relay(platform, "http-1")
    proposal = next(p for p in result.proposals if p.seller_id == "SEL-CAFE" and p.purchase_order_id)
    po_id = proposal.purchase_order_id
    assert po_id is not None
    staff, seller = auth_headers(client, ADMIN_EMAIL), auth_headers(client, CAFE_EMAIL)
    assert client.post(f"/v1/fulfillment/purchase-orders/{po_id}/sent", headers=staff).status_code == 409  # draft
    platform.bus.handle(fc.ApprovePurchaseOrder(purchase_order_id=po_id))
    assert client.post(f"/v1/fulfillment/purchase-orders/{po_id}/sent", headers=seller).status_code == 403
    sent = client.post(f"/v1/fulfillment/purchase-orders/{po_id}/sent", headers=staff)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    with platform.read_uow() as uow:
        level = uow.session.get(StockLevel, (proposal.sku, proposal.warehouse))
        assert level is not None
        before = level.on_hand
    received = client.post(f"/v1/fulfillment/purchase-orders/{po_id}/receipt", headers=staff)
    assert received.status_code == 200 and received.json()["status"] == "received"
    with platform.read_uow() as uow:
        level = uow.session.get(StockLevel, (proposal.sku, proposal.warehouse))
        assert level is not None and level.on_hand == before + proposal.quantity
        receipts = uow.session.scalars(select(Movement).where(Movement.reference == po_id,
                                                              Movement.kind == MovementKind.RECEIPT)).all()
        assert [(m.sku, m.on_hand_delta) for m in receipts] == [(proposal.sku, proposal.quantity)]
    assert "stock.updated" in outbox_names(platform, proposal.sku)
    again = client.post(f"/v1/fulfillment/purchase-orders/{po_id}/receipt", headers=staff)
    assert again.status_code == 409  # received once
    seen = client.get(f"/v1/fulfillment/purchase-orders/{po_id}", headers=seller)
    assert seen.status_code == 200 and seen.json()["status"] == "received"
