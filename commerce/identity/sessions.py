"""Refresh tokens: opaque, stored hashed, single-use, rotated in families with reuse detection.

A login opens a family with one refresh token. Each refresh marks the presented token used and
issues the family's next one. Presenting a token that was already used means two parties hold
the family (a stolen token, or the legitimate client after the thief used it first): the whole
family is revoked and both must log in again (OAuth 2.0 Security BCP, refresh token rotation).
Logout revokes the family. Only SHA-256 digests are stored: the tokens are 256-bit random
strings, so a slow hash would add nothing but latency.

A refusal is returned, not raised: the family's revocation must commit, and raising inside a
handler rolls its transaction back. The entry point raises the Spanish 401 from the result.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.models import User
from commerce.identity.principal import Principal
from commerce.shared.clock import as_utc, utcnow
from commerce.shared.commands import Command
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

INVALID = "Token de renovación inválido: inicia sesión de nuevo."
EXPIRED = "Tu sesión expiró: inicia sesión de nuevo."
REUSED = "Ese token de renovación ya se había usado: por seguridad cerramos la sesión; inicia sesión de nuevo."
CLOSED = "Esta sesión se cerró: inicia sesión de nuevo."


class RefreshToken(Base):
    """One issued refresh token: its family, its digest, and whether it was used or revoked."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # The scopes the login asked for (space-separated), carried by every token of the family; None: the role's.
    scopes: Mapped[str | None] = mapped_column(String(1000), default=None)


def digest(token: str) -> str:
    """The stored form of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedRefreshToken:
    """A new refresh token, shown once to its holder, and when it expires."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Rotation:
    """The outcome of a refresh: the caller and the family's next token, or a Spanish refusal."""

    principal: Principal | None = None
    issued: IssuedRefreshToken | None = None
    refusal: str | None = None


class IssueRefreshToken(Command):
    """Open a new family for `user_id` (a login) with a token valid for `ttl_minutes`."""

    user_id: StrictInt
    ttl_minutes: StrictInt = Field(gt=0)
    scopes: list[StrictStr] | None = Field(default=None, max_length=64)  # a narrowed login's scopes


class RotateRefreshToken(Command):
    """Spend `token` and issue its family's next one."""

    token: StrictStr = Field(max_length=200)
    ttl_minutes: StrictInt = Field(gt=0)


class RevokeRefreshFamily(Command):
    """Log out: revoke the family `token` belongs to (an unknown token changes nothing)."""

    token: StrictStr = Field(max_length=200)


def _issue(session: Session, *, user_id: int, family_id: str, ttl_minutes: int, now: datetime,
           scopes: str | None) -> IssuedRefreshToken:
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=ttl_minutes)
    session.add(RefreshToken(family_id=family_id, user_id=user_id, token_hash=digest(token), issued_at=now,
                             expires_at=expires_at, scopes=scopes))
    return IssuedRefreshToken(token=token, expires_at=expires_at)


def _revoke_family(session: Session, family_id: str, now: datetime) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def issue_refresh_token(cmd: IssueRefreshToken, uow: UnitOfWork) -> IssuedRefreshToken:
    """The first token of a new family."""
    scopes = " ".join(sorted(set(cmd.scopes))) if cmd.scopes is not None else None
    return _issue(uow.session, user_id=cmd.user_id, family_id=uuid.uuid4().hex, ttl_minutes=cmd.ttl_minutes,
                  now=utcnow(), scopes=scopes)


def rotate_refresh_token(cmd: RotateRefreshToken, uow: UnitOfWork) -> Rotation:
    """Spend the token once; a second use revokes the family; expired, revoked or unknown is refused."""
    session, now = uow.session, utcnow()
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(cmd.token)))
    if row is None:
        return Rotation(refusal=INVALID)
    if row.revoked_at is not None:
        return Rotation(refusal=CLOSED)
    if row.used_at is not None:
        _revoke_family(session, row.family_id, now)
        return Rotation(refusal=REUSED)
    if as_utc(row.expires_at) <= now:
        return Rotation(refusal=EXPIRED)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        _revoke_family(session, row.family_id, now)
        return Rotation(refusal=CLOSED)
    # Conditional, so two concurrent refreshes with one token cannot both win: the loser is a reuse.
    spent = session.execute(update(RefreshToken)
                            .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None),
                                   RefreshToken.revoked_at.is_(None))
                            .values(used_at=now))
    if not getattr(spent, "rowcount", 0):
        _revoke_family(session, row.family_id, now)
        return Rotation(refusal=REUSED)
    issued = _issue(session, user_id=user.id, family_id=row.family_id, ttl_minutes=cmd.ttl_minutes, now=now,
                    scopes=row.scopes)
    # A narrowed login stays narrowed: the family's scopes, within what the role holds today.
    principal = user.principal() if row.scopes is None else user.principal().within(row.scopes.split())
    return Rotation(principal=principal, issued=issued)


def revoke_refresh_family(cmd: RevokeRefreshFamily, uow: UnitOfWork) -> bool:
    """True when a family was found and revoked."""
    family = uow.session.scalar(select(RefreshToken.family_id).where(RefreshToken.token_hash == digest(cmd.token)))
    if family is None:
        return False
    _revoke_family(uow.session, family, utcnow())
    return True
