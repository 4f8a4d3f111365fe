"""Seller tools: sales reports, prices (confirmed) and reorder proposals (purchase-order drafts)."""

from __future__ import annotations

from commerce import sales
from commerce.fulfillment import commands as fc
from commerce.fulfillment import previews as fpreviews
from commerce.fulfillment import views as fviews
from commerce.fulfillment.models import PurchaseOrderStatus
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
