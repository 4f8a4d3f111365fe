"""Transactional outbox and the processed-message table that makes consumers idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.shared.clock import utcnow
from commerce.shared.events import EventEnvelope
from commerce.shared.orm import Base


class OutboxMessage(Base):
    """One event waiting to be (or already) published; written with the state change it describes."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)

    @classmethod
    def from_envelope(cls, envelope: EventEnvelope) -> OutboxMessage:
        return cls(**outbox_row(envelope))

    def envelope(self) -> EventEnvelope:
        return envelope_of(self)


def outbox_row(envelope: EventEnvelope) -> dict[str, Any]:
    """The outbox row's column values for an event envelope (not yet published)."""
    return {"event_id": envelope.id, "name": envelope.name, "version": envelope.version, "key": envelope.key,
            "occurred_at": envelope.occurred_at, "payload": envelope.payload, "published_at": None, "attempts": 0,
            "last_error": None}


# The columns `envelope_of` reads: a relay selects just these, no ORM object per row.
ENVELOPE_COLUMNS = (OutboxMessage.event_id, OutboxMessage.name, OutboxMessage.version, OutboxMessage.key,
                    OutboxMessage.occurred_at, OutboxMessage.payload)


def envelope_of(row: Any) -> EventEnvelope:
    """The envelope of an outbox row: an OutboxMessage, or a result row holding ENVELOPE_COLUMNS."""
    return EventEnvelope(id=row.event_id, name=row.name, version=row.version, occurred_at=row.occurred_at,
                         key=row.key, payload=row.payload)


# Session.info key: the envelopes `write_outbox` inserted in the session's transaction (commit-time listeners,
# such as the read cache's invalidation, read them; the ORM's flush events never see these rows).
OUTBOX_WRITTEN = "mestocker.outbox_written"


def write_outbox(session: Session, envelopes: Sequence[EventEnvelope]) -> None:
    """Insert the envelopes' outbox rows in the session's transaction, in order, as one multi-row INSERT.

    A Core statement, not ORM objects: an order writes three rows, and building, flushing and reading back the
    ids of ORM objects nobody reads again was a tenth of its CPU. The rows' sequence numbers (their publishing
    order) follow the order of `envelopes`."""
    if not envelopes:
        return
    session.connection().execute(insert(OutboxMessage), [outbox_row(envelope) for envelope in envelopes])
    session.info.setdefault(OUTBOX_WRITTEN, []).extend(envelopes)


class ProcessedMessage(Base):
    """Marks that a consumer already applied an event: inserted in the same transaction as its effects."""

    __tablename__ = "processed_messages"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


def backlog(session: Session) -> tuple[int, datetime | None]:
    """Unpublished outbox events: how many, and when the oldest occurred (None when there are none)."""
    from sqlalchemy import func, select

    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.occurred_at)).where(OutboxMessage.published_at.is_(None))).one()
    return int(count or 0), oldest
