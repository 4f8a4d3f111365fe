"""Commands the marketplace accepts."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr, field_validator

from commerce.identity.principal import SYSTEM, Principal
from commerce.shared.commands import Command

MAX_UNITS_PER_LINE = 1000


class OrderLineIn(Command):
    sku: StrictStr = Field(min_length=1, max_length=32)
    quantity: StrictInt = Field(gt=0, le=MAX_UNITS_PER_LINE)

    @field_validator("sku")
    @classmethod
    def _canonical_sku(cls, value: str) -> str:
        return value.strip().upper()


class PlaceOrder(Command):
    buyer_id: StrictStr
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    warehouse: StrictStr | None = Field(default=None, max_length=8)
    actor: Principal = SYSTEM
    # The claimed Idempotency-Key of the HTTP request placing it (scope, key): the order's transaction marks
    # the key done, so a process that dies after the commit leaves no claim a retry could run a second time.
    idempotency: tuple[StrictStr, StrictStr] | None = None

    @field_validator("warehouse")
    @classmethod
    def _canonical_warehouse(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None


class PayOrder(Command):
    """Start a payment attempt for a pending order (the sandbox answers at once, the others confirm later)."""

    order_id: StrictStr
    gateway: StrictStr = Field(default="sandbox", max_length=20)
    method: StrictStr | None = Field(default=None, max_length=12)  # a PaymentMethod; None: the gateway's default
    payment_token: StrictStr = Field(default="tok_approved", max_length=100)  # the sandbox's test token
    phone: StrictStr | None = Field(default=None, max_length=20)  # Nequi: the phone that gets the push
    idempotency_key: StrictStr | None = Field(default=None, max_length=200)
    actor: Principal = SYSTEM


class RecordPaymentNotification(Command):
    """A notification the gateway's adapter verified: apply it once (dedup by transaction id and status)."""

    gateway: StrictStr
    reference: StrictStr  # our payment intent id
    transaction_id: StrictStr = Field(min_length=1, max_length=80)
    status: StrictStr  # a PaymentStatus
    amount_cop: StrictInt
    currency: StrictStr = "COP"
    reason: StrictStr = ""
    raw: dict[str, Any] = Field(default_factory=dict)


class ExpirePayment(Command):
    """Stop waiting for a pending intent (a Nequi push the buyer never answered)."""

    payment_id: StrictStr
    reason: StrictStr = "el pago no se completó a tiempo"


class CancelOrder(Command):
    order_id: StrictStr
    reason: StrictStr = Field(default="solicitado por el cliente", min_length=1, max_length=200)
    actor: Principal = SYSTEM


class UpdatePrice(Command):
    sku: StrictStr
    price_cop: StrictInt = Field(gt=0, le=1_000_000_000)
    actor: Principal = SYSTEM


class RegisterSeller(Command):
    id: StrictStr = Field(min_length=3, max_length=16)
    legal_name: StrictStr = Field(min_length=2, max_length=200)
    nit: StrictStr
    city: StrictStr = Field(min_length=2, max_length=80)
    contact_email: StrictStr = Field(min_length=3, max_length=254)
    actor: Principal = SYSTEM
