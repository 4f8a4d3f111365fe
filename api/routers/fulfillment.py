"""Warehouse operations (staff): orders (start picking, ship with tracking, confirm delivery) and purchase
orders (mark sent to the supplier, receive the goods into stock)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentPrincipal, PlatformDep, WarehouseStaff
from commerce.fulfillment import commands
from commerce.fulfillment.previews import get_purchase_order
from commerce.fulfillment.schemas import PurchaseOrderRead
from commerce.identity.principal import Principal
from commerce.marketplace import views
from commerce.marketplace.schemas import OrderRead

router = APIRouter(prefix="/v1/fulfillment", tags=["fulfillment"])
OrderId = Annotated[str, Path(min_length=1, max_length=32)]
PurchaseOrderId = Annotated[str, Path(min_length=1, max_length=20)]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(default="", max_length=200)


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    carrier: str = Field(min_length=1, max_length=60, examples=["Servientrega"])
    tracking_number: str = Field(min_length=1, max_length=60, examples=["SV123456789CO"])


def _read(platform: PlatformDep, principal: Principal, order_id: str) -> OrderRead:
    with platform.read_uow() as uow:
        return views.get_order(uow=uow, principal=principal, order_id=order_id)


@router.post("/orders/{order_id}/picking", response_model=OrderRead, summary="Start picking a paid order")
def start_picking(order_id: OrderId, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.StartPicking(order_id=order_id.upper(), actor=principal))
    return _read(platform, principal, order_id)


@router.post("/orders/{order_id}/shipment", response_model=OrderRead, summary="Hand the order to the carrier")
def ship(order_id: OrderId, body: ShipmentCreate, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.ShipOrder(order_id=order_id.upper(), carrier=body.carrier,
                                           tracking_number=body.tracking_number, actor=principal))
    return _read(platform, principal, order_id)


@router.post("/orders/{order_id}/delivery", response_model=OrderRead, summary="Confirm delivery")
def deliver(order_id: OrderId, platform: PlatformDep, principal: WarehouseStaff) -> OrderRead:
    platform.bus.handle(commands.DeliverOrder(order_id=order_id.upper(), actor=principal))
    return _read(platform, principal, order_id)


def _read_po(platform: PlatformDep, principal: Principal, po_id: str) -> PurchaseOrderRead:
    with platform.read_uow() as uow:
        return get_purchase_order(uow=uow, principal=principal, purchase_order_id=po_id)


@router.get("/purchase-orders/{po_id}", response_model=PurchaseOrderRead,
            summary="One purchase order (its seller or staff)")
def purchase_order(po_id: PurchaseOrderId, platform: PlatformDep, principal: CurrentPrincipal) -> PurchaseOrderRead:
    return _read_po(platform, principal, po_id)


@router.post("/purchase-orders/{po_id}/sent", response_model=PurchaseOrderRead,
             summary="Mark an approved purchase order as sent to the supplier")
def send_purchase_order(po_id: PurchaseOrderId, platform: PlatformDep, principal: WarehouseStaff) -> PurchaseOrderRead:
    platform.bus.handle(commands.SendPurchaseOrder(purchase_order_id=po_id.upper(), actor=principal))
    return _read_po(platform, principal, po_id)


@router.post("/purchase-orders/{po_id}/receipt", response_model=PurchaseOrderRead,
             summary="Receive a sent purchase order: every line enters stock as a receipt")
def receive_purchase_order(po_id: PurchaseOrderId, platform: PlatformDep,
                           principal: WarehouseStaff) -> PurchaseOrderRead:
    platform.bus.handle(commands.ReceivePurchaseOrder(purchase_order_id=po_id.upper(), actor=principal))
    return _read_po(platform, principal, po_id)


@router.post("/purchase-orders/{po_id}/approval", response_model=PurchaseOrderRead,
             summary="Approve a purchase-order draft (its seller, or a client with reorder:approve)")
def approve_purchase_order(po_id: PurchaseOrderId, platform: PlatformDep,
                           principal: CurrentPrincipal) -> PurchaseOrderRead:
    platform.bus.handle(commands.ApprovePurchaseOrder(purchase_order_id=po_id.upper(), actor=principal))
    return _read_po(platform, principal, po_id)


@router.post("/purchase-orders/{po_id}/rejection", response_model=PurchaseOrderRead,
             summary="Reject a purchase-order draft: it is cancelled and its proposals rest a while")
def reject_purchase_order(po_id: PurchaseOrderId, body: Rejection, platform: PlatformDep,
                          principal: CurrentPrincipal) -> PurchaseOrderRead:
    platform.bus.handle(commands.RejectPurchaseOrder(purchase_order_id=po_id.upper(), reason=body.reason,
                                                     actor=principal))
    return _read_po(platform, principal, po_id)
