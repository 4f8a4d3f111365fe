"""JWT access tokens carrying the caller (a user, or a service client), its role, scopes and seller/buyer id."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import jwt
from cachetools import LRUCache

from commerce.identity.principal import Principal, PrincipalKind, Role
from commerce.shared.clock import utcnow
from commerce.shared.errors import NotAuthenticated

ALGORITHM = "HS256"
ISSUER = "mestocker"
CLIENT_SUBJECT = "client:"  # a service client's `sub` is "client:<client_id>"; a user's is the user id


def create_access_token(principal: Principal, *, secret: str, ttl_minutes: int) -> str:
    now = utcnow()
    service = principal.kind == PrincipalKind.SERVICE
    claims = {
        "iss": ISSUER,
        "sub": f"{CLIENT_SUBJECT}{principal.client_id}" if service else str(principal.user_id),
        "email": principal.email,
        "role": str(principal.role),
        "kind": str(principal.kind),
        "scope": " ".join(sorted(principal.scopes)),  # RFC 9068 / RFC 8693 form
        "scopes": sorted(principal.scopes),
        "seller_id": principal.seller_id,
        "buyer_id": principal.buyer_id,
        "iat": now,
        "exp": now + timedelta(minutes=ttl_minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Verified tokens, so a request's token is checked once per process, not by the rate limiter and again by the
# dependency, nor again on each of the caller's next requests. Safe to reuse: the token is immutable and signed,
# its expiry is re-checked on every hit, and what may have changed since (the user's role, state, a revoked
# client) is read per request from the current principal, not from the token (api/deps.py).
_VERIFIED: LRUCache[tuple[str, str], tuple[Principal, float]] = LRUCache(maxsize=20_000)
_VERIFIED_LOCK = threading.Lock()


def decode_access_token(token: str, *, secret: str) -> Principal:
    """Verify signature, issuer and expiry; return the principal the token speaks for."""
    key = (secret, token)
    with _VERIFIED_LOCK:
        known = _VERIFIED.get(key)
    if known is not None:
        principal, expires_at = known
        if time.time() < expires_at:
            return principal
        raise NotAuthenticated("Tu sesión expiró: inicia sesión de nuevo.")
    principal, expires_at = _verify(token, secret)
    with _VERIFIED_LOCK:
        _VERIFIED[key] = (principal, expires_at)
    return principal


def token_subject(principal: Principal) -> str:
    """The `sub` claim of a token that speaks for `principal`."""
    return f"{CLIENT_SUBJECT}{principal.client_id}" if principal.kind == PrincipalKind.SERVICE \
        else str(principal.user_id)


def _verify(token: str, secret: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "sub", "role"]})
        subject = str(claims["sub"])
        kind = PrincipalKind(claims.get("kind", PrincipalKind.USER))
        if kind == PrincipalKind.SERVICE:
            if not subject.startswith(CLIENT_SUBJECT):
                raise ValueError("a service token names a client")
            client_id, user_id = subject.removeprefix(CLIENT_SUBJECT), 0
        else:
            client_id, user_id = None, int(subject)
        return Principal(
            user_id=user_id, email=claims.get("email", ""), role=Role(claims["role"]),
            scopes=frozenset(claims.get("scopes", [])), seller_id=claims.get("seller_id"),
            buyer_id=claims.get("buyer_id"), kind=kind, client_id=client_id,
        ), float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("Tu sesión expiró: inicia sesión de nuevo.") from exc
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise NotAuthenticated("Token de acceso inválido.") from exc
