"""Commands fulfillment accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from commerce.identity.principal import SYSTEM, Principal
from commerce.shared import events
from commerce.shared.commands import Command


class PurchaseLine(Command):
    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=1_000_000)


class ReserveStock(Command):
    sku: str = Field(min_length=1, max_length=32)
    warehouse: str = Field(min_length=1, max_length=8)
    quantity: int = Field(gt=0, le=100_000)
    kind: str = "cart"
    reference: str | None = None
    actor: Principal = SYSTEM


class ReleaseReservation(Command):
    reservation_id: str
    reason: str = events.ReleaseReason.RELEASED
    actor: Principal = SYSTEM


class ReleaseExpiredReservations(Command):
    now: datetime | None = None
    limit: int = 500


class TransferStock(Command):
    sku: str = Field(min_length=1, max_length=32)
    from_warehouse: str
    to_warehouse: str
    quantity: int = Field(gt=0, le=100_000)
    actor: Principal = SYSTEM


class AdjustStock(Command):
    sku: str = Field(min_length=1, max_length=32)
    warehouse: str
    delta: int
    reason: str = Field(min_length=1, max_length=200)
    actor: Principal = SYSTEM


class StartPicking(Command):
    order_id: str
    actor: Principal = SYSTEM


class ShipOrder(Command):
    order_id: str
    carrier: str = Field(min_length=1, max_length=60)
    tracking_number: str = Field(min_length=1, max_length=60)
    actor: Principal = SYSTEM


class DeliverOrder(Command):
    order_id: str
    actor: Principal = SYSTEM


class CreatePurchaseOrder(Command):
    supplier_id: str
    warehouse: str
    lines: list[PurchaseLine] = Field(min_length=1)
    source: str = "manual"
    note: str | None = None
    actor: Principal = SYSTEM


class ApprovePurchaseOrder(Command):
    purchase_order_id: str
    actor: Principal = SYSTEM


class SendPurchaseOrder(Command):
    purchase_order_id: str
    actor: Principal = SYSTEM


class ReceivePurchaseOrder(Command):
    purchase_order_id: str
    actor: Principal = SYSTEM


class CancelPurchaseOrder(Command):
    purchase_order_id: str
    reason: str = "cancelled"
    actor: Principal = SYSTEM
