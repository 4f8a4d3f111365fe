"""Validation of a `PlaceOrder` request, shared by the handler and the confirmation preview."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from commerce.identity.principal import Principal, Scope
from commerce.marketplace import commands
from commerce.marketplace.models import Buyer, Product
from commerce.shared.errors import InvalidInput, NotAuthorized, NotFound
from commerce.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class BuyerRef:
    """What an order needs of its buyer (read as two columns: no personal field is loaded or decrypted)."""

    id: str
    city: str


@dataclass(frozen=True)
class ProductRef:
    """What an order line needs of a product (read as columns: no ORM object to build per order)."""

    sku: str
    seller_id: str
    name: str
    price_cop: int
    active: bool


@dataclass(frozen=True)
class OrderRequest:
    buyer: BuyerRef
    products: dict[str, ProductRef]
    quantities: dict[str, int]  # units per SKU, repeated lines added up


_BUYER = select(Buyer.id, Buyer.city).where(Buyer.id == bindparam("buyer_id"))
_PRODUCTS = (select(Product.sku, Product.seller_id, Product.name, Product.price_cop, Product.active)
             .where(Product.sku.in_(bindparam("skus", expanding=True))))


def check_order_request(uow: UnitOfWork, actor: Principal, cmd: commands.PlaceOrder) -> OrderRequest:
    """Authorize the caller and resolve buyer and products, or raise the error placing would raise."""
    actor.require(Scope.ORDERS_WRITE)
    if not actor.cross_tenant and actor.buyer_id != cmd.buyer_id:
        raise NotAuthorized("Solo puedes hacer pedidos a tu nombre.")
    # Column reads on the transaction's connection (prebuilt Core statements): nothing of an order is pending
    # yet, so the ORM's autoflush and result machinery would only cost time.
    connection = uow.session.connection()
    found = connection.execute(_BUYER, {"buyer_id": cmd.buyer_id}).one_or_none()
    if found is None:
        raise NotFound(f"No existe el comprador {cmd.buyer_id}.")
    buyer = BuyerRef(id=found.id, city=found.city)
    quantities = Tally[str]()
    for line in cmd.lines:
        quantities[line.sku] += line.quantity
    rows = connection.execute(_PRODUCTS, {"skus": list(quantities)})
    products = {row.sku: ProductRef(sku=row.sku, seller_id=row.seller_id, name=row.name, price_cop=row.price_cop,
                                    active=row.active) for row in rows}
    for sku, quantity in quantities.items():
        if sku not in products or not products[sku].active:
            raise NotFound(f"No existe el producto {sku} o no está a la venta.")
        if quantity > commands.MAX_UNITS_PER_LINE:
            raise InvalidInput(f"Máximo {commands.MAX_UNITS_PER_LINE} unidades de {sku} por pedido.")
    return OrderRequest(buyer=buyer, products=products, quantities=dict(quantities))
