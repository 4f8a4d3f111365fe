"""Orders: place (idempotent), read, list, cancel. Paying is api/routers/payments.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentPrincipal, PlatformDep, ReadUowDep
from api.errors import commerce_error_body, json_or_problem, status_for
from commerce.identity.principal import Principal
from commerce.marketplace import commands, visibility
from commerce.marketplace.schemas import OrderRead
from commerce.shared import idempotency
from commerce.shared.errors import CommerceError, InvalidInput
from infra.bootstrap import Platform

router = APIRouter(prefix="/v1/orders", tags=["pedidos"])
OrderId = Annotated[str, Path(min_length=1, max_length=32, description="p. ej. ORD-1001")]


class OrderLineCreate(BaseModel):
    # Strict request models: JSON `true`, "1" or 1.5 is a 422, never a quantity of 1 (JSON integers pass).
    model_config = ConfigDict(extra="forbid", strict=True)

    sku: str = Field(min_length=1, max_length=32, examples=["CAF-001"])
    quantity: int = Field(gt=0, le=commands.MAX_UNITS_PER_LINE, examples=[2])


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    lines: list[OrderLineCreate] = Field(min_length=1, max_length=50)
    warehouse: str | None = Field(default=None, max_length=8, examples=["BOG"],
                                  description="Bodega; si se omite, una que pueda atender todas las líneas")


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(default="solicitado por el cliente", min_length=1, max_length=200)


def _place(platform: Platform, principal: Principal, body: OrderCreate,
           claimed: tuple[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    if not principal.buyer_id:
        raise InvalidInput("Solo un comprador puede crear pedidos desde esta ruta.")
    try:
        cmd = commands.PlaceOrder(buyer_id=principal.buyer_id, warehouse=body.warehouse, actor=principal,
                                  lines=[commands.OrderLineIn(sku=ln.sku, quantity=ln.quantity) for ln in body.lines],
                                  idempotency=claimed)
        # The read-back from the placing session, after its commit: no second transaction.
        order = platform.bus.handle(cmd, then=lambda uow, order_id: visibility.get_visible_order(
            uow=uow, principal=principal, order_id=order_id))
        return 201, order.model_dump(mode="json")
    except CommerceError as exc:
        return status_for(exc), commerce_error_body(exc, instance=router.prefix)


def _order_body(platform: Platform, principal: Principal, order_id: str) -> dict[str, Any]:
    with platform.read_uow() as uow:
        return visibility.get_visible_order(uow=uow, principal=principal, order_id=order_id).model_dump(mode="json")


@router.post("", status_code=201, response_model=OrderRead,
             responses={409: {"description": "Stock insuficiente o clave de idempotencia en uso"},
                        422: {"description": "Datos inválidos o Idempotency-Key reutilizada con otro cuerpo"}},
             summary="Place an order for the logged-in buyer (send an Idempotency-Key to retry safely)")
def place_order(
    body: OrderCreate, platform: PlatformDep, principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    if idempotency_key is None:
        status, payload = _place(platform, principal, body)
        return json_or_problem(payload, status)
    scope = f"POST /v1/orders:{principal.user_id}"
    fingerprint = idempotency.request_fingerprint(body.model_dump(mode="json"))
    replay = platform.bus.handle(idempotency.ClaimIdempotencyKey(scope=scope, key=idempotency_key,
                                                                 request_hash=fingerprint))
    if replay is not None:
        placed = idempotency.placed_order(replay)  # the placing process died before storing its response
        payload = _order_body(platform, principal, placed) if placed else replay.body
        return json_or_problem(payload, replay.status_code, headers={"Idempotent-Replayed": "true"})
    try:
        status, payload = _place(platform, principal, body, claimed=(scope, idempotency_key))
    except BaseException:
        platform.bus.handle(idempotency.ReleaseIdempotencyKey(scope=scope, key=idempotency_key))
        raise
    platform.bus.handle(idempotency.CompleteIdempotentRequest(scope=scope, key=idempotency_key, status_code=status,
                                                              body=payload))
    return json_or_problem(payload, status)


@router.get("", response_model=list[OrderRead], summary="Orders the caller may see, newest first")
def list_orders(uow: ReadUowDep, principal: CurrentPrincipal, status: str | None = None) -> list[OrderRead]:
    return visibility.list_visible_orders(uow=uow, principal=principal, status=status)


@router.get("/{order_id}", response_model=OrderRead,
            summary="One order (its buyer or staff; a seller of a line sees only its own lines)")
def get_order(order_id: OrderId, uow: ReadUowDep, principal: CurrentPrincipal) -> OrderRead:
    return visibility.get_visible_order(uow=uow, principal=principal, order_id=order_id)


@router.post("/{order_id}/cancel", response_model=OrderRead, summary="Cancel (or refund, if paid) an order")
def cancel_order(order_id: OrderId, body: OrderCancel, platform: PlatformDep,
                 principal: CurrentPrincipal) -> OrderRead:
    platform.bus.handle(commands.CancelOrder(order_id=order_id, reason=body.reason, actor=principal))
    with platform.read_uow() as uow:
        return visibility.get_visible_order(uow=uow, principal=principal, order_id=order_id)
