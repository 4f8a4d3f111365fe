"""Read-side queries of fulfillment. Each authorizes the principal before returning data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commerce.fulfillment.models import Movement, PurchaseOrder, StockLevel, SupplyItem
from commerce.fulfillment.schemas import (
    LowStockRead,
    MovementRead,
    PurchaseOrderRead,
    StockRead,
    WarehouseStockRead,
)
from commerce.identity.principal import Principal, Scope
from commerce.shared.clock import utcnow
from commerce.shared.errors import NotFound
from commerce.shared.unit_of_work import UnitOfWork


def _authorized_item(uow: UnitOfWork, principal: Principal, sku: str) -> SupplyItem:
    principal.require(Scope.INVENTORY_READ)
    item = uow.session.get(SupplyItem, sku.strip().upper())
    if item is None:
        raise NotFound(f"No existe el producto {sku}.")
    principal.require_seller(item.seller_id, f"el inventario de {item.sku}")
    return item


def get_stock(*, uow: UnitOfWork, principal: Principal, sku: str, warehouse: str | None = None) -> StockRead:
    """Return on-hand, reserved and available units of a SKU per warehouse."""
    item = _authorized_item(uow, principal, sku)
    stmt = select(StockLevel).where(StockLevel.sku == item.sku).order_by(StockLevel.warehouse)
    if warehouse:
        stmt = stmt.where(StockLevel.warehouse == warehouse.strip().upper())
    rows = [
        WarehouseStockRead(warehouse=lvl.warehouse, on_hand=lvl.on_hand, reserved=lvl.reserved, available=lvl.available)
        for lvl in uow.session.scalars(stmt)
    ]
    return StockRead(sku=item.sku, warehouses=rows)


def list_low_stock(*, uow: UnitOfWork, principal: Principal, warehouse: str | None = None) -> list[LowStockRead]:
    """SKU/warehouse pairs whose available units are at or below the reorder point."""
    principal.require(Scope.INVENTORY_READ)
    stmt = (
        select(StockLevel, SupplyItem.seller_id)
        .join(SupplyItem, SupplyItem.sku == StockLevel.sku)
        .where(StockLevel.on_hand - StockLevel.reserved <= StockLevel.reorder_point)
        .order_by(StockLevel.sku, StockLevel.warehouse)
    )
    if warehouse:
        stmt = stmt.where(StockLevel.warehouse == warehouse.strip().upper())
    if not principal.cross_tenant:
        stmt = stmt.where(SupplyItem.seller_id == (principal.seller_id or ""))
    return [
        LowStockRead(sku=lvl.sku, warehouse=lvl.warehouse, available=lvl.available,
                     reorder_point=lvl.reorder_point, safety_stock=lvl.safety_stock)
        for lvl, _seller in uow.session.execute(stmt)
    ]


def get_movements(*, uow: UnitOfWork, principal: Principal, sku: str, days: int = 30) -> list[MovementRead]:
    """Ledger rows of a SKU over the last `days` days, newest first."""
    item = _authorized_item(uow, principal, sku)
    since = utcnow() - timedelta(days=max(1, min(days, 366)))
    stmt = (
        select(Movement)
        .where(Movement.sku == item.sku, Movement.occurred_at >= since)
        .order_by(Movement.occurred_at.desc(), Movement.id.desc())
    )
    return [MovementRead.model_validate(m) for m in uow.session.scalars(stmt)]


def list_purchase_orders(
    *, uow: UnitOfWork, principal: Principal, status: str | None = None
) -> list[PurchaseOrderRead]:
    """Purchase orders the principal may see, optionally filtered by status."""
    principal.require(Scope.PURCHASING_READ)
    stmt = select(PurchaseOrder).order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    if status:
        stmt = stmt.where(PurchaseOrder.status == status)
    if not principal.cross_tenant:
        stmt = stmt.where(PurchaseOrder.seller_id == (principal.seller_id or ""))
    return [PurchaseOrderRead.model_validate(po) for po in uow.session.scalars(stmt)]
