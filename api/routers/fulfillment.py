"""Warehouse operations on orders: start picking, ship with tracking, confirm delivery (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PlatformDep, WarehouseStaff
from commerce.fulfillment import commands
from commerce.identity.principal import Principal
from commerce.marketplace import views
from commerce.marketplace.schemas import OrderRead

router = APIRouter(prefix="/v1/fulfillment/orders", tags=["fulfillment"])
OrderId = Annotated[str, Path(min_length=1, max_length=32)]


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    carrier: str = Field(min_length=1, max_length=60, examples=["Servientrega"])
    tracking_number: str = Field(min_length=1, max_length=60, examples=["SV123456789CO"])


def _read(platform: PlatformDep, principal: Principal, order_id: str) -> OrderRead:
    with platform.read_uow() as uow:
        return views.get_order(uow=uow, principal=principal, order_id=order_id)


@router.post("/{order_id}/picking", response_model=OrderRead, summary="Start picking a paid order")
def start_picking(order_id: OrderId, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.StartPicking(order_id=order_id.upper(), actor=principal))
    return _read(platform, principal, order_id)


@router.post("/{order_id}/shipment", response_model=OrderRead, summary="Hand the order to the carrier")
def ship(order_id: OrderId, body: ShipmentCreate, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.ShipOrder(order_id=order_id.upper(), carrier=body.carrier,
                                           tracking_number=body.tracking_number, actor=principal))
    return _read(platform, principal, order_id)


@router.post("/{order_id}/delivery", response_model=OrderRead, summary="Confirm delivery")
def deliver(order_id: OrderId, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.DeliverOrder(order_id=order_id.upper(), actor=principal))
    return _read(platform, principal, order_id)
