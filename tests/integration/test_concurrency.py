"""Never oversell: many concurrent reservations for the last units, on PostgreSQL and SQLite."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select, update

from commerce.fulfillment import commands as fc
from commerce.fulfillment.models import Movement, Reservation, StockLevel
from commerce.marketplace import commands as mc
from commerce.marketplace.models import Order
from commerce.shared.errors import NotFound, OutOfStock
from commerce.shared.outbox import OutboxMessage
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


def test_an_order_takes_the_stock_row_last(platform: Platform) -> None:
    # The row every concurrent sale of the SKU waits for is locked by the last statement before COMMIT.
    platform.bus.handle(fc.AdjustStock(sku="CAF-004", warehouse="BOG", delta=10, reason="reabastecer"))
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(platform.engine, "before_cursor_execute", record)
    try:
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku="CAF-004", quantity=2),
                                                 mc.OrderLineIn(sku="CAF-001", quantity=1)]))
    finally:
        event.remove(platform.engine, "before_cursor_execute", record)
    writes = [s for s in seen if s.split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert [s.startswith("UPDATE stock_levels") for s in writes[-2:]] == [True, True], writes[-4:]
    assert not any(s.startswith("UPDATE stock_levels") for s in writes[:-2])
    # The new order is written once, already payable (no UPDATE of it after its INSERT), and its events' outbox
    # rows in one INSERT just before the stock rows are taken.
    assert not any(s.startswith("UPDATE orders") for s in writes), writes
    assert [s.startswith("INSERT INTO outbox") for s in writes].count(True) == 1, writes
    assert writes[-3].startswith("INSERT INTO outbox"), writes[-4:]


def test_an_order_writes_its_ledger_rows_once_and_their_events_carry_their_ids(platform: Platform) -> None:
    platform.bus.handle(fc.AdjustStock(sku="CAF-004", warehouse="BOG", delta=10, reason="reabastecer"))
    order_id = platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                                 lines=[mc.OrderLineIn(sku="CAF-004", quantity=2),
                                                        mc.OrderLineIn(sku="CAF-001", quantity=1)]))
    with platform.read_uow() as uow:
        movements = {m.sku: m.id for m in uow.session.scalars(select(Movement).where(Movement.reference == order_id))}
        recorded = {row.payload["sku"]: row.payload["movement_id"] for row in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.name == "movement.recorded",
                                        OutboxMessage.key.in_(["CAF-004@BOG", "CAF-001@BOG"]))
        ) if row.payload["reference"] == order_id}
        order = uow.session.get(Order, order_id)
        assert order is not None
        status, warehouse, due = order.status, order.warehouse, order.payment_due_at
    assert set(movements) == {"CAF-004", "CAF-001"} and recorded == movements
    with platform.read_uow() as uow:  # published in the order they happened
        names = [row.name for row in uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))
                 if order_id in (row.payload.get("order_id"), row.payload.get("reference"))]
    assert names == ["order.created", "stock.reserved", "movement.recorded", "movement.recorded"], names
    assert (status, warehouse) == ("pending_payment", "BOG") and due is not None


def test_an_order_for_a_missing_warehouse_is_told_so_and_leaves_nothing(platform: Platform) -> None:
    with platform.read_uow() as uow:
        movements_before = uow.session.scalar(select(func.count()).select_from(Movement))
    with pytest.raises(NotFound, match="No existe la bodega XYZ"):
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="XYZ", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku="CAF-004", quantity=1)]))
    with pytest.raises(NotFound, match="no se maneja en la bodega MED"):  # a warehouse without the SKU
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="MED", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku="CAF-004", quantity=1)]))
    with platform.read_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Movement)) == movements_before


def test_a_refused_order_leaves_nothing_when_the_stock_is_taken_last(platform: Platform) -> None:
    with platform.read_uow() as uow:
        orders_before = uow.session.scalar(select(func.count()).select_from(Reservation))
        level = uow.session.get(StockLevel, ("CAF-004", "BOG"))
        assert level is not None
        available = level.available
    with pytest.raises(OutOfStock, match="disponibles"):
        platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                          lines=[mc.OrderLineIn(sku="CAF-004", quantity=available + 1)]))
    with platform.read_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Reservation)) == orders_before
        level = uow.session.get(StockLevel, ("CAF-004", "BOG"))
        assert level is not None and level.available == available


def test_a_unit_of_work_never_commits_with_a_deferred_step_not_run(platform: Platform) -> None:
    with platform.uow() as uow, pytest.raises(RuntimeError, match="deferred"):
        uow.at_end(lambda: None)
        uow.commit()
