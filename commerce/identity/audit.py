"""The access audit trail: every staff read of another person's personal data, every export and erasure.

Who (actor id and role), what (action and resource), about whom (subject id), when, why (a reason,
required when staff read someone else's data) and through which channel. Rows are append-only:
database triggers reject UPDATE and DELETE (migration 0014), like the movement ledger. Rows hold
ids, never personal values, so an erasure leaves them in place.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.principal import Principal, Scope
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import InvalidInput, NotAuthorized
from commerce.shared.orm import Base, UTCDateTime
from commerce.shared.unit_of_work import UnitOfWork

REASON_REQUIRED = ("Indica el motivo (`reason`) por el que consultas los datos personales de otra persona: "
                   "queda en el registro de auditoría.")
SUPERUSERS_ONLY = "Solo un superusuario puede ver el registro de auditoría."


class AuditAction(StrEnum):
    READ = "read"
    EXPORT = "export"
    ERASURE = "erasure"
    CORRECTION = "correction"
    CONSENT = "consent"


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_user_id: Mapped[int] = mapped_column(Integer, index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))  # AuditAction
    subject_user_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    resource: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[str] = mapped_column(String(16), default="api")


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int
    actor_role: str
    action: str
    subject_user_id: int | None
    resource: str
    reason: str
    channel: str


class RecordAccess(Command):
    """Write one audit entry (`reason` is required when staff read another person's data)."""

    actor: Principal
    action: AuditAction
    resource: StrictStr = Field(max_length=120)
    subject_user_id: int | None = None
    reason: StrictStr = Field(default="", max_length=300)
    channel: StrictStr = Field(default="api", max_length=16)


def needs_reason(actor: Principal, subject_user_id: int | None) -> bool:
    """Staff reading someone else's personal data must say why."""
    return actor.is_staff and subject_user_id is not None and subject_user_id != actor.user_id


def append(session: Session, cmd: RecordAccess) -> AuditEntry:
    """Add the entry to the caller's transaction (a read and its record commit together)."""
    if cmd.action == AuditAction.READ and needs_reason(cmd.actor, cmd.subject_user_id) and not cmd.reason.strip():
        raise InvalidInput(REASON_REQUIRED)
    entry = AuditEntry(actor_user_id=cmd.actor.user_id, actor_role=str(cmd.actor.role), action=cmd.action,
                       subject_user_id=cmd.subject_user_id, resource=cmd.resource, reason=cmd.reason.strip(),
                       channel=cmd.channel)
    session.add(entry)
    return entry


def record_access(cmd: RecordAccess, uow: UnitOfWork) -> int:
    """Append the entry; return its id."""
    entry = append(uow.session, cmd)
    uow.session.flush()
    return entry.id


def list_audit(*, uow: UnitOfWork, principal: Principal, since: datetime | None = None,
               limit: int = 200) -> list[AuditEntryRead]:
    """Entries newest first (superusers only)."""
    if not principal.holds(Scope.AUDIT_READ):
        raise NotAuthorized(SUPERUSERS_ONLY)
    stmt = select(AuditEntry)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(max(1, min(limit, 5000)))
    return [AuditEntryRead.model_validate(row) for row in uow.session.scalars(stmt)]
