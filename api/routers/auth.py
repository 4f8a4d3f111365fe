"""`POST /v1/auth/token`: the OAuth2 password grant (a short-lived JWT and a rotating refresh token) and the
client-credentials grant (a service client's JWT, no refresh token); `scope=` narrows either."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import BusDep, CurrentPrincipal, PlatformDep
from api.routers.mfa import check_second_factor
from api.security import create_access_token
from commerce.identity.clients import authenticate_client
from commerce.identity.principal import Principal, parse_scopes
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
from commerce.shared.errors import CommerceError, InvalidClient, InvalidInput, NotAuthenticated

router = APIRouter(prefix="/v1/auth", tags=["autenticación"])


PASSWORD, CLIENT_CREDENTIALS = "password", "client_credentials"


class UnsupportedGrantType(CommerceError):
    """OAuth2's `unsupported_grant_type` (400)."""

    code = "unsupported_grant_type"


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str | None = Field(description="Ausente para clientes de servicio (client credentials)")
    refresh_expires_in: int | None
    role: str
    scope: str = Field(description="Los alcances del token separados por espacios (OAuth2)")
    scopes: list[str]
    seller_id: str | None
    buyer_id: str | None


class TokenForm:
    """The token request's form fields (RFC 6749 §4.3 and §4.4): a user's email and password, or a client's
    id and secret (also accepted as HTTP Basic); `scope` asks for fewer scopes than the account holds."""

    def __init__(
        self,
        grant_type: Annotated[str | None, Form(max_length=40, description="password (por omisión) o "
                                               "client_credentials")] = None,
        username: Annotated[str, Form(max_length=254)] = "",
        password: Annotated[str, Form(max_length=200)] = "",
        scope: Annotated[str, Form(max_length=1000, description="Alcances separados por espacios; "
                                   "solo los pedidos (p. ej. «orders:read»)")] = "",
        client_id: Annotated[str, Form(max_length=64)] = "",
        client_secret: Annotated[str, Form(max_length=200)] = "",
    ) -> None:
        self.grant_type = grant_type or PASSWORD
        self.username, self.password, self.scope = username, password, scope
        self.client_id, self.client_secret = client_id, client_secret

    def requested_scopes(self) -> frozenset[str] | None:
        """The scopes asked for, or None when the request names none (the account's or client's own)."""
        return parse_scopes(self.scope) if self.scope.strip() else None


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


def _token_pair(request: Request, platform: PlatformDep, principal: Principal,
                refresh: IssuedRefreshToken | None) -> TokenRead:
    ttl = platform.settings.jwt_ttl_minutes
    token = create_access_token(principal, secret=request.app.state.jwt_secret, ttl_minutes=ttl)
    return TokenRead(access_token=token, expires_in=ttl * 60, refresh_token=refresh.token if refresh else None,
                     refresh_expires_in=int((refresh.expires_at - utcnow()).total_seconds()) if refresh else None,
                     role=str(principal.role), scope=" ".join(sorted(principal.scopes)),
                     scopes=sorted(principal.scopes), seller_id=principal.seller_id, buyer_id=principal.buyer_id)


OtpForm = Annotated[str | None, Form(max_length=64, description=(
    "Segundo factor (obligatorio para admin y superuser): el código de 6 dígitos de la app de autenticación "
    "o un código de recuperación"))]


@router.post("/token", response_model=TokenRead,
             summary="Get an access token: email and password, or a service client's credentials (OAuth2 form)",
             responses={400: {"description": "`invalid_scope` (un alcance que la cuenta no tiene) o "
                                             "`unsupported_grant_type`"},
                        401: {"description": "Credenciales inválidas (`invalid_client` para clientes), o falta el "
                                             "segundo factor (`code`: `mfa_required`, `mfa_invalid`, "
                                             "`mfa_enrolment_required`)"},
                        429: {"description": "Demasiados intentos fallidos (con `Retry-After`)"}})
def issue_token(
    request: Request, platform: PlatformDep, bus: BusDep, form: Annotated[TokenForm, Depends()],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    otp: OtpForm = None,
) -> TokenRead:
    if form.grant_type == CLIENT_CREDENTIALS:
        return client_credentials_grant(request, platform, form, authorization)
    if form.grant_type != PASSWORD:
        raise UnsupportedGrantType(f"Tipo de concesión no soportado: «{form.grant_type}» "
                                   "(usa password o client_credentials).")
    return password_grant(request, platform, bus, form, otp)


def _locked_out(wait: int) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail=LOCKED_OUT.format(seconds=wait),
                         headers={"Retry-After": str(wait)})


def password_grant(request: Request, platform: PlatformDep, bus: BusDep, form: TokenForm,
                   otp: str | None = None) -> TokenRead:
    """A user's login: throttled, the hash upgraded when old, a new refresh family carrying `scope`."""
    if not form.username or not form.password:
        raise InvalidInput("Faltan el correo (username) y la contraseña (password).")
    requested = form.requested_scopes()  # an unknown scope is refused before the password is checked
    settings, throttle = platform.settings, platform.login_throttle
    ip = request.client.host if request.client else "unknown"
    # Checked before the password: during a lockout even the right password is refused.
    wait = throttle.retry_after(email=form.username, ip=ip)
    if wait is not None:
        raise _locked_out(wait)
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
    principal = login.principal.narrowed(requested)  # more than the role holds: 400 invalid_scope
    refresh: IssuedRefreshToken = bus.handle(IssueRefreshToken(
        user_id=principal.user_id, ttl_minutes=settings.refresh_token_ttl_minutes,
        scopes=sorted(requested) if requested is not None else None))
    return _token_pair(request, platform, principal, refresh)


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from `Authorization: Basic …` (RFC 6749 §2.3.1), or None."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Cabecera Authorization Basic mal formada.") from exc
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def client_credentials_grant(request: Request, platform: PlatformDep, form: TokenForm,
                             authorization: str | None) -> TokenRead:
    """A service client's token: only the client's scopes (or fewer), no refresh token; failures are
    throttled per client id and IP like logins."""
    client_id, secret = _basic_credentials(authorization) or (form.client_id, form.client_secret)
    if not client_id or not secret:
        raise InvalidClient("Faltan client_id y client_secret (en el formulario o como HTTP Basic).")
    requested = form.requested_scopes()
    throttle = platform.login_throttle
    ip = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(email=f"client:{client_id}", ip=ip)
    if wait is not None:
        raise _locked_out(wait)
    try:
        with platform.read_uow() as uow:
            principal = authenticate_client(uow=uow, client_id=client_id, secret=secret)
    except NotAuthenticated:
        throttle.failed(email=f"client:{client_id}", ip=ip)
        raise
    throttle.succeeded(email=f"client:{client_id}")
    return _token_pair(request, platform, principal.narrowed(requested), None)


@router.post("/refresh", response_model=TokenRead,
             summary="Trade a refresh token for a new pair (the old one is spent; a reused one ends the session)")
def refresh(request: Request, platform: PlatformDep, bus: BusDep, body: RefreshRequest) -> TokenRead:
    rotation: Rotation = bus.handle(RotateRefreshToken(
        token=body.refresh_token, ttl_minutes=platform.settings.refresh_token_ttl_minutes))
    if rotation.refusal is not None or rotation.principal is None or rotation.issued is None:
        raise NotAuthenticated(rotation.refusal or INVALID)
    # The family's scopes (a narrowed login stays narrowed), within what the role holds now.
    return _token_pair(request, platform, rotation.principal, rotation.issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT,
             summary="Log out: revoke the refresh token's whole family")
def logout(bus: BusDep, body: RefreshRequest) -> Response:
    bus.handle(RevokeRefreshFamily(token=body.refresh_token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class CallerRead(BaseModel):
    """Who a token speaks for, as the API sees it on this request."""

    kind: str = Field(description="user o service")
    role: str
    email: str
    scopes: list[str]
    seller_id: str | None
    buyer_id: str | None
    client_id: str | None


@router.get("/me", response_model=CallerRead,
            summary="The caller behind the token: kind, role and the scopes it holds now (narrowed, current role)")
def whoami(principal: CurrentPrincipal) -> CallerRead:
    return CallerRead(kind=str(principal.kind), role=str(principal.role), email=principal.email,
                      scopes=sorted(principal.scopes), seller_id=principal.seller_id, buyer_id=principal.buyer_id,
                      client_id=principal.client_id)
