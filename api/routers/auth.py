"""OAuth2 password flow → a short-lived JWT access token and a rotating refresh token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.deps import BusDep, PlatformDep
from api.routers.mfa import check_second_factor
from api.security import create_access_token
from commerce.identity.principal import Principal
from commerce.identity.services import authenticate
from commerce.identity.sessions import (
    INVALID,
    IssuedRefreshToken,
    IssueRefreshToken,
    RevokeRefreshFamily,
    RotateRefreshToken,
    Rotation,
)
from commerce.identity.throttle import LOCKED_OUT
from commerce.shared.clock import utcnow
from commerce.shared.errors import NotAuthenticated

router = APIRouter(prefix="/v1/auth", tags=["autenticación"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    role: str
    scopes: list[str]
    seller_id: str | None
    buyer_id: str | None


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


def _token_pair(request: Request, platform: PlatformDep, principal: Principal,
                refresh: IssuedRefreshToken) -> TokenRead:
    ttl = platform.settings.jwt_ttl_minutes
    token = create_access_token(principal, secret=request.app.state.jwt_secret, ttl_minutes=ttl)
    return TokenRead(access_token=token, expires_in=ttl * 60, refresh_token=refresh.token,
                     refresh_expires_in=int((refresh.expires_at - utcnow()).total_seconds()),
                     role=str(principal.role), scopes=sorted(principal.scopes), seller_id=principal.seller_id,
                     buyer_id=principal.buyer_id)


OtpForm = Annotated[str | None, Form(max_length=64, description=(
    "Segundo factor (obligatorio para admin y superuser): el código de 6 dígitos de la app de autenticación "
    "o un código de recuperación"))]


@router.post("/token", response_model=TokenRead, summary="Log in with email and password (OAuth2 form)",
             responses={401: {"description": "Credenciales inválidas, o falta el segundo factor "
                                             "(`code`: `mfa_required`, `mfa_invalid`, `mfa_enrolment_required`)"},
                        429: {"description": "Demasiados intentos fallidos (con `Retry-After`)"}})
def login(
    request: Request, platform: PlatformDep, bus: BusDep, form: Annotated[OAuth2PasswordRequestForm, Depends()],
    otp: OtpForm = None,
) -> TokenRead:
    settings, throttle = platform.settings, platform.login_throttle
    ip = request.client.host if request.client else "unknown"
    # Checked before the password: during a lockout even the right password is refused.
    wait = throttle.retry_after(email=form.username, ip=ip)
    if wait is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail=LOCKED_OUT.format(seconds=wait),
                            headers={"Retry-After": str(wait)})
    try:
        with platform.read_uow() as uow:
            login = authenticate(uow=uow, email=form.username, password=form.password,
                                 allow_demo_password=not settings.is_production)
    except NotAuthenticated:
        throttle.failed(email=form.username, ip=ip)
        raise
    check_second_factor(platform, login.principal, otp, ip=ip)  # admins and superusers: TOTP or recovery code
    throttle.succeeded(email=form.username)
    if login.rehash is not None:  # an old scrypt hash: store its Argon2id replacement
        bus.handle(login.rehash)
    principal = login.principal
    refresh: IssuedRefreshToken = bus.handle(IssueRefreshToken(
        user_id=principal.user_id, ttl_minutes=settings.refresh_token_ttl_minutes))
    return _token_pair(request, platform, principal, refresh)


@router.post("/refresh", response_model=TokenRead,
             summary="Trade a refresh token for a new pair (the old one is spent; a reused one ends the session)")
def refresh(request: Request, platform: PlatformDep, bus: BusDep, body: RefreshRequest) -> TokenRead:
    rotation: Rotation = bus.handle(RotateRefreshToken(
        token=body.refresh_token, ttl_minutes=platform.settings.refresh_token_ttl_minutes))
    if rotation.refusal is not None or rotation.principal is None or rotation.issued is None:
        raise NotAuthenticated(rotation.refusal or INVALID)
    return _token_pair(request, platform, rotation.principal, rotation.issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             summary="Log out: revoke the refresh token's whole family")
def logout(bus: BusDep, body: RefreshRequest) -> Response:
    bus.handle(RevokeRefreshFamily(token=body.refresh_token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
