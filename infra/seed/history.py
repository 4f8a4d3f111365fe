"""Deterministic 90-day movement history for one SKU in one warehouse.

The series is built backwards from today's on-hand units: going back a day adds that day's sales
and removes the supplier receipts that arrived that day, so the ledger ends exactly at the demo
world's on-hand figure. Sales add up to exactly round(avg_daily_units_90d × 90) units, so the
90-day average of the history equals the demo world's figure.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

DAYS = 90


@dataclass(frozen=True)
class StockSpec:
    sku: str
    warehouse: str
    on_hand: int
    reorder_point: int
    safety_stock: int
    avg_daily_units: float
    moq: int
    lead_time_days: int


@dataclass
class DailyHistory:
    """Per day (0 = 90 days ago, 89 = today): units sold and units received; plus the opening balance."""

    sales: list[int] = field(default_factory=lambda: [0] * DAYS)
    receipts: list[int] = field(default_factory=lambda: [0] * DAYS)
    opening_on_hand: int = 0


def _spread_sales(rng: random.Random, total: int, fixed: dict[int, int]) -> list[int]:
    """Distribute `total` units over the days with a weekly pattern; `fixed` units are already placed."""
    sales = [fixed.get(day, 0) for day in range(DAYS)]
    remaining = total - sum(sales)
    if remaining <= 0:
        return sales
    # Weekends sell a bit more online; noise keeps days from looking identical.
    weights = [(1.25 if day % 7 in (5, 6) else 1.0) * rng.uniform(0.6, 1.4) for day in range(DAYS)]
    for day in rng.choices(range(DAYS), weights=weights, k=remaining):
        sales[day] += 1
    return sales


def build_history(spec: StockSpec, order_sales: dict[int, int]) -> DailyHistory:
    """The history of one stock row; `order_sales` are units of real demo orders shipped on given days."""
    rng = random.Random(f"mestocker-history:{spec.sku}:{spec.warehouse}")
    total = round(spec.avg_daily_units * DAYS)
    history = DailyHistory(sales=_spread_sales(rng, total, order_sales))
    lot = max(spec.moq, spec.moq * math.ceil(spec.avg_daily_units * spec.lead_time_days / spec.moq))
    ceiling = spec.reorder_point + lot
    level = spec.on_hand
    for day in range(DAYS - 1, -1, -1):
        before = level + history.sales[day]
        # Walking back in time, stock grows by the day's sales; when it grows past what the warehouse
        # would have held, a supplier receipt must have arrived that day.
        if before > ceiling and day > 0:
            received = spec.moq * ((before - spec.safety_stock) // spec.moq)
            received = min(received, before)
            history.receipts[day] = received
            before -= received
        level = before
    history.opening_on_hand = level
    return history
