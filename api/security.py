"""JWT access tokens carrying the caller (a user, or a service client), its role, scopes and seller/buyer id."""

from __future__ import annotations

from datetime import timedelta

import jwt

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


def decode_access_token(token: str, *, secret: str) -> Principal:
    """Verify signature, issuer and expiry; return the principal the token speaks for."""
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
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("Tu sesión expiró: inicia sesión de nuevo.") from exc
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise NotAuthenticated("Token de acceso inválido.") from exc
