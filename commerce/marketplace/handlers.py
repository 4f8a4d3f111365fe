"""Marketplace handlers: placing and cancelling orders, following fulfillment's events (paying: payment_intents)."""

from __future__ import annotations

from sqlalchemy import select

from commerce.identity.principal import Principal, Scope, hidden
from commerce.marketplace import commands
from commerce.marketplace.models import Order, OrderLine, Product, Seller
from commerce.marketplace.order_request import check_order_request
from commerce.marketplace.order_state import OrderStatus
from commerce.marketplace.payments import Gateways, PaymentStatus
from commerce.shared import events, idempotency
from commerce.shared.errors import Conflict, NotAuthorized, NotFound
from commerce.shared.nit import normalize_nit
from commerce.shared.sequences import next_value
from commerce.shared.unit_of_work import UnitOfWork

FIRST_ORDER_NUMBER = 1001


def load_order(uow: UnitOfWork, order_id: str, *, lock: bool = False) -> Order:
    """The order with `order_id` (case-insensitive), or NotFound."""
    order = uow.session.get(Order, order_id.strip().upper(), with_for_update=lock or None)
    if order is None:
        raise order_not_found(order_id)
    return order


def order_not_found(order_id: str) -> NotFound:
    """The one answer for a missing order and for someone else's: order ids are sequential, not a way to count."""
    return hidden(f"No encontramos el pedido {order_id.strip().upper()}.")


def may_see_order(principal: Principal, order: Order) -> bool:
    """Buyers see their own orders, sellers the orders with their products, staff (and platform services) all."""
    if principal.cross_tenant or (principal.buyer_id and principal.buyer_id == order.buyer_id):
        return True
    return bool(principal.seller_id and any(line.seller_id == principal.seller_id for line in order.lines))


def authorize_order(principal: Principal, order: Order) -> None:
    """NotFound, as for a missing id, unless the principal may see the order."""
    if not may_see_order(principal, order):
        raise order_not_found(order.id)


def order_for_buyer_action(uow: UnitOfWork, actor: Principal, order_id: str, *, lock: bool = False) -> Order:
    """The order `actor` may pay or cancel. The scope is checked before the look-up, so a caller without
    orders:write learns nothing about which orders exist."""
    actor.require(Scope.ORDERS_WRITE)
    order = load_order(uow, order_id, lock=lock)
    authorize_buyer_action(actor, order)
    return order


def authorize_buyer_action(actor: Principal, order: Order) -> None:
    """Only the order's buyer (or staff) with the orders:write scope may pay or cancel it; whoever may not
    even see it is told it does not exist."""
    actor.require(Scope.ORDERS_WRITE)
    authorize_order(actor, order)
    if not actor.cross_tenant and actor.buyer_id != order.buyer_id:
        raise NotAuthorized(f"No tienes permiso para modificar el pedido {order.id}.")


def place_order(cmd: commands.PlaceOrder, uow: UnitOfWork) -> str:
    """Flow 1: validate the lines and create the order; fulfillment reserves in the same transaction."""
    request = check_order_request(uow, cmd.actor, cmd)
    buyer, products, quantities = request.buyer, request.products, request.quantities
    order = Order(id=f"ORD-{next_value(uow, 'order', start=FIRST_ORDER_NUMBER)}", buyer_id=buyer.id, total_cop=0,
                  status=OrderStatus.CREATED,  # set now: the reservation moves it on before the row is written
                  payments=[])  # loaded (empty): a read-back after the commit needs no query for it
    for sku, quantity in sorted(quantities.items()):
        product = products[sku]
        order.lines.append(OrderLine(sku=sku, seller_id=product.seller_id, name=product.name, quantity=quantity,
                                     unit_price_cop=product.price_cop))
    order.total_cop = sum(line.subtotal_cop for line in order.lines)
    uow.session.add(order)
    order.record(
        events.OrderCreated(order_id=order.id, buyer_id=buyer.id, warehouse=cmd.warehouse, ship_to_city=buyer.city,
                            lines=order.line_quantities(), total_cop=order.total_cop)
    )
    if cmd.idempotency is not None:
        scope, key = cmd.idempotency
        idempotency.mark_order_placed(uow, scope=scope, key=key, order_id=order.id)
    return order.id


def mark_stock_reserved(event: events.StockReserved, uow: UnitOfWork) -> None:
    """Reserved stock makes the order payable until the reservation expires. A new order is still pending in
    this transaction (not written yet): it is then written once, already payable."""
    order = uow.pending(Order, event.order_id) or load_order(uow, event.order_id)
    order.warehouse = event.warehouse
    order.transition(OrderStatus.STOCK_RESERVED)
    order.transition(OrderStatus.PENDING_PAYMENT)
    order.payment_due_at = event.expires_at


def cancel_order(cmd: commands.CancelOrder, uow: UnitOfWork, gateways: Gateways) -> str:
    """Cancel before payment, or refund a paid order that has not shipped; return the new status."""
    order = order_for_buyer_action(uow, cmd.actor, cmd.order_id, lock=True)
    _cancel(order, cmd.reason, gateways)
    return order.status


def _cancel(order: Order, reason: str, gateways: Gateways | None) -> None:
    refunds = order.payments_to_refund()
    if refunds:
        order.transition(OrderStatus.REFUNDED)
        for payment in refunds:
            if gateways is not None and payment.external_ref:
                gateways.for_refund(payment.gateway).refund(transaction_id=payment.external_ref,
                                                            amount_cop=payment.amount_cop,
                                                            idempotency_key=f"refund:{payment.id}")
            payment.move_to(PaymentStatus.REFUNDED, reason=reason)
    else:
        order.transition(OrderStatus.CANCELLED)
        for payment in order.payments:
            if payment.status_enum in (PaymentStatus.CREATED, PaymentStatus.PENDING):
                payment.move_to(PaymentStatus.EXPIRED, reason=f"el pedido {order.id} fue cancelado")
    order.cancel_reason = reason
    order.payment_due_at = None
    order.record(events.OrderCancelled(order_id=order.id, buyer_id=order.buyer_id, reason=reason))


def cancel_expired_order(event: events.StockReleased, uow: UnitOfWork) -> None:
    """An unpaid order whose reservation expired is cancelled (its other lines are released too)."""
    if event.order_id is None or event.reason != events.ReleaseReason.EXPIRED:
        return
    order = load_order(uow, event.order_id, lock=True)
    if order.status_enum in (OrderStatus.CREATED, OrderStatus.STOCK_RESERVED, OrderStatus.PENDING_PAYMENT):
        _cancel(order, "pago no recibido a tiempo", None)


def mark_picking(event: events.FulfillmentStarted, uow: UnitOfWork) -> None:
    load_order(uow, event.order_id).transition(OrderStatus.PICKING)


def mark_shipped(event: events.OrderShipped, uow: UnitOfWork) -> None:
    order = load_order(uow, event.order_id)
    order.transition(OrderStatus.SHIPPED)
    order.carrier, order.tracking_number = event.carrier, event.tracking_number


def mark_delivered(event: events.OrderDelivered, uow: UnitOfWork) -> None:
    order = load_order(uow, event.order_id)
    order.transition(OrderStatus.DELIVERED)
    order.record(events.PurchaseCompleted(order_id=order.id, buyer_id=order.buyer_id, total_cop=order.total_cop))


def product_to_price(uow: UnitOfWork, actor: Principal, sku: str, *, lock: bool = False) -> Product:
    """The product whose price `actor` may change (its seller, or staff), or NotFound/NotAuthorized."""
    actor.require(Scope.CATALOG_WRITE)
    product = uow.session.get(Product, sku.strip().upper(), with_for_update=lock or None)
    if product is None:
        raise NotFound(f"No existe el producto {sku}.")
    actor.require_seller(product.seller_id, f"el producto {product.sku}")
    return product


def update_price(cmd: commands.UpdatePrice, uow: UnitOfWork) -> int:
    """Change a product's price (its seller or staff); return the previous price."""
    product = product_to_price(uow, cmd.actor, cmd.sku, lock=True)
    previous, product.price_cop = product.price_cop, cmd.price_cop
    uow.add_event(events.ProductUpdated(sku=product.sku, seller_id=product.seller_id, fields=["price_cop"]))
    return previous


def register_seller(cmd: commands.RegisterSeller, uow: UnitOfWork) -> str:
    """Register a seller after validating the NIT's DIAN check digit."""
    if not cmd.actor.holds(Scope.SELLERS_ADMIN):
        raise NotAuthorized("Solo el equipo de MeStocker puede registrar vendedores.")
    nit = normalize_nit(cmd.nit)
    if uow.session.scalar(select(Seller.id).where(Seller.nit == nit)) is not None:
        raise Conflict(f"Ya existe un vendedor con el NIT {nit}.")
    if uow.session.get(Seller, cmd.id) is not None:
        raise Conflict(f"Ya existe un vendedor con el código {cmd.id}.")
    uow.session.add(Seller(id=cmd.id, legal_name=cmd.legal_name, nit=nit, city=cmd.city,
                           contact_email=cmd.contact_email))
    return cmd.id
