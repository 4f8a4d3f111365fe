"""When a reorder cycle runs besides its schedule: after a large sale.

A sale is large when it takes at least `factor` times the SKU's mean daily demand in that warehouse
over the last 28 complete days, and never fewer than `min_units` units (so a SKU that sells one unit
a week does not start a cycle with every sale). The consumer of `movement.recorded` only decides;
the worker runs the cycle (its own transaction, with the cycle's events in the outbox), named after
the movement so the same sale never runs two cycles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commerce.fulfillment.demand import daily_demand
from commerce.fulfillment.models import MovementKind, SupplyItem
from commerce.shared import events
from commerce.shared.clock import utcnow
from commerce.shared.unit_of_work import UnitOfWork

LARGE_SALE_WINDOW_DAYS = 28  # the same four weeks the accuracy table uses as the naive baseline

SaleTrigger = Callable[[str, int], None]  # (seller_id, movement_id) → run a cycle for that seller soon


@dataclass(frozen=True)
class LargeSaleRule:
    factor: float = 3.0
    min_units: int = 10

    def threshold(self, mean_daily: float) -> float:
        """The units from which a sale is large, given the mean daily demand."""
        return max(float(self.min_units), self.factor * mean_daily)


def may_be_large_sale(event: events.Event, rule: LargeSaleRule) -> bool:
    """Whether the event is a sale movement big enough to be a large sale for some demand (no database)."""
    return (isinstance(event, events.MovementRecorded) and event.kind == MovementKind.SALE
            and -event.on_hand_delta >= rule.min_units)


def large_sale_seller(*, uow: UnitOfWork, event: events.MovementRecorded, rule: LargeSaleRule) -> str | None:
    """The seller whose stock a large sale just reduced, or None when the movement is not a large sale."""
    if not may_be_large_sale(event, rule):
        return None
    units = -event.on_hand_delta
    item = uow.session.get(SupplyItem, event.sku)
    if item is None:
        return None
    key = (event.sku, event.warehouse)
    series = daily_demand(uow=uow, as_of=utcnow(), keys=[key], days=LARGE_SALE_WINDOW_DAYS).get(key)
    mean = series.total / series.observed_days if series is not None and series.observed_days else 0.0
    return item.seller_id if units >= rule.threshold(mean) else None


def watch_large_sales(event: events.Event, uow: UnitOfWork, *, rule: LargeSaleRule, trigger: SaleTrigger) -> None:
    """Consumer of `movement.recorded`: ask for a seller's cycle after a large sale."""
    if isinstance(event, events.MovementRecorded) and (seller := large_sale_seller(uow=uow, event=event, rule=rule)):
        trigger(seller, event.movement_id)


def sale_cycle_id(seller_id: str, movement_id: int) -> str:
    """The cycle a large sale runs: one per movement, whoever asks for it and however often."""
    return f"RC-V{movement_id}-{seller_id}"
