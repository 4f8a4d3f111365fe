"""Order tools: read and list orders, track shipments, cancel and create orders (confirmed)."""

from __future__ import annotations

from pydantic import BaseModel

from commerce import tracking
from commerce.fulfillment import previews as fpreviews
from commerce.fulfillment.models import ShipmentStatus
from commerce.marketplace import commands as mc
from commerce.marketplace import previews as mpreviews
from commerce.marketplace import visibility
from commerce.marketplace.order_state import STATUS_ES, OrderStatus
from commerce.marketplace.schemas import OrderRead
from commerce.shared import events
from commerce.shared.errors import InvalidInput
from commerce.shared.money import format_cop
from tools.base import Runtime, agent_tool, canonical_code
from tools.confirmation import PendingWrite
from tools.results import ToolResult, ok, when

SHIPMENT_ES: dict[str, str] = {
    ShipmentStatus.QUEUED: "pagado y en cola para alistamiento", ShipmentStatus.PICKING: "en alistamiento en bodega",
    ShipmentStatus.SHIPPED: "enviado", ShipmentStatus.DELIVERED: "entregado", ShipmentStatus.RETURNED: "devuelto",
}
_STATUS_BY_SPANISH = {label: status for status, label in STATUS_ES.items()}


class OrderLineArg(BaseModel):
    sku: str
    quantity: int


def _status_es(status: str) -> str:
    return STATUS_ES.get(OrderStatus(status), status) if status in set(OrderStatus) else status


def _describe(order: OrderRead) -> str:
    lines = ", ".join(f"{ln.quantity} × {ln.name} ({ln.sku}, {format_cop(ln.unit_price_cop)} c/u)"
                      for ln in order.lines)
    text = f"Pedido {order.id}: {_status_es(order.status)}, total {format_cop(order.total_cop)}. Productos: {lines}."
    if order.carrier and order.tracking_number:
        text += f" Enviado con {order.carrier}, guía {order.tracking_number}."
    if order.status == OrderStatus.PENDING_PAYMENT and order.payment_due_at:
        text += f" Págalo antes del {when(order.payment_due_at)}."
    return text


def _canonical_status(status: str | None) -> str | None:
    if not status:
        return None
    wanted = status.strip().lower()
    return _STATUS_BY_SPANISH.get(wanted, wanted)


@agent_tool
def get_order(order_id: str, *, runtime: Runtime) -> ToolResult:
    """One order with its status, products, total, carrier and tracking number.

    Args:
        order_id: Order id like "ORD-1001".
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        order = visibility.get_visible_order(uow=uow, principal=ctx.principal, order_id=canonical_code(order_id) or "")
    return ok(_describe(order), order)


@agent_tool
def list_orders(status: str | None = None, *, runtime: Runtime) -> ToolResult:
    """The caller's orders, newest first (a buyer's own orders, a seller's orders with their products).

    Args:
        status: Optional filter: created, stock_reserved, pending_payment, paid, picking, shipped, delivered,
            cancelled, refunded or returned.
    """
    ctx = runtime.context
    wanted = _canonical_status(status)
    with ctx.bus.read() as uow:
        orders = visibility.list_visible_orders(uow=uow, principal=ctx.principal, status=wanted)
    which = f" en estado «{_status_es(wanted)}»" if wanted else ""
    if not orders:
        return ok(f"No tienes pedidos{which}.", [])
    listed = "; ".join(f"{o.id} ({_status_es(o.status)}, {format_cop(o.total_cop)})" for o in orders[:20])
    more = f" y {len(orders) - 20} más" if len(orders) > 20 else ""
    return ok(f"Tienes {len(orders)} pedido(s){which}: {listed}{more}.", orders)


@agent_tool
def track_shipment(order_id: str, *, runtime: Runtime) -> ToolResult:
    """Where an order is: shipment status, carrier, tracking number and dates.

    Args:
        order_id: Order id like "ORD-1001".
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        info = tracking.track_shipment(uow=uow, principal=ctx.principal, order_id=canonical_code(order_id) or "")
    if info.shipment_status is None:
        text = f"El pedido {info.order_id} está {_status_es(info.order_status)}: todavía no ha salido de bodega."
    elif info.shipment_status == ShipmentStatus.SHIPPED:
        text = (f"El pedido {info.order_id} fue enviado con {info.carrier}, guía {info.tracking_number}, "
                f"el {when(info.shipped_at)}.")
    elif info.shipment_status == ShipmentStatus.DELIVERED:
        text = (f"El pedido {info.order_id} fue entregado el {when(info.delivered_at)} "
                f"({info.carrier}, guía {info.tracking_number}).")
    else:
        text = (f"El pedido {info.order_id} está {SHIPMENT_ES.get(info.shipment_status, info.shipment_status)} "
                f"en la bodega {info.warehouse}; aún no tiene guía de envío.")
    return ok(text, info)


@agent_tool
def cancel_order(order_id: str, reason: str, *, runtime: Runtime) -> ToolResult:
    """Cancel an order (refunds it if it was paid and has not shipped). Asks the user to confirm first.

    Args:
        order_id: Order id like "ORD-1002".
        reason: Why the buyer cancels, in the user's words.
    """
    ctx = runtime.context
    cmd = mc.CancelOrder(order_id=canonical_code(order_id) or "", reason=reason.strip(), actor=ctx.principal)
    args = {"order_id": cmd.order_id, "reason": cmd.reason}
    write = PendingWrite(runtime, "cancel_order", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        plan = mpreviews.preview_cancel_order(uow=uow, principal=ctx.principal, order_id=cmd.order_id)
    effect = (f"cancelar el pedido {plan.order_id} y reembolsar {format_cop(plan.total_cop)} (ya estaba pagado)"
              if plan.refund else
              f"cancelar el pedido {plan.order_id} ({_status_es(plan.status)}, total {format_cop(plan.total_cop)})")
    question = f"Voy a {effect}, con el motivo «{cmd.reason}». ¿Confirmas? (sí/no)"

    def execute() -> ToolResult:
        status = ctx.bus.handle(cmd)
        refunded = status == OrderStatus.REFUNDED
        text = (f"Listo: el pedido {cmd.order_id} quedó reembolsado; te devolvemos {format_cop(plan.total_cop)}."
                if refunded else
                f"Listo: el pedido {cmd.order_id} quedó cancelado y liberamos el inventario reservado.")
        return ok(text, {"order_id": cmd.order_id, "status": status, "refunded_cop": plan.total_cop if refunded else 0})

    return write.confirm_and_run(question, execute, f"Entendido, no cancelé el pedido {cmd.order_id}.")


@agent_tool
def create_order(lines: list[OrderLineArg], warehouse: str | None = None, *, runtime: Runtime) -> ToolResult:
    """Create an order for the logged-in buyer; payment stays pending. Asks the user to confirm first.

    Args:
        lines: Products and units, e.g. [{"sku": "CAF-001", "quantity": 2}].
        warehouse: Optional warehouse code "BOG", "MED" or "BAQ"; if omitted, one that can serve every line.
    """
    ctx = runtime.context
    principal = ctx.principal
    if principal.is_staff and not principal.buyer_id:
        raise InvalidInput("Los pedidos por chat se hacen a nombre de un comprador: inicia sesión como comprador.")
    cmd = mc.PlaceOrder(buyer_id=principal.buyer_id or "", warehouse=canonical_code(warehouse), actor=principal,
                        lines=[mc.OrderLineIn(sku=ln.sku, quantity=ln.quantity) for ln in lines])
    args = {"lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in cmd.lines], "warehouse": cmd.warehouse}
    write = PendingWrite(runtime, "create_order", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        plan = mpreviews.preview_place_order(uow=uow, principal=principal, cmd=cmd)
        source = fpreviews.serving_warehouse(
            uow=uow, principal=principal, warehouse=cmd.warehouse, ship_to_city=plan.ship_to_city,
            lines=[events.LineQty(sku=ln.sku, quantity=ln.quantity) for ln in plan.lines])
    listed = ", ".join(f"{ln.quantity} × {ln.name} ({format_cop(ln.unit_price_cop)} c/u)" for ln in plan.lines)
    question = (f"Voy a crear un pedido con {listed}, por un total de {format_cop(plan.total_cop)}, despachado desde "
                f"{source.name} ({source.code}). El pago queda pendiente. ¿Confirmas? (sí/no)")

    def execute() -> ToolResult:
        order_id = ctx.bus.handle(cmd)
        with ctx.bus.read() as uow:
            order = visibility.get_visible_order(uow=uow, principal=principal, order_id=order_id)
        due = f" Págalo antes del {when(order.payment_due_at)}." if order.payment_due_at else ""
        return ok(f"Listo: creé el pedido {order.id} por {format_cop(order.total_cop)}; "
                  f"está {_status_es(order.status)}.{due}", order)

    return write.confirm_and_run(question, execute, "Entendido, no creé el pedido.")
