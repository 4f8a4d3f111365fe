"""Read-only previews of marketplace writes: authorize and validate as the handler will, without
writing, so a chat agent asks for confirmation only when the write can happen.

The handlers check everything again when the command runs; a preview is advice, not a lock.
"""

from __future__ import annotations

from pydantic import BaseModel

from commerce.identity.principal import Principal, Scope
from commerce.marketplace import commands
from commerce.marketplace.handlers import order_for_buyer_action, product_to_price
from commerce.marketplace.models import Product
from commerce.marketplace.order_request import check_order_request
from commerce.marketplace.order_state import STATUS_ES, OrderStatus, can_transition
from commerce.marketplace.schemas import OrderLineRead, ProductRead
from commerce.shared.errors import IllegalTransition, NotFound
from commerce.shared.unit_of_work import UnitOfWork


class PlaceOrderPreview(BaseModel):
    buyer_id: str
    ship_to_city: str
    lines: list[OrderLineRead]
    total_cop: int


class CancelOrderPreview(BaseModel):
    order_id: str
    status: str
    total_cop: int
    refund: bool  # True when the order was paid: cancelling it gives the money back


class PriceUpdatePreview(BaseModel):
    sku: str
    name: str
    current_price_cop: int
    new_price_cop: int


def get_product(*, uow: UnitOfWork, principal: Principal, sku: str) -> ProductRead:
    """One product of the public catalog (active or not), by SKU."""
    principal.require(Scope.CATALOG_READ)
    product = uow.session.get(Product, sku.strip().upper())
    if product is None:
        raise NotFound(f"No existe el producto {sku}.")
    return ProductRead.model_validate(product)


def preview_place_order(*, uow: UnitOfWork, principal: Principal, cmd: commands.PlaceOrder) -> PlaceOrderPreview:
    """The lines, prices and total `PlaceOrder` would create, or the error it would raise."""
    request = check_order_request(uow, principal, cmd)
    buyer = request.buyer
    lines = []
    for sku, quantity in sorted(request.quantities.items()):
        product = request.products[sku]
        lines.append(OrderLineRead(sku=sku, name=product.name, quantity=quantity, unit_price_cop=product.price_cop,
                                   subtotal_cop=quantity * product.price_cop, seller_id=product.seller_id))
    return PlaceOrderPreview(buyer_id=buyer.id, ship_to_city=buyer.city, lines=lines,
                             total_cop=sum(line.subtotal_cop for line in lines))


def preview_cancel_order(*, uow: UnitOfWork, principal: Principal, order_id: str) -> CancelOrderPreview:
    """Whether `CancelOrder` would cancel or refund the order, or the error it would raise."""
    order = order_for_buyer_action(uow, principal, order_id)
    refund = bool(order.payments_to_refund())
    if not refund and not can_transition(order.status_enum, OrderStatus.CANCELLED):
        raise IllegalTransition(f"El pedido {order.id} está {STATUS_ES[order.status_enum]} y ya no se puede cancelar.")
    return CancelOrderPreview(order_id=order.id, status=order.status, total_cop=order.total_cop, refund=refund)


def preview_price_update(*, uow: UnitOfWork, cmd: commands.UpdatePrice) -> PriceUpdatePreview:
    """The price change `UpdatePrice` would make, or the error it would raise (the command checked the price)."""
    product = product_to_price(uow, cmd.actor, cmd.sku)
    return PriceUpdatePreview(sku=product.sku, name=product.name, current_price_cop=product.price_cop,
                              new_price_cop=cmd.price_cop)
