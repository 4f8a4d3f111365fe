"""Buyer notifications: short Spanish messages derived from order events.

An out-of-process consumer (see infra.bus.consumers) turns each event into at most one
notification row per buyer; infra.channels.delivery sends the pending rows on the channel the
buyer last used (WhatsApp or the web chat).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from commerce.identity.principal import Principal
from commerce.marketplace.models import Order
from commerce.shared import events
from commerce.shared.clock import utcnow
from commerce.shared.money import format_cop
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork


class NotificationStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a deliverer until next_attempt_at (its lease)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


class BuyerNotification(Base):
    __tablename__ = "buyer_notifications"
    __table_args__ = (UniqueConstraint("event_id", "buyer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_name: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(16), index=True)
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Delivery bookkeeping (infra.channels.delivery): a claimed row is "sending" until
    # next_attempt_at (its lease); a failed send goes back to "pending" with a later next_attempt_at.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    channel: Mapped[str | None] = mapped_column(String(24), default=None)  # whatsapp, whatsapp-template, web
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)


NOTIFIED_EVENTS = frozenset(
    {"stock.reserved", "payment.success", "order.shipped", "order.delivered", "order.cancelled"}
)


def compose(event: events.Event, order: Order) -> str | None:
    """The Spanish text for `event` about `order`, or None when the buyer need not hear of it."""
    if isinstance(event, events.StockReserved):
        return (f"¡Recibimos tu pedido {order.id}! Apartamos tus productos por {format_cop(order.total_cop)}. "
                "Completa el pago para que lo despachemos.")
    if isinstance(event, events.PaymentSucceeded):
        return f"Confirmamos el pago de tu pedido {order.id} por {format_cop(event.amount_cop)}. ¡Gracias!"
    if isinstance(event, events.OrderShipped):
        return (f"Tu pedido {order.id} va en camino con {event.carrier}. "
                f"Número de guía: {event.tracking_number}.")
    if isinstance(event, events.OrderDelivered):
        return f"Tu pedido {order.id} fue entregado. ¡Esperamos que lo disfrutes!"
    if isinstance(event, events.OrderCancelled):
        return f"Tu pedido {order.id} fue cancelado: {event.reason}."
    return None


def notify_buyer(event: events.Event, uow: UnitOfWork) -> None:
    """Consumer: record the buyer notification for an order event (once per event and buyer)."""
    order_id = getattr(event, "order_id", None)
    order = uow.session.get(Order, order_id) if order_id else None
    if order is None:
        return
    text = compose(event, order)
    if text:
        uow.session.add(BuyerNotification(event_id=event.event_id, event_name=event.name, buyer_id=order.buyer_id,
                                          order_id=order.id, text=text))


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str
    event_name: str
    text: str
    created_at: datetime


def list_buyer_notifications(*, uow: UnitOfWork, principal: Principal, limit: int = 20) -> list[NotificationRead]:
    """The caller's own most recent order notifications (buyers only; others have none), newest first."""
    if not principal.buyer_id:
        return []
    rows = uow.session.scalars(
        select(BuyerNotification).where(BuyerNotification.buyer_id == principal.buyer_id)
        .order_by(BuyerNotification.id.desc()).limit(max(1, min(limit, 100)))
    )
    return [NotificationRead.model_validate(row) for row in rows]
