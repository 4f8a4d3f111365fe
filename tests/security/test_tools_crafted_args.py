"""Tools called the way agents call them, with arguments an attacker (or a confused model) would craft.

Every call ends in a result (`ok`, `denied`, `not_found`, `error`), never an exception in the graph,
never another party's data, and a refused write never asks for confirmation or changes anything.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import BOTH_BACKENDS
from tests.tools.conftest import ANDRES, CAFE, LAURA, MODA, TECH, Harness, snapshot
from tests.tools.conftest import harness as harness

LOOK_ALIKES = ["CAF\u2010001", "CAF\u2212001", "ＣＡＦ-００１", "CAF-001\u200b", "CAF-%", "CAF-001' OR '1'='1",
               "CAF-001; DROP TABLE products; --", "x" * 10_000]


def _result(outcome: Any) -> dict[str, Any]:
    assert outcome.interrupt is None, "a refused call must not ask for confirmation"
    assert outcome.result is not None
    return outcome.result


@pytest.mark.parametrize("sku", LOOK_ALIKES)
def test_look_alike_skus_find_nothing(harness: Harness, sku: str) -> None:
    for name, args in (("get_stock", {"sku": sku}), ("get_stock_movements", {"sku": sku})):
        result = _result(harness.call(CAFE, name, args))
        assert result["status"] in ("not_found", "error"), result
        assert result["data"] is None


@pytest.mark.parametrize(("principal", "sku"), [(CAFE, "TEC-550"), (TECH, "CAF-001"), (LAURA, "CAF-001")])
def test_another_sellers_stock_is_denied_without_data(harness: Harness, principal: Any, sku: str) -> None:
    for name, args in (("get_stock", {"sku": sku}), ("get_stock_movements", {"sku": sku})):
        result = _result(harness.call(principal, name, args))
        assert result["status"] == "denied" and result["data"] is None


@pytest.mark.parametrize("warehouse", [None, "BOG", "med"])
def test_low_stock_tool_lists_only_the_callers_skus(harness: Harness, warehouse: str | None) -> None:
    args = {"warehouse": warehouse} if warehouse else {}
    for principal, prefix in ((CAFE, "CAF-"), (MODA, "MOD-"), (TECH, "TEC-")):
        result = _result(harness.call(principal, "list_low_stock", args))
        assert result["status"] == "ok"
        assert all(row["sku"].startswith(prefix) for row in result["data"])


@pytest.mark.parametrize("quantity", [0, -5, 10**6, 2**63])
def test_transfer_quantities_are_bounded(harness: Harness, quantity: int) -> None:
    before = snapshot(harness.platform)
    args = {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": quantity}
    assert _result(harness.call(CAFE, "transfer_stock", args))["status"] == "error"
    assert snapshot(harness.platform) == before


def test_transfer_of_another_sellers_sku_is_denied_before_asking(harness: Harness) -> None:
    before = snapshot(harness.platform)
    args = {"sku": "TEC-550", "from_warehouse": "MED", "to_warehouse": "BOG", "quantity": 1}
    assert _result(harness.call(CAFE, "transfer_stock", args))["status"] == "denied"
    assert snapshot(harness.platform) == before


@pytest.mark.parametrize("price", [0, -1, 2**63])
def test_price_updates_are_bounded(harness: Harness, price: int) -> None:
    before = snapshot(harness.platform)
    assert _result(harness.call(CAFE, "update_price", {"sku": "CAF-001", "price_cop": price}))["status"] == "error"
    assert snapshot(harness.platform) == before


def test_price_of_another_sellers_product_is_denied(harness: Harness) -> None:
    result = _result(harness.call(CAFE, "update_price", {"sku": "TEC-550", "price_cop": 1000}))
    assert result["status"] == "denied"


@pytest.mark.parametrize("quantity", [0, -1, 1001, 2**63])
def test_order_line_quantities_are_bounded(harness: Harness, quantity: int) -> None:
    before = snapshot(harness.platform)
    result = _result(harness.call(LAURA, "create_order", {"lines": [{"sku": "CAF-001", "quantity": quantity}]}))
    assert result["status"] == "error"
    assert snapshot(harness.platform) == before


@pytest.mark.parametrize(("principal", "order_id"), [(CAFE, "ORD-1004"), (TECH, "ORD-1004")])
def test_cancelling_someone_elses_order_is_denied_before_asking(harness: Harness, principal: Any,
                                                                order_id: str) -> None:
    before = snapshot(harness.platform)
    result = _result(harness.call(principal, "cancel_order", {"order_id": order_id, "reason": "porque sí"}))
    assert result["status"] == "denied" and result["data"] is None
    assert snapshot(harness.platform) == before


@pytest.mark.parametrize(("principal", "order_id"), [(ANDRES, "ORD-1001"), (LAURA, "ORD-1002")])
@pytest.mark.parametrize("tool", ["cancel_order", "get_order", "track_shipment"])
def test_another_buyers_order_answers_like_a_missing_one(harness: Harness, principal: Any, order_id: str,
                                                         tool: str) -> None:
    """Order ids are sequential: whether ORD-1002 exists must not be learnable from the chat."""
    before = snapshot(harness.platform)
    args: dict[str, Any] = {"order_id": order_id} | ({"reason": "porque sí"} if tool == "cancel_order" else {})
    foreign = _result(harness.call(principal, tool, args))
    missing = _result(harness.call(principal, tool, {**args, "order_id": "ORD-9999"}))
    assert foreign["status"] == missing["status"] == "not_found" and foreign["data"] is None
    assert foreign["message"] == missing["message"].replace("ORD-9999", order_id)
    assert snapshot(harness.platform) == before


def test_a_seller_reading_a_shared_order_sees_only_its_lines(harness: Harness) -> None:
    result = _result(harness.call(CAFE, "get_order", {"order_id": "ORD-1001"}))
    assert result["status"] == "ok"
    assert [line["sku"] for line in result["data"]["lines"]] == ["CAF-001"]
    assert result["data"]["payments"] == [] and "MOD-102" not in result["message"]


@pytest.mark.parametrize("order_id", ["ORD\u20101001", "ORD-1001' OR '1'='1", "ORD-%", "../ORD-1001"])
def test_crafted_order_ids_find_nothing(harness: Harness, order_id: str) -> None:
    for name in ("get_order", "track_shipment"):
        result = _result(harness.call(LAURA, name, {"order_id": order_id}))
        assert result["status"] == "not_found" and result["data"] is None


@pytest.mark.parametrize("status", ["paid' OR '1'='1", "%", "cualquiera"])
def test_crafted_order_status_filters_are_errors(harness: Harness, status: str) -> None:
    assert _result(harness.call(LAURA, "list_orders", {"status": status}))["status"] == "error"


@pytest.mark.parametrize(("name", "args"), [
    ("sales_summary", {"days": 0}), ("sales_summary", {"days": 2**63}), ("sales_summary", {"days": -3}),
    ("top_products", {"limit": 2**63}), ("top_products", {"limit": 0}), ("top_products", {"days": 10**9}),
])
def test_report_windows_and_limits_are_bounded(harness: Harness, name: str, args: dict[str, Any]) -> None:
    assert _result(harness.call(CAFE, name, args))["status"] == "error"


@pytest.mark.parametrize("days", [-5, 0, 2**63])
def test_movement_windows_are_clamped(harness: Harness, days: int) -> None:
    assert _result(harness.call(CAFE, "get_stock_movements", {"sku": "CAF-001", "days": days}))["status"] == "ok"


@pytest.mark.parametrize("price", [10**12, 2**62, 2**63])
def test_a_huge_max_price_in_search_is_no_maximum(harness: Harness, price: int) -> None:
    result = _result(harness.call(LAURA, "search_products", {"query": "café", "max_price_cop": price}))
    assert result["status"] == "ok" and result["data"]


def test_reports_show_a_seller_only_its_own_products(harness: Harness) -> None:
    for principal, prefix in ((CAFE, "CAF-"), (TECH, "TEC-")):
        result = _result(harness.call(principal, "top_products", {"days": 90, "limit": 50}))
        assert result["data"] and all(row["sku"].startswith(prefix) for row in result["data"])
    assert _result(harness.call(LAURA, "sales_summary", {"days": 30}))["status"] == "denied"


def test_reorder_proposals_of_another_seller_are_invisible(harness: Harness) -> None:
    result = _result(harness.call(CAFE, "list_reorder_proposals", {"status": "all"}))
    assert all(po["seller_id"] == "SEL-CAFE" for po in result["data"])


@BOTH_BACKENDS
@pytest.mark.parametrize(("name", "args"), [
    ("get_stock", {"sku": "CAF-001\x00"}),
    ("get_stock", {"sku": "CAF-001", "warehouse": "BOG\x00"}),
    ("get_order", {"order_id": "ORD-1001\x00"}),
    ("list_low_stock", {"warehouse": "\x00"}),
    ("search_products", {"query": "café\x00"}),
])
def test_nul_characters_in_tool_args_are_results_not_crashes(harness: Harness, name: str,
                                                              args: dict[str, Any]) -> None:
    result = _result(harness.call(LAURA if name in ("get_order", "search_products") else CAFE, name, args))
    assert result["status"] in ("ok", "not_found", "error"), result


@BOTH_BACKENDS
def test_nul_in_an_order_line_creates_nothing(harness: Harness) -> None:
    before = snapshot(harness.platform)
    result = _result(harness.call(LAURA, "create_order", {"lines": [{"sku": "CAF-001\x00", "quantity": 1}]}))
    assert result["status"] in ("not_found", "error")
    assert snapshot(harness.platform) == before
