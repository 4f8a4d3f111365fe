"""Domain events: names are a public contract, payloads are versioned pydantic models.

Every event class declares `name` (the wire name from ARCHITECTURE.md) and `version`.
`EventEnvelope` is what the outbox stores and the publishers carry.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from commerce.shared.clock import utcnow


class Event(BaseModel):
    """Base of every domain event."""

    model_config = ConfigDict(frozen=True)

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1

    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = Field(default_factory=utcnow)

    def key(self) -> str:
        """Partition key: events with the same key keep their order on Kafka/Redis."""
        return self.event_id

    def envelope(self) -> EventEnvelope:
        """Wrap this event for the outbox and the wire."""
        payload = self.model_dump(mode="json", exclude={"event_id", "occurred_at"})
        return EventEnvelope(
            id=self.event_id,
            name=self.name,
            version=self.version,
            occurred_at=self.occurred_at,
            key=self.key(),
            payload=payload,
        )


class EventEnvelope(BaseModel):
    """The transport form of an event: id, name, version, time, partition key and JSON payload."""

    id: str
    name: str
    version: int
    occurred_at: datetime
    key: str
    payload: dict[str, Any]


class LineQty(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: int


class _OrderEvent(Event):
    order_id: str

    def key(self) -> str:
        return self.order_id


class OrderCreated(_OrderEvent):
    name: ClassVar[str] = "order.created"
    buyer_id: str
    warehouse: str | None  # None: fulfillment picks a warehouse that can serve every line
    ship_to_city: str | None = None
    lines: list[LineQty]
    total_cop: int


class StockReserved(_OrderEvent):
    name: ClassVar[str] = "stock.reserved"
    warehouse: str
    lines: list[LineQty]
    expires_at: datetime | None


class ReleaseReason(StrEnum):
    """Why a reservation was released; consumers act on some (an expired order is cancelled)."""

    RELEASED = "released"  # by hand (staff, a cart emptied)
    EXPIRED = "expired"
    ORDER_CANCELLED = "order_cancelled"


class StockReleased(Event):
    name: ClassVar[str] = "stock.released"
    reservation_id: str
    order_id: str | None
    sku: str
    warehouse: str
    quantity: int
    reason: str

    def key(self) -> str:
        return self.order_id or self.reservation_id


class PaymentSucceeded(_OrderEvent):
    name: ClassVar[str] = "payment.success"
    payment_id: str
    gateway: str
    amount_cop: int


class PaymentFailed(_OrderEvent):
    name: ClassVar[str] = "payment.failed"
    payment_id: str
    gateway: str
    amount_cop: int
    reason: str


class PaymentApprovedLate(_OrderEvent):
    """A gateway approved a payment after its order was cancelled (reservation expired, or the buyer cancelled):
    fulfillment tries to reserve the lines again and answers with `stock.rechecked`."""

    name: ClassVar[str] = "payment.late_approved"
    payment_id: str
    gateway: str
    amount_cop: int
    warehouse: str | None
    ship_to_city: str | None = None
    lines: list[LineQty]


class StockRechecked(_OrderEvent):
    """Fulfillment's answer to a late approval: the lines are held again in `warehouse`, or there is no stock."""

    name: ClassVar[str] = "stock.rechecked"
    payment_id: str
    reserved: bool
    warehouse: str | None


class PaymentRefunded(_OrderEvent):
    name: ClassVar[str] = "payment.refunded"
    payment_id: str
    gateway: str
    amount_cop: int
    reason: str


class OrderPaid(_OrderEvent):
    name: ClassVar[str] = "order.paid"
    buyer_id: str
    warehouse: str
    lines: list[LineQty]


class OrderCancelled(_OrderEvent):
    name: ClassVar[str] = "order.cancelled"
    buyer_id: str
    reason: str


class FulfillmentStarted(_OrderEvent):
    name: ClassVar[str] = "fulfillment.started"
    warehouse: str


class OrderShipped(_OrderEvent):
    name: ClassVar[str] = "order.shipped"
    warehouse: str
    carrier: str
    tracking_number: str


class OrderDelivered(_OrderEvent):
    name: ClassVar[str] = "order.delivered"


class StockUpdated(Event):
    name: ClassVar[str] = "stock.updated"
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int

    def key(self) -> str:
        return f"{self.sku}@{self.warehouse}"


class ProductUpdated(Event):
    """A listing changed (price today; name, description or category when a command edits them): the
    catalog's semantic index re-reads the product."""

    name: ClassVar[str] = "product.updated"
    sku: str
    seller_id: str
    fields: list[str]

    def key(self) -> str:
        return self.sku


class MovementRecorded(Event):
    name: ClassVar[str] = "movement.recorded"
    movement_id: int
    kind: str
    sku: str
    warehouse: str
    on_hand_delta: int
    reserved_delta: int
    reference: str | None

    def key(self) -> str:
        return f"{self.sku}@{self.warehouse}"


class StockLow(Event):
    name: ClassVar[str] = "stock.low"
    sku: str
    warehouse: str
    available: int
    reorder_point: int

    def key(self) -> str:
        return f"{self.sku}@{self.warehouse}"


class StockLowPredicted(Event):
    name: ClassVar[str] = "stock.low_predicted"
    sku: str
    warehouse: str
    days_of_cover: float
    lead_time_days: int

    def key(self) -> str:
        return f"{self.sku}@{self.warehouse}"


class _PurchaseOrderEvent(Event):
    purchase_order_id: str
    supplier_id: str
    seller_id: str

    def key(self) -> str:
        return self.purchase_order_id


class PurchaseOrderCreated(_PurchaseOrderEvent):
    name: ClassVar[str] = "purchase_order.created"
    warehouse: str
    lines: list[LineQty]


class ReorderApproved(_PurchaseOrderEvent):
    name: ClassVar[str] = "reorder.approved"


class ReorderInitiated(_PurchaseOrderEvent):
    name: ClassVar[str] = "reorder.initiated"


class UserUpdated(Event):
    """A user's access changed (role, active, seller/buyer link, email, or the user was deleted): whoever
    caches the user's principal drops it."""

    name: ClassVar[str] = "user.updated"
    user_id: int
    fields: list[str]

    def key(self) -> str:
        return f"user:{self.user_id}"


class PurchaseCompleted(_OrderEvent):
    name: ClassVar[str] = "purchase.completed"
    buyer_id: str
    total_cop: int


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        OrderCreated, StockReserved, StockReleased, PaymentSucceeded, PaymentFailed, OrderPaid,
        OrderCancelled, FulfillmentStarted, OrderShipped, OrderDelivered, StockUpdated,
        ProductUpdated, MovementRecorded, StockLow, StockLowPredicted, ReorderInitiated, ReorderApproved,
        PurchaseOrderCreated, PurchaseCompleted, UserUpdated, PaymentApprovedLate, StockRechecked, PaymentRefunded,
    )
}


def event_from_envelope(envelope: EventEnvelope) -> Event:
    """Rebuild the typed event from its envelope (consumers use this)."""
    cls = EVENT_TYPES[envelope.name]
    return cls.model_validate({**envelope.payload, "event_id": envelope.id, "occurred_at": envelope.occurred_at})
