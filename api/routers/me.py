"""The logged-in user's own account: their data (Ley 1581 art. 8: conocer, actualizar, rectificar y
suprimir), consent, and binding a WhatsApp number with a one-time link code."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from api.deps import BusDep, CurrentPrincipal
from commerce.identity.consent import ConsentRead, GrantConsent, RevokeConsent, Withdrawal
from commerce.identity.data_export import CorrectSubjectData, ExportSubjectData, SubjectExport
from commerce.identity.erasure import EraseSubjectData, ErasureResult
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


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr | None = None
    phone: StrictStr | None = None
    email: StrictStr | None = None
    address: StrictStr | None = None
    city: StrictStr | None = None


class Corrected(BaseModel):
    corrected: list[str]


class ConsentGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    international_transfer: bool = Field(default=True, description="Modelos de IA en la nube fuera de Colombia")
    sensitive_data: bool = False


class ConsentRevocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withdraw: Withdrawal = Withdrawal.ALL


@router.get("/data", response_model=SubjectExport,
            summary="Portable JSON export of everything held about the caller (a consulta, recorded)")
def export_me(bus: BusDep, principal: CurrentPrincipal) -> SubjectExport:
    export: SubjectExport = bus.handle(ExportSubjectData(actor=principal))
    return export


@router.patch("", response_model=Corrected, summary="Correct the caller's name, phone, email, address or city")
def correct_me(body: Correction, bus: BusDep, principal: CurrentPrincipal) -> Corrected:
    fields = body.model_dump(exclude_none=True)
    return Corrected(corrected=bus.handle(CorrectSubjectData(actor=principal, **fields)))


@router.delete("", response_model=ErasureResult,
               summary="Erase the caller's personal data everywhere and close the account (orders kept anonymised)")
def erase_me(bus: BusDep, principal: CurrentPrincipal) -> ErasureResult:
    result: ErasureResult = bus.handle(EraseSubjectData(user_id=principal.user_id, actor=principal,
                                                        close_account=True))
    return result


@router.post("/consent", response_model=ConsentRead, summary="Give (or change) the processing authorisation")
def grant(body: ConsentGrant, bus: BusDep, principal: CurrentPrincipal) -> ConsentRead:
    record: ConsentRead = bus.handle(GrantConsent(actor=principal, channel="api", **body.model_dump()))
    return record


@router.post("/consent/revoke", summary="Revoke the authorisation, or only international transfer / sensitive data")
def revoke(body: ConsentRevocation, bus: BusDep, principal: CurrentPrincipal) -> dict[str, bool]:
    state = bus.handle(RevokeConsent(actor=principal, channel="api", withdraw=body.withdraw))
    return {"granted": state.granted, "international_transfer": state.international_transfer,
            "sensitive_data": state.sensitive_data}
