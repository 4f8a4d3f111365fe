"""JWT access tokens carrying role, scopes and the seller/buyer id."""

from __future__ import annotations

from datetime import timedelta

import jwt

from commerce.identity.principal import Principal, Role
from commerce.shared.clock import utcnow
from commerce.shared.errors import NotAuthenticated

ALGORITHM = "HS256"
ISSUER = "mestocker"


def create_access_token(principal: Principal, *, secret: str, ttl_minutes: int) -> str:
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "sub": str(principal.user_id),
        "email": principal.email,
        "role": str(principal.role),
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
        return Principal(
            user_id=int(claims["sub"]), email=claims.get("email", ""), role=Role(claims["role"]),
            scopes=frozenset(claims.get("scopes", [])), seller_id=claims.get("seller_id"),
            buyer_id=claims.get("buyer_id"),
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("Tu sesión expiró: inicia sesión de nuevo.") from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise NotAuthenticated("Token de acceso inválido.") from exc
