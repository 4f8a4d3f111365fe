"""Shipment tracking of an order: marketplace decides who may see the order, fulfillment knows
where the parcel is. This module sees both bounded contexts (like commerce.registry)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from commerce.fulfillment.models import Shipment
from commerce.identity.principal import Principal, Scope
from commerce.marketplace.handlers import authorize_order, load_order
from commerce.shared.unit_of_work import UnitOfWork


class TrackingRead(BaseModel):
    order_id: str
    order_status: str
    shipment_status: str | None  # None: not paid yet, nothing for the warehouse to do
    warehouse: str | None
    carrier: str | None
    tracking_number: str | None
    queued_at: datetime | None
    picking_started_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None


def track_shipment(*, uow: UnitOfWork, principal: Principal, order_id: str) -> TrackingRead:
    """Shipment status, carrier and tracking number of an order the principal may see."""
    principal.require(Scope.ORDERS_READ)
    order = load_order(uow, order_id)
    authorize_order(principal, order)
    shipment = uow.session.get(Shipment, order.id)
    if shipment is None:
        return TrackingRead(order_id=order.id, order_status=order.status, shipment_status=None,
                            warehouse=order.warehouse, carrier=order.carrier, tracking_number=order.tracking_number,
                            queued_at=None, picking_started_at=None, shipped_at=None, delivered_at=None)
    return TrackingRead(
        order_id=order.id, order_status=order.status, shipment_status=shipment.status, warehouse=shipment.warehouse,
        carrier=shipment.carrier or order.carrier, tracking_number=shipment.tracking_number or order.tracking_number,
        queued_at=shipment.queued_at, picking_started_at=shipment.picking_started_at,
        shipped_at=shipment.shipped_at, delivered_at=shipment.delivered_at,
    )
