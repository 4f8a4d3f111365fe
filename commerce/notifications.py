"""Proactive notifications: short Spanish messages derived from events, for buyers and sellers.

Out-of-process consumers (see infra.bus.consumers) turn each order event into at most one
notification row per buyer, and each reorder cycle into at most one row per seller (its new
proposals); infra.channels.delivery sends the pending rows on the channel the buyer or seller
last used (WhatsApp or the web chat).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, lazyload, mapped_column

from commerce.fulfillment.models import PurchaseOrder, PurchaseOrderStatus
from commerce.fulfillment.reorder_proposals import ProposalKind, ReorderProposal, TransferProposalStatus
from commerce.identity.principal import Principal, Scope
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


class DeliveryBookkeeping:
    """Delivery columns of every notification table (infra.channels.delivery reads and writes them).

    A claimed row is "sending" until next_attempt_at (its lease); a failed send goes back to
    "pending" with a later next_attempt_at."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    channel: Mapped[str | None] = mapped_column(String(24), default=None)  # whatsapp, whatsapp-template, web
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)


class BuyerNotification(DeliveryBookkeeping, Base):
    __tablename__ = "buyer_notifications"
    __table_args__ = (UniqueConstraint("event_id", "buyer_id"),)

    event_id: Mapped[str] = mapped_column(String(64))
    event_name: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(16), index=True)
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(String(500))

    @property
    def reference(self) -> str:
        return self.order_id


class SellerNotification(DeliveryBookkeeping, Base):
    """One message per reorder cycle and seller: the proposals that cycle made for them."""

    __tablename__ = "seller_notifications"
    __table_args__ = (UniqueConstraint("cycle_id", "seller_id"),)

    event_id: Mapped[str] = mapped_column(String(64))  # the first reorder.initiated of the cycle seen
    seller_id: Mapped[str] = mapped_column(String(16), index=True)
    cycle_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(1000))  # WhatsApp takes 1,024 characters in a template parameter

    @property
    def reference(self) -> str:
        return self.cycle_id


class AccountNotification(DeliveryBookkeeping, Base):
    """A message about the account itself (a WhatsApp link code), for the account's own web chat only.

    Security notices never go to WhatsApp: the number asking to be linked is not trusted yet."""

    __tablename__ = "account_notifications"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(String(500))


NOTIFIED_EVENTS = frozenset(
    {"stock.reserved", "payment.success", "payment.failed", "payment.refunded", "order.shipped", "order.delivered",
     "order.cancelled"}
)


def compose(event: events.Event, order: Order) -> str | None:
    """The Spanish text for `event` about `order`, or None when the buyer need not hear of it."""
    if isinstance(event, events.StockReserved):
        return (f"¡Recibimos tu pedido {order.id}! Apartamos tus productos por {format_cop(order.total_cop)}. "
                "Completa el pago para que lo despachemos.")
    if isinstance(event, events.PaymentSucceeded):
        return f"Confirmamos el pago de tu pedido {order.id} por {format_cop(event.amount_cop)}. ¡Gracias!"
    if isinstance(event, events.PaymentFailed):
        return (f"El pago de tu pedido {order.id} por {format_cop(event.amount_cop)} no fue aprobado "
                f"({event.reason}). Puedes intentarlo de nuevo con otro medio de pago.")
    if isinstance(event, events.PaymentRefunded):
        return (f"Recibimos tu pago de {format_cop(event.amount_cop)} del pedido {order.id}, pero {event.reason}. "
                "Ya pedimos el reembolso a la pasarela; lo verás en tu medio de pago en los próximos días.")
    if isinstance(event, events.OrderShipped):
        return (f"Tu pedido {order.id} va en camino con {event.carrier}. "
                f"Número de guía: {event.tracking_number}.")
    if isinstance(event, events.OrderDelivered):
        return f"Tu pedido {order.id} fue entregado. ¡Esperamos que lo disfrutes!"
    if isinstance(event, events.OrderCancelled):
        return f"Tu pedido {order.id} fue cancelado: {event.reason}."
    return None


# The texts need the order's own columns only: its lines and payments (loaded eagerly by default, a query each)
# are left to load on access.
_ORDER_ONLY = (lazyload(Order.lines), lazyload(Order.payments))


def notify_buyer(event: events.Event, uow: UnitOfWork) -> None:
    """Consumer: record the buyer notification for an order event (once per event and buyer)."""
    order_id = getattr(event, "order_id", None)
    order = uow.session.get(Order, order_id, options=_ORDER_ONLY) if order_id else None
    if order is None:
        return
    text = compose(event, order)
    if text:
        uow.session.add(BuyerNotification(event_id=event.event_id, event_name=event.name, buyer_id=order.buyer_id,
                                          order_id=order.id, text=text))


SELLER_NOTIFIED_EVENTS = frozenset({"reorder.initiated"})
MAX_LISTED_PROPOSALS = 5  # a notification is a heads-up, the chat lists them all


def _proposal_line(p: ReorderProposal, po_status: str | None) -> str:
    if p.kind == ProposalKind.TRANSFER:
        return (f"trasladar {p.quantity} u de {p.sku} de {p.from_warehouse} a {p.warehouse} "
                f"(flete {format_cop(p.cost_cop)})")
    approved = " (aprobada automáticamente)" if po_status == PurchaseOrderStatus.APPROVED else ""
    return (f"comprar {p.quantity} u de {p.sku} para {p.warehouse} por {format_cop(p.cost_cop)} "
            f"({p.purchase_order_id}){approved}")


def compose_reorder(proposals: Sequence[tuple[ReorderProposal, str | None]]) -> str:
    """The Spanish heads-up for a seller about the proposals one cycle made (with their purchase-order status)."""
    listed = "; ".join(_proposal_line(p, status) for p, status in proposals[:MAX_LISTED_PROPOSALS])
    more = len(proposals) - MAX_LISTED_PROPOSALS
    extra = f"; y {more} más" if more > 0 else ""
    total = format_cop(sum(p.cost_cop for p, _ in proposals if p.kind == ProposalKind.PURCHASE))
    noun = "propuesta de reabastecimiento nueva" if len(proposals) == 1 else "propuestas de reabastecimiento nuevas"
    draft = next((p.purchase_order_id for p, status in proposals if status == PurchaseOrderStatus.DRAFT), None)
    approve = f" o «aprueba {draft}»" if draft else ""
    return (f"Tienes {len(proposals)} {noun}: {listed}{extra}. Compras por {total} en total. "
            f"Escríbeme «ver propuestas», «¿por qué me propones esto?»{approve}.")


def notify_seller(event: events.Event, uow: UnitOfWork) -> None:
    """Consumer: one notification per reorder cycle and seller, listing that cycle's proposals for them.

    A cycle announces each purchase-order draft with its own `reorder.initiated`; the first one seen
    writes the cycle's notification and the others find it written. A draft written by hand (no
    proposal rows) is the seller's own doing and needs no heads-up."""
    po_id = getattr(event, "purchase_order_id", None)
    first = uow.session.scalars(select(ReorderProposal).where(ReorderProposal.purchase_order_id == po_id)
                                .limit(1)).first() if po_id else None
    if first is None:
        return
    cycle_id, seller_id = first.cycle_id, first.seller_id
    exists = uow.session.scalar(select(SellerNotification.id).where(SellerNotification.cycle_id == cycle_id,
                                                                    SellerNotification.seller_id == seller_id))
    if exists is not None:
        return
    rows = uow.session.execute(
        select(ReorderProposal, PurchaseOrder.status)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == ReorderProposal.purchase_order_id)
        .where(ReorderProposal.cycle_id == cycle_id, ReorderProposal.seller_id == seller_id)
        .order_by(ReorderProposal.kind, ReorderProposal.sku, ReorderProposal.warehouse)
    ).all()
    proposals = [(p, status) for p, status in rows
                 if status in (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.APPROVED)
                 or (status is None and p.status == TransferProposalStatus.PROPOSED)]
    if proposals:
        uow.session.add(SellerNotification(event_id=event.event_id, seller_id=seller_id, cycle_id=cycle_id,
                                           text=compose_reorder(proposals)))


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str | None = None  # buyers' notifications are about an order
    cycle_id: str | None = None  # sellers' about a reorder cycle's proposals
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



def list_notifications(*, uow: UnitOfWork, principal: Principal, limit: int = 20) -> list[NotificationRead]:
    """The caller's recent notifications: order news for a buyer, reorder proposals for a seller; newest first."""
    principal.require(Scope.NOTIFICATIONS_READ)
    rows = list_buyer_notifications(uow=uow, principal=principal, limit=limit)
    if principal.seller_id:
        sellers = uow.session.scalars(
            select(SellerNotification).where(SellerNotification.seller_id == principal.seller_id)
            .order_by(SellerNotification.id.desc()).limit(max(1, min(limit, 100)))
        )
        rows += [NotificationRead(id=row.id, cycle_id=row.cycle_id, event_name="reorder.initiated", text=row.text,
                                  created_at=row.created_at) for row in sellers]
    return sorted(rows, key=lambda row: row.created_at, reverse=True)[:limit]
