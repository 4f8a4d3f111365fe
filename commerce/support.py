"""Support tickets: a conversation handed over to a human agent.

Ley 1581: `summary` may hold personal data the user typed; deleting a user must delete their tickets.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from commerce.identity.principal import SYSTEM, Principal
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import NotAuthenticated
from commerce.shared.field_crypto import EncryptedString
from commerce.shared.orm import Base
from commerce.shared.sequences import next_value
from commerce.shared.unit_of_work import UnitOfWork


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class SupportTicket(Base):
    __tablename__ = "support_tickets"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    thread_id: Mapped[str | None] = mapped_column(String(120), default=None)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    summary: Mapped[str] = mapped_column(EncryptedString("support_tickets.summary", 1500))
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpenSupportTicket(Command):
    summary: StrictStr = Field(min_length=3, max_length=1000)
    thread_id: StrictStr | None = Field(default=None, max_length=120)
    channel: StrictStr = Field(default="web", max_length=16)
    actor: Principal = SYSTEM


class SupportTicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: int
    thread_id: str | None
    channel: str
    summary: str
    status: str
    created_at: datetime


def open_support_ticket(cmd: OpenSupportTicket, uow: UnitOfWork) -> SupportTicketRead:
    """Record a request for a human on behalf of the caller; return the new ticket."""
    if cmd.actor.user_id < 0:
        raise NotAuthenticated("Inicia sesión para que una persona del equipo pueda atenderte.")
    ticket = SupportTicket(id=f"TCK-{next_value(uow, 'support_ticket'):05d}", user_id=cmd.actor.user_id,
                           thread_id=cmd.thread_id, channel=cmd.channel, summary=cmd.summary.strip())
    uow.session.add(ticket)
    uow.session.flush()
    return SupportTicketRead.model_validate(ticket)
