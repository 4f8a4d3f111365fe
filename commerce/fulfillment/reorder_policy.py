"""The reorder policy as pure functions: reorder point, safety stock, order-up-to, MOQ, transfers.

    safety stock   SS  = z(service level) · σ₁ · √L        (σ₁: one-step backtest RMSE, L: lead time in days)
    reorder point  ROP = d · L + SS                        (d: forecast units per day)
    order-up-to    S   = d · (L + R) + SS                  (R: review period in days)
    trigger            available ≤ ROP                     (what is left when an order placed now arrives
                                                            would eat into the safety stock)
    quantity           S − available, rounded up to a multiple of the supplier's MOQ

Transfers (docs/reorder.md): a warehouse may give at most the units it holds beyond its own ROP + SS.
Units beyond its order-up-to level are overstock: moving them replaces buying them (freight instead
of the unit cost). Units that bridge a stock-out until the purchase arrives are moved when a unit's
margin exceeds its freight. The plan that costs less — pesos committed now minus the margin of the
sales it saves — wins; the rest is bought, rounded up to the MOQ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

IVA_RATE = 0.19  # Colombia's general VAT; marketplace prices include it
STOCKOUT_HORIZON_DAYS = 365  # a projection further out says nothing (and a tiny rate would overflow dates)


def z_value(service_level: float) -> float:
    """The standard-normal quantile of the cycle service level (0.95 → 1.645)."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service level must be in [0.5, 1)")
    return NormalDist().inv_cdf(service_level)


def safety_stock(*, z: float, sigma_daily: float, lead_time_days: int) -> float:
    """σ of lead-time demand is the daily σ times √L (independent daily errors)."""
    return z * sigma_daily * math.sqrt(max(lead_time_days, 0))


def reorder_point(*, daily: float, lead_time_days: int, safety: float) -> float:
    """Demand expected while the order travels, plus the safety stock."""
    return daily * lead_time_days + safety


def order_up_to(*, daily: float, lead_time_days: int, review_days: int, safety: float) -> float:
    """The stock an order should restore: it must last until the next order can arrive."""
    return daily * (lead_time_days + review_days) + safety


def needs_reorder(*, available: int, daily: float, rop: float) -> bool:
    """Reorder when what is available no longer covers the reorder point (never on zero demand)."""
    return daily > 0 and available <= rop


def round_to_moq(quantity: float, moq: int) -> int:
    """The smallest multiple of the MOQ that covers `quantity`; nothing for no need."""
    if quantity <= 0:
        return 0
    step = max(moq, 1)
    return step * math.ceil(quantity / step - 1e-9)


def days_of_cover(*, available: int, daily: float) -> float:
    """Days until the available units run out at the forecast rate (inf without demand)."""
    return math.inf if daily <= 0 else max(available, 0) / daily


def stockout_date(*, today: date, available: int, daily: float) -> date | None:
    """The day the available units are projected to run out, or None beyond a year (or without demand)."""
    cover = days_of_cover(available=available, daily=daily)
    return None if cover > STOCKOUT_HORIZON_DAYS else today + timedelta(days=math.floor(cover))


def transferable_excess(*, available: int, rop: float, safety: float) -> int:
    """Units a donor warehouse can give without crossing its own reorder point plus safety stock."""
    return max(0, math.floor(available - rop - safety))


@dataclass(frozen=True)
class Donor:
    warehouse: str
    excess: int  # units beyond its own ROP + SS: the most it may give
    overstock: int  # units beyond its own order-up-to level: stock it will not need before restocking
    lead_time_days: int  # the transfer's own lead time to the destination


@dataclass(frozen=True)
class SupplyPlan:
    """How a need is met: units bought (MOQ-rounded) and units moved from one donor."""

    purchase_quantity: int
    transfer_quantity: int
    donor: Donor | None
    bridge_units: int  # of the moved units, those that cover sales lost before the purchase arrives
    purchase_only_cost: int
    plan_cost: int  # purchase + freight

    @property
    def uses_transfer(self) -> bool:
        return self.transfer_quantity > 0


def donor_overstock(*, available: int, up_to: float, excess: int) -> int:
    """Units a donor holds beyond its order-up-to level (never more than its excess)."""
    return max(0, min(excess, math.floor(available - up_to)))


def bridge_units(*, available: int, daily: float, supplier_lead_days: int, transfer_lead_days: int) -> int:
    """Sales a transfer saves: those lost before the supplier arrives but not before the transfer does."""
    if transfer_lead_days >= supplier_lead_days:
        return 0
    lost_waiting_supplier = max(0.0, daily * supplier_lead_days - available)
    lost_waiting_transfer = max(0.0, daily * transfer_lead_days - available)
    return math.ceil(lost_waiting_supplier - lost_waiting_transfer - 1e-9)


def unit_margin_cop(*, sale_price_cop: int | None, unit_cost_cop: int) -> int:
    """Gross margin of one unit: the price without IVA (prices include it) minus the supplier's cost."""
    if sale_price_cop is None:
        return 0
    return max(0, round(sale_price_cop / (1 + IVA_RATE)) - unit_cost_cop)


def plan_supply(
    *, need: float, moq: int, unit_cost_cop: int, margin_cop: int, available: int, daily: float,
    supplier_lead_days: int, donors: list[Donor], transfer_cost_per_unit_cop: int,
) -> SupplyPlan:
    """Buy, move, or both (docs/reorder.md).

    Moving a donor's overstock replaces buying those units (freight instead of the unit cost);
    moving units that bridge a stock-out until the purchase arrives is worth it when a unit's
    margin exceeds its freight. Everything else is bought, rounded up to the MOQ.
    """
    buy_all = round_to_moq(need, moq)
    purchase_only = SupplyPlan(purchase_quantity=buy_all, transfer_quantity=0, donor=None, bridge_units=0,
                               purchase_only_cost=buy_all * unit_cost_cop, plan_cost=buy_all * unit_cost_cop)
    best = purchase_only
    for donor in sorted(donors, key=lambda d: (d.lead_time_days, -d.excess, d.warehouse)):
        if donor.excess <= 0 or need <= 0:
            continue
        bridge = bridge_units(available=available, daily=daily, supplier_lead_days=supplier_lead_days,
                              transfer_lead_days=donor.lead_time_days)
        worth_bridging = bridge if margin_cop > transfer_cost_per_unit_cop else 0
        replaces = donor.overstock if transfer_cost_per_unit_cop < unit_cost_cop else 0
        moved = min(donor.excess, math.ceil(need), max(worth_bridging, replaces))
        if moved <= 0:
            continue
        bought = round_to_moq(need - moved, moq)
        plan = SupplyPlan(purchase_quantity=bought, transfer_quantity=moved, donor=donor,
                          bridge_units=min(moved, worth_bridging), purchase_only_cost=purchase_only.plan_cost,
                          plan_cost=bought * unit_cost_cop + moved * transfer_cost_per_unit_cop)
        if _net_cost(plan, unit_cost_cop, margin_cop) < _net_cost(best, unit_cost_cop, margin_cop):
            best = plan
    return best


def _net_cost(plan: SupplyPlan, unit_cost_cop: int, margin_cop: int) -> int:
    """Pesos committed now minus the margin of the sales a bridge transfer saves."""
    return plan.plan_cost - plan.bridge_units * margin_cop
