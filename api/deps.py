"""FastAPI dependencies as `Annotated` aliases: the platform, units of work and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.security import decode_access_token
from commerce.identity import services as identity
from commerce.identity.principal import Principal
from commerce.shared.errors import NotAuthenticated
from commerce.shared.messagebus import MessageBus
from commerce.shared.unit_of_work import UnitOfWork
from infra.bootstrap import Platform

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_bus(platform: PlatformDep) -> MessageBus:
    return platform.bus


def get_read_uow(platform: PlatformDep) -> Iterator[UnitOfWork]:
    with platform.read_uow() as uow:
        yield uow


def principal_from_token(request: Request, token: str | None) -> Principal:
    """The caller a valid token speaks for, as the user is now: a deactivated or deleted user's
    token stops working at once, and a changed role or seller/buyer link applies at once."""
    if not token:
        raise NotAuthenticated("Falta el token de acceso: inicia sesión en /v1/auth/token.")
    claimed = decode_access_token(token, secret=request.app.state.jwt_secret)
    platform: Platform = request.app.state.platform
    with platform.read_uow() as uow:
        current = identity.get_principal(uow=uow, user_id=claimed.user_id)
    if current is None:
        raise NotAuthenticated("Tu sesión ya no es válida: inicia sesión de nuevo.")
    return current


def get_principal(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    return principal_from_token(request, token)


BusDep = Annotated[MessageBus, Depends(get_bus)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
