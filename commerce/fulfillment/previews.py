"""Read-only previews of fulfillment writes: authorize and validate exactly as the handler will,
without writing, so a chat agent can ask for confirmation only when the write can happen.

The handlers check everything again when the command runs; a preview is advice, not a lock.
"""

from __future__ import annotations

from pydantic import BaseModel

from commerce.fulfillment import commands, handlers
from commerce.fulfillment.handlers import load_warehouse
from commerce.fulfillment.models import PO_TRANSITIONS, PurchaseOrder, PurchaseOrderStatus, StockLevel, Warehouse
from commerce.fulfillment.schemas import PurchaseOrderRead
from commerce.identity.principal import Principal, Scope
from commerce.shared import events
from commerce.shared.errors import IllegalTransition, NotFound, OutOfStock
from commerce.shared.unit_of_work import UnitOfWork


class WarehouseRef(BaseModel):
    code: str
    name: str
    city: str


class TransferPreview(BaseModel):
    sku: str
    quantity: int
    source: WarehouseRef
    destination: WarehouseRef
    available_at_source: int


class PurchaseOrderApprovalPreview(BaseModel):
    purchase_order: PurchaseOrderRead
    total_cost_cop: int


def _ref(warehouse: Warehouse) -> WarehouseRef:
    return WarehouseRef(code=warehouse.code, name=warehouse.name, city=warehouse.city)


def _warehouse_ref(uow: UnitOfWork, code: str) -> WarehouseRef:
    return _ref(load_warehouse(uow, code))


def preview_transfer(*, uow: UnitOfWork, cmd: commands.TransferStock) -> TransferPreview:
    """What `TransferStock` would do, or the error it would raise (authorization first)."""
    item, source, destination = handlers.check_transfer(uow, cmd)
    level = uow.session.get(StockLevel, (item.sku, source.code))
    available = level.available if level is not None else 0
    if available < cmd.quantity:
        raise OutOfStock(f"No hay unidades suficientes de {item.sku} en {source.code}: disponibles {available}.")
    return TransferPreview(sku=item.sku, quantity=cmd.quantity, source=_ref(source), destination=_ref(destination),
                           available_at_source=available)


def get_purchase_order(*, uow: UnitOfWork, principal: Principal, purchase_order_id: str) -> PurchaseOrderRead:
    """One purchase order, if the principal is its seller or staff."""
    principal.require(Scope.PURCHASING_READ)
    po = uow.session.get(PurchaseOrder, purchase_order_id.strip().upper())
    missing = f"No existe la orden de compra {purchase_order_id.strip().upper()}."
    if po is None:
        raise NotFound(missing)
    principal.hide_unless_seller(po.seller_id, missing)
    return PurchaseOrderRead.model_validate(po)


def preview_purchase_order_approval(
    *, uow: UnitOfWork, principal: Principal, purchase_order_id: str
) -> PurchaseOrderApprovalPreview:
    """What `ApprovePurchaseOrder` would approve, or the error it would raise."""
    principal.require(Scope.REORDER_APPROVE)
    po = get_purchase_order(uow=uow, principal=principal, purchase_order_id=purchase_order_id)
    if PurchaseOrderStatus.APPROVED not in PO_TRANSITIONS[PurchaseOrderStatus(po.status)]:
        raise IllegalTransition(f"La orden de compra {po.id} está en estado {po.status} y no se puede aprobar.")
    total = sum(line.quantity * line.unit_cost_cop for line in po.lines)
    return PurchaseOrderApprovalPreview(purchase_order=po, total_cost_cop=total)


def serving_warehouse(
    *, uow: UnitOfWork, principal: Principal, lines: list[events.LineQty], warehouse: str | None = None,
    ship_to_city: str | None = None,
) -> WarehouseRef:
    """The warehouse that would reserve a new order (the one `reserve_for_order` picks), or OutOfStock.

    Only says whether stock suffices, never how many units there are, so buyers may ask."""
    principal.require(Scope.ORDERS_WRITE)
    if warehouse:
        ref = _warehouse_ref(uow, warehouse)
        for line in lines:
            level = uow.session.get(StockLevel, (line.sku, ref.code))
            if level is None or level.available < line.quantity:
                raise OutOfStock(f"La bodega {ref.code} no tiene disponible {line.quantity} × {line.sku}.")
        return ref
    return _warehouse_ref(uow, handlers.serving_warehouse(uow, lines, ship_to_city))


def get_warehouse(*, uow: UnitOfWork, code: str) -> WarehouseRef:
    """A warehouse by code (public information), or NotFound."""
    return _warehouse_ref(uow, code.strip().upper())
