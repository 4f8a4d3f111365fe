"""The reorder policy's pure functions, with numbers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from commerce.fulfillment import reorder_policy as policy
from commerce.fulfillment.reorder_policy import Donor


def test_z_of_common_service_levels() -> None:
    assert policy.z_value(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert policy.z_value(0.5) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        policy.z_value(1.0)


def test_safety_stock_reorder_point_and_order_up_to() -> None:
    # σ of lead-time demand = 3 · √4 = 6 → SS = 2 · 6 = 12; ROP = 5 · 4 + 12 = 32; S = 5 · (4 + 7) + 12 = 67.
    ss = policy.safety_stock(z=2.0, sigma_daily=3.0, lead_time_days=4)
    assert ss == pytest.approx(12.0)
    assert policy.reorder_point(daily=5.0, lead_time_days=4, safety=ss) == pytest.approx(32.0)
    assert policy.order_up_to(daily=5.0, lead_time_days=4, review_days=7, safety=ss) == pytest.approx(67.0)


@pytest.mark.parametrize(("quantity", "moq", "expected"), [
    (61, 48, 96), (48, 48, 48), (48 + 1e-12, 48, 48), (49, 48, 96), (0.2, 5, 5), (0, 48, 0), (-3, 48, 0), (7, 1, 7),
])
def test_round_up_to_moq(quantity: float, moq: int, expected: int) -> None:
    assert policy.round_to_moq(quantity, moq) == expected


def test_zero_demand_never_reorders_even_when_empty() -> None:
    assert not policy.needs_reorder(available=0, daily=0.0, rop=0.0)
    assert policy.needs_reorder(available=32, daily=5.0, rop=32.0)
    assert not policy.needs_reorder(available=33, daily=5.0, rop=32.0)


def test_stockout_date_and_cover() -> None:
    assert policy.stockout_date(today=date(2026, 12, 1), available=14, daily=4.0) == date(2026, 12, 4)
    assert policy.stockout_date(today=date(2026, 12, 1), available=14, daily=0.0) is None
    assert policy.stockout_date(today=date(2026, 12, 1), available=14, daily=1e-12) is None  # beyond a year
    assert policy.days_of_cover(available=14, daily=4.0) == pytest.approx(3.5)


def test_lead_time_longer_than_history_still_scales_sigma() -> None:
    # 21 days of lead time on a 15-day history: σ_L = 1.5 · √21 ≈ 6.87, SS = 1.645 · 6.87 ≈ 11.3.
    ss = policy.safety_stock(z=policy.z_value(0.95), sigma_daily=1.5, lead_time_days=21)
    assert ss == pytest.approx(1.6449 * 1.5 * 21 ** 0.5, rel=1e-3)


def test_donor_excess_and_overstock() -> None:
    assert policy.transferable_excess(available=210, rop=80.4, safety=20.2) == 109
    assert policy.transferable_excess(available=7, rop=9.0, safety=3.0) == 0
    assert policy.donor_overstock(available=210, up_to=162.3, excess=109) == 47
    assert policy.donor_overstock(available=210, up_to=162.3, excess=10) == 10


def test_bridge_units_are_the_sales_lost_between_transfer_and_supplier() -> None:
    # 14 units at 8/day: waiting 6 days for the supplier loses 48 - 14 = 34, waiting 3 for a transfer 10.
    assert policy.bridge_units(available=14, daily=8.0, supplier_lead_days=6, transfer_lead_days=3) == 24
    assert policy.bridge_units(available=100, daily=8.0, supplier_lead_days=6, transfer_lead_days=3) == 0
    assert policy.bridge_units(available=0, daily=8.0, supplier_lead_days=3, transfer_lead_days=3) == 0


def test_margin_is_price_without_iva_minus_cost() -> None:
    assert policy.unit_margin_cop(sale_price_cop=21500, unit_cost_cop=11500) == 18067 - 11500
    assert policy.unit_margin_cop(sale_price_cop=None, unit_cost_cop=11500) == 0


def _plan(**overrides: object) -> policy.SupplyPlan:
    values: dict[str, object] = dict(need=109.0, moq=48, unit_cost_cop=11500, margin_cop=6567, available=14,
                                     daily=8.0, supplier_lead_days=6, donors=[], transfer_cost_per_unit_cop=2000)
    values.update(overrides)
    return policy.plan_supply(**values)  # type: ignore[arg-type]


def test_without_donors_everything_is_bought_in_moq_multiples() -> None:
    plan = _plan()
    assert (plan.purchase_quantity, plan.transfer_quantity, plan.plan_cost) == (144, 0, 144 * 11500)


def test_overstock_and_bridge_move_and_the_rest_is_bought() -> None:
    donor = Donor(warehouse="BOG", excess=109, overstock=47, lead_time_days=3)
    plan = _plan(donors=[donor])
    # Bridge 24 (see above) < overstock 47 → move 47; buy 109 - 47 = 62 → 2 × 48 = 96.
    assert (plan.transfer_quantity, plan.bridge_units, plan.purchase_quantity) == (47, 24, 96)
    assert plan.plan_cost == 96 * 11500 + 47 * 2000
    assert plan.purchase_only_cost == 144 * 11500


def test_donor_with_enough_overstock_replaces_the_purchase() -> None:
    plan = _plan(donors=[Donor(warehouse="BOG", excess=300, overstock=200, lead_time_days=3)])
    assert (plan.transfer_quantity, plan.purchase_quantity) == (109, 0)


def test_bridge_not_worth_its_freight_and_no_overstock_means_buying() -> None:
    donor = Donor(warehouse="BOG", excess=50, overstock=0, lead_time_days=3)
    assert _plan(donors=[donor], margin_cop=1500).transfer_quantity == 0
    assert _plan(donors=[donor], margin_cop=6567).transfer_quantity == 24


def test_slow_transfer_only_moves_overstock_and_only_when_it_saves_a_lot() -> None:
    donor = Donor(warehouse="BOG", excess=50, overstock=10, lead_time_days=6)
    plan = _plan(donors=[donor], moq=1)
    assert (plan.transfer_quantity, plan.bridge_units, plan.purchase_quantity) == (10, 0, 99)
    # With lots of 48, 109 - 10 = 99 still needs 3 lots: the move would only add freight.
    assert _plan(donors=[donor]).transfer_quantity == 0
    assert _plan(donors=[Donor(warehouse="BOG", excess=50, overstock=0, lead_time_days=6)]).transfer_quantity == 0


def test_donor_without_excess_gives_nothing() -> None:
    plan = _plan(donors=[Donor(warehouse="MED", excess=0, overstock=0, lead_time_days=2)])
    assert plan.transfer_quantity == 0 and plan.donor is None
