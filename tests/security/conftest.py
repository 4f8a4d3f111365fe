"""Helpers for the attacker's-eye tests: demo users, a token minted with any claims, user edits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.security import ALGORITHM, ISSUER
from commerce.identity.models import User
from commerce.shared.clock import utcnow
from infra.bootstrap import Platform
from tests.conftest import seeded_database

ROOT = "root@mestocker.example.co"
ADMIN = "admin@mestocker.example.co"
CAFE_SELLER = "ventas@cafeorigen.example.co"  # SEL-CAFE: CAF-*
MODA_SELLER = "contacto@modaandina.example.co"  # SEL-MODA: MOD-*
TECH_SELLER = "soporte@tecnohogar.example.co"  # SEL-TECH: TEC-*
LAURA = "laura.gomez@example.co"  # BUY-001: ORD-1001 (CAF-001 + MOD-102), ORD-1004 (paid)
ANDRES = "andres.restrepo@example.co"  # BUY-002: ORD-1002 (pending payment), ORD-1005 (cancelled)
MAFE = "mafe.diaz@example.co"  # BUY-003: ORD-1003 (delivered)

BOTH_BACKENDS = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite only here: authorization does not depend on the backend. `BOTH_BACKENDS` where it may."""
    yield from seeded_database(request, tmp_path)


def user_row(platform: Platform, email: str) -> User:
    with platform.session_factory() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        session.expunge(user)
        return user


def update_user(platform: Platform, email: str, **values: Any) -> None:
    with platform.session_factory() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        for name, value in values.items():
            setattr(user, name, value)
        session.commit()


def mint(client: TestClient, *, secret: str | None = None, algorithm: str = ALGORITHM,
         expires_in: timedelta = timedelta(minutes=5), **claims: Any) -> str:
    """A token signed with the app's secret (or `secret`), with the given claims over sane defaults."""
    now = utcnow()
    body: dict[str, Any] = {"iss": ISSUER, "sub": "6", "email": LAURA, "role": "comprador",
                            "scopes": ["catalog:read", "orders:read", "orders:write"], "seller_id": None,
                            "buyer_id": "BUY-001", "iat": now, "exp": now + expires_in}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not ...}
    key = client.app.state.jwt_secret if secret is None else secret  # type: ignore[attr-defined]
    return jwt.encode(body, key, algorithm=algorithm)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_no_leak(text: str) -> None:
    """An error body never carries a Python trace, SQL or a driver's message."""
    for needle in ("Traceback", "File \"", "sqlalchemy", "psycopg", "sqlite3", "SELECT ", "OverflowError"):
        assert needle not in text, f"{needle!r} leaked: {text[:300]}"
