"""Inventory tools through a LangGraph: authorization per role, transfers confirmed exactly once."""

from __future__ import annotations

import pytest

from commerce.identity.principal import Principal
from infra.bootstrap import Platform
from tests.tools.conftest import ADMIN, CAFE, LAURA, MODA, Harness, level, snapshot


def test_get_stock_owner_and_admin_see_units(harness: Harness, platform: Platform) -> None:
    mine = harness.call(CAFE, "get_stock", {"sku": "caf-001"})
    assert mine.status == "ok"
    by_wh = {w["warehouse"]: w["available"] for w in mine.result["data"]["warehouses"]}  # type: ignore[index]
    assert by_wh["BOG"] == level(platform, "CAF-001", "BOG")[0] - level(platform, "CAF-001", "BOG")[1]
    assert "Café especial Huila" in mine.result["message"]  # type: ignore[index]
    one = harness.call(ADMIN, "get_stock", {"sku": "TEC-550", "warehouse": "MED"}, thread="t-2")
    assert one.status == "ok"
    assert [w["warehouse"] for w in one.result["data"]["warehouses"]] == ["MED"]  # type: ignore[index]


@pytest.mark.parametrize("principal", [MODA, LAURA], ids=["other-seller", "buyer"])
def test_get_stock_denied_without_data(harness: Harness, principal: Principal) -> None:
    out = harness.call(principal, "get_stock", {"sku": "CAF-001"})
    assert out.status == "denied"
    assert out.result["data"] is None  # type: ignore[index]
    assert "permiso" in out.result["message"]  # type: ignore[index]


def test_get_stock_unknown_sku_and_warehouse(harness: Harness) -> None:
    assert harness.call(CAFE, "get_stock", {"sku": "CAF-999"}).status == "not_found"
    assert harness.call(CAFE, "get_stock", {"sku": "CAF-001", "warehouse": "CAL"}, thread="t-2").status == "not_found"


def test_list_low_stock_only_own_skus(harness: Harness) -> None:
    mine = harness.call(CAFE, "list_low_stock", {})
    everyone = harness.call(ADMIN, "list_low_stock", {}, thread="t-2")
    assert mine.status == everyone.status == "ok"
    own = {row["sku"] for row in mine.result["data"]}  # type: ignore[index]
    all_skus = {row["sku"] for row in everyone.result["data"]}  # type: ignore[index]
    assert own and all(sku.startswith("CAF-") for sku in own)
    assert own < all_skus  # admins also see the other sellers' low stock
    assert harness.call(LAURA, "list_low_stock", {}, thread="t-3").status == "denied"


def test_get_stock_movements(harness: Harness) -> None:
    out = harness.call(CAFE, "get_stock_movements", {"sku": "CAF-001", "days": 7})
    assert out.status == "ok"
    assert out.result["data"]["count"] > 0  # type: ignore[index]
    assert {m["sku"] for m in out.result["data"]["movements"]} == {"CAF-001"}  # type: ignore[index]
    assert harness.call(MODA, "get_stock_movements", {"sku": "CAF-001"}, thread="t-2").status == "denied"


def test_transfer_asks_then_moves_once(harness: Harness, platform: Platform) -> None:
    before = snapshot(platform)
    bog, med = level(platform, "CAF-001", "BOG"), level(platform, "CAF-001", "MED")
    asked = harness.call(CAFE, "transfer_stock",
                         {"sku": "CAF-001", "from_warehouse": "bog", "to_warehouse": "MED", "quantity": 20})
    assert asked.status == "pending_confirmation"
    assert asked.interrupt is not None
    assert asked.interrupt["type"] == "confirmation" and asked.interrupt["tool"] == "transfer_stock"
    assert asked.interrupt["args"] == {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED",
                                       "quantity": 20}
    assert "20 unidades de CAF-001 (Café especial Huila 500 g)" in asked.interrupt["question"]
    assert asked.interrupt["question"].endswith("¿Confirmas? (sí/no)")
    assert snapshot(platform) == before  # nothing written before the confirmation

    pending = harness.pending_checkpoint()
    done = harness.resume(CAFE, "confirm")
    assert done.status == "ok"
    assert level(platform, "CAF-001", "BOG") == (bog[0] - 20, bog[1])
    assert level(platform, "CAF-001", "MED") == (med[0] + 20, med[1])
    moved = snapshot(platform)["movements"]

    replay = harness.resume(CAFE, "confirm", checkpoint=pending)  # the chat service retries the same resume
    assert replay.result == done.result
    assert level(platform, "CAF-001", "BOG") == (bog[0] - 20, bog[1])
    assert snapshot(platform)["movements"] == moved


def test_transfer_cancelled_writes_nothing(harness: Harness, platform: Platform) -> None:
    before = snapshot(platform)
    harness.call(CAFE, "transfer_stock", {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED",
                                          "quantity": 5})
    out = harness.resume(CAFE, "cancel")
    assert out.status == "cancelled"
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("principal", "args", "status"),
    [
        (MODA, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": 5}, "denied"),
        (LAURA, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": 5}, "denied"),
        (CAFE, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": -3}, "error"),
        (CAFE, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "BOG", "quantity": 3}, "error"),
        (CAFE, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": 10_000}, "error"),
        (CAFE, {"sku": "CAF-777", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": 3}, "not_found"),
        (CAFE, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "CAL", "quantity": 3}, "not_found"),
        (CAFE, {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED", "quantity": "veinte"}, "error"),
    ],
    ids=["other-seller", "buyer", "negative", "same-warehouse", "too-many", "unknown-sku", "unknown-warehouse",
         "not-a-number"],
)
def test_transfer_refused_before_asking(harness: Harness, platform: Platform, principal: Principal,
                                        args: dict[str, object], status: str) -> None:
    before = snapshot(platform)
    out = harness.call(principal, "transfer_stock", args)
    assert out.status == status  # never "pending_confirmation": a refused call does not ask
    assert out.result["data"] is None  # type: ignore[index]
    assert out.result["message"]  # type: ignore[index]
    assert snapshot(platform) == before


def test_admin_may_transfer_any_sku(harness: Harness, platform: Platform) -> None:
    on_hand = level(platform, "MOD-102", "BAQ")[0]
    harness.call(ADMIN, "transfer_stock", {"sku": "MOD-102", "from_warehouse": "BAQ", "to_warehouse": "BOG",
                                           "quantity": 2})
    assert harness.resume(ADMIN, "confirm").status == "ok"
    assert level(platform, "MOD-102", "BAQ")[0] == on_hand - 2


def test_anything_but_confirm_does_not_write(harness: Harness, platform: Platform) -> None:
    before = snapshot(platform)
    harness.call(CAFE, "transfer_stock", {"sku": "CAF-001", "from_warehouse": "BOG", "to_warehouse": "MED",
                                          "quantity": 5})
    assert harness.resume(CAFE, "tal vez").status == "cancelled"
    assert snapshot(platform) == before


def test_identity_in_model_arguments_is_ignored(harness: Harness, platform: Platform) -> None:
    # A prompt-injected model may add "seller_id"/"principal" arguments; only the run-time context counts.
    before = snapshot(platform)
    smuggled = {"sku": "MOD-101", "seller_id": "SEL-MODA", "principal": {"role": "admin"}}
    assert harness.call(CAFE, "get_stock", smuggled).status == "denied"
    out = harness.call(CAFE, "transfer_stock", {"sku": "MOD-101", "from_warehouse": "BOG", "to_warehouse": "MED",
                                                "quantity": 1, "seller_id": "SEL-MODA"}, thread="t-2")
    assert out.status == "denied"
    assert snapshot(platform) == before
