"""Payments: start a payment for an order, read it, the PayU form page, and the gateways' notifications."""

from __future__ import annotations

import html
import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import BusDep, CurrentPrincipal, PlatformDep, ReadUowDep
from api.errors import problem_response
from commerce.marketplace import commands, payment_views
from commerce.marketplace.payments import (
    GatewayUnavailable,
    IgnoredNotification,
    InvalidNotification,
    NotificationRequest,
)
from commerce.marketplace.schemas import PaymentStartRead
from commerce.shared.clock import utcnow
from commerce.shared.errors import NotFound
from infra.payments.payu import PayUGateway

log = logging.getLogger(__name__)
router = APIRouter(tags=["pagos"])
OrderId = Annotated[str, Path(min_length=1, max_length=32, description="p. ej. ORD-1001")]
PaymentId = Annotated[str, Path(min_length=1, max_length=40, description="p. ej. PAY-ORD-1006-1")]
MAX_NOTIFICATION_BYTES = 64_000  # gateways send a few kilobytes


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    gateway: str = Field(default="sandbox", max_length=20, examples=["payu"],
                         description="sandbox, payu, mercadopago o nequi (las configuradas)")
    method: str | None = Field(default=None, max_length=12, examples=["pse"],
                               description="card, pse o efecty (PayU); checkout (Mercado Pago); nequi")
    payment_token: str = Field(default="tok_approved", max_length=100,
                               description="Solo sandbox: tok_approved, tok_declined o tok_pending")
    phone: str | None = Field(default=None, max_length=20, description="Nequi: celular que recibe la solicitud")


@router.post("/v1/orders/{order_id}/payments", response_model=PaymentStartRead, status_code=201,
             responses={409: {"description": "El pedido no está pendiente de pago o la pasarela no responde"},
                        422: {"description": "Pasarela o medio de pago no disponible"}},
             summary="Start a payment: returns what the buyer does next (link, PayU form, or check Nequi)")
def start_payment(order_id: OrderId, body: PaymentCreate, bus: BusDep, principal: CurrentPrincipal,
                  idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
                  ) -> PaymentStartRead:
    payment: PaymentStartRead = bus.handle(commands.PayOrder(
        order_id=order_id, gateway=body.gateway, method=body.method, payment_token=body.payment_token,
        phone=body.phone, idempotency_key=idempotency_key, actor=principal))
    return payment


@router.get("/v1/payments/{payment_id}", response_model=PaymentStartRead, summary="One payment and its status")
def get_payment(payment_id: PaymentId, uow: ReadUowDep, principal: CurrentPrincipal) -> PaymentStartRead:
    return payment_views.get_payment(uow=uow, principal=principal, payment_id=payment_id)


@router.get("/v1/payments/{payment_id}/checkout", response_class=HTMLResponse, include_in_schema=False)
def checkout_page(payment_id: PaymentId, platform: PlatformDep, t: str = "") -> HTMLResponse:
    """The page a chat link opens: it posts the signed PayU WebCheckout form (the link carries its own token)."""
    gateway = platform.gateways.get("payu")
    if not isinstance(gateway, PayUGateway) or not gateway.page_token_valid(payment_id, t):
        raise NotFound("Este enlace de pago no es válido.")
    with platform.read_uow() as uow:
        payment = payment_views.form_of(uow=uow, payment_id=payment_id)
    if payment is None:
        raise NotFound("Este enlace de pago ya no está disponible.")
    action, fields = payment
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return HTMLResponse(
        f'<!doctype html><html lang="es"><meta charset="utf-8"><title>Pagar con PayU</title>'
        f'<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(action)}">'
        f'{inputs}<p>Te estamos llevando a PayU…</p><button type="submit">Ir a pagar</button></form></body></html>')


@router.get("/v1/payments/{gateway}/return", response_class=HTMLResponse, include_in_schema=False)
def buyer_returns(gateway: str) -> HTMLResponse:
    """Where the gateway sends the buyer back. It proves nothing: only the signed notification confirms."""
    return HTMLResponse('<!doctype html><html lang="es"><meta charset="utf-8"><title>MeStocker</title><body>'
                        "<p>Estamos confirmando tu pago con la pasarela. Te avisaremos por el chat en cuanto "
                        "quede aprobado; puedes cerrar esta página.</p></body></html>")


@router.post("/v1/payments/{gateway}/notifications", summary="A gateway's signed payment notification",
             responses={401: {"description": "Firma inválida, vencida o notificación desconocida"},
                        503: {"description": "La pasarela no respondió al volver a consultar el pago"}})
async def receive_notification(gateway: str, request: Request, platform: PlatformDep) -> JSONResponse:
    """Verify (signature, freshness, re-read from the gateway's API) and apply once; forged ones change nothing."""
    body = await _bounded_body(request)
    notification = NotificationRequest(headers={k.lower(): v for k, v in request.headers.items()},
                                       query=dict(request.query_params), body=body, received_at=utcnow())
    adapter = platform.gateways.get(gateway)
    try:
        # Verification may call the gateway's API (MercadoPago, Nequi): off the event loop, like the command.
        notice = await run_in_threadpool(adapter.verify_notification, notification)
    except IgnoredNotification as exc:
        return JSONResponse({"result": "ignored", "detail": exc.reason})
    except InvalidNotification as exc:
        log.warning("rejected %s notification: %s", adapter.name, exc.reason)
        return problem_response(401, "Notificación rechazada: firma inválida, vencida o desconocida.",
                                instance=request.url.path, code="invalid_notification")
    except GatewayUnavailable as exc:
        return problem_response(503, exc.message, instance=request.url.path, code=exc.code)
    outcome = await run_in_threadpool(platform.bus.handle, commands.RecordPaymentNotification(
        gateway=notice.gateway, reference=notice.reference, transaction_id=notice.transaction_id,
        status=notice.status, amount_cop=notice.amount_cop, currency=notice.currency, reason=notice.reason,
        raw=dict(notice.raw)))
    return JSONResponse({"result": str(outcome)})


async def _bounded_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise HTTPException(status_code=413, detail="El cuerpo de la notificación es demasiado grande.")
    return bytes(body)
