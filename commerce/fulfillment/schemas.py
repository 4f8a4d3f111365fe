"""Read models of fulfillment, shared by the API and the agent tools."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class WarehouseStockRead(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class StockRead(BaseModel):
    sku: str
    warehouses: list[WarehouseStockRead]


class LowStockRead(BaseModel):
    sku: str
    warehouse: str
    available: int
    reorder_point: int
    safety_stock: int


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    kind: str
    sku: str
    warehouse: str
    on_hand_delta: int
    reserved_delta: int
    reference: str | None
    note: str | None


class PurchaseOrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    quantity: int
    unit_cost_cop: int


class PurchaseOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    supplier_id: str
    seller_id: str
    warehouse: str
    status: str
    source: str
    created_at: datetime
    lines: list[PurchaseOrderLineRead]
