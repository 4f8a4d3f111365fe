"""Payment intents: start an attempt, apply verified gateway notifications once, settle late approvals.

The order moves to `paid` only on a confirmed approval. An approval that arrives after the order was
cancelled (its reservation expired, or the buyer cancelled) never makes a silent paid order without
stock: fulfillment tries to reserve the lines again (`payment.late_approved` → `stock.rechecked`); with
stock the order is paid, without it the money goes back and the buyer is told (`payment.refunded`).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce.marketplace import commands
from commerce.marketplace.handlers import load_order, order_for_buyer_action
from commerce.marketplace.models import Buyer, Order, Payment, PaymentNotification
from commerce.marketplace.order_state import STATUS_ES, OrderStatus
from commerce.marketplace.payments import (
    METHOD_ES,
    PAYMENT_TRANSITIONS,
    CheckoutRequest,
    Gateways,
    PaymentGateway,
    PaymentMethod,
    PaymentStatus,
)
from commerce.marketplace.schemas import PaymentStartRead
from commerce.shared import events
from commerce.shared.errors import IllegalTransition, InvalidInput, NotFound
from commerce.shared.unit_of_work import UnitOfWork

_UNPAID = (OrderStatus.CREATED, OrderStatus.STOCK_RESERVED, OrderStatus.PENDING_PAYMENT)


class NotificationOutcome(StrEnum):
    APPLIED = "applied"  # the intent (and maybe the order) moved
    DUPLICATE = "duplicate"  # the same transaction and status was seen before: no effect
    STALE = "stale"  # a valid notification the intent has moved past (pending after approved): recorded only
    AMOUNT_MISMATCH = "amount_mismatch"  # the gateway reports another amount or currency: recorded, no effect
    LATE_APPROVAL = "late_approval"  # approved after the order was cancelled: stock re-check or refund


# ----- starting a payment -----------------------------------------------------------------------------------


def _method(gateway: PaymentGateway, wanted: str | None) -> PaymentMethod:
    if wanted is None:
        return min(gateway.methods)  # a deterministic default: the first in the enum's order
    try:
        method = PaymentMethod(wanted.strip().lower())
    except ValueError:
        method = None
    if method is None or method not in gateway.methods:
        offered = ", ".join(METHOD_ES[m] for m in sorted(gateway.methods))
        raise InvalidInput(f"{gateway.name} no ofrece el medio «{wanted}». Medios disponibles: {offered}.")
    return method


def _existing_attempt(order: Order, key: str | None) -> Payment | None:
    return next((p for p in order.payments if key and p.idempotency_key == key), None)


def start_payment(cmd: commands.PayOrder, uow: UnitOfWork, gateways: Gateways) -> PaymentStartRead:
    """Open a payment intent for a pending order and ask the gateway for the buyer's next step."""
    order = order_for_buyer_action(uow, cmd.actor, cmd.order_id, lock=True)
    if (previous := _existing_attempt(order, cmd.idempotency_key)) is not None:
        return PaymentStartRead.of(previous)
    if order.status_enum != OrderStatus.PENDING_PAYMENT:
        raise IllegalTransition(f"El pedido {order.id} está {STATUS_ES[order.status_enum]}: no se puede pagar.")
    gateway = gateways.get(cmd.gateway)
    method = _method(gateway, cmd.method)
    buyer = uow.session.get(Buyer, order.buyer_id)
    phone = (cmd.phone or (buyer.phone if buyer else "")).strip()
    if method == PaymentMethod.NEQUI and not phone:
        raise InvalidInput("Para pagar con Nequi necesitamos el número de celular de tu cuenta Nequi.")
    payment = Payment(id=f"PAY-{order.id}-{len(order.payments) + 1}", gateway=gateway.name, method=method,
                      status=PaymentStatus.CREATED, amount_cop=order.total_cop, idempotency_key=cmd.idempotency_key)
    order.payments.append(payment)
    uow.session.flush()
    checkout = gateway.start(CheckoutRequest(
        reference=payment.id, order_id=order.id, amount_cop=order.total_cop, method=method,
        description=f"Pedido {order.id} en MeStocker", buyer_email=buyer.email if buyer else "",
        buyer_phone=phone, buyer_name=buyer.name if buyer else "", token=cmd.payment_token,
        idempotency_key=payment.id))
    payment.next_step, payment.checkout_url = checkout.next_step, checkout.url or None
    payment.checkout_form = ({"action": checkout.form_action, "fields": dict(checkout.form_fields)}
                             if checkout.form_fields else None)
    payment.external_ref = checkout.transaction_id
    payment.move_to(PaymentStatus.PENDING)
    if checkout.status != PaymentStatus.PENDING and checkout.transaction_id:
        _decide(uow, order, payment, checkout.status, checkout.reason, gateways)
    uow.session.flush()
    return PaymentStartRead.of(payment)


# ----- notifications ----------------------------------------------------------------------------------------


def record_notification(cmd: commands.RecordPaymentNotification, uow: UnitOfWork,
                        gateways: Gateways) -> NotificationOutcome:
    """Apply a verified notification once: recorded raw for audit, deduplicated by transaction id and status."""
    status = PaymentStatus(cmd.status)
    payment = uow.session.get(Payment, cmd.reference, with_for_update=True)
    if payment is None or payment.gateway != cmd.gateway:
        raise NotFound(f"No encontramos el pago {cmd.reference} de {cmd.gateway}.")
    dedup_key = f"{cmd.transaction_id}:{status}"[:120]
    seen = uow.session.scalar(select(PaymentNotification.id).where(PaymentNotification.gateway == cmd.gateway,
                                                                   PaymentNotification.dedup_key == dedup_key))
    if seen is not None:
        return NotificationOutcome.DUPLICATE
    order = load_order(uow, payment.order_id, lock=True)
    outcome = _apply(uow, order, payment, cmd, status, gateways)
    uow.session.add(PaymentNotification(gateway=cmd.gateway, dedup_key=dedup_key, payment_id=payment.id,
                                        transaction_id=cmd.transaction_id, status=status, amount_cop=cmd.amount_cop,
                                        outcome=outcome, raw=dict(cmd.raw)))
    return outcome


def _apply(uow: UnitOfWork, order: Order, payment: Payment, cmd: commands.RecordPaymentNotification,
           status: PaymentStatus, gateways: Gateways) -> NotificationOutcome:
    if cmd.amount_cop != payment.amount_cop or cmd.currency.upper() != "COP":
        return NotificationOutcome.AMOUNT_MISMATCH
    if status == PaymentStatus.PENDING or status not in _next_states(payment):
        if payment.external_ref is None:
            payment.external_ref = cmd.transaction_id
        return NotificationOutcome.STALE
    payment.external_ref = cmd.transaction_id  # a retry on the gateway's page may bring a new transaction id
    late = status == PaymentStatus.APPROVED and order.status_enum not in _UNPAID
    _decide(uow, order, payment, status, cmd.reason, gateways)
    return NotificationOutcome.LATE_APPROVAL if late else NotificationOutcome.APPLIED


def _next_states(payment: Payment) -> frozenset[PaymentStatus]:
    return PAYMENT_TRANSITIONS[payment.status_enum]


def _decide(uow: UnitOfWork, order: Order, payment: Payment, status: PaymentStatus, reason: str,
            gateways: Gateways) -> None:
    """A final answer from the gateway for `payment`: move the intent, and the order when it is an approval."""
    payment.move_to(status, reason=reason or None)
    if status == PaymentStatus.APPROVED:
        _approved(uow, order, payment, gateways)
    elif status == PaymentStatus.DECLINED:
        order.record(events.PaymentFailed(order_id=order.id, payment_id=payment.id, gateway=payment.gateway,
                                          amount_cop=payment.amount_cop, reason=reason or "rechazado por la pasarela"))


def _approved(uow: UnitOfWork, order: Order, payment: Payment, gateways: Gateways) -> None:
    if order.status_enum == OrderStatus.PENDING_PAYMENT:
        _mark_paid(order, payment)
    elif order.status_enum == OrderStatus.CANCELLED:
        lines = order.line_quantities()
        buyer = uow.session.get(Buyer, order.buyer_id)
        order.record(events.PaymentApprovedLate(order_id=order.id, payment_id=payment.id, gateway=payment.gateway,
                                                amount_cop=payment.amount_cop, warehouse=order.warehouse,
                                                ship_to_city=buyer.city if buyer else None, lines=lines))
    else:  # paid by another attempt already, or refunded: this money is a duplicate
        _refund(order, payment, gateways, f"el pedido {order.id} ya estaba {STATUS_ES[order.status_enum]}")


def _mark_paid(order: Order, payment: Payment) -> None:
    order.record(events.PaymentSucceeded(order_id=order.id, payment_id=payment.id, gateway=payment.gateway,
                                         amount_cop=payment.amount_cop))
    order.transition(OrderStatus.PAID)
    order.payment_due_at = None
    order.cancel_reason = None
    order.record(events.OrderPaid(order_id=order.id, buyer_id=order.buyer_id, warehouse=order.warehouse or "",
                                  lines=order.line_quantities()))


def _refund(order: Order, payment: Payment, gateways: Gateways, reason: str) -> None:
    if payment.external_ref:
        gateways.for_refund(payment.gateway).refund(transaction_id=payment.external_ref,
                                                    amount_cop=payment.amount_cop,
                                                    idempotency_key=f"refund:{payment.id}")
    payment.move_to(PaymentStatus.REFUNDED, reason=reason)
    order.record(events.PaymentRefunded(order_id=order.id, payment_id=payment.id, gateway=payment.gateway,
                                        amount_cop=payment.amount_cop, reason=reason))


def settle_late_payment(event: events.StockRechecked, uow: UnitOfWork, gateways: Gateways) -> None:
    """Fulfillment re-checked the stock of a late-approved order: pay it, or give the money back."""
    order = load_order(uow, event.order_id, lock=True)
    payment = uow.session.get(Payment, event.payment_id)
    if payment is None or payment.status_enum != PaymentStatus.APPROVED:
        return
    if event.reserved and order.status_enum == OrderStatus.CANCELLED:
        order.warehouse = event.warehouse or order.warehouse
        _mark_paid(order, payment)
    else:
        _refund(order, payment, gateways, "el pago llegó después del vencimiento y ya no había inventario")


def expire_payment(cmd: commands.ExpirePayment, uow: UnitOfWork) -> bool:
    """Stop waiting for a pending intent; False when it had already moved on."""
    payment = uow.session.get(Payment, cmd.payment_id, with_for_update=True)
    if payment is None:
        raise NotFound(f"No encontramos el pago {cmd.payment_id}.")
    if payment.status_enum not in (PaymentStatus.CREATED, PaymentStatus.PENDING):
        return False
    payment.move_to(PaymentStatus.EXPIRED, reason=cmd.reason)
    return True


def forget_subject_payments(session: Session, buyer_id: str) -> int:
    """Erasure: the buyer's payments keep their amounts, statuses and gateway references (the order's
    accounting), but the gateway documents that quote the payer (a PayU checkout form: email, name, phone;
    a raw notification: the payer's email and name) are dropped. Returns how many payments were touched."""
    payment_ids = list(session.scalars(select(Payment.id).join(Order, Order.id == Payment.order_id)
                                       .where(Order.buyer_id == buyer_id)))
    if not payment_ids:
        return 0
    session.execute(update(Payment).where(Payment.id.in_(payment_ids), Payment.checkout_form.is_not(None))
                    .values(checkout_form=None).execution_options(synchronize_session=False))
    session.execute(update(PaymentNotification).where(PaymentNotification.payment_id.in_(payment_ids))
                    .values(raw={"anonimizado": True}).execution_options(synchronize_session=False))
    return len(payment_ids)
