"""Validation of a `PlaceOrder` request, shared by the handler and the confirmation preview."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass

from sqlalchemy import select

from commerce.identity.principal import Principal, Scope
from commerce.marketplace import commands
from commerce.marketplace.models import Buyer, Product
from commerce.shared.errors import InvalidInput, NotAuthorized, NotFound
from commerce.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class OrderRequest:
    buyer: Buyer
    products: dict[str, Product]
    quantities: dict[str, int]  # units per SKU, repeated lines added up


def check_order_request(uow: UnitOfWork, actor: Principal, cmd: commands.PlaceOrder) -> OrderRequest:
    """Authorize the caller and resolve buyer and products, or raise the error placing would raise."""
    actor.require(Scope.ORDERS_WRITE)
    if not actor.cross_tenant and actor.buyer_id != cmd.buyer_id:
        raise NotAuthorized("Solo puedes hacer pedidos a tu nombre.")
    buyer = uow.session.get(Buyer, cmd.buyer_id)
    if buyer is None:
        raise NotFound(f"No existe el comprador {cmd.buyer_id}.")
    quantities = Tally[str]()
    for line in cmd.lines:
        quantities[line.sku] += line.quantity
    products = {p.sku: p for p in uow.session.scalars(select(Product).where(Product.sku.in_(quantities)))}
    for sku, quantity in quantities.items():
        if sku not in products or not products[sku].active:
            raise NotFound(f"No existe el producto {sku} o no está a la venta.")
        if quantity > commands.MAX_UNITS_PER_LINE:
            raise InvalidInput(f"Máximo {commands.MAX_UNITS_PER_LINE} unidades de {sku} por pedido.")
    return OrderRequest(buyer=buyer, products=products, quantities=dict(quantities))
