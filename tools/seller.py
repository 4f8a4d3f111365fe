"""Seller tools: sales reports, prices (confirmed) and reorder proposals (purchase-order drafts): list, explain,
approve and reject (both confirmed)."""

from __future__ import annotations

from commerce import sales
from commerce.fulfillment import commands as fc
from commerce.fulfillment import previews as fpreviews
from commerce.fulfillment import reorder_proposals, reorder_review
from commerce.fulfillment import views as fviews
from commerce.fulfillment.models import PurchaseOrderStatus
from commerce.fulfillment.reorder_proposals import ProposalRead
from commerce.fulfillment.schemas import PurchaseOrderRead
from commerce.marketplace import commands as mc
from commerce.marketplace import previews as mpreviews
from commerce.shared.errors import InvalidInput
from commerce.shared.money import format_cop
from tools.base import Runtime, agent_tool, canonical_code, in_last
from tools.confirmation import PendingWrite
from tools.results import ToolResult, count, ok, when

# The tools speak of reorder "proposals"; fulfillment stores them as purchase-order drafts.
PROPOSAL_STATUS = {"proposed": PurchaseOrderStatus.DRAFT, "draft": PurchaseOrderStatus.DRAFT,
                   "approved": PurchaseOrderStatus.APPROVED, "sent": PurchaseOrderStatus.SENT,
                   "received": PurchaseOrderStatus.RECEIVED, "cancelled": PurchaseOrderStatus.CANCELLED}
PO_STATUS_ES: dict[str, str] = {
    PurchaseOrderStatus.DRAFT: "propuesta", PurchaseOrderStatus.APPROVED: "aprobada",
    PurchaseOrderStatus.SENT: "enviada al proveedor", PurchaseOrderStatus.RECEIVED: "recibida",
    PurchaseOrderStatus.CANCELLED: "cancelada",
}
MAX_EXPLAINED = 3  # a chat answer, not a report: more than three explanations are asked for by name


def _po_total(po: PurchaseOrderRead) -> int:
    return sum(line.quantity * line.unit_cost_cop for line in po.lines)


def _po_text(po: PurchaseOrderRead) -> str:
    lines = ", ".join(f"{ln.quantity} × {ln.sku}" for ln in po.lines)
    return (f"{po.id} ({PO_STATUS_ES.get(po.status, po.status)}): {lines} al proveedor {po.supplier_id} "
            f"para {po.warehouse}, costo {format_cop(_po_total(po))}")


@agent_tool
def sales_summary(days: int = 30, *, runtime: Runtime) -> ToolResult:
    """Units sold and revenue of the seller's products over the last days (whole platform for admins).

    Args:
        days: How many days back (1 to 366), default 30.
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        report = sales.sales_summary(uow=uow, principal=ctx.principal, days=days)
    who = "La plataforma vendió" if report.seller_id is None else "Vendiste"
    if not report.products:
        return ok(f"No hubo ventas {in_last(days)}.", report)
    best = report.products[0]
    return ok(f"{who} {count(report.units)} unidades por {format_cop(report.revenue_cop)} {in_last(days)}. "
              f"El producto con más ventas: {best.name} ({best.sku}), {count(best.units)} u por "
              f"{format_cop(best.revenue_cop)}.", report)


@agent_tool
def top_products(days: int = 30, limit: int = 5, *, runtime: Runtime) -> ToolResult:
    """The seller's best-selling products by revenue over the last days.

    Args:
        days: How many days back (1 to 366), default 30.
        limit: How many products to list (1 to 50), default 5.
    """
    ctx = runtime.context
    with ctx.bus.read() as uow:
        rows = sales.top_products(uow=uow, principal=ctx.principal, days=days, limit=limit)
    if not rows:
        return ok(f"No hubo ventas {in_last(days)}.", [])
    listed = "; ".join(f"{i}. {r.name} ({r.sku}): {count(r.units)} u, {format_cop(r.revenue_cop)}"
                       for i, r in enumerate(rows, start=1))
    return ok(f"Productos más vendidos {in_last(days)} (por ingresos): {listed}.", rows)


@agent_tool
def update_price(sku: str, price_cop: int, *, runtime: Runtime) -> ToolResult:
    """Change the selling price of one of the seller's products. Asks the user to confirm first.

    Args:
        sku: Product SKU, e.g. "CAF-001".
        price_cop: New price in whole Colombian pesos, e.g. 41900 for $41.900.
    """
    ctx = runtime.context
    cmd = mc.UpdatePrice(sku=canonical_code(sku) or "", price_cop=price_cop, actor=ctx.principal)
    args = {"sku": cmd.sku, "price_cop": cmd.price_cop}
    write = PendingWrite(runtime, "update_price", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        plan = mpreviews.preview_price_update(uow=uow, cmd=cmd)
    question = (f"Voy a cambiar el precio de {plan.sku} ({plan.name}) de {format_cop(plan.current_price_cop)} a "
                f"{format_cop(plan.new_price_cop)}. ¿Confirmas? (sí/no)")

    def execute() -> ToolResult:
        previous = ctx.bus.handle(cmd)
        return ok(f"Listo: {plan.name} ({plan.sku}) ahora cuesta {format_cop(cmd.price_cop)} "
                  f"(antes {format_cop(previous)}).", {**args, "previous_price_cop": previous})

    return write.confirm_and_run(question, execute,
                                 f"Entendido, el precio de {plan.sku} sigue en {format_cop(plan.current_price_cop)}.")


@agent_tool
def list_reorder_proposals(status: str = "proposed", *, runtime: Runtime) -> ToolResult:
    """Reorder proposals (purchase orders to suppliers) of the seller; by default those awaiting approval.

    Args:
        status: "proposed" (awaiting approval, default), "approved", "sent", "received", "cancelled" or "all".
    """
    ctx = runtime.context
    wanted = (status or "proposed").strip().lower()
    if wanted != "all" and wanted not in PROPOSAL_STATUS:
        raise InvalidInput(f"Estado desconocido: {status}. Usa proposed, approved, sent, received, cancelled o all.")
    with ctx.bus.read() as uow:
        rows = fviews.list_purchase_orders(uow=uow, principal=ctx.principal,
                                           status=None if wanted == "all" else PROPOSAL_STATUS[wanted])
    data = [{**po.model_dump(), "total_cost_cop": _po_total(po)} for po in rows]
    if not rows:
        return ok("No hay propuestas de reorden pendientes." if wanted == "proposed"
                  else "No hay órdenes de compra con ese estado.", [])
    return ok(f"{len(rows)} orden(es) de compra: " + "; ".join(_po_text(po) for po in rows) + ".", data)


@agent_tool
def approve_reorder(proposal_id: str, *, runtime: Runtime) -> ToolResult:
    """Approve a reorder proposal (a purchase-order draft) so it goes to the supplier. Asks to confirm first.

    Args:
        proposal_id: Purchase order id like "PO-0001".
    """
    ctx = runtime.context
    cmd = fc.ApprovePurchaseOrder(purchase_order_id=canonical_code(proposal_id) or "", actor=ctx.principal)
    args = {"proposal_id": cmd.purchase_order_id}
    write = PendingWrite(runtime, "approve_reorder", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        plan = fpreviews.preview_purchase_order_approval(uow=uow, principal=ctx.principal,
                                                         purchase_order_id=cmd.purchase_order_id)
    po = plan.purchase_order
    question = f"Voy a aprobar la orden de compra {_po_text(po)} (creada el {when(po.created_at)}). ¿Confirmas? (sí/no)"

    def execute() -> ToolResult:
        ctx.bus.handle(cmd)
        return ok(f"Listo: aprobé la orden de compra {po.id} por {format_cop(plan.total_cost_cop)}; "
                  f"el pedido al proveedor {po.supplier_id} queda en marcha.",
                  {"proposal_id": po.id, "status": PurchaseOrderStatus.APPROVED.value,
                   "total_cost_cop": plan.total_cost_cop})

    return write.confirm_and_run(question, execute, f"Entendido, la orden de compra {po.id} sigue como propuesta.")


def _proposal_text(p: ProposalRead) -> str:
    what = (f"trasladar {p.quantity} u de {p.sku} de {p.from_warehouse} a {p.warehouse}" if p.kind == "transfer"
            else f"comprar {p.quantity} u de {p.sku} para {p.warehouse} ({p.purchase_order_id})")
    return f"Propuesta {p.id}, {what}: {p.explanation}"


@agent_tool
def explain_reorder_proposal(proposal_id: str = "", sku: str = "", quantity: int | None = None, *,
                             runtime: Runtime) -> ToolResult:
    """Why the reorder agent proposes what it proposes: demand per day and its method, lead time, safety stock,
    projected stock-out date, why this quantity (MOQ rounding) and its cost. Use it for "¿por qué me propones
    96 unidades?" or "explícame la propuesta de CAF-002".

    Args:
        proposal_id: Purchase order id like "PO-0004", if the user names one.
        sku: Product SKU like "CAF-002", if the user names a product.
        quantity: The proposed quantity the user asks about (e.g. 96), if any.
    """
    ctx = runtime.context
    # Developer note: with nothing named, every open proposal is explained (the notification's "¿por qué?").
    with ctx.bus.read() as uow:
        found = reorder_proposals.find_proposals(
            uow=uow, principal=ctx.principal, purchase_order_id=canonical_code(proposal_id) or None,
            sku=canonical_code(sku) or None, quantity=quantity)
    shown = found[:MAX_EXPLAINED]
    more = f" Hay {len(found) - len(shown)} más; dime el producto o la orden." if len(found) > len(shown) else ""
    return ok(" ".join(_proposal_text(p) for p in shown) + more, [p.model_dump(mode="json") for p in shown])


@agent_tool
def reject_reorder(proposal_id: str, reason: str = "", *, runtime: Runtime) -> ToolResult:
    """Reject a reorder proposal (a purchase-order draft): nothing is bought. Asks the user to confirm first.

    Args:
        proposal_id: Purchase order id like "PO-0004".
        reason: Why, in the user's words, if they gave one.
    """
    ctx = runtime.context
    cmd = fc.RejectPurchaseOrder(purchase_order_id=canonical_code(proposal_id) or "", reason=(reason or "")[:200],
                                 actor=ctx.principal)
    args = {"proposal_id": cmd.purchase_order_id}
    write = PendingWrite(runtime, "reject_reorder", args)
    if (done := write.stored()) is not None:
        return done
    with ctx.bus.read() as uow:
        po = reorder_review.preview_rejection(uow=uow, principal=ctx.principal,
                                             purchase_order_id=cmd.purchase_order_id)
    question = f"Voy a rechazar la propuesta {_po_text(po)}: no se comprará nada. ¿Confirmas? (sí/no)"

    def execute() -> ToolResult:
        ctx.bus.handle(cmd)
        return ok(f"Listo: rechacé la propuesta {po.id}; no te la volveré a proponer en los próximos días.",
                  {"proposal_id": po.id, "status": PurchaseOrderStatus.CANCELLED.value})

    return write.confirm_and_run(question, execute, f"Entendido, la propuesta {po.id} sigue pendiente.")
