"""Atomic stock operations. Every change is one conditional UPDATE plus one ledger row.

The guard lives in the UPDATE's WHERE clause, so the check and the write are a single atomic
step on PostgreSQL (row lock, re-evaluated after waiting) and on SQLite (the writer lock taken by
BEGIN IMMEDIATE). The table's CHECK constraints are the last line of defence.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, bindparam, select, update

from commerce.fulfillment.models import (
    Movement,
    MovementKind,
    Reservation,
    ReservationKind,
    ReservationStatus,
    StockLevel,
    Warehouse,
)
from commerce.shared import events
from commerce.shared.clock import utcnow
from commerce.shared.errors import InvalidInput, NotFound, OutOfStock
from commerce.shared.unit_of_work import UnitOfWork

RESERVATION_TTL: dict[ReservationKind, timedelta | None] = {
    ReservationKind.CART: timedelta(minutes=15),
    ReservationKind.ORDER: timedelta(hours=24),
    ReservationKind.HOLD: None,
}


_LEVEL = StockLevel.__table__.c
_NEW_ON_HAND = _LEVEL.on_hand + bindparam("on_hand_delta", type_=Integer)
_NEW_RESERVED = _LEVEL.reserved + bindparam("reserved_delta", type_=Integer)
# Built once: the guard, as a Core statement run on the transaction's connection (the ORM's bulk-UPDATE path
# and building the expression per call were a tenth of an order's CPU).
_GUARDED_LEVEL_UPDATE = (
    update(StockLevel)
    .where(and_(_LEVEL.sku == bindparam("level_sku"), _LEVEL.warehouse == bindparam("level_warehouse"),
                _NEW_ON_HAND >= 0, _NEW_RESERVED >= 0, _NEW_RESERVED <= _NEW_ON_HAND))
    .values(on_hand=_NEW_ON_HAND, reserved=_NEW_RESERVED, updated_at=bindparam("now"))
    .returning(_LEVEL.on_hand, _LEVEL.reserved, _LEVEL.reorder_point)
)


def _change_level(
    uow: UnitOfWork, sku: str, warehouse: str, *, on_hand_delta: int, reserved_delta: int
) -> tuple[int, int] | None:
    """Apply the deltas if the result keeps 0 <= reserved <= on_hand; return (on_hand, reserved).

    Pending changes are written first, as the ORM's autoflush would (a level created in this transaction);
    the session's loaded StockLevel objects are not updated (a Core statement): readers refresh them."""
    uow.session.flush()
    row = uow.session.connection().execute(_GUARDED_LEVEL_UPDATE, {
        "level_sku": sku, "level_warehouse": warehouse, "on_hand_delta": on_hand_delta,
        "reserved_delta": reserved_delta, "now": utcnow()}).one_or_none()
    if row is None:
        return None
    on_hand, reserved, reorder_point = row
    _maybe_stock_low(uow, sku, warehouse, on_hand - reserved, on_hand_delta - reserved_delta, reorder_point)
    return on_hand, reserved


def _maybe_stock_low(
    uow: UnitOfWork, sku: str, warehouse: str, available: int, available_delta: int, reorder_point: int
) -> None:
    """Emit stock.low when available units cross below the reorder point (not on every sale)."""
    before = available - available_delta
    if available_delta < 0 and available < reorder_point <= before:
        uow.add_event(events.StockLow(sku=sku, warehouse=warehouse, available=available, reorder_point=reorder_point))


def _require_level(uow: UnitOfWork, sku: str, warehouse: str) -> StockLevel:
    level = uow.session.get(StockLevel, (sku, warehouse))
    if level is None:
        raise NotFound(f"El producto {sku} no se maneja en la bodega {warehouse}.")
    uow.session.refresh(level)
    return level


def record_movement(
    uow: UnitOfWork,
    *,
    kind: MovementKind,
    sku: str,
    warehouse: str,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reference: str | None = None,
    unit_price_cop: int | None = None,
    note: str | None = None,
    level_last: bool = False,
) -> Movement:
    """Change the stock level and append the ledger row, or raise OutOfStock/NotFound.

    With `level_last` the guarded UPDATE of the level runs at the end of the transaction (UnitOfWork.at_end),
    so the row lock every concurrent sale of the SKU waits for is held only for the commit; the guard is the
    same, and a refusal still rolls the whole transaction back. Only for callers that do not catch
    OutOfStock to try something else (the refusal then surfaces from the commit, not from this call)."""
    movement = Movement(
        kind=kind, sku=sku, warehouse=warehouse, on_hand_delta=on_hand_delta, reserved_delta=reserved_delta,
        reference=reference, unit_price_cop=unit_price_cop, note=note, occurred_at=utcnow(),
    )
    uow.session.add(movement)

    def recorded() -> None:
        uow.add_event(
            events.MovementRecorded(
                movement_id=movement.id, kind=kind, sku=sku, warehouse=warehouse,
                on_hand_delta=on_hand_delta, reserved_delta=reserved_delta, reference=reference,
            )
        )

    if level_last:
        # No flush here: the ledger row is written with the rest of the transaction, its event (which needs the
        # row's id) once it is written, and the level last of all.
        uow.once_written(recorded)
        uow.at_end(lambda: _stock_updated(uow, sku, warehouse, on_hand_delta,
                                          _apply_level(uow, sku, warehouse, on_hand_delta, reserved_delta)))
        return movement
    levels = _apply_level(uow, sku, warehouse, on_hand_delta, reserved_delta)
    uow.session.flush()
    recorded()
    _stock_updated(uow, sku, warehouse, on_hand_delta, levels)
    return movement


def _apply_level(uow: UnitOfWork, sku: str, warehouse: str, on_hand_delta: int, reserved_delta: int
                 ) -> tuple[int, int]:
    """The guarded level change: the new (on_hand, reserved), or OutOfStock/NotFound (checked only when the
    UPDATE refused: a missing warehouse, then a SKU the warehouse does not carry, else short stock)."""
    levels = _change_level(uow, sku, warehouse, on_hand_delta=on_hand_delta, reserved_delta=reserved_delta)
    if levels is None:
        with uow.session.no_autoflush:
            if uow.session.get(Warehouse, warehouse) is None:
                raise NotFound(f"No existe la bodega {warehouse}.")
        level = _require_level(uow, sku, warehouse)
        raise OutOfStock(
            f"No hay unidades suficientes de {sku} en {warehouse}: disponibles {level.available}."
        )
    return levels


def _stock_updated(uow: UnitOfWork, sku: str, warehouse: str, on_hand_delta: int, levels: tuple[int, int]) -> None:
    if on_hand_delta:
        on_hand, reserved = levels
        uow.add_event(
            events.StockUpdated(sku=sku, warehouse=warehouse, on_hand=on_hand, reserved=reserved,
                                available=on_hand - reserved)
        )


def reserve(
    uow: UnitOfWork,
    *,
    sku: str,
    warehouse: str,
    quantity: int,
    kind: ReservationKind,
    reference: str | None,
    now: datetime | None = None,
    level_last: bool = False,
) -> Reservation:
    """Hold `quantity` available units, or raise OutOfStock. Never oversells. With `level_last` the units are
    taken at the end of the transaction (see `record_movement`): an OutOfStock then comes from the commit."""
    if quantity <= 0:
        raise InvalidInput("La cantidad a reservar debe ser mayor que cero.")
    now = now or utcnow()
    record_movement(
        uow, kind=MovementKind.RESERVATION, sku=sku, warehouse=warehouse, reserved_delta=quantity, reference=reference,
        level_last=level_last,
    )
    ttl = RESERVATION_TTL[kind]
    reservation = Reservation(
        id=f"RSV-{uuid.uuid4().hex[:16]}", sku=sku, warehouse=warehouse, quantity=quantity, kind=kind,
        reference=reference, status=ReservationStatus.ACTIVE, expires_at=now + ttl if ttl else None, created_at=now,
    )
    uow.session.add(reservation)
    return reservation


def release(uow: UnitOfWork, reservation: Reservation, *, reason: str, now: datetime | None = None) -> None:
    """Give the held units back to available stock and emit stock.released."""
    _close(reservation, ReservationStatus.RELEASED, reason, now)
    record_movement(
        uow, kind=MovementKind.RELEASE, sku=reservation.sku, warehouse=reservation.warehouse,
        reserved_delta=-reservation.quantity, reference=reservation.reference, note=reason,
    )
    uow.add_event(
        events.StockReleased(
            reservation_id=reservation.id, order_id=reservation.reference if reservation.kind == "order" else None,
            sku=reservation.sku, warehouse=reservation.warehouse, quantity=reservation.quantity, reason=reason,
        )
    )


def consume(uow: UnitOfWork, reservation: Reservation, *, unit_price_cop: int | None = None) -> None:
    """Turn held units into a sale: they leave on-hand stock and the reservation."""
    _close(reservation, ReservationStatus.CONSUMED, "shipped", None)
    record_movement(
        uow, kind=MovementKind.SALE, sku=reservation.sku, warehouse=reservation.warehouse,
        on_hand_delta=-reservation.quantity, reserved_delta=-reservation.quantity,
        reference=reservation.reference, unit_price_cop=unit_price_cop,
    )


def _close(reservation: Reservation, status: ReservationStatus, reason: str, now: datetime | None) -> None:
    if reservation.status != ReservationStatus.ACTIVE:
        raise InvalidInput(f"La reserva {reservation.id} ya no está activa.")
    reservation.status = status
    reservation.closed_at = now or utcnow()
    reservation.close_reason = reason


def active_reservations(uow: UnitOfWork, reference: str) -> list[Reservation]:
    """Active reservations made for an order or cart, locked for update where supported."""
    stmt = (
        select(Reservation)
        .where(Reservation.reference == reference, Reservation.status == ReservationStatus.ACTIVE)
        .order_by(Reservation.sku)
        .with_for_update()
    )
    return list(uow.session.scalars(stmt))
