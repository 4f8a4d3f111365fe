"""Fulfillment handlers: reservations, shipping, transfers, adjustments, purchase orders."""

from __future__ import annotations

from sqlalchemy import select

from commerce.fulfillment import commands, purchase_events, reorder_proposals, stock
from commerce.fulfillment.models import (
    PO_TRANSITIONS,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Reservation,
    ReservationKind,
    ReservationStatus,
    Shipment,
    ShipmentStatus,
    StockLevel,
    Supplier,
    SupplyItem,
    Warehouse,
)
from commerce.identity.principal import Principal, Scope
from commerce.shared import events
from commerce.shared.clock import utcnow
from commerce.shared.errors import IllegalTransition, InvalidInput, NotAuthorized, NotFound, OutOfStock
from commerce.shared.sequences import next_value
from commerce.shared.text import fold
from commerce.shared.unit_of_work import UnitOfWork


def _supply_item(uow: UnitOfWork, sku: str) -> SupplyItem:
    item = uow.session.get(SupplyItem, sku)
    if item is None:
        raise NotFound(f"No existe el producto {sku}.")
    return item


def authorize_sku(uow: UnitOfWork, actor: Principal, sku: str, scope: Scope) -> SupplyItem:
    """The SKU's supply item, if `actor` holds `scope` and sells it (or is staff); else NotAuthorized."""
    actor.require(scope)
    item = _supply_item(uow, sku)
    actor.require_seller(item.seller_id, f"el producto {sku}")
    return item


def load_warehouse(uow: UnitOfWork, code: str) -> Warehouse:
    """The warehouse with `code`, or NotFound."""
    with uow.session.no_autoflush:  # nothing pending is a warehouse: flushing here would be one more flush
        warehouse = uow.session.get(Warehouse, code)
    if warehouse is None:
        raise NotFound(f"No existe la bodega {code}.")
    return warehouse


# --- reservations -------------------------------------------------------------------------------


def reserve_stock(cmd: commands.ReserveStock, uow: UnitOfWork) -> str:
    """Hold units of a SKU in a warehouse; return the reservation id."""
    authorize_sku(uow, cmd.actor, cmd.sku, Scope.INVENTORY_WRITE)
    load_warehouse(uow, cmd.warehouse)
    try:
        kind = ReservationKind(cmd.kind)
    except ValueError as exc:
        raise InvalidInput(f"Tipo de reserva desconocido: {cmd.kind}.") from exc
    return stock.reserve(
        uow, sku=cmd.sku, warehouse=cmd.warehouse, quantity=cmd.quantity, kind=kind, reference=cmd.reference
    ).id


def release_reservation(cmd: commands.ReleaseReservation, uow: UnitOfWork) -> None:
    """Release one active reservation."""
    reservation = uow.session.get(Reservation, cmd.reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound(f"No existe la reserva {cmd.reservation_id}.")
    authorize_sku(uow, cmd.actor, reservation.sku, Scope.INVENTORY_WRITE)
    stock.release(uow, reservation, reason=cmd.reason)


def release_expired_reservations(cmd: commands.ReleaseExpiredReservations, uow: UnitOfWork) -> int:
    """The sweeper: release every active reservation whose expiry has passed; return how many."""
    now = cmd.now or utcnow()
    expired = list(
        uow.session.scalars(
            select(Reservation)
            .where(
                Reservation.status == ReservationStatus.ACTIVE,
                Reservation.expires_at.is_not(None),
                Reservation.expires_at <= now,
            )
            .order_by(Reservation.expires_at)
            .limit(cmd.limit)
            .with_for_update(skip_locked=True)
        )
    )
    for reservation in expired:
        stock.release(uow, reservation, reason=events.ReleaseReason.EXPIRED, now=now)
    return len(expired)


def candidate_warehouses(uow: UnitOfWork, lines: list[events.LineQty], city: str | None) -> list[str]:
    """Warehouses that can serve every line now; the buyer's city first, then most stock."""
    skus = [line.sku for line in lines]
    levels = uow.session.scalars(select(StockLevel).where(StockLevel.sku.in_(skus))).all()
    by_wh: dict[str, dict[str, int]] = {}
    for level in levels:
        by_wh.setdefault(level.warehouse, {})[level.sku] = level.available
    able = [wh for wh, avail in by_wh.items() if all(avail.get(ln.sku, 0) >= ln.quantity for ln in lines)]
    warehouses = {w.code: w for w in uow.session.scalars(select(Warehouse).where(Warehouse.code.in_(able)))}
    wanted = fold(city or "").replace(" d.c.", "").strip()

    def rank(code: str) -> tuple[int, int, str]:
        wh = warehouses[code]
        near = bool(wanted) and (wanted in fold(wh.name) or wanted in fold(wh.city))
        return (0 if near else 1, -sum(by_wh[code].values()), code)

    return sorted(able, key=rank)


def serving_warehouse(uow: UnitOfWork, lines: list[events.LineQty], city: str | None) -> str:
    """The warehouse a new order without a chosen one reserves in (`candidate_warehouses`' first), or OutOfStock."""
    candidates = candidate_warehouses(uow, lines, city)
    if not candidates:
        wanted = ", ".join(f"{ln.quantity} × {ln.sku}" for ln in lines)
        raise OutOfStock(f"Ninguna bodega tiene disponible todo el pedido ({wanted}).")
    return candidates[0]


def reserve_for_order(event: events.OrderCreated, uow: UnitOfWork) -> None:
    """Flow 1: reserve every line of a new order in one warehouse, or fail the whole order."""
    lines = sorted(event.lines, key=lambda ln: ln.sku)  # a fixed lock order avoids deadlocks
    if event.warehouse:
        warehouse = event.warehouse  # a missing one is told apart when its stock UPDATE finds no row
    else:
        with uow.session.no_autoflush:  # the new order is written once, with its final status
            warehouse = serving_warehouse(uow, lines, event.ship_to_city)
    # The stock rows are taken last (level_last): concurrent orders of one SKU queue for the commit only.
    created = [
        stock.reserve(uow, sku=line.sku, warehouse=warehouse, quantity=line.quantity,
                      kind=ReservationKind.ORDER, reference=event.order_id, level_last=True)
        for line in lines
    ]
    expiry = min((r.expires_at for r in created if r.expires_at), default=None)
    uow.add_event(events.StockReserved(order_id=event.order_id, warehouse=warehouse, lines=lines, expires_at=expiry))


def release_for_order(event: events.OrderCancelled, uow: UnitOfWork) -> None:
    """A cancelled or refunded order gives its held units back."""
    for reservation in stock.active_reservations(uow, event.order_id):
        stock.release(uow, reservation, reason=events.ReleaseReason.ORDER_CANCELLED)


def reserve_for_late_payment(event: events.PaymentApprovedLate, uow: UnitOfWork) -> None:
    """A payment approved after its order was cancelled: hold the lines again if one warehouse still has them
    (the order's own first), and answer with stock.rechecked either way."""
    lines = sorted(event.lines, key=lambda ln: ln.sku)
    candidates = candidate_warehouses(uow, lines, event.ship_to_city)
    if event.warehouse in candidates:
        candidates.remove(event.warehouse)
        candidates.insert(0, event.warehouse)
    warehouse = candidates[0] if candidates else None
    if warehouse is not None:
        # The availability check and the conditional UPDATEs run in one transaction: on SQLite the writer lock
        # makes them atomic; on PostgreSQL a concurrent sale can still win, OutOfStock rolls the notification
        # back and the gateway's retry finds no stock and takes the refund path.
        for line in lines:
            stock.reserve(uow, sku=line.sku, warehouse=warehouse, quantity=line.quantity,
                          kind=ReservationKind.ORDER, reference=event.order_id)
    uow.add_event(events.StockRechecked(order_id=event.order_id, payment_id=event.payment_id,
                                        reserved=warehouse is not None, warehouse=warehouse))


def queue_paid_order(event: events.OrderPaid, uow: UnitOfWork) -> None:
    """Flow 2: a paid order keeps its stock without expiry and waits for picking."""
    reservations = stock.active_reservations(uow, event.order_id)
    if not reservations:
        raise IllegalTransition(f"El pedido {event.order_id} no tiene inventario reservado.")
    for reservation in reservations:
        reservation.expires_at = None
    if uow.session.get(Shipment, event.order_id) is None:
        uow.session.add(Shipment(order_id=event.order_id, warehouse=reservations[0].warehouse))


WAREHOUSE_ONLY = "Solo el equipo de bodega de MeStocker puede operar despachos."


def _require_warehouse_staff(actor: Principal) -> None:
    """Picking, shipping and delivering are MeStocker's warehouse work (fulfillment:write), across every
    seller's orders, never a seller's (a seller's inventory:write scope covers its own stock only)."""
    if not actor.holds(Scope.FULFILLMENT_WRITE) or not actor.cross_tenant:
        raise NotAuthorized(WAREHOUSE_ONLY)


def start_picking(cmd: commands.StartPicking, uow: UnitOfWork) -> None:
    """The warehouse starts picking a paid order."""
    _require_warehouse_staff(cmd.actor)
    shipment = _shipment(uow, cmd.order_id)
    if shipment.status != ShipmentStatus.QUEUED:
        raise IllegalTransition(f"El pedido {cmd.order_id} ya está en alistamiento o fue despachado.")
    shipment.status = ShipmentStatus.PICKING
    shipment.picking_started_at = utcnow()
    uow.add_event(events.FulfillmentStarted(order_id=cmd.order_id, warehouse=shipment.warehouse))


def _shipment(uow: UnitOfWork, order_id: str) -> Shipment:
    shipment = uow.session.get(Shipment, order_id, with_for_update=True)
    if shipment is None:
        raise IllegalTransition(f"El pedido {order_id} no ha sido pagado: no se puede alistar ni despachar.")
    return shipment


def ship_order(cmd: commands.ShipOrder, uow: UnitOfWork) -> None:
    """Hand the picked order to the carrier: held units leave the warehouse as sales."""
    _require_warehouse_staff(cmd.actor)
    shipment = _shipment(uow, cmd.order_id)
    if shipment.status != ShipmentStatus.PICKING:
        raise IllegalTransition(f"El pedido {cmd.order_id} debe estar en alistamiento para despacharlo.")
    for reservation in stock.active_reservations(uow, cmd.order_id):
        cmd.actor.require_seller(_supply_item(uow, reservation.sku).seller_id, f"el pedido {cmd.order_id}")
        stock.consume(uow, reservation)
    shipment.status = ShipmentStatus.SHIPPED
    shipment.carrier, shipment.tracking_number = cmd.carrier, cmd.tracking_number
    shipment.shipped_at = utcnow()
    uow.add_event(
        events.OrderShipped(order_id=cmd.order_id, warehouse=shipment.warehouse, carrier=cmd.carrier,
                            tracking_number=cmd.tracking_number)
    )


def deliver_order(cmd: commands.DeliverOrder, uow: UnitOfWork) -> None:
    """The carrier confirmed delivery."""
    _require_warehouse_staff(cmd.actor)
    shipment = _shipment(uow, cmd.order_id)
    if shipment.status != ShipmentStatus.SHIPPED:
        raise IllegalTransition(f"El pedido {cmd.order_id} no ha sido despachado todavía.")
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = utcnow()
    uow.add_event(events.OrderDelivered(order_id=cmd.order_id))


# --- stock movements ----------------------------------------------------------------------------


def check_transfer(uow: UnitOfWork, cmd: commands.TransferStock) -> tuple[SupplyItem, Warehouse, Warehouse]:
    """A transfer's preconditions: the actor's SKU and two different warehouses that exist."""
    item = authorize_sku(uow, cmd.actor, cmd.sku, Scope.INVENTORY_WRITE)
    if cmd.from_warehouse == cmd.to_warehouse:
        raise InvalidInput("La bodega de origen y la de destino deben ser distintas.")
    return item, load_warehouse(uow, cmd.from_warehouse), load_warehouse(uow, cmd.to_warehouse)


def transfer_stock(cmd: commands.TransferStock, uow: UnitOfWork) -> None:
    """Move available units between warehouses (two ledger rows with one reference)."""
    check_transfer(uow, cmd)
    if uow.session.get(StockLevel, (cmd.sku, cmd.to_warehouse)) is None:
        uow.session.add(StockLevel(sku=cmd.sku, warehouse=cmd.to_warehouse, on_hand=0, reserved=0))
        uow.session.flush()
    reference = f"TRF-{next_value(uow, 'transfer'):05d}"
    stock.record_movement(uow, kind=MovementKind.TRANSFER, sku=cmd.sku, warehouse=cmd.from_warehouse,
                          on_hand_delta=-cmd.quantity, reference=reference, note=f"hacia {cmd.to_warehouse}")
    stock.record_movement(uow, kind=MovementKind.TRANSFER, sku=cmd.sku, warehouse=cmd.to_warehouse,
                          on_hand_delta=cmd.quantity, reference=reference, note=f"desde {cmd.from_warehouse}")


def adjust_stock(cmd: commands.AdjustStock, uow: UnitOfWork) -> None:
    """Correct on-hand units after a count (never below reserved units)."""
    authorize_sku(uow, cmd.actor, cmd.sku, Scope.INVENTORY_WRITE)
    if cmd.delta == 0:
        raise InvalidInput("El ajuste debe ser distinto de cero.")
    stock.record_movement(uow, kind=MovementKind.ADJUSTMENT, sku=cmd.sku, warehouse=cmd.warehouse,
                          on_hand_delta=cmd.delta, note=cmd.reason)


# --- purchase orders ----------------------------------------------------------------------------


def create_purchase_order(cmd: commands.CreatePurchaseOrder, uow: UnitOfWork) -> str:
    """Draft a purchase order to a supplier; return its id."""
    cmd.actor.require(Scope.PURCHASING_WRITE)
    supplier = uow.session.get(Supplier, cmd.supplier_id)
    missing = f"No existe el proveedor {cmd.supplier_id}."
    if supplier is None:
        raise NotFound(missing)
    cmd.actor.hide_unless_seller(supplier.seller_id, missing)
    load_warehouse(uow, cmd.warehouse)
    po = PurchaseOrder(
        id=f"PO-{next_value(uow, 'purchase_order'):04d}", supplier_id=supplier.id, seller_id=supplier.seller_id,
        warehouse=cmd.warehouse, source=cmd.source, note=cmd.note,
    )
    for line in cmd.lines:
        item = _supply_item(uow, line.sku)
        if item.supplier_id != supplier.id:
            raise InvalidInput(f"El producto {line.sku} no lo surte el proveedor {supplier.id}.")
        po.lines.append(PurchaseOrderLine(sku=line.sku, quantity=line.quantity, unit_cost_cop=item.unit_cost_cop))
    uow.session.add(po)
    for event in purchase_events.on_drafted(po):
        po.record(event)
    return po.id


# Who may move a purchase order to each state: the seller decides on drafts, the warehouse ships and receives.
PO_SCOPES: dict[PurchaseOrderStatus, Scope] = {
    PurchaseOrderStatus.APPROVED: Scope.REORDER_APPROVE,
    PurchaseOrderStatus.SENT: Scope.FULFILLMENT_WRITE,
    PurchaseOrderStatus.RECEIVED: Scope.FULFILLMENT_WRITE,
}


def _po_for_change(uow: UnitOfWork, po_id: str, actor: Principal, target: PurchaseOrderStatus,
                   scope: Scope | None = None) -> PurchaseOrder:
    actor.require(scope or PO_SCOPES.get(target, Scope.PURCHASING_WRITE))
    po = uow.session.get(PurchaseOrder, po_id, with_for_update=True)
    missing = f"No existe la orden de compra {po_id}."
    if po is None:
        raise NotFound(missing)
    actor.hide_unless_seller(po.seller_id, missing)
    if target not in PO_TRANSITIONS[PurchaseOrderStatus(po.status)]:
        raise IllegalTransition(f"La orden de compra {po_id} está en estado {po.status} y no puede pasar a {target}.")
    po.status = target
    return po


def approve_purchase_order(cmd: commands.ApprovePurchaseOrder, uow: UnitOfWork) -> None:
    """Approve a draft; the reorder is then initiated with the supplier."""
    po = _po_for_change(uow, cmd.purchase_order_id, cmd.actor, PurchaseOrderStatus.APPROVED)
    for event in purchase_events.on_approved(po):
        po.record(event)


def reject_purchase_order(cmd: commands.RejectPurchaseOrder, uow: UnitOfWork) -> None:
    """Turn down a draft: it is cancelled with the reason, and its proposals are marked rejected so the
    next cycles leave those SKUs alone for a while (reorder_proposals.covered_pairs)."""
    cmd.actor.require(Scope.REORDER_APPROVE)
    po = uow.session.get(PurchaseOrder, cmd.purchase_order_id, with_for_update=True)
    if po is not None:
        cmd.actor.hide_unless_seller(po.seller_id, f"No existe la orden de compra {cmd.purchase_order_id}.")
        reorder_proposals.ensure_rejectable(po.id, po.status)
    po = _po_for_change(uow, cmd.purchase_order_id, cmd.actor, PurchaseOrderStatus.CANCELLED,
                        Scope.REORDER_APPROVE)
    po.note = f"Rechazada: {cmd.reason}" if cmd.reason else "Rechazada por el vendedor"
    reorder_proposals.mark_rejected(uow=uow, purchase_order_id=po.id)


def send_purchase_order(cmd: commands.SendPurchaseOrder, uow: UnitOfWork) -> None:
    """Mark an approved purchase order as sent to the supplier."""
    _po_for_change(uow, cmd.purchase_order_id, cmd.actor, PurchaseOrderStatus.SENT)


def receive_purchase_order(cmd: commands.ReceivePurchaseOrder, uow: UnitOfWork) -> None:
    """Goods arrived: every line becomes a receipt in the ledger."""
    po = _po_for_change(uow, cmd.purchase_order_id, cmd.actor, PurchaseOrderStatus.RECEIVED)
    for line in po.lines:
        if uow.session.get(StockLevel, (line.sku, po.warehouse)) is None:
            uow.session.add(StockLevel(sku=line.sku, warehouse=po.warehouse, on_hand=0, reserved=0))
            uow.session.flush()
        stock.record_movement(uow, kind=MovementKind.RECEIPT, sku=line.sku, warehouse=po.warehouse,
                              on_hand_delta=line.quantity, reference=po.id)


def cancel_purchase_order(cmd: commands.CancelPurchaseOrder, uow: UnitOfWork) -> None:
    """Cancel a purchase order that has not been received."""
    po = _po_for_change(uow, cmd.purchase_order_id, cmd.actor, PurchaseOrderStatus.CANCELLED)
    po.note = cmd.reason


