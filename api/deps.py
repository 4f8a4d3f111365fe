"""FastAPI dependencies as `Annotated` aliases: the platform, units of work and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.security import decode_access_token
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


def get_principal(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    if not token:
        raise NotAuthenticated("Falta el token de acceso: inicia sesión en /v1/auth/token.")
    return decode_access_token(token, secret=request.app.state.jwt_secret)


BusDep = Annotated[MessageBus, Depends(get_bus)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
