"""Read-side queries of payment intents."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from commerce.identity.principal import Principal, Scope
from commerce.marketplace.handlers import authorize_order, load_order, order_for_buyer_action
from commerce.marketplace.models import Buyer, Payment
from commerce.marketplace.order_state import STATUS_ES, OrderStatus
from commerce.marketplace.payments import METHOD_ES, Gateways, PaymentMethod, PaymentStatus
from commerce.marketplace.schemas import PaymentRead, PaymentStartRead
from commerce.shared.errors import IllegalTransition, NotAuthorized, NotFound
from commerce.shared.unit_of_work import UnitOfWork


def pending_payments(*, uow: UnitOfWork, gateway: str, limit: int = 500) -> list[PaymentRead]:
    """Intents of `gateway` still waiting for an answer, oldest first (the status poller's work list)."""
    rows = uow.session.scalars(
        select(Payment).where(Payment.gateway == gateway,
                              Payment.status.in_((PaymentStatus.CREATED, PaymentStatus.PENDING)))
        .order_by(Payment.created_at).limit(limit))
    return [PaymentRead.model_validate(row) for row in rows]


def get_payment(*, uow: UnitOfWork, principal: Principal, payment_id: str) -> PaymentStartRead:
    """One payment intent with its next step, for the order's buyer (or staff)."""
    principal.require(Scope.ORDERS_READ)
    payment = uow.session.get(Payment, payment_id.strip().upper())
    hidden = NotFound(f"No encontramos el pago {payment_id}.")  # someone else's answers like a missing one
    if payment is None:
        raise hidden
    order = load_order(uow, payment.order_id)
    try:
        authorize_order(principal, order)
    except (NotFound, NotAuthorized):
        raise hidden from None  # never name the order behind someone else's payment
    if principal.seller_id and not principal.is_staff and principal.buyer_id != order.buyer_id:
        raise hidden  # sellers never see payments
    return PaymentStartRead.of(payment)


def form_of(*, uow: UnitOfWork, payment_id: str) -> tuple[str, dict[str, str]] | None:
    """The gateway form (action, fields) of a payment still waiting for the buyer, or None."""
    payment = uow.session.get(Payment, payment_id.strip().upper())
    if payment is None or payment.status_enum not in (PaymentStatus.CREATED, PaymentStatus.PENDING):
        return None
    form = payment.checkout_form or {}
    if not form.get("action"):
        return None
    return str(form["action"]), {str(k): str(v) for k, v in (form.get("fields") or {}).items()}


@dataclass(frozen=True)
class PaymentPreview:
    order_id: str
    amount_cop: int
    gateway: str
    method: PaymentMethod | None
    method_es: str
    phone: str  # Nequi: the phone on file that would get the push (shown masked)


def preview_payment(*, uow: UnitOfWork, principal: Principal, order_id: str, words: str | None,
                    gateways: Gateways) -> PaymentPreview:
    """What paying `order_id` with `words` ("Nequi", "PSE"…) would do, refusing what PayOrder would refuse."""
    principal.require(Scope.ORDERS_WRITE)
    order = order_for_buyer_action(uow, principal, order_id)  # someone else's answers like a missing one
    if order.status_enum != OrderStatus.PENDING_PAYMENT:
        raise IllegalTransition(f"El pedido {order.id} está {STATUS_ES[order.status_enum]}: no se puede pagar.")
    gateway, method = gateways.choose(words)
    buyer = uow.session.get(Buyer, order.buyer_id)
    label = METHOD_ES[method] if method else gateway.name.capitalize()
    return PaymentPreview(order_id=order.id, amount_cop=order.total_cop, gateway=gateway.name, method=method,
                          method_es=label, phone=buyer.phone if buyer else "")
