"""The measured workloads: our command path through the message bus, and a bare SQLAlchemy baseline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, event, insert, select, update

from bench.databases import ORDER_SKU, RESERVE_SKU, WAREHOUSE
from bench.measure import Measurement, run_concurrently
from commerce.fulfillment.commands import ReserveStock
from commerce.identity.models import User
from commerce.identity.principal import SYSTEM, Principal, Role
from commerce.marketplace.commands import OrderLineIn, PlaceOrder
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from infra.bus.base import InProcessPublisher
from infra.bus.relay import OutboxRelay
from infra.db import make_engine

BUYER_ID = "BUY-001"
BUYER_EMAIL = "laura.gomez@example.co"
WARMUP = 10
BARE = "bare baseline: INSERT + guarded UPDATE"


def buyer_principal(platform: Platform) -> Principal:
    """Laura Gómez (BUY-001) as the API would see her after logging in."""
    with platform.read_uow() as uow:
        user_id = uow.session.scalar(select(User.id).where(User.email == BUYER_EMAIL))
    if user_id is None:
        raise RuntimeError(f"the seed has no user {BUYER_EMAIL}")
    return Principal.for_role(user_id=user_id, email=BUYER_EMAIL, role=Role.COMPRADOR, buyer_id=BUYER_ID)


def _warm_up(operation: Callable[[str], object], prefix: str) -> None:
    # A few untimed calls so connection set-up and statement compilation are not measured.
    for i in range(WARMUP):
        operation(f"{prefix}-{i}")


def order_operation(platform: Platform) -> Callable[[object], None]:
    """`bus.handle(PlaceOrder)` for one unit of CAF-004 at BOG: order, reservation, events, outbox rows."""
    buyer = buyer_principal(platform)

    def place(_index: object) -> None:
        platform.bus.handle(PlaceOrder(buyer_id=BUYER_ID, lines=[OrderLineIn(sku=ORDER_SKU, quantity=1)],
                                       warehouse=WAREHOUSE, actor=buyer))

    return place


def reserve_operation(platform: Platform, run: str) -> Callable[[object], None]:
    """`bus.handle(ReserveStock)` for one unit of TEC-552 at BOG, as SYSTEM (cart reservation)."""

    def reserve(index: object) -> None:
        platform.bus.handle(ReserveStock(sku=RESERVE_SKU, warehouse=WAREHOUSE, quantity=1, kind="cart",
                                         reference=f"bench-{run}-{index}", actor=SYSTEM))

    return reserve


def statements_per_call(engine: Engine, operation: Callable[[str], object], label: str) -> int:
    """SQL statements one call sends (BEGIN/COMMIT/ROLLBACK not counted). Run it with nothing else running."""
    seen: list[str] = []

    def listener(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        operation(label)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def place_orders(platform: Platform, *, operations: int, concurrency: int) -> Measurement:
    """Time `operations` orders from `concurrency` threads (after a few untimed ones)."""
    place = order_operation(platform)
    _warm_up(place, "warm")
    measurement = run_concurrently("place order", place, operations=operations, concurrency=concurrency)
    measurement.untimed_ok = WARMUP
    return measurement


def reserve_stock(platform: Platform, *, operations: int, concurrency: int, run: str) -> Measurement:
    """Time `operations` reservations from `concurrency` threads (after a few untimed ones)."""
    reserve = reserve_operation(platform, run)
    _warm_up(reserve, f"warm-{run}")
    measurement = run_concurrently("reserve stock", reserve, operations=operations, concurrency=concurrency)
    measurement.untimed_ok = WARMUP
    return measurement


# --- bare baseline ---------------------------------------------------------------------------------

_scratch = MetaData()
SCRATCH_ROWS = Table(
    "bench_scratch_rows", _scratch,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
SCRATCH_LEVEL = Table(
    "bench_scratch_level", _scratch,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
)


@contextmanager
def scratch_engine(platform: Platform) -> Iterator[Engine]:
    """An engine built exactly like the platform's (same factory, same pool), with the scratch tables."""
    settings = platform.settings
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        _scratch.drop_all(engine)
        _scratch.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(SCRATCH_LEVEL).values(id=1, on_hand=10**9, reserved=0))
        yield engine
    finally:
        _scratch.drop_all(engine)
        engine.dispose()


def bare_operation(engine: Engine, run: str) -> Callable[[object], None]:
    """The least a reservation costs: one transaction with an INSERT and a guarded UPDATE of one row."""
    level = SCRATCH_LEVEL.c
    guarded = (
        update(SCRATCH_LEVEL)
        .where(level.id == 1, level.reserved + 1 <= level.on_hand)
        .values(reserved=level.reserved + 1)
    )

    def write(index: object) -> None:
        with engine.begin() as conn:
            conn.execute(insert(SCRATCH_ROWS).values(reference=f"{run}-{index}", created_at=utcnow()))
            if conn.execute(guarded).rowcount != 1:
                raise RuntimeError("guarded update matched no row")

    return write


def bare_baseline(engine: Engine, *, operations: int, concurrency: int, run: str) -> Measurement:
    """Time `operations` bare transactions from `concurrency` threads (after a few untimed ones)."""
    write = bare_operation(engine, run)
    _warm_up(write, f"warm-{run}")
    return run_concurrently(BARE, write, operations=operations, concurrency=concurrency)


# --- outbox relay ----------------------------------------------------------------------------------


@dataclass
class RelayResult:
    label: str
    with_consumers: bool
    orders: int
    events: int
    seconds: float
    pending_after: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def drain_outbox(platform: Platform, *, with_consumers: bool, orders: int) -> RelayResult:
    """Time draining the outbox. Without consumers, a relay whose in-process publisher has no subscriber
    (bootstrap subscribes the buyer-notification consumer to any InProcessPublisher it is given)."""
    if with_consumers:
        relay = platform.relay
        label = "relay + in-process consumers (buyer notifications)"
    else:
        relay = OutboxRelay(platform.session_factory, InProcessPublisher(),
                            read_session_factory=platform.read_session_factory)
        label = "relay only (publisher without subscribers)"
    started = time.perf_counter()
    events = relay.drain(max_batches=100_000)
    seconds = time.perf_counter() - started
    return RelayResult(label=label, with_consumers=with_consumers, orders=orders, events=events, seconds=seconds,
                       pending_after=relay.pending())
