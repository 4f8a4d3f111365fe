"""Second factor over HTTP: the login's TOTP check, and (re-)enrolment of the logged-in user.

Self-service enrolment is two steps, so a typo in the authenticator app cannot lock anyone
out: `POST /v1/auth/mfa/enrol` makes a *pending* secret (the active one keeps working) and
returns its otpauth URI and QR code; `POST /v1/auth/mfa/confirm` with a code from the new
secret activates it and returns ten new recovery codes, shown once. Someone who already has a
second factor must present a current code to start a re-enrolment: a stolen access token alone
cannot replace it. A first enrolment of an admin is done by an operator (`mestocker mfa enrol`),
since an admin without a second factor gets no token at all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import BusDep, CurrentPrincipal, PlatformDep
from commerce.identity.mfa import (
    INVALID,
    NOT_ENROLLED,
    REQUIRED,
    Confirmation,
    ConfirmTotpEnrolment,
    SecondFactorCheck,
    SecondFactorInvalid,
    SecondFactorNotEnrolled,
    SecondFactorRequired,
    StartTotpEnrolment,
    TotpEnrolment,
    VerifySecondFactor,
    pending_enrolment_uri,
    qr_svg,
    second_factor_state,
)
from commerce.identity.principal import Principal
from commerce.shared.errors import InvalidInput, NotFound
from infra.bootstrap import Platform

router = APIRouter(prefix="/v1/auth/mfa", tags=["autenticación"])

OtpField = Annotated[str | None, Field(default=None, max_length=64,
                                       description="Código de 6 dígitos de la app, o un código de recuperación")]


def check_second_factor(platform: Platform, principal: Principal, otp: str | None, *, ip: str) -> None:
    """Raise the 401 the login needs when `principal` must show a second factor and did not.

    A wrong, stale or replayed code counts as a failed login in the throttle, like a wrong password."""
    with platform.read_uow() as uow:
        state = second_factor_state(uow=uow, user_id=principal.user_id, count_codes=False)
    if not state.required:
        return
    if not state.enrolled:
        raise SecondFactorNotEnrolled(NOT_ENROLLED)
    if not otp or not otp.strip():
        raise SecondFactorRequired(REQUIRED)
    check: SecondFactorCheck = platform.bus.handle(VerifySecondFactor(user_id=principal.user_id, code=otp.strip()))
    if not check.ok:
        platform.login_throttle.failed(email=principal.email, ip=ip)
        raise SecondFactorInvalid(INVALID)


class MfaStatus(BaseModel):
    required: bool
    enrolled: bool
    pending: bool
    recovery_codes_left: int


class EnrolRequest(BaseModel):
    otp: OtpField = None


class EnrolmentRead(BaseModel):
    otpauth_uri: str
    secret: str
    qr_svg: str
    qr_url: str = "/v1/auth/mfa/qr.svg"
    confirm_url: str = "/v1/auth/mfa/confirm"


class ConfirmRequest(BaseModel):
    otp: str = Field(min_length=6, max_length=16, description="Un código de la nueva inscripción")


class RecoveryCodesRead(BaseModel):
    recovery_codes: list[str]


UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {401: {"description": "Falta el token de acceso o no es válido"}}


@router.get("", response_model=MfaStatus, summary="Second-factor status of the logged-in user",
            responses=UNAUTHENTICATED)
def status_of(platform: PlatformDep, principal: CurrentPrincipal) -> MfaStatus:
    with platform.read_uow() as uow:
        state = second_factor_state(uow=uow, user_id=principal.user_id)
    return MfaStatus(required=state.required, enrolled=state.enrolled, pending=state.pending,
                     recovery_codes_left=state.recovery_codes_left)


@router.post("/enrol", response_model=EnrolmentRead, summary="Start a TOTP (re-)enrolment: a pending secret and its QR",
             responses={401: {"description": "Sin token, o falta el código actual o es incorrecto "
                                             "(`code`: `mfa_required`, `mfa_invalid`)"}})
def enrol(request: Request, platform: PlatformDep, bus: BusDep, principal: CurrentPrincipal,
          body: EnrolRequest | None = None) -> EnrolmentRead:
    with platform.read_uow() as uow:
        enrolled = second_factor_state(uow=uow, user_id=principal.user_id).enrolled
    if enrolled:  # replacing a second factor needs the current one
        ip = request.client.host if request.client else "unknown"
        check_second_factor(platform, principal, body.otp if body else None, ip=ip)
    started: TotpEnrolment = bus.handle(StartTotpEnrolment(user_id=principal.user_id))
    return EnrolmentRead(otpauth_uri=started.uri, secret=started.secret, qr_svg=qr_svg(started.uri))


@router.get("/qr.svg", summary="QR code (SVG) of the pending enrolment", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}, **UNAUTHENTICATED,
                       404: {"description": "Sin inscripción pendiente"}})
def qr(platform: PlatformDep, principal: CurrentPrincipal) -> Response:
    with platform.read_uow() as uow:
        uri = pending_enrolment_uri(uow=uow, user_id=principal.user_id)
    if uri is None:
        raise NotFound("No hay una inscripción pendiente: pide una con POST /v1/auth/mfa/enrol.")
    return Response(qr_svg(uri), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/confirm", response_model=RecoveryCodesRead, status_code=status.HTTP_200_OK,
             summary="Activate the pending secret with one of its codes; returns ten new recovery codes (once)",
             responses={**UNAUTHENTICATED, 422: {"description": "Código incorrecto o sin inscripción pendiente"}})
def confirm(bus: BusDep, principal: CurrentPrincipal, body: ConfirmRequest) -> RecoveryCodesRead:
    outcome: Confirmation = bus.handle(ConfirmTotpEnrolment(user_id=principal.user_id, code=body.otp))
    if outcome.refusal is not None:
        raise InvalidInput(outcome.refusal)
    return RecoveryCodesRead(recovery_codes=outcome.recovery_codes)
