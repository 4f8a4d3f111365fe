"""Request rate limits at the edge of the API (docs/identity.md).

Every request except the probes pays into one quota before it is routed: the logged-in
principal's (the `sub` of a valid access token) or, for anonymous callers and bad tokens, the
client IP's. A chat turn also pays into the chat quota (`ChatTurnQuota` on the chat routes): each
turn costs model calls. The WhatsApp webhook is signed by Meta and arrives from Meta's few
addresses, so it is exempt here and limited per sender's phone number in api/channels/whatsapp.py.
Over a quota the answer is 429 with `Retry-After` and a Spanish problem detail.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio.to_thread import run_sync
from fastapi import Depends, HTTPException
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import CurrentPrincipal, PlatformDep
from api.errors import problem_response
from api.security import decode_access_token, token_subject
from commerce.identity.quotas import CHAT_TOO_FAST, TOO_FAST, Quota, RequestQuotas
from commerce.shared.errors import NotAuthenticated

# Probes and metrics must answer however busy a caller is; the webhook has its own per-sender limit.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
EXEMPT_PREFIXES = ("/v1/channels/whatsapp/",)


def is_exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def _token(scope: Scope) -> str | None:
    authorization = Headers(scope=scope).get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    # EventSource cannot send headers: the notification stream takes the token as a query parameter.
    return QueryParams(scope.get("query_string", b"")).get("access_token") or None


def caller_key(scope: Scope, secret: str) -> str | None:
    """`user:<sub>` for a request with a valid access token, else None (counted per IP)."""
    token = _token(scope)
    if not token:
        return None
    try:
        principal = decode_access_token(token, secret=secret)  # verified once: the dependency reuses it
    except NotAuthenticated:
        return None
    return f"user:{token_subject(principal)}"


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    """Refuses (429) a request whose caller has used up its quota, before routing or reading the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: Any = getattr(scope.get("app"), "state", None)
        platform = getattr(state, "platform", None)
        if scope["type"] != "http" or platform is None or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        quotas: RequestQuotas = platform.request_quotas
        key = caller_key(scope, state.jwt_secret)
        quota, key = (quotas.api, key) if key is not None else (quotas.anonymous, f"ip:{_client_ip(scope)}")
        wait = await _hit(quotas, quota, key)
        if wait is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(429, TOO_FAST.format(seconds=wait), instance=scope["path"],
                                    code="rate_limited", headers={"Retry-After": str(wait)})
        await response(scope, receive, send)


async def _hit(quotas: RequestQuotas, quota: Quota, key: str) -> int | None:
    if not quota.enabled:
        return None
    if quotas.shared:  # a Redis round trip: awaited on the loop, or in a thread without an asyncio client
        if quota.async_limiter is not None:
            return await quota.hit_async(key)
        return await run_sync(quota.hit, key)
    return quota.hit(key)


def rate_limited(detail: str, wait: int) -> HTTPException:
    return HTTPException(status_code=429, detail=detail.format(seconds=wait), headers={"Retry-After": str(wait)})


def chat_turn_quota(principal: CurrentPrincipal, platform: PlatformDep) -> None:
    """Counts one chat turn for the caller; 429 when the chat quota is used up."""
    quota = platform.request_quotas.chat
    wait = quota.hit(f"user:{principal.user_id}") if quota.enabled else None
    if wait is not None:
        raise rate_limited(CHAT_TOO_FAST, wait)


ChatTurnQuota = Annotated[None, Depends(chat_turn_quota)]

RATE_LIMITED_RESPONSE: dict[str, Any] = {
    "description": "Demasiadas solicitudes: espera los segundos de `Retry-After`",
    "headers": {"Retry-After": {"description": "Segundos que hay que esperar", "schema": {"type": "integer"}}},
}
