"""Marketplace data: sellers, buyers, catalog, carts, orders and payments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.marketplace.order_state import STATUS_ES, OrderStatus, can_transition
from commerce.marketplace.payments import FINAL_STATUSES, PAYMENT_TRANSITIONS, PaymentStatus
from commerce.marketplace.payments import STATUS_ES as PAYMENT_STATUS_ES
from commerce.shared import events
from commerce.shared.clock import utcnow
from commerce.shared.errors import IllegalTransition
from commerce.shared.field_crypto import EMAIL_LENGTH, EncryptedJSON, EncryptedString, blind_index
from commerce.shared.orm import Aggregate, Base


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    nit: Mapped[str] = mapped_column(String(20), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    # Encrypted at rest (migration 0017); never looked up by, only shown (decrypted on read).
    contact_email: Mapped[str] = mapped_column(EncryptedString("sellers.contact_email", EMAIL_LENGTH))


class Buyer(Base):
    """A buyer. Personal fields are encrypted at rest; uniqueness and lookups use blind indexes."""

    __tablename__ = "buyers"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(EncryptedString("buyers.name"))
    cedula: Mapped[str] = mapped_column(EncryptedString("buyers.cedula"))
    phone: Mapped[str] = mapped_column(EncryptedString("buyers.phone"))
    email: Mapped[str] = mapped_column(EncryptedString("buyers.email"))
    address: Mapped[str] = mapped_column(EncryptedString("buyers.address"))
    city: Mapped[str] = mapped_column(String(80))
    cedula_index: Mapped[str | None] = mapped_column(String(64), index=True, unique=True, default=None)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True, unique=True, default=None)


@event.listens_for(Buyer, "before_insert")
@event.listens_for(Buyer, "before_update")
def _index_buyer(_mapper: object, _connection: object, buyer: Buyer) -> None:
    buyer.cedula_index = blind_index("".join(ch for ch in buyer.cedula if ch.isalnum()).upper())
    buyer.email_index = blind_index(buyer.email.strip().lower())


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_cop > 0", name="price_positive"),)

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    price_cop: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CartStatus(StrEnum):
    OPEN = "open"


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=CartStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list[CartLine]] = relationship(cascade="all, delete-orphan", order_by="CartLine.sku")


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class Order(Aggregate, Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    warehouse: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.CREATED, index=True)
    total_cop: Mapped[int] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(60), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    payment_due_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.sku", lazy="selectin"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.created_at", lazy="selectin"
    )

    @property
    def status_enum(self) -> OrderStatus:
        return OrderStatus(self.status)

    def transition(self, target: OrderStatus) -> None:
        """Move to `target` or raise IllegalTransition with a Spanish explanation."""
        current = self.status_enum
        if not can_transition(current, target):
            raise IllegalTransition(
                f"El pedido {self.id} está {STATUS_ES[current]} y no puede pasar a {STATUS_ES[target]}."
            )
        self.status = target

    def payments_to_refund(self) -> list[Payment]:
        """Approved payments a cancellation gives back: only a paid order that has not shipped refunds."""
        if self.status_enum not in (OrderStatus.PAID, OrderStatus.PICKING):
            return []
        return [payment for payment in self.payments if payment.status == PaymentStatus.APPROVED]

    def line_quantities(self) -> list[events.LineQty]:
        return [events.LineQty(sku=line.sku, quantity=line.quantity) for line in self.lines]


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cop: Mapped[int] = mapped_column(Integer)
    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def subtotal_cop(self) -> int:
        return self.quantity * self.unit_price_cop


class Payment(Base):
    """A payment intent: one attempt to pay an order through one gateway (commerce/marketplace/payments.py)."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("gateway", "external_ref"),
                      UniqueConstraint("order_id", "idempotency_key"),
                      CheckConstraint("amount_cop > 0", name="amount_positive"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # a PaymentStatus
    amount_cop: Mapped[int] = mapped_column(Integer)
    external_ref: Mapped[str | None] = mapped_column(String(80), default=None)  # the gateway's transaction id
    method: Mapped[str | None] = mapped_column(String(12), default=None)  # a PaymentMethod
    next_step: Mapped[str | None] = mapped_column(String(10), default=None)  # a NextStep
    checkout_url: Mapped[str | None] = mapped_column(String(500), default=None)
    # {"action", "fields"}: a PayU form carries the buyer's email, name and phone, so it is encrypted.
    checkout_form: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("payments.checkout_form"),
                                                                 default=None)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    order: Mapped[Order] = relationship(back_populates="payments")

    @property
    def status_enum(self) -> PaymentStatus:
        return PaymentStatus(self.status)

    @property
    def transaction_id(self) -> str | None:
        return self.external_ref

    def move_to(self, target: PaymentStatus, *, reason: str | None = None) -> None:
        """Follow the intent's state machine or raise IllegalTransition."""
        if target not in PAYMENT_TRANSITIONS[self.status_enum]:
            raise IllegalTransition(f"El pago {self.id} está {PAYMENT_STATUS_ES[self.status_enum]} y no puede pasar a "
                                    f"{PAYMENT_STATUS_ES[target]}.")
        self.status = target
        if reason is not None:
            self.reason = reason[:200]
        if target in FINAL_STATUSES or target == PaymentStatus.EXPIRED:
            self.decided_at = utcnow()


class PaymentNotification(Base):
    """Every verified gateway notification, raw, for audit; (gateway, dedup_key) makes a replay a no-op."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("gateway", "dedup_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway: Mapped[str] = mapped_column(String(20))
    dedup_key: Mapped[str] = mapped_column(String(120))  # transaction id and the status it reports
    payment_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    transaction_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12))
    amount_cop: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24))  # a NotificationOutcome
    raw: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("payment_notifications.raw"))  # payer data inside
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
