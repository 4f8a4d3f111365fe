"""After the load: did every successful operation leave exactly what it should (no lost or double writes)?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bench.databases import ORDER_SKU, RESERVE_SKU, WAREHOUSE
from bench.workloads import BUYER_ID
from commerce.fulfillment.models import Movement, Reservation, ReservationStatus, StockLevel
from commerce.marketplace.models import Order
from infra.bootstrap import Platform


@dataclass(frozen=True)
class Snapshot:
    orders: int
    pending_payment: int
    reserved: dict[str, int]
    active_reservations: dict[str, int]
    ledger_matches: dict[str, bool]


def snapshot(platform: Platform) -> Snapshot:
    reserved: dict[str, int] = {}
    active: dict[str, int] = {}
    ledger: dict[str, bool] = {}
    with platform.read_uow() as uow:
        s = uow.session
        orders = s.scalar(select(func.count()).select_from(Order).where(Order.buyer_id == BUYER_ID)) or 0
        pending = s.scalar(select(func.count()).select_from(Order).where(
            Order.buyer_id == BUYER_ID, Order.status == "pending_payment")) or 0
        for sku in (ORDER_SKU, RESERVE_SKU):
            level = s.get(StockLevel, (sku, WAREHOUSE))
            assert level is not None
            reserved[sku] = level.reserved
            active[sku] = s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.sku == sku, Reservation.warehouse == WAREHOUSE,
                Reservation.status == ReservationStatus.ACTIVE)) or 0
            on_hand_sum, reserved_sum = s.execute(
                select(func.coalesce(func.sum(Movement.on_hand_delta), 0),
                       func.coalesce(func.sum(Movement.reserved_delta), 0))
                .where(Movement.sku == sku, Movement.warehouse == WAREHOUSE)).one()
            ledger[sku] = (on_hand_sum, reserved_sum) == (level.on_hand, level.reserved)
    return Snapshot(orders=orders, pending_payment=pending, reserved=reserved, active_reservations=active,
                    ledger_matches=ledger)


def compare(before: Snapshot, after: Snapshot, *, orders_ok: int, reservations_ok: int) -> list[str]:
    """Problems found (empty when consistent). `*_ok` are the operations the benchmark saw succeed."""
    problems: list[str] = []
    new_orders = after.orders - before.orders
    if new_orders != orders_ok:
        problems.append(f"{orders_ok} orders succeeded but {new_orders} new orders exist")
    if after.pending_payment - before.pending_payment != new_orders:
        problems.append(f"only {after.pending_payment - before.pending_payment} of {new_orders} new orders are "
                        "pending_payment")
    for sku, expected in ((ORDER_SKU, orders_ok), (RESERVE_SKU, reservations_ok)):
        held = after.reserved[sku] - before.reserved[sku]
        active = after.active_reservations[sku] - before.active_reservations[sku]
        if held != expected or active != expected:
            problems.append(f"{sku}@{WAREHOUSE}: expected {expected} more reserved units, stock level says {held}, "
                            f"active reservations say {active}")
        if not after.ledger_matches[sku]:
            problems.append(f"{sku}@{WAREHOUSE}: the movement ledger no longer sums to the stock level")
    return problems
