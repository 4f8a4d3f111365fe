"""Read-side queries of the marketplace. Each authorizes the principal before returning data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from commerce.identity.principal import Principal, Scope
from commerce.marketplace.handlers import authorize_order, order_not_found
from commerce.marketplace.models import Order, OrderLine, Seller
from commerce.marketplace.order_state import OrderStatus
from commerce.marketplace.schemas import OrderRead, SellerRead
from commerce.shared.errors import InvalidInput, NotFound
from commerce.shared.unit_of_work import UnitOfWork

# Built once (loader options are immutable): a read-back of an order loaded in the session builds nothing.
_WITH_LINES_AND_PAYMENTS = (joinedload(Order.lines), joinedload(Order.payments))


def get_order(*, uow: UnitOfWork, principal: Principal, order_id: str) -> OrderRead:
    """One order with its lines and payments, if the principal may see it."""
    principal.require(Scope.ORDERS_READ)
    # One statement: the lines and payments joined in (their default loading is a query each).
    order = uow.session.get(Order, order_id.strip().upper(), options=_WITH_LINES_AND_PAYMENTS)
    if order is None:
        raise order_not_found(order_id)
    authorize_order(principal, order)
    return OrderRead.model_validate(order)


def list_orders(
    *, uow: UnitOfWork, principal: Principal, status: str | None = None, limit: int = 50
) -> list[OrderRead]:
    """Orders the principal may see (own, containing own products, or all for staff), newest first."""
    principal.require(Scope.ORDERS_READ)
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(max(1, min(limit, 200)))
    if status:
        if status not in set(OrderStatus):
            raise InvalidInput(f"Estado de pedido desconocido: {status}.")
        stmt = stmt.where(Order.status == status)
    if principal.cross_tenant:
        pass
    elif principal.buyer_id:
        stmt = stmt.where(Order.buyer_id == principal.buyer_id)
    elif principal.seller_id:
        mine = select(OrderLine.order_id).where(OrderLine.seller_id == principal.seller_id)
        stmt = stmt.where(Order.id.in_(mine))
    else:
        return []
    return [OrderRead.model_validate(o) for o in uow.session.scalars(stmt)]


def get_seller(*, uow: UnitOfWork, principal: Principal, seller_id: str) -> SellerRead:
    """A seller's registration data: staff, or the seller's own users."""
    principal.require_seller(seller_id, f"el vendedor {seller_id}")
    seller = uow.session.get(Seller, seller_id)
    if seller is None:
        raise NotFound(f"No existe el vendedor {seller_id}.")
    return SellerRead.model_validate(seller)
