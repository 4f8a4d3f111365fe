"""The payment gateway port. Adapters (sandbox, PayU, MercadoPago, Nequi) live in infra/payments."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import StrEnum


class ChargeStatus(StrEnum):
    """What a gateway answers to one charge or refund."""

    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING = "pending"


class PaymentStatus(StrEnum):
    """A stored payment: the gateway's answer, then refunded or expired by the order's life."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUNDED = "refunded"  # the order was cancelled after payment and the money went back
    EXPIRED = "expired"  # still pending when the order was cancelled

    @classmethod
    def of_charge(cls, charge: ChargeStatus) -> PaymentStatus:
        return cls(charge.value)


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    external_ref: str
    reason: str = ""


class PaymentGateway(abc.ABC):
    """Charges and refunds. `idempotency_key` makes a retried charge return the first result."""

    name: str = "gateway"

    @abc.abstractmethod
    def charge(self, *, order_id: str, amount_cop: int, token: str, idempotency_key: str) -> ChargeResult:
        """Charge the buyer."""

    @abc.abstractmethod
    def refund(self, *, external_ref: str, amount_cop: int, idempotency_key: str) -> ChargeResult:
        """Give money back."""
