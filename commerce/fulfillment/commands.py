"""Commands fulfillment accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictInt, StrictStr

from commerce.identity.principal import SYSTEM, Principal
from commerce.shared import events
from commerce.shared.commands import Command


class PurchaseLine(Command):
    sku: StrictStr = Field(min_length=1, max_length=32)
    quantity: StrictInt = Field(gt=0, le=1_000_000)


class ReserveStock(Command):
    sku: StrictStr = Field(min_length=1, max_length=32)
    warehouse: StrictStr = Field(min_length=1, max_length=8)
    quantity: StrictInt = Field(gt=0, le=100_000)
    kind: StrictStr = "cart"
    reference: StrictStr | None = None
    actor: Principal = SYSTEM


class ReleaseReservation(Command):
    reservation_id: StrictStr
    reason: StrictStr = events.ReleaseReason.RELEASED
    actor: Principal = SYSTEM


class ReleaseExpiredReservations(Command):
    now: datetime | None = None
    limit: StrictInt = 500


class TransferStock(Command):
    sku: StrictStr = Field(min_length=1, max_length=32)
    from_warehouse: StrictStr
    to_warehouse: StrictStr
    quantity: StrictInt = Field(gt=0, le=100_000)
    actor: Principal = SYSTEM


class AdjustStock(Command):
    sku: StrictStr = Field(min_length=1, max_length=32)
    warehouse: StrictStr
    delta: StrictInt
    reason: StrictStr = Field(min_length=1, max_length=200)
    actor: Principal = SYSTEM


class StartPicking(Command):
    order_id: StrictStr
    actor: Principal = SYSTEM


class ShipOrder(Command):
    order_id: StrictStr
    carrier: StrictStr = Field(min_length=1, max_length=60)
    tracking_number: StrictStr = Field(min_length=1, max_length=60)
    actor: Principal = SYSTEM


class DeliverOrder(Command):
    order_id: StrictStr
    actor: Principal = SYSTEM


class CreatePurchaseOrder(Command):
    supplier_id: StrictStr
    warehouse: StrictStr
    lines: list[PurchaseLine] = Field(min_length=1)
    source: StrictStr = "manual"
    note: StrictStr | None = None
    actor: Principal = SYSTEM


class ApprovePurchaseOrder(Command):
    purchase_order_id: StrictStr
    actor: Principal = SYSTEM


class RejectPurchaseOrder(Command):
    """The seller turns down a purchase-order draft (a reorder proposal)."""

    purchase_order_id: StrictStr
    reason: StrictStr = Field(default="", max_length=200)
    actor: Principal = SYSTEM


class SendPurchaseOrder(Command):
    purchase_order_id: StrictStr
    actor: Principal = SYSTEM


class ReceivePurchaseOrder(Command):
    purchase_order_id: StrictStr
    actor: Principal = SYSTEM


class CancelPurchaseOrder(Command):
    purchase_order_id: StrictStr
    reason: StrictStr = "cancelled"
    actor: Principal = SYSTEM
