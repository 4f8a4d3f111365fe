"""Read models shared by the API and the agent tools."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from commerce.marketplace.payments import METHOD_ES, NextStep, PaymentMethod, PaymentStatus
from commerce.shared.money import format_cop


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    category: str
    price_cop: int
    seller_id: str
    description: str = ""


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    quantity: int
    unit_price_cop: int
    subtotal_cop: int
    seller_id: str


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    gateway: str
    status: str
    amount_cop: int
    created_at: datetime
    method: str | None = None
    transaction_id: str | None = None
    reason: str | None = None


class PaymentStartRead(PaymentRead):
    """A started payment and what the buyer does next (open `checkout_url`, post the form, check Nequi)."""

    order_id: str
    next_step: str | None = None  # redirect | form | push | none
    checkout_url: str | None = None
    form_action: str | None = None
    form_fields: dict[str, str] = {}
    message: str = ""

    @property
    def method_es(self) -> str:
        return METHOD_ES.get(PaymentMethod(self.method), self.gateway) if self.method else self.gateway

    @classmethod
    def of(cls, payment: Any) -> PaymentStartRead:
        """The read model of a Payment row, with the Spanish next step."""
        form = payment.checkout_form or {}
        read = cls(id=payment.id, gateway=payment.gateway, status=payment.status, amount_cop=payment.amount_cop,
                   created_at=payment.created_at, method=payment.method, transaction_id=payment.external_ref,
                   reason=payment.reason, order_id=payment.order_id, next_step=payment.next_step,
                   checkout_url=payment.checkout_url, form_action=form.get("action"),
                   form_fields=form.get("fields") or {})
        return read.model_copy(update={"message": read.describe()})

    def describe(self) -> str:
        """What the buyer reads after starting this payment, in Spanish."""
        amount = format_cop(self.amount_cop)
        if self.status == PaymentStatus.APPROVED:
            return f"¡Listo! Tu pago de {amount} para el pedido {self.order_id} fue aprobado."
        if self.status == PaymentStatus.DECLINED:
            why = f": {self.reason}" if self.reason else ""
            return (f"La pasarela rechazó el pago de {amount} del pedido {self.order_id}{why}. "
                    "Puedes intentar con otro medio de pago.")
        if self.next_step == NextStep.PUSH:
            return (f"Te enviamos una solicitud de pago por {amount} a tu Nequi: revisa tu Nequi y acéptala. "
                    "Te avisamos aquí cuando se confirme.")
        if self.checkout_url:
            return (f"Para pagar {amount} del pedido {self.order_id} con {self.method_es}, abre este enlace: "
                    f"{self.checkout_url} — te avisamos aquí cuando la pasarela lo confirme.")
        return f"Tu pago de {amount} del pedido {self.order_id} quedó pendiente de confirmación."


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    buyer_id: str
    warehouse: str | None
    status: str
    total_cop: int
    carrier: str | None
    tracking_number: str | None
    payment_due_at: datetime | None
    cancel_reason: str | None
    created_at: datetime
    lines: list[OrderLineRead]
    payments: list[PaymentRead]


class SellerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    legal_name: str
    nit: str
    city: str
    contact_email: str
