"""The payment gateway port and the payment intent's states.

A payment is an intent: created for one order attempt, pending while the buyer is at the gateway
(a redirect to PayU or MercadoPago, a push to Nequi, a PSE or Efecty payment that takes hours), then
approved, declined, expired or refunded. Only a notification the adapter verified (signature, fresh
timestamp, re-read from the gateway's API where it offers one) moves a pending intent; the adapters
(sandbox, PayU, MercadoPago, Nequi) live in infra/payments.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from commerce.shared.errors import Conflict, InvalidInput
from commerce.shared.text import fold


class PaymentStatus(StrEnum):
    CREATED = "created"  # the intent exists; the gateway has not been asked yet
    PENDING = "pending"  # the buyer is at the gateway (redirect, push, PSE/Efecty in progress)
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"  # the gateway gave up, or the order was cancelled while it was pending
    REFUNDED = "refunded"  # the money went back (a cancelled paid order, or a late approval without stock)


FINAL_STATUSES = frozenset({PaymentStatus.APPROVED, PaymentStatus.DECLINED, PaymentStatus.REFUNDED})  # decided
S = PaymentStatus
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.CREATED: frozenset({S.PENDING, S.APPROVED, S.DECLINED, S.EXPIRED}),
    S.PENDING: frozenset({S.APPROVED, S.DECLINED, S.EXPIRED}),
    # A gateway may still approve a payment we stopped waiting for (PSE confirms hours later): the
    # money moved, so the intent follows; the order decides whether it ships or is refunded.
    S.EXPIRED: frozenset({S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset({S.REFUNDED}),
    # PayU lets the buyer retry on its page under the same reference: a declined card, then an approved PSE.
    S.DECLINED: frozenset({S.APPROVED}),
    S.REFUNDED: frozenset(),
}

STATUS_ES: dict[PaymentStatus, str] = {
    S.CREATED: "creado", S.PENDING: "pendiente", S.APPROVED: "aprobado", S.DECLINED: "rechazado",
    S.EXPIRED: "vencido", S.REFUNDED: "reembolsado",
}


class PaymentMethod(StrEnum):
    """How the buyer pays. PayU offers card, PSE and Efecty; MercadoPago lets the buyer choose on its page."""

    CARD = "card"
    PSE = "pse"
    EFECTY = "efecty"
    NEQUI = "nequi"
    CHECKOUT = "checkout"  # the gateway's own page lists its methods (MercadoPago Checkout Pro)
    SANDBOX = "sandbox"


METHOD_ES: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "tarjeta", PaymentMethod.PSE: "PSE", PaymentMethod.EFECTY: "Efecty",
    PaymentMethod.NEQUI: "Nequi", PaymentMethod.CHECKOUT: "Mercado Pago", PaymentMethod.SANDBOX: "pasarela de pruebas",
}


# The words a buyer uses for a way to pay (folded, no accents) → (gateway, method). One table for the chat tool
# and the offline model; "payu" alone lets PayU's page offer every method.
PAYMENT_WORDS: dict[str, tuple[str, PaymentMethod | None]] = {
    "nequi": ("nequi", PaymentMethod.NEQUI),
    "pse": ("payu", PaymentMethod.PSE), "efecty": ("payu", PaymentMethod.EFECTY),
    "tarjeta": ("payu", PaymentMethod.CARD), "credito": ("payu", PaymentMethod.CARD),
    "debito": ("payu", PaymentMethod.CARD), "payu": ("payu", None),
    "mercadopago": ("mercadopago", PaymentMethod.CHECKOUT), "mercado pago": ("mercadopago", PaymentMethod.CHECKOUT),
    "sandbox": ("sandbox", PaymentMethod.SANDBOX), "prueba": ("sandbox", PaymentMethod.SANDBOX),
}


class NextStep(StrEnum):
    """What the buyer does after starting a payment."""

    REDIRECT = "redirect"  # open `url`
    FORM = "form"  # POST `form_fields` to `url` (PayU WebCheckout)
    PUSH = "push"  # approve the push notification in the Nequi app
    NONE = "none"  # nothing: the gateway answered at once (sandbox)


@dataclass(frozen=True)
class CheckoutRequest:
    """What a gateway needs to start one payment attempt."""

    reference: str  # the intent id: the gateway sends it back in its notifications
    order_id: str
    amount_cop: int
    method: PaymentMethod
    description: str
    buyer_email: str
    buyer_phone: str
    buyer_name: str
    token: str = ""  # the sandbox's test token
    idempotency_key: str = ""


@dataclass(frozen=True)
class Checkout:
    """A gateway's answer to a started payment: the buyer's next step, and an outcome if it is known already."""

    next_step: NextStep
    url: str = ""  # the link the buyer opens (MercadoPago's init_point; our page that posts PayU's form)
    form_action: str = ""  # PayU WebCheckout: where the form is posted
    form_fields: dict[str, str] = field(default_factory=dict)
    transaction_id: str | None = None
    status: PaymentStatus = PaymentStatus.PENDING
    reason: str = ""


@dataclass(frozen=True)
class GatewayNotice:
    """A verified statement by a gateway about one transaction: what commerce acts on."""

    gateway: str
    reference: str  # our intent id
    transaction_id: str
    status: PaymentStatus
    amount_cop: int
    currency: str = "COP"
    reason: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationRequest:
    """An HTTP notification as it arrived, before anyone trusts it."""

    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    approved: bool


class InvalidNotification(Exception):
    """A notification that failed verification: forged, stale, malformed or unknown. Nothing changes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IgnoredNotification(InvalidNotification):
    """A genuine notification about something we do not act on (MercadoPago's merchant_order topic)."""


class GatewayUnavailable(Conflict):
    """The gateway did not answer or refused the request; the buyer may retry."""

    code = "gateway_unavailable"


class PaymentGateway(abc.ABC):
    """One payment gateway. Calls are idempotent by the intent id: a retry returns the first answer."""

    name: str = "gateway"
    methods: frozenset[PaymentMethod] = frozenset()

    @abc.abstractmethod
    def start(self, request: CheckoutRequest) -> Checkout:
        """Start a payment attempt and say what the buyer does next."""

    @abc.abstractmethod
    def verify_notification(self, request: NotificationRequest) -> GatewayNotice:
        """Verify a notification (signature, timestamp, re-read) or raise InvalidNotification."""

    @abc.abstractmethod
    def refund(self, *, transaction_id: str, amount_cop: int, idempotency_key: str) -> RefundResult:
        """Give an approved payment back."""

    def poll(self, *, reference: str, transaction_id: str) -> GatewayNotice | None:
        """The transaction's status read from the gateway (for gateways confirmed by polling); None if unknown."""
        return None


class Gateways:
    """The configured gateways by name. `fallback` refunds payments of gateways not configured here (the
    embedded demo data names PayU, MercadoPago and Nequi; embedded, the sandbox gives them back)."""

    def __init__(self, gateways: list[PaymentGateway], *, fallback: PaymentGateway | None = None) -> None:
        self._by_name = {g.name: g for g in gateways}
        self.fallback = fallback

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> PaymentGateway:
        """The gateway called `name`, or InvalidInput in Spanish."""
        gateway = self._by_name.get(name.strip().lower())
        if gateway is None:
            offered = ", ".join(self.names) or "ninguna"
            raise InvalidInput(f"La pasarela «{name}» no está disponible. Pasarelas habilitadas: {offered}.")
        return gateway

    def choose(self, words: str | None) -> tuple[PaymentGateway, PaymentMethod | None]:
        """The gateway and method a buyer's words name ("Nequi", "PSE", "tarjeta"…); with no words, the only
        gateway configured. InvalidInput in Spanish when it is unknown, not configured, or ambiguous."""
        if not words or not words.strip():
            if len(self._by_name) == 1:
                return next(iter(self._by_name.values())), None
            raise InvalidInput("¿Con qué medio quieres pagar? " + self.offer())
        choice = PAYMENT_WORDS.get(fold(words).strip()) or PAYMENT_WORDS.get(fold(words).replace(" ", ""))
        if choice is None:
            raise InvalidInput(f"No conozco el medio de pago «{words}». " + self.offer())
        gateway, method = choice
        if gateway not in self._by_name:
            raise InvalidInput(f"El pago con {words.strip()} no está disponible ahora. " + self.offer())
        return self._by_name[gateway], method

    def offer(self) -> str:
        """ "Puedes pagar con: …" in Spanish, from the configured gateways."""
        options = sorted({METHOD_ES[m] for g in self._by_name.values() for m in g.methods})
        return "Puedes pagar con: " + ", ".join(options) + "."

    def for_refund(self, name: str) -> PaymentGateway:
        gateway = self._by_name.get(name)
        if gateway is not None:
            return gateway
        if self.fallback is not None:
            return self.fallback
        raise GatewayUnavailable(f"La pasarela {name} no está configurada: no podemos hacer el reembolso ahora.")
