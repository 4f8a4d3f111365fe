"""Seller tools through a LangGraph: own sales, own prices, own purchase orders only."""

from __future__ import annotations

import pytest

from commerce.fulfillment import commands as fc
from commerce.identity.principal import Principal
from commerce.marketplace.models import Product
from infra.bootstrap import Platform
from tests.tools.conftest import ADMIN, CAFE, LAURA, MODA, Harness, events_named, snapshot


def price(platform: Platform, sku: str) -> int:
    with platform.read_uow() as uow:
        product = uow.session.get(Product, sku)
        assert product is not None
        return product.price_cop


def test_sales_summary_is_per_seller(harness: Harness) -> None:
    cafe = harness.call(CAFE, "sales_summary", {"days": 30})
    assert cafe.status == "ok"
    data = cafe.result["data"]  # type: ignore[index]
    assert data["units"] > 0 and data["revenue_cop"] > 0
    assert {p["sku"][:4] for p in data["products"]} == {"CAF-"}
    assert data["revenue_cop"] == sum(p["revenue_cop"] for p in data["products"])
    platform_wide = harness.call(ADMIN, "sales_summary", {"days": 30}, thread="t-2").result["data"]  # type: ignore[index]
    assert platform_wide["seller_id"] is None and platform_wide["revenue_cop"] > data["revenue_cop"]
    week = harness.call(CAFE, "sales_summary", {"days": 7}, thread="t-3").result["data"]  # type: ignore[index]
    assert 0 < week["units"] < data["units"]


def test_sales_refused_for_buyers_and_bad_periods(harness: Harness) -> None:
    assert harness.call(LAURA, "sales_summary", {}).status == "denied"
    assert harness.call(LAURA, "top_products", {}, thread="t-2").status == "denied"
    assert harness.call(CAFE, "sales_summary", {"days": 0}, thread="t-3").status == "error"
    assert harness.call(CAFE, "top_products", {"limit": 0}, thread="t-4").status == "error"


def test_top_products_ranked_and_limited(harness: Harness) -> None:
    out = harness.call(MODA, "top_products", {"days": 90, "limit": 2})
    rows = out.result["data"]  # type: ignore[index]
    assert len(rows) == 2 and all(r["sku"].startswith("MOD-") for r in rows)
    assert rows[0]["revenue_cop"] >= rows[1]["revenue_cop"]


def test_update_price_confirmed_once(harness: Harness, platform: Platform) -> None:
    asked = harness.call(CAFE, "update_price", {"sku": "CAF-001", "price_cop": 41900})
    assert "de $38.900 a $41.900" in asked.interrupt["question"]  # type: ignore[index]
    assert price(platform, "CAF-001") == 38900
    pending = harness.pending_checkpoint()
    assert harness.resume(CAFE, "confirm").status == "ok"
    assert price(platform, "CAF-001") == 41900
    # Someone changes the price again; replaying the old confirmation must not overwrite it.
    harness.call(CAFE, "update_price", {"sku": "CAF-001", "price_cop": 40000}, thread="t-2")
    harness.resume(CAFE, "confirm", thread="t-2")
    replay = harness.resume(CAFE, "confirm", checkpoint=pending)
    assert replay.result["data"]["previous_price_cop"] == 38900  # type: ignore[index]
    assert price(platform, "CAF-001") == 40000


def test_update_price_cancel_and_admin(harness: Harness, platform: Platform) -> None:
    harness.call(CAFE, "update_price", {"sku": "CAF-002", "price_cop": 1})
    assert harness.resume(CAFE, "cancel").status == "cancelled"
    assert price(platform, "CAF-002") == 21500
    harness.call(ADMIN, "update_price", {"sku": "MOD-101", "price_cop": 199000}, thread="t-2")
    assert harness.resume(ADMIN, "confirm", thread="t-2").status == "ok"
    assert price(platform, "MOD-101") == 199000


@pytest.mark.parametrize(
    ("principal", "args", "status"),
    [
        (MODA, {"sku": "CAF-001", "price_cop": 1000}, "denied"),
        (LAURA, {"sku": "CAF-001", "price_cop": 1000}, "denied"),
        (CAFE, {"sku": "CAF-001", "price_cop": -5}, "error"),
        (CAFE, {"sku": "CAF-001", "price_cop": 0}, "error"),
        (CAFE, {"sku": "CAF-404", "price_cop": 1000}, "not_found"),
    ],
    ids=["other-seller", "buyer", "negative", "zero", "unknown"],
)
def test_update_price_refused_before_asking(harness: Harness, platform: Platform, principal: Principal,
                                            args: dict[str, object], status: str) -> None:
    before = snapshot(platform)
    out = harness.call(principal, "update_price", args)
    assert out.status == status
    assert snapshot(platform) == before


@pytest.fixture
def drafts(platform: Platform) -> dict[str, str]:
    """One purchase-order draft of Café Origen and one of Moda Andina (the reorder agent comes later)."""
    cafe = platform.bus.handle(fc.CreatePurchaseOrder(supplier_id="SUP-01", warehouse="MED", source="reorder",
                                                      lines=[fc.PurchaseLine(sku="CAF-002", quantity=96)]))
    moda = platform.bus.handle(fc.CreatePurchaseOrder(supplier_id="SUP-02", warehouse="BOG",
                                                      lines=[fc.PurchaseLine(sku="MOD-101", quantity=10)]))
    return {"cafe": cafe, "moda": moda}


def test_list_reorder_proposals_only_own(harness: Harness, drafts: dict[str, str]) -> None:
    cafe = harness.call(CAFE, "list_reorder_proposals", {})
    assert [po["id"] for po in cafe.result["data"]] == [drafts["cafe"]]  # type: ignore[index]
    assert cafe.result["data"][0]["total_cost_cop"] == 96 * 11500  # type: ignore[index]
    staff = harness.call(ADMIN, "list_reorder_proposals", {"status": "proposed"}, thread="t-2")
    assert {po["id"] for po in staff.result["data"]} == set(drafts.values())  # type: ignore[index]
    assert harness.call(CAFE, "list_reorder_proposals", {"status": "approved"}, thread="t-3").result["data"] == []  # type: ignore[index]
    assert harness.call(LAURA, "list_reorder_proposals", {}, thread="t-4").status == "denied"
    assert harness.call(CAFE, "list_reorder_proposals", {"status": "lost"}, thread="t-5").status == "error"


def test_approve_reorder_confirmed_once(harness: Harness, platform: Platform, drafts: dict[str, str]) -> None:
    po_id = drafts["cafe"]
    asked = harness.call(CAFE, "approve_reorder", {"proposal_id": po_id.lower()})
    assert po_id in asked.interrupt["question"] and "$1.104.000" in asked.interrupt["question"]  # type: ignore[index]
    assert dict(snapshot(platform)["purchase_orders"])[po_id] == "draft"
    pending = harness.pending_checkpoint()
    assert harness.resume(CAFE, "confirm").status == "ok"
    replay = harness.resume(CAFE, "confirm", checkpoint=pending)
    assert replay.status == "ok"  # the stored result, not "already approved"
    assert dict(snapshot(platform)["purchase_orders"])[po_id] == "approved"
    assert events_named(platform, "reorder.approved") == 1


@pytest.mark.parametrize(("principal", "which", "status"),
                         [(MODA, "cafe", "not_found"),  # another seller's draft does not exist for MODA
                          (LAURA, "cafe", "denied"), (CAFE, "missing", "not_found")],
                         ids=["other-seller", "buyer", "unknown"])
def test_approve_reorder_refused_before_asking(harness: Harness, platform: Platform, drafts: dict[str, str],
                                               principal: Principal, which: str, status: str) -> None:
    before = snapshot(platform)
    out = harness.call(principal, "approve_reorder", {"proposal_id": drafts.get(which, "PO-9999")})
    assert out.status == status
    assert snapshot(platform) == before


def test_approved_proposal_cannot_be_approved_again(harness: Harness, drafts: dict[str, str]) -> None:
    harness.call(ADMIN, "approve_reorder", {"proposal_id": drafts["moda"]})
    harness.resume(ADMIN, "confirm")
    again = harness.call(MODA, "approve_reorder", {"proposal_id": drafts["moda"]}, thread="t-2")
    assert again.status == "error"
