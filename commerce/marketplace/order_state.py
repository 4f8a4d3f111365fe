"""The order state machine: which status may follow which. Anything else is rejected."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    CREATED = "created"
    STOCK_RESERVED = "stock_reserved"
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PICKING = "picking"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    RETURNED = "returned"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.CREATED: frozenset({S.STOCK_RESERVED, S.CANCELLED}),
    S.STOCK_RESERVED: frozenset({S.PENDING_PAYMENT, S.CANCELLED}),
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    # Once money moved, stopping the order means giving it back: refunded, not cancelled.
    S.PAID: frozenset({S.PICKING, S.REFUNDED}),
    S.PICKING: frozenset({S.SHIPPED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.DELIVERED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset({S.REFUNDED}),
    # Only a late payment approval (the gateway confirmed after the order expired) that found the stock
    # again revives a cancelled order, straight to paid (commerce/marketplace/payment_intents.py).
    S.CANCELLED: frozenset({S.PAID}),
    S.REFUNDED: frozenset(),
}

STATUS_ES: dict[OrderStatus, str] = {
    S.CREATED: "creado",
    S.STOCK_RESERVED: "inventario reservado",
    S.PENDING_PAYMENT: "pendiente de pago",
    S.PAID: "pagado",
    S.PICKING: "en alistamiento",
    S.SHIPPED: "enviado",
    S.DELIVERED: "entregado",
    S.CANCELLED: "cancelado",
    S.REFUNDED: "reembolsado",
    S.RETURNED: "devuelto",
}


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """True when `target` may directly follow `current`."""
    return target in TRANSITIONS[current]
