"""What a reorder cycle leaves behind: the cycle itself and one proposal row per SKU and warehouse.

A purchase proposal points at its purchase-order draft (one draft per supplier and warehouse may
hold several proposals); a transfer proposal stands alone until someone approves it. Each row keeps
the numbers and the Spanish explanation, so "¿por qué me propones 96 unidades?" can be answered
later from the row, not recomputed from a ledger that has moved on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from commerce.fulfillment.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockLevel,
    SupplyItem,
)
from commerce.identity.principal import Principal, Scope
from commerce.shared.clock import utcnow
from commerce.shared.errors import IllegalTransition, NotFound
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

OPEN_PO_STATUSES = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.APPROVED, PurchaseOrderStatus.SENT)
# A rejected proposal's SKU×warehouse rests this long: the hourly schedule must not propose it again at once.
REJECTION_REST = timedelta(days=7)


class ProposalKind(StrEnum):
    PURCHASE = "purchase"
    TRANSFER = "transfer"


class TransferProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReorderCycle(Base):
    """One run of the reorder agent; its id makes a repeated run a no-op."""

    __tablename__ = "reorder_cycles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seller_id: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    as_of: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReorderProposal(Base):
    __tablename__ = "reorder_proposals"
    __table_args__ = (
        UniqueConstraint("cycle_id", "sku", "warehouse", "kind"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle_id: Mapped[str] = mapped_column(ForeignKey("reorder_cycles.id"), index=True)
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    sku: Mapped[str] = mapped_column(ForeignKey("supply_items.sku"))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    from_warehouse: Mapped[str | None] = mapped_column(String(8), default=None)
    purchase_order_id: Mapped[str | None] = mapped_column(ForeignKey("purchase_orders.id"), default=None, index=True)
    status: Mapped[str] = mapped_column(String(10), default=TransferProposalStatus.PROPOSED)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_cop: Mapped[int] = mapped_column(Integer)
    cost_cop: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    daily_demand: Mapped[float] = mapped_column(Float)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    safety_stock: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)
    stockout_on: Mapped[date | None] = mapped_column(default=None)
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProposalRead(BaseModel):
    """A proposal as the API, the CLI and (later) the chat show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    cycle_id: str
    seller_id: str
    kind: ProposalKind
    sku: str
    warehouse: str
    from_warehouse: str | None
    purchase_order_id: str | None
    status: str
    quantity: int
    unit_cost_cop: int
    cost_cop: int
    method: str
    daily_demand: float
    lead_time_days: int
    safety_stock: int
    reorder_point: int
    available: int
    stockout_on: date | None
    explanation: str
    created_at: datetime


def covered_pairs(*, uow: UnitOfWork, skus: list[str], as_of: datetime | None = None) -> set[tuple[str, str]]:
    """(sku, warehouse) pairs already on their way (an open purchase order or a pending transfer proposal)
    or turned down by the seller within REJECTION_REST."""
    on_order = uow.session.execute(
        select(PurchaseOrderLine.sku, PurchaseOrder.warehouse)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATUSES), PurchaseOrderLine.sku.in_(skus))
    )
    moving = uow.session.execute(
        select(ReorderProposal.sku, ReorderProposal.warehouse).where(
            ReorderProposal.kind == ProposalKind.TRANSFER, ReorderProposal.status == TransferProposalStatus.PROPOSED,
            ReorderProposal.sku.in_(skus))
    )
    rejected = uow.session.execute(
        select(ReorderProposal.sku, ReorderProposal.warehouse).where(
            ReorderProposal.status == TransferProposalStatus.REJECTED, ReorderProposal.sku.in_(skus),
            ReorderProposal.created_at >= (as_of or utcnow()) - REJECTION_REST)
    )
    return {(sku, wh) for sku, wh in on_order} | {(sku, wh) for sku, wh in moving} | {(s, w) for s, w in rejected}


def ensure_rejectable(purchase_order_id: str, status: str) -> None:
    """Only a draft, a proposal still awaiting the seller's decision, can be rejected."""
    if status != PurchaseOrderStatus.DRAFT:
        raise IllegalTransition(f"La orden de compra {purchase_order_id} está en estado {status}: solo se rechaza "
                                "una propuesta pendiente.")


def mark_rejected(*, uow: UnitOfWork, purchase_order_id: str) -> None:
    """The proposals behind a rejected purchase-order draft are rejected too (and rest, see covered_pairs)."""
    for proposal in uow.session.scalars(select(ReorderProposal)
                                        .where(ReorderProposal.purchase_order_id == purchase_order_id)):
        proposal.status = TransferProposalStatus.REJECTED


def list_proposals(
    *, uow: UnitOfWork, principal: Principal, open_only: bool = True, seller_id: str | None = None
) -> list[ProposalRead]:
    """Reorder proposals the principal may see, newest first; by default only those still awaiting a decision."""
    principal.require(Scope.REORDER_READ)
    stmt = (
        select(ReorderProposal, PurchaseOrder.status)
        .outerjoin(PurchaseOrder, PurchaseOrder.id == ReorderProposal.purchase_order_id)
        .order_by(ReorderProposal.created_at.desc(), ReorderProposal.id.desc())
    )
    if not principal.cross_tenant:
        stmt = stmt.where(ReorderProposal.seller_id == (principal.seller_id or ""))
    if seller_id:  # for a seller, another seller's id filters everything out
        stmt = stmt.where(ReorderProposal.seller_id == seller_id.strip().upper())
    rows = []
    for proposal, po_status in uow.session.execute(stmt):
        # A purchase proposal's state is its purchase order's: the draft is what the seller approves.
        status = po_status if proposal.kind == ProposalKind.PURCHASE and po_status else proposal.status
        if open_only and status not in (PurchaseOrderStatus.DRAFT, TransferProposalStatus.PROPOSED):
            continue
        rows.append(ProposalRead.model_validate(proposal).model_copy(update={"status": status}))
    return rows


def get_proposal(*, uow: UnitOfWork, principal: Principal, proposal_id: int) -> ProposalRead:
    """One proposal with its explanation; another seller's proposal does not exist for the caller."""
    principal.require(Scope.REORDER_READ)
    proposal = uow.session.get(ReorderProposal, proposal_id)
    if proposal is None or not principal.owns_seller(proposal.seller_id):
        raise NotFound(f"No existe la propuesta de reorden {proposal_id}.")
    po = uow.session.get(PurchaseOrder, proposal.purchase_order_id) if proposal.purchase_order_id else None
    read = ProposalRead.model_validate(proposal)
    return read.model_copy(update={"status": po.status}) if po is not None else read


def find_proposals(
    *, uow: UnitOfWork, principal: Principal, purchase_order_id: str | None = None, sku: str | None = None,
    quantity: int | None = None,
) -> list[ProposalRead]:
    """The caller's proposals matching a purchase order, a SKU and/or a quantity: open ones first, else any."""
    def matches(p: ProposalRead) -> bool:
        return ((not purchase_order_id or p.purchase_order_id == purchase_order_id.strip().upper())
                and (not sku or p.sku == sku.strip().upper()) and (quantity is None or p.quantity == quantity))

    for open_only in (True, False):
        found = [p for p in list_proposals(uow=uow, principal=principal, open_only=open_only) if matches(p)]
        if found:
            return found
    wanted = " ".join(filter(None, [purchase_order_id, sku, f"de {quantity} unidades" if quantity else None]))
    raise NotFound(f"No encontré una propuesta de reorden {wanted}.".replace("  ", " ").replace(" .", "."))


def sellers_with_stock(*, uow: UnitOfWork) -> list[str]:
    """Sellers that have stock in some warehouse: the ones a full cycle looks at."""
    stmt = (select(SupplyItem.seller_id).join(StockLevel, StockLevel.sku == SupplyItem.sku).distinct()
            .order_by(SupplyItem.seller_id))
    return list(uow.session.scalars(stmt))
