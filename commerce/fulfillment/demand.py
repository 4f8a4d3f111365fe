"""Daily demand per SKU and warehouse, read from the movement ledger.

Demand is what buyers took: sales minus returns. Reservations, releases, receipts, transfers and
adjustments move stock but are not demand, so they are left out (a held cart is not a sale yet).
Days are Bogotá calendar days, the days a seller thinks in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from commerce.fulfillment.models import Movement, MovementKind
from commerce.shared.clock import to_bogota
from commerce.shared.unit_of_work import UnitOfWork

HISTORY_DAYS = 90
DEMAND_KINDS = (MovementKind.SALE, MovementKind.RETURN)

SeriesKey = tuple[str, str]  # (sku, warehouse)


@dataclass(frozen=True)
class DemandSeries:
    """Units demanded per day, oldest first, over the days the SKU existed in the warehouse."""

    sku: str
    warehouse: str
    last_day: date  # the Bogotá day of units[-1]: the day before the cycle
    units: NDArray[np.float64]

    @property
    def observed_days(self) -> int:
        return int(self.units.size)

    @property
    def total(self) -> float:
        return float(self.units.sum())


def window(as_of: datetime, days: int = HISTORY_DAYS) -> tuple[date, date]:
    """First and last Bogotá day of the `days` complete days before the day of `as_of`.

    Today is left out: half a day of sales read as a whole day would pull every forecast down.
    """
    last = to_bogota(as_of).date() - timedelta(days=1)
    return last - timedelta(days=days - 1), last


def build_series(
    *, sku: str, warehouse: str, first_day: date, last_day: date, daily: dict[date, float]
) -> DemandSeries:
    """A dense series from sparse per-day units; days with net returns count as zero demand."""
    length = (last_day - first_day).days + 1
    units = np.zeros(max(length, 0), dtype=np.float64)
    for day, quantity in daily.items():
        offset = (day - first_day).days
        if 0 <= offset < length:
            units[offset] = quantity
    return DemandSeries(sku=sku, warehouse=warehouse, last_day=last_day, units=np.clip(units, 0.0, None))


def daily_demand(
    *, uow: UnitOfWork, as_of: datetime, keys: Collection[SeriesKey], days: int = HISTORY_DAYS
) -> dict[SeriesKey, DemandSeries | None]:
    """Demand series of each (sku, warehouse); None when the pair has no ledger row at all (no history)."""
    first_day, last_day = window(as_of, days)
    skus = sorted({sku for sku, _ in keys})
    tz = to_bogota(as_of).tzinfo
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    until = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    first_seen = _first_movement_days(uow, skus)
    per_day: dict[SeriesKey, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    rows = uow.session.execute(
        select(Movement.sku, Movement.warehouse, Movement.occurred_at, Movement.on_hand_delta)
        .where(Movement.sku.in_(skus), Movement.kind.in_(DEMAND_KINDS), Movement.occurred_at >= since,
               Movement.occurred_at < until)
    )
    for sku, warehouse, occurred_at, delta in rows:
        # A sale takes units out (negative delta), a return puts them back: demand is minus the delta.
        per_day[(sku, warehouse)][to_bogota(occurred_at).date()] -= delta
    result: dict[SeriesKey, DemandSeries | None] = {}
    for key in keys:
        seen = first_seen.get(key)
        if seen is None or seen > last_day:
            result[key] = None
            continue
        result[key] = build_series(sku=key[0], warehouse=key[1], first_day=max(first_day, seen), last_day=last_day,
                                   daily=per_day.get(key, {}))
    return result


def _first_movement_days(uow: UnitOfWork, skus: list[str]) -> dict[SeriesKey, date]:
    """The Bogotá day of each pair's first ledger row: the series starts when the stock did."""
    rows = uow.session.execute(
        select(Movement.sku, Movement.warehouse, func.min(Movement.occurred_at))
        .where(Movement.sku.in_(skus))
        .group_by(Movement.sku, Movement.warehouse)
    )
    return {(sku, warehouse): to_bogota(first).date() for sku, warehouse, first in rows if first is not None}


def latest_sale_prices(*, uow: UnitOfWork, skus: Collection[str]) -> dict[str, int]:
    """The unit price (IVA included) of each SKU's most recent sale in the ledger."""
    newest = (
        select(Movement.sku, func.max(Movement.id).label("last_id"))
        .where(Movement.sku.in_(sorted(skus)), Movement.kind == MovementKind.SALE, Movement.unit_price_cop.is_not(None))
        .group_by(Movement.sku)
        .subquery()
    )
    rows = uow.session.execute(
        select(Movement.sku, Movement.unit_price_cop).join(newest, Movement.id == newest.c.last_id))
    return {sku: int(price) for sku, price in rows if price is not None}
