"""Commands the marketplace accepts."""

from __future__ import annotations

from pydantic import Field, field_validator

from commerce.identity.principal import SYSTEM, Principal
from commerce.shared.commands import Command

MAX_UNITS_PER_LINE = 1000


class OrderLineIn(Command):
    sku: str = Field(min_length=1, max_length=32)
    quantity: int = Field(gt=0, le=MAX_UNITS_PER_LINE)

    @field_validator("sku")
    @classmethod
    def _canonical_sku(cls, value: str) -> str:
        return value.strip().upper()


class PlaceOrder(Command):
    buyer_id: str
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    warehouse: str | None = Field(default=None, max_length=8)
    actor: Principal = SYSTEM

    @field_validator("warehouse")
    @classmethod
    def _canonical_warehouse(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None


class PayOrder(Command):
    order_id: str
    gateway: str = "sandbox"
    payment_token: str = "tok_approved"
    actor: Principal = SYSTEM


class CancelOrder(Command):
    order_id: str
    reason: str = Field(default="solicitado por el cliente", min_length=1, max_length=200)
    actor: Principal = SYSTEM


class UpdatePrice(Command):
    sku: str
    price_cop: int = Field(gt=0, le=1_000_000_000)
    actor: Principal = SYSTEM


class RegisterSeller(Command):
    id: str = Field(min_length=3, max_length=16)
    legal_name: str = Field(min_length=2, max_length=200)
    nit: str
    city: str = Field(min_length=2, max_length=80)
    contact_email: str = Field(min_length=3, max_length=254)
    actor: Principal = SYSTEM
