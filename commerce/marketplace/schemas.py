"""Read models shared by the API and the agent tools."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
