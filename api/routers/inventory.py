"""Inventory reads."""

from __future__ import annotations

from fastapi import APIRouter, Path

from api.deps import CurrentPrincipal, PlatformDep, ReadUowDep, cached_or_in_thread
from commerce.fulfillment import views
from commerce.fulfillment.schemas import LowStockRead, StockRead

router = APIRouter(prefix="/v1/inventory", tags=["inventario"])


@router.get("/low-stock", response_model=list[LowStockRead], summary="SKUs at or below their reorder point")
def low_stock(uow: ReadUowDep, principal: CurrentPrincipal, warehouse: str | None = None) -> list[LowStockRead]:
    return views.list_low_stock(uow=uow, principal=principal, warehouse=warehouse)


@router.get("/{sku}", response_model=StockRead, summary="On-hand, reserved and available units per warehouse")
async def get_inventory(
    platform: PlatformDep, principal: CurrentPrincipal, sku: str = Path(min_length=1, max_length=32),
    warehouse: str | None = None,
) -> StockRead:
    # From the read cache; the database only on a miss (docs/performance.md).
    return await cached_or_in_thread(
        lambda: views.peek_stock(principal=principal, sku=sku, warehouse=warehouse, cache=platform.cache),
        lambda: views.read_stock(read=platform.read_uow, principal=principal, sku=sku, warehouse=warehouse,
                                 cache=platform.cache))
