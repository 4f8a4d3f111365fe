"""The logged-in user's own settings: binding a WhatsApp number with a one-time link code."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel

from api.deps import BusDep, CurrentPrincipal
from commerce.identity.phone_binding import CODE_TTL, CreateWebLinkCode, WebLinkCode

router = APIRouter(prefix="/v1/me", tags=["cuenta"])


class LinkCodeRead(BaseModel):
    code: str
    expires_at: datetime
    expires_in: int
    instructions: str


@router.post("/whatsapp/link-code", response_model=LinkCodeRead, status_code=status.HTTP_201_CREATED,
             summary="A one-time code to send from the WhatsApp number to bind to this account",
             responses={401: {"description": "Falta el token de acceso o no es válido"},
                        403: {"description": "Las cuentas de administración no se vinculan a WhatsApp"}})
def whatsapp_link_code(bus: BusDep, principal: CurrentPrincipal) -> LinkCodeRead:
    issued: WebLinkCode = bus.handle(CreateWebLinkCode(user_id=principal.user_id))
    return LinkCodeRead(code=issued.code, expires_at=issued.expires_at, expires_in=int(CODE_TTL.total_seconds()),
                        instructions=(f"Envía {issued.code} por WhatsApp al número de MeStocker desde el celular que "
                                      "quieres vincular. El código vence en 10 minutos y sirve una sola vez."))
