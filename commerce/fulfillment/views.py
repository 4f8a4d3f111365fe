"""Read-side queries of fulfillment. Each authorizes the principal before returning data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
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
from commerce.shared.cache import MISS, NoCache, ReadCache, stock_group
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


class StockSnapshot(BaseModel):
    """What the read cache keeps of a SKU: its stock in every warehouse and who may see it."""

    model_config = ConfigDict(frozen=True)

    seller_id: str
    stock: StockRead


def _stock_snapshot(uow: UnitOfWork, sku: str) -> StockSnapshot | None:
    item = uow.session.get(SupplyItem, sku)
    if item is None:
        return None
    stmt = select(StockLevel).where(StockLevel.sku == item.sku).order_by(StockLevel.warehouse)
    rows = [WarehouseStockRead(warehouse=lvl.warehouse, on_hand=lvl.on_hand, reserved=lvl.reserved,
                               available=lvl.available) for lvl in uow.session.scalars(stmt)]
    return StockSnapshot(seller_id=item.seller_id, stock=StockRead(sku=item.sku, warehouses=rows))


def read_stock(*, read: Callable[[], UnitOfWork], principal: Principal, sku: str, warehouse: str | None = None,
               cache: ReadCache | None = None) -> StockRead:
    """`get_stock` through the read cache: the database is read (in a unit of work from `read`) only on a miss."""
    principal.require(Scope.INVENTORY_READ)
    code = sku.strip().upper()

    def load() -> StockSnapshot | None:
        with read() as uow:
            return _stock_snapshot(uow, code)

    snapshot = (cache or NoCache()).get_or_load(stock_group(code), "all", StockSnapshot, load)
    return _visible_stock(principal, sku, snapshot, warehouse)


def peek_stock(*, principal: Principal, sku: str, warehouse: str | None = None, cache: ReadCache) -> Any:
    """`read_stock` when this process already holds the SKU's snapshot (no I/O at all), else `MISS`."""
    principal.require(Scope.INVENTORY_READ)
    snapshot = cache.peek(stock_group(sku), "all")
    return snapshot if snapshot is MISS else _visible_stock(principal, sku, snapshot, warehouse)


def _visible_stock(principal: Principal, sku: str, snapshot: StockSnapshot | None, warehouse: str | None
                   ) -> StockRead:
    code = sku.strip().upper()
    if snapshot is None:
        raise NotFound(f"No existe el producto {sku}.")
    principal.require_seller(snapshot.seller_id, f"el inventario de {code}")
    if not warehouse:
        return snapshot.stock
    wanted = warehouse.strip().upper()
    return StockRead(sku=code, warehouses=[w for w in snapshot.stock.warehouses if w.warehouse == wanted])


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
