"""Sales reports for sellers (their SKUs) and staff (the whole platform).

A sale is a unit that left a warehouse to a customer: a `sale` row of fulfillment's ledger. That
ledger holds both shipped marketplace orders and the seeded 90-day history, so reports are
complete. The price is the one on the ledger row, else the order line's, else today's catalog
price. This module sees both bounded contexts (like commerce.registry), so neither imports the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import and_, func, select

from commerce.fulfillment.models import Movement, MovementKind, SupplyItem
from commerce.identity.principal import Principal, Scope
from commerce.marketplace.models import OrderLine, Product
from commerce.shared.clock import utcnow
from commerce.shared.errors import InvalidInput
from commerce.shared.unit_of_work import UnitOfWork

MAX_DAYS = 366
MAX_PRODUCTS = 50


class ProductSalesRead(BaseModel):
    sku: str
    name: str
    units: int
    revenue_cop: int


class SalesSummaryRead(BaseModel):
    seller_id: str | None  # None: the whole platform (staff)
    days: int
    since: datetime
    units: int
    revenue_cop: int
    products: list[ProductSalesRead]  # best sellers first (by revenue)


def _window(days: int) -> datetime:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"El periodo debe estar entre 1 y {MAX_DAYS} días.")
    return utcnow() - timedelta(days=days)


def _sales_by_product(uow: UnitOfWork, principal: Principal, since: datetime) -> list[ProductSalesRead]:
    principal.require(Scope.SALES_READ)
    units = -Movement.on_hand_delta
    price = func.coalesce(Movement.unit_price_cop, OrderLine.unit_price_cop, Product.price_cop)
    revenue = func.sum(units * price)
    stmt = (
        select(Movement.sku, Product.name, func.sum(units), revenue)
        .join(SupplyItem, SupplyItem.sku == Movement.sku)
        .join(Product, Product.sku == Movement.sku)
        .outerjoin(OrderLine, and_(OrderLine.order_id == Movement.reference, OrderLine.sku == Movement.sku))
        .where(Movement.kind == MovementKind.SALE, Movement.occurred_at >= since)
        .group_by(Movement.sku, Product.name)
        .order_by(revenue.desc(), Movement.sku)
    )
    if not principal.cross_tenant:
        stmt = stmt.where(SupplyItem.seller_id == (principal.seller_id or ""))
    return [ProductSalesRead(sku=sku, name=name, units=int(u or 0), revenue_cop=int(r or 0))
            for sku, name, u, r in uow.session.execute(stmt)]


def sales_summary(*, uow: UnitOfWork, principal: Principal, days: int = 30) -> SalesSummaryRead:
    """Units and revenue of the principal's SKUs (all SKUs for staff) over the last `days` days."""
    since = _window(days)
    products = _sales_by_product(uow, principal, since)
    return SalesSummaryRead(
        seller_id=None if principal.cross_tenant else principal.seller_id, days=days, since=since,
        units=sum(p.units for p in products), revenue_cop=sum(p.revenue_cop for p in products), products=products,
    )


def top_products(*, uow: UnitOfWork, principal: Principal, days: int = 30, limit: int = 5) -> list[ProductSalesRead]:
    """The principal's best-selling SKUs by revenue over the last `days` days."""
    if not 1 <= limit <= MAX_PRODUCTS:
        raise InvalidInput(f"El número de productos debe estar entre 1 y {MAX_PRODUCTS}.")
    return _sales_by_product(uow, principal, _window(days))[:limit]
