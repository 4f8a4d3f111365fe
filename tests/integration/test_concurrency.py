"""Never oversell: many concurrent reservations for the last units, on PostgreSQL and SQLite."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from commerce.fulfillment import commands as fc
from commerce.fulfillment.models import Movement, Reservation, StockLevel
from commerce.marketplace import commands as mc
from commerce.shared.errors import OutOfStock
from infra.bootstrap import Platform
from tests.integration.test_order_flow import LAURA


def _leave_units(platform: Platform, sku: str, warehouse: str, units: int) -> None:
    """Bring available units down to `units` through the ledger (a real adjustment)."""
    with platform.read_uow() as uow:
        row = uow.session.get(StockLevel, (sku, warehouse))
        assert row is not None
        delta = units - row.available
    platform.bus.handle(fc.AdjustStock(sku=sku, warehouse=warehouse, delta=delta, reason="prueba de concurrencia"))


def _race(workers: int, attempts: int, action) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(workers)
    ok = short = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal ok, short
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=30)
        try:
            action()
            with lock:
                ok += 1
        except OutOfStock:
            with lock:
                short += 1

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(attempts)))
    return ok, short


def _ledger(platform: Platform, sku: str, warehouse: str) -> tuple[int, int, int, int]:
    with platform.read_uow() as uow:
        s = uow.session
        row = s.get(StockLevel, (sku, warehouse))
        assert row is not None
        on_hand, reserved = s.execute(select(func.sum(Movement.on_hand_delta), func.sum(Movement.reserved_delta))
                                      .where(Movement.sku == sku, Movement.warehouse == warehouse)).one()
        held = s.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
            Reservation.sku == sku, Reservation.warehouse == warehouse, Reservation.status == "active"))
        assert (int(on_hand), int(reserved)) == (row.on_hand, row.reserved), "ledger must balance"
        assert held == row.reserved, "reserved units are exactly the active reservations"
        return row.on_hand, row.reserved, row.available, int(held or 0)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_200_concurrent_reservations_for_the_last_100_units_on_postgres(platform: Platform) -> None:
    _leave_units(platform, "CAF-004", "BOG", 100)
    ok, short = _race(32, 200, lambda: platform.bus.handle(
        fc.ReserveStock(sku="CAF-004", warehouse="BOG", quantity=1, kind="cart")))
    assert (ok, short) == (100, 100)
    on_hand, reserved, available, _ = _ledger(platform, "CAF-004", "BOG")
    assert available == 0 and reserved == on_hand


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_concurrent_orders_never_oversell(platform: Platform) -> None:
    _leave_units(platform, "TEC-552", "BOG", 30)
    ok, short = _race(12, 60, lambda: platform.bus.handle(mc.PlaceOrder(
        buyer_id="BUY-001", warehouse="BOG", actor=LAURA, lines=[mc.OrderLineIn(sku="TEC-552", quantity=1)])))
    assert (ok, short) == (30, 30)
    assert _ledger(platform, "TEC-552", "BOG")[2] == 0
    with platform.read_uow() as uow:
        numbers = uow.session.scalars(select(func.count(func.distinct(Reservation.reference))).where(
            Reservation.sku == "TEC-552", Reservation.kind == "order", Reservation.status == "active")).one()
    assert numbers == 30 + 1  # the 30 new orders plus seeded ORD-1004


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_multi_line_orders_in_opposite_order_do_not_deadlock(platform: Platform) -> None:
    for sku in ("CAF-001", "CAF-004"):
        platform.bus.handle(fc.AdjustStock(sku=sku, warehouse="BOG", delta=500, reason="reabastecer"))
    flip = [False]

    def order() -> None:
        flip[0] = not flip[0]
        lines = [("CAF-001", 1), ("CAF-004", 1)][:: -1 if flip[0] else 1]
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku=s, quantity=q) for s, q in lines]))

    assert _race(8, 40, order) == (40, 0)


def test_orders_get_unique_sequential_ids_under_concurrency(platform: Platform) -> None:
    platform.bus.handle(fc.AdjustStock(sku="CAF-004", warehouse="BOG", delta=100, reason="reabastecer"))
    ids: list[str] = []

    def order() -> None:
        ids.append(platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                                     lines=[mc.OrderLineIn(sku="CAF-004", quantity=1)])))

    _race(8, 24, order)
    assert sorted(ids) == [f"ORD-{n}" for n in range(1006, 1030)]


def test_update_cannot_push_reserved_past_on_hand(platform: Platform) -> None:
    with platform.uow() as uow:
        result = uow.session.execute(update(StockLevel).where(
            StockLevel.sku == "MOD-103", StockLevel.warehouse == "MED", StockLevel.on_hand - StockLevel.reserved >= 8)
            .values(reserved=StockLevel.reserved + 8))
        assert getattr(result, "rowcount", None) == 0
