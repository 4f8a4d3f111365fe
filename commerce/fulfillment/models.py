"""Fulfillment data: warehouses, stock, reservations, the movement ledger, suppliers, purchase orders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.shared.clock import utcnow
from commerce.shared.orm import Aggregate, Base


class Warehouse(Base):
    __tablename__ = "warehouses"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80))
    department: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    lead_time_days: Mapped[int] = mapped_column(Integer)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)


class SupplyItem(Base):
    """Fulfillment's view of a SKU: who owns it and how it is replenished."""

    __tablename__ = "supply_items"

    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    moq: Mapped[int] = mapped_column(Integer)
    unit_cost_cop: Mapped[int] = mapped_column(Integer)


class StockLevel(Base):
    """Units of one SKU in one warehouse. The CHECKs make overselling impossible at the database."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    sku: Mapped[str] = mapped_column(ForeignKey("supply_items.sku"), primary_key=True)
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    avg_daily_units_90d: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class ReservationKind(StrEnum):
    CART = "cart"  # a cart hold: 15 minutes
    ORDER = "order"  # an order awaiting payment: 24 hours, then no expiry once paid
    HOLD = "hold"  # a manual allocation by staff (B2B, quality check): no expiry


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        Index("ix_reservations_status_expires", "status", "expires_at"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(32))
    warehouse: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ReservationStatus.ACTIVE)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    close_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    RETURN = "return"
    RESERVATION = "reservation"
    RELEASE = "release"


class Movement(Base):
    """Append-only ledger row. Summing the deltas per SKU and warehouse gives the stock level."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_sku_wh_time", "sku", "warehouse", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(12))
    sku: Mapped[str] = mapped_column(String(32))
    warehouse: Mapped[str] = mapped_column(String(8))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str | None] = mapped_column(String(64), default=None)
    unit_price_cop: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str | None] = mapped_column(String(200), default=None)


class ShipmentStatus(StrEnum):
    QUEUED = "queued"  # paid, waiting for the warehouse to start picking
    PICKING = "picking"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"


class Shipment(Aggregate, Base):
    """Fulfillment's side of a paid order: queued, picking, shipped with a tracking number, delivered."""

    __tablename__ = "shipments"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    status: Mapped[str] = mapped_column(String(10), default=ShipmentStatus.QUEUED)
    carrier: Mapped[str | None] = mapped_column(String(60), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    picking_started_at: Mapped[datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    RECEIVED = "received"
    CANCELLED = "cancelled"


PO_TRANSITIONS: dict[str, frozenset[str]] = {
    PurchaseOrderStatus.DRAFT: frozenset({PurchaseOrderStatus.APPROVED, PurchaseOrderStatus.CANCELLED}),
    PurchaseOrderStatus.APPROVED: frozenset({PurchaseOrderStatus.SENT, PurchaseOrderStatus.CANCELLED}),
    PurchaseOrderStatus.SENT: frozenset({PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED}),
    PurchaseOrderStatus.RECEIVED: frozenset(),
    PurchaseOrderStatus.CANCELLED: frozenset(),
}


class PurchaseOrder(Aggregate, Base):
    __tablename__ = "purchase_orders"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    status: Mapped[str] = mapped_column(String(10), default=PurchaseOrderStatus.DRAFT, index=True)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.sku"
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    purchase_order_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("supply_items.sku"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_cop: Mapped[int] = mapped_column(Integer)
    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
