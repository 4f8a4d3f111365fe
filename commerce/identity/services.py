"""Identity views and services: authentication and user look-ups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select

from commerce.identity.credentials import RehashPassword
from commerce.identity.models import User
from commerce.identity.passwords import hash_password, verify_and_update
from commerce.identity.principal import Principal
from commerce.shared.cache import NoCache, ReadCache, principal_group
from commerce.shared.errors import NotAuthenticated
from commerce.shared.unit_of_work import UnitOfWork

DEMO_PASSWORD = "mestocker-demo"
_BAD_LOGIN = "Correo o contraseña incorrectos."


@dataclass(frozen=True)
class Authentication:
    """Who logged in, and the command that upgrades their stored hash when it is outdated."""

    principal: Principal
    rehash: RehashPassword | None = None


@cache
def _decoy_hash() -> str:
    """A hash nobody's password matches: unknown emails cost one Argon2id too (no timing oracle)."""
    return hash_password("decoy")


def authenticate(*, uow: UnitOfWork, email: str, password: str, allow_demo_password: bool) -> Authentication:
    """Return who the valid credentials belong to; raise NotAuthenticated otherwise."""
    if not allow_demo_password and password == DEMO_PASSWORD:
        raise NotAuthenticated(_BAD_LOGIN)
    user = uow.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        verify_and_update(password, _decoy_hash())  # as slow as a real check: emails cannot be probed
        raise NotAuthenticated(_BAD_LOGIN)
    matches, replacement = verify_and_update(password, user.password_hash)
    if not matches:
        raise NotAuthenticated(_BAD_LOGIN)
    rehash = (RehashPassword(user_id=user.id, expected_hash=user.password_hash, new_hash=replacement)
              if replacement else None)
    return Authentication(principal=user.principal(), rehash=rehash)


def get_principal(*, uow: UnitOfWork, user_id: int) -> Principal | None:
    """Return the principal of an active user, or None."""
    user = uow.session.get(User, user_id)
    return user.principal() if user is not None and user.active else None


def current_principal(*, read: Callable[[], UnitOfWork], user_id: int, cache: ReadCache | None = None
                      ) -> Principal | None:
    """`get_principal` through the read cache (invalidated by user.updated): the user row is read, in a unit of
    work from `read`, only on a miss."""

    def load() -> Principal | None:
        with read() as uow:
            return get_principal(uow=uow, user_id=user_id)

    return (cache or NoCache()).get_or_load(principal_group(user_id), "principal", Principal, load)


def peek_principal(*, user_id: int, cache: ReadCache) -> Any:
    """`current_principal` when this process already holds it (no I/O at all), else `MISS`."""
    return cache.peek(principal_group(user_id), "principal")


def principal_by_email(*, uow: UnitOfWork, email: str) -> Principal | None:
    """Return the principal of the active user with `email` (operators acting from the CLI), or None."""
    user = uow.session.scalar(select(User).where(User.email == email))
    return user.principal() if user is not None and user.active else None
