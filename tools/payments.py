"""The payment tool: start paying an order with Nequi, PSE, card, Efecty or Mercado Pago (confirmed)."""

from __future__ import annotations

from commerce.marketplace import commands as mc
from commerce.marketplace import payment_views
from commerce.marketplace.schemas import PaymentStartRead
from commerce.shared.money import format_cop
from tools.base import Runtime, agent_tool, canonical_code
from tools.confirmation import PendingWrite
from tools.results import ToolResult, ok


def _masked(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"terminado en {digits[-4:]}" if len(digits) >= 4 else "registrado"


@agent_tool
def pay_order(order_id: str, method: str | None = None, *, runtime: Runtime) -> ToolResult:
    """Start paying one of the buyer's pending orders. Asks the user to confirm first.

    Returns a payment link (PSE, card, Efecty, Mercado Pago) or sends a push to the buyer's Nequi; the
    order is paid only when the gateway confirms, and the buyer is told then.

    Args:
        order_id: Order id like "ORD-1002".
        method: How the buyer pays, in their words: "nequi", "pse", "tarjeta", "efecty" or "mercado pago".
            Omit it when the buyer did not say.
    """
    ctx = runtime.context
    cmd_order = canonical_code(order_id) or ""
    with ctx.bus.read() as uow:
        plan = ctx.bus.view(payment_views.preview_payment)(uow=uow, principal=ctx.principal, order_id=cmd_order,
                                                         words=method)
    args = {"order_id": plan.order_id, "method": plan.method.value if plan.method else plan.gateway}
    write = PendingWrite(runtime, "pay_order", args)
    if (done := write.stored()) is not None:
        return done
    how = (f"te llegará una solicitud de pago a tu Nequi {_masked(plan.phone)}" if plan.gateway == "nequi" else
           f"te daré el enlace para pagar con {plan.method_es}")
    question = (f"Voy a iniciar el pago del pedido {plan.order_id} por {format_cop(plan.amount_cop)}: {how}. "
                "¿Confirmas? (sí/no)")
    cmd = mc.PayOrder(order_id=plan.order_id, gateway=plan.gateway, method=plan.method.value if plan.method else None,
                      actor=ctx.principal,
                      idempotency_key=write.key)

    def execute() -> ToolResult:
        payment: PaymentStartRead = ctx.bus.handle(cmd)
        return ok(payment.message, payment)

    return write.confirm_and_run(question, execute, f"Entendido, no inicié el pago del pedido {plan.order_id}.")
