"""FastAPI dependencies as `Annotated` aliases: the platform, the bus, units of work, the chat, the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from agents.chat import ChatService
from api.security import decode_access_token
from commerce.identity import clients
from commerce.identity import services as identity
from commerce.identity.principal import Principal, Scope
from commerce.shared.cache import MISS
from commerce.shared.errors import NotAuthenticated, NotAuthorized
from commerce.shared.messagebus import MessageBus
from commerce.shared.unit_of_work import UnitOfWork
from infra.bootstrap import Platform

T = TypeVar("T")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


async def get_platform(request: Request) -> Platform:
    # async: a sync dependency costs every request a trip through the thread pool.
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_bus(platform: PlatformDep) -> MessageBus:
    return platform.bus


def get_read_uow(platform: PlatformDep) -> Iterator[UnitOfWork]:
    with platform.read_uow() as uow:
        yield uow


def get_read_session(platform: PlatformDep) -> Iterator[Session]:
    """A read-only session for views outside commerce (the router's log)."""
    with platform.read_session_factory() as session:
        yield session


def principal_from_token(request: Request, token: str | None) -> Principal:
    """The caller a valid token speaks for, as the user is now: a deactivated or deleted user's
    token stops working at once, and a changed role or seller/buyer link applies at once (the cached
    principal is invalidated by the change's user.updated event, docs/performance.md)."""
    if not token:
        raise NotAuthenticated("Falta el token de acceso: inicia sesión en /v1/auth/token.")
    claimed = decode_access_token(token, secret=request.app.state.jwt_secret)
    platform: Platform = request.app.state.platform
    if claimed.is_service and claimed.client_id is not None:  # a revoked client stops at once
        with platform.read_uow() as uow:
            current = clients.get_client_principal(uow=uow, client_id=claimed.client_id)
    else:
        current = identity.current_principal(read=platform.read_uow, user_id=claimed.user_id, cache=platform.cache)
    if current is None:
        raise NotAuthenticated("Tu sesión ya no es válida: inicia sesión de nuevo.")
    # What the token was narrowed to, within what the account or client still holds.
    return current.within(claimed.scopes)


async def get_principal(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> Principal:
    """`principal_from_token` on the event loop when the token was verified before and this process holds the
    user's current principal (no I/O: the common case), else in the thread pool (database, Redis)."""
    if token:
        claimed = decode_access_token(token, secret=request.app.state.jwt_secret)
        if not claimed.is_service:
            platform: Platform = request.app.state.platform
            current = identity.peek_principal(user_id=claimed.user_id, cache=platform.cache)
            if current is not MISS:
                return current.within(claimed.scopes)  # type: ignore[no-any-return]
    return await run_in_threadpool(principal_from_token, request, token)


async def cached_or_in_thread(peek: Callable[[], Any], read: Callable[[], T]) -> T:
    """A read answered on the event loop when `peek` finds it in this process's cache (no I/O), else `read`
    in the thread pool: a cache hit pays neither a thread hop nor a network round trip."""
    found = peek()
    if found is not MISS:
        return found  # type: ignore[no-any-return]
    return await run_in_threadpool(read)


def get_chat(request: Request) -> ChatService:
    chat: ChatService = request.app.state.chat
    return chat


def holding(scope: Scope, refusal: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency for routes outside commerce (the router's log, the chat): the caller must hold `scope`,
    or gets `refusal` (403) before anything is looked up."""

    async def require_scope(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.holds(scope):
            raise NotAuthorized(refusal)
        return principal

    return require_scope


BusDep = Annotated[MessageBus, Depends(get_bus)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
# Each refusal names what was refused: reading the routing log is not operating the warehouse.
RoutingLogReader = Annotated[Principal, Depends(holding(
    Scope.ROUTING_LOGS_READ, "Solo un administrador puede ver el registro de enrutamiento."))]
WarehouseStaff = Annotated[Principal, Depends(holding(
    Scope.FULFILLMENT_WRITE, "Solo el equipo de bodega de MeStocker puede operar despachos."))]
ChatUser = Annotated[Principal, Depends(holding(
    Scope.CHAT, "Tu acceso no incluye el chat (alcance chat:use)."))]
NotificationReader = Annotated[Principal, Depends(holding(
    Scope.NOTIFICATIONS_READ, "Tu acceso no incluye las notificaciones (alcance notifications:read)."))]
