"""Order tools through a LangGraph: buyers see only their orders, sellers only their lines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from commerce.identity.principal import Principal
from commerce.shared import idempotency
from commerce.shared.clock import utcnow
from commerce.shared.idempotency import IdempotencyRecord
from commerce.shared.sequences import last_given
from infra.bootstrap import Platform
from tests.tools.conftest import ADMIN, ANDRES, CAFE, LAURA, TECH, Harness, events_named, level, snapshot


def test_buyer_reads_own_order(harness: Harness) -> None:
    out = harness.call(LAURA, "get_order", {"order_id": "ord-1001"})
    assert out.status == "ok"
    assert out.result["data"]["id"] == "ORD-1001"  # type: ignore[index]
    assert "total $222.800" in out.result["message"]  # type: ignore[index]  # 2 × $38.900 + $145.000
    assert "Servientrega" in out.result["message"]  # type: ignore[index]


@pytest.mark.parametrize(("principal", "order_id"), [(LAURA, "ORD-1002"), (ANDRES, "ORD-1001"), (TECH, "ORD-1001")],
                         ids=["buyer-other-order", "other-buyer", "seller-not-in-order"])
def test_order_of_someone_else_is_not_found_like_a_missing_one(harness: Harness, principal: Principal,
                                                              order_id: str) -> None:
    out = harness.call(principal, "get_order", {"order_id": order_id})
    missing = harness.call(principal, "get_order", {"order_id": "ORD-9999"}, thread="t-3")
    assert out.status == missing.status == "not_found"
    assert out.result["data"] is None  # type: ignore[index]
    assert out.result["message"] == missing.result["message"].replace("ORD-9999", order_id)  # type: ignore[index]
    assert harness.call(principal, "track_shipment", {"order_id": order_id}, thread="t-2").status == "not_found"


def test_seller_sees_only_own_lines_of_a_mixed_order(harness: Harness) -> None:
    out = harness.call(CAFE, "get_order", {"order_id": "ORD-1001"})  # CAF-001 (Café Origen) + MOD-102 (Moda Andina)
    assert out.status == "ok"
    data = out.result["data"]  # type: ignore[index]
    assert [line["sku"] for line in data["lines"]] == ["CAF-001"]
    assert data["payments"] == [] and data["total_cop"] == 2 * 38900
    assert "MOD-102" not in out.result["message"] and "Sombrero" not in out.result["message"]  # type: ignore[index]


def test_admin_reads_any_order_and_unknown_is_not_found(harness: Harness) -> None:
    out = harness.call(ADMIN, "get_order", {"order_id": "ORD-1001"})
    assert [line["sku"] for line in out.result["data"]["lines"]] == ["CAF-001", "MOD-102"]  # type: ignore[index]
    assert harness.call(ADMIN, "get_order", {"order_id": "ORD-9999"}, thread="t-2").status == "not_found"


def test_list_orders_per_role(harness: Harness) -> None:
    laura = harness.call(LAURA, "list_orders", {})
    assert {o["id"] for o in laura.result["data"]} == {"ORD-1001", "ORD-1004"}  # type: ignore[index]
    cafe = harness.call(CAFE, "list_orders", {}, thread="t-2")
    assert {o["id"] for o in cafe.result["data"]} == {"ORD-1001", "ORD-1005"}  # type: ignore[index]
    assert all(ln["seller_id"] == "SEL-CAFE" for o in cafe.result["data"] for ln in o["lines"])  # type: ignore[index]
    shipped = harness.call(ADMIN, "list_orders", {"status": "enviado"}, thread="t-3")
    assert [o["id"] for o in shipped.result["data"]] == ["ORD-1001"]  # type: ignore[index]
    assert harness.call(LAURA, "list_orders", {"status": "perdido"}, thread="t-4").status == "error"


def test_track_shipment_states(harness: Harness) -> None:
    shipped = harness.call(LAURA, "track_shipment", {"order_id": "ORD-1001"})
    assert shipped.result["data"]["shipment_status"] == "shipped"  # type: ignore[index]
    assert shipped.result["data"]["tracking_number"] == "SV123456789CO"  # type: ignore[index]
    queued = harness.call(LAURA, "track_shipment", {"order_id": "ORD-1004"}, thread="t-2")
    assert queued.result["data"]["shipment_status"] == "queued"  # type: ignore[index]
    unpaid = harness.call(ANDRES, "track_shipment", {"order_id": "ORD-1002"}, thread="t-3")
    assert unpaid.status == "ok" and unpaid.result["data"]["shipment_status"] is None  # type: ignore[index]
    assert "no ha salido" in unpaid.result["message"]  # type: ignore[index]


def test_cancel_order_confirmed_once_releases_stock(harness: Harness, platform: Platform) -> None:
    reserved = level(platform, "TEC-550", "MED")[1]
    before = snapshot(platform)
    asked = harness.call(ANDRES, "cancel_order", {"order_id": "ORD-1002", "reason": "ya no lo necesito"})
    assert asked.status == "pending_confirmation"
    assert "ORD-1002" in asked.interrupt["question"] and "$129.900" in asked.interrupt["question"]  # type: ignore[index]
    assert snapshot(platform) == before
    pending = harness.pending_checkpoint()
    done = harness.resume(ANDRES, "confirm")
    assert done.status == "ok" and done.result["data"]["status"] == "cancelled"  # type: ignore[index]
    assert level(platform, "TEC-550", "MED")[1] == reserved - 1
    replay = harness.resume(ANDRES, "confirm", checkpoint=pending)
    assert replay.result == done.result  # the stored result, not "already cancelled"
    assert events_named(platform, "order.cancelled", "ORD-1002") == 1


def test_cancel_paid_order_says_refund(harness: Harness, platform: Platform) -> None:
    asked = harness.call(LAURA, "cancel_order", {"order_id": "ORD-1004", "reason": "me equivoqué"})
    assert "reembolsar" in asked.interrupt["question"]  # type: ignore[index]
    assert harness.resume(LAURA, "confirm").result["data"]["status"] == "refunded"  # type: ignore[index]


@pytest.mark.parametrize(
    ("principal", "args", "status"),
    [
        (LAURA, {"order_id": "ORD-1002", "reason": "x"}, "not_found"),  # Andrés's order: not hers to know of
        (TECH, {"order_id": "ORD-1002", "reason": "x"}, "denied"),  # a seller cannot cancel buyers' orders
        (LAURA, {"order_id": "ORD-1001", "reason": "x"}, "error"),  # already shipped
        (ANDRES, {"order_id": "ORD-1005", "reason": "x"}, "error"),  # already cancelled
        (ANDRES, {"order_id": "ORD-1002", "reason": "   "}, "error"),  # no reason
        (ANDRES, {"order_id": "ORD-4040", "reason": "x"}, "not_found"),
    ],
    ids=["other-buyer", "seller", "shipped", "cancelled", "empty-reason", "unknown"],
)
def test_cancel_refused_before_asking(harness: Harness, platform: Platform, principal: Principal,
                                      args: dict[str, str], status: str) -> None:
    before = snapshot(platform)
    assert harness.call(principal, "cancel_order", args).status == status
    assert snapshot(platform) == before


def test_cancel_declined_keeps_order(harness: Harness, platform: Platform) -> None:
    before = snapshot(platform)
    harness.call(ANDRES, "cancel_order", {"order_id": "ORD-1002", "reason": "ya no"})
    assert harness.resume(ANDRES, "cancel").status == "cancelled"
    assert snapshot(platform) == before


def test_create_order_confirmed_once(harness: Harness, platform: Platform) -> None:
    before = snapshot(platform)
    asked = harness.call(LAURA, "create_order", {"lines": [{"sku": "caf-001", "quantity": 2}]})
    assert asked.status == "pending_confirmation"
    assert asked.interrupt["args"] == {"lines": [{"sku": "CAF-001", "quantity": 2}], "warehouse": None}  # type: ignore[index]
    assert "$77.800" in asked.interrupt["question"] and "(BOG)" in asked.interrupt["question"]  # type: ignore[index]
    assert snapshot(platform) == before
    pending = harness.pending_checkpoint()
    done = harness.resume(LAURA, "confirm")
    order = done.result["data"]  # type: ignore[index]
    assert order["buyer_id"] == "BUY-001" and order["status"] == "pending_payment" and order["total_cop"] == 77800
    replay = harness.resume(LAURA, "confirm", checkpoint=pending)
    assert replay.result["data"]["id"] == order["id"]  # type: ignore[index]
    assert len(snapshot(platform)["orders"]) == len(before["orders"]) + 1
    with platform.read_uow() as uow:
        assert last_given(uow.session, "order") == int(order["id"].split("-")[1])  # the replay took no number


def test_same_tool_call_id_twice_creates_one_order(harness: Harness, platform: Platform) -> None:
    before = len(snapshot(platform)["orders"])
    for _ in range(2):  # a re-sent turn: the same thread and tool call id
        harness.call(LAURA, "create_order", {"lines": [{"sku": "CAF-004", "quantity": 1}]}, call_id="call-7")
        harness.resume(LAURA, "confirm")
    assert len(snapshot(platform)["orders"]) == before + 1


@pytest.mark.parametrize(
    ("principal", "args", "status"),
    [
        (CAFE, {"lines": [{"sku": "CAF-001", "quantity": 1}]}, "denied"),  # sellers do not buy through chat
        (ADMIN, {"lines": [{"sku": "CAF-001", "quantity": 1}]}, "error"),  # no buyer to order for
        (LAURA, {"lines": [{"sku": "CAF-001", "quantity": 0}]}, "error"),
        (LAURA, {"lines": [{"sku": "CAF-001", "quantity": -2}]}, "error"),
        (LAURA, {"lines": []}, "error"),
        (LAURA, {"lines": [{"sku": "ZZZ-1", "quantity": 1}]}, "not_found"),
        (LAURA, {"lines": [{"sku": "CAF-002", "quantity": 900}]}, "error"),  # more than any warehouse has
        (LAURA, {"lines": [{"sku": "CAF-003", "quantity": 1}], "warehouse": "MED"}, "error"),  # not stocked there
    ],
    ids=["seller", "admin", "zero", "negative", "empty", "unknown-sku", "out-of-stock", "warehouse-without"],
)
def test_create_order_refused_before_asking(harness: Harness, platform: Platform, principal: Principal,
                                            args: dict[str, object], status: str) -> None:
    before = snapshot(platform)
    out = harness.call(principal, "create_order", args)
    assert out.status == status
    assert snapshot(platform) == before


def test_a_confirmed_order_whose_process_died_before_storing_its_result_is_not_placed_again(
        harness: Harness, platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    # The order commits, then the process "dies" before the tool's result is stored under its key. A resume of
    # the same checkpoint — even after the claim would count as abandoned — answers without ordering again.
    before = len(snapshot(platform)["orders"])
    harness.call(LAURA, "create_order", {"lines": [{"sku": "CAF-004", "quantity": 1}]}, call_id="call-dies")
    pending = harness.pending_checkpoint()
    handle = platform.bus.handle

    def dies_before_storing(command: object, **kwargs: object) -> object:
        if isinstance(command, idempotency.CompleteIdempotentRequest):
            raise KeyboardInterrupt("the process died")
        return handle(command, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(platform.bus, "handle", dies_before_storing)
    with pytest.raises(KeyboardInterrupt):
        harness.resume(LAURA, "confirm")
    monkeypatch.setattr(platform.bus, "handle", handle)
    assert len(snapshot(platform)["orders"]) == before + 1
    with platform.uow() as uow:  # long after: a pending claim this old would be taken over and run again
        uow.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.scope == "agent-tool:create_order")
                            .values(created_at=utcnow() - timedelta(hours=1)))
        uow.commit()
    replay = harness.resume(LAURA, "confirm", checkpoint=pending)
    assert replay.status == "ok" and "ya quedó hecha" in replay.result["message"]  # type: ignore[index]
    assert len(snapshot(platform)["orders"]) == before + 1
