"""`llm_routing_logs`: one row per model-call decision, the router's own audit table.

Rows hold entity types and counts, never values; the principal is a salted SHA-256, never an id.
The chat layer writes a turn's rows through `RoutingLogWriter` (built by infra/bootstrap.py) in
one transaction of their own: they are an audit trail, not domain state, so no command, event or
outbox row is involved. A data subject's erasure anonymises their rows inside the erasure
command's transaction (`RoutingLogWriter.forget_user`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.shared.clock import utcnow
from commerce.shared.orm import Base, UTCDateTime
from router.recording import RoutingRecord


class LlmRoutingLog(Base):
    __tablename__ = "llm_routing_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    thread_id: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    principal_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    agent: Mapped[str | None] = mapped_column(String(64), default=None)
    classification: Mapped[str] = mapped_column(String(16))
    entities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    recognizer_set_version: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(32))
    policy_target: Mapped[str] = mapped_column(String(8))
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    fallback_chain: Mapped[list[str]] = mapped_column(JSON, default=list)
    tried: Mapped[list[str]] = mapped_column(JSON, default=list)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))
    latency_ms: Mapped[float] = mapped_column(Float)
    tokens_in: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_out: Mapped[int | None] = mapped_column(Integer, default=None)
    masked: Mapped[bool] = mapped_column(Boolean, default=False)
    complexity_score: Mapped[float] = mapped_column(Float, default=0.0)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)


def hash_principal(user_id: str, salt: str) -> str:
    """Salted SHA-256 of a user id: rows of one person can be found and forgotten, not read."""
    if not salt:
        raise ValueError("a non-empty salt is required to hash principals")
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()


def record_rows(
    session: Session,
    records: Iterable[RoutingRecord],
    *,
    thread_id: str | None,
    channel: str | None,
    principal_hash: str | None,
    agent: str | None,
) -> list[LlmRoutingLog]:
    """Add one row per record to the session; the caller's unit of work commits."""
    rows = [
        LlmRoutingLog(
            request_id=record.request_id,
            thread_id=thread_id,
            channel=channel,
            principal_hash=principal_hash,
            agent=agent,
            classification=record.classification,
            entities=dict(record.entities),
            topics=list(record.topics),
            recognizer_set_version=record.recognizer_set_version,
            policy_version=record.policy_version,
            policy_target=record.policy_target,
            model=record.model,
            fallback_chain=list(record.chain),
            tried=list(record.tried),
            fallback=record.fallback,
            reason=record.reason[:500],
            legal_basis=record.legal_basis[:500],
            outcome=record.outcome,
            latency_ms=record.latency_ms,
            tokens_in=record.tokens_in,
            tokens_out=record.tokens_out,
            masked=record.masked,
            complexity_score=record.complexity_score,
            errors=list(record.errors),
        )
        for record in records
    ]
    session.add_all(rows)
    return rows


def checked_moment(value: datetime | None) -> datetime | None:
    """`value` if it is a moment the log can be searched by: its UTC time must exist (years 1–9999)."""
    if value is None:
        return None
    try:
        (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValueError("la fecha está fuera del rango admitido (años 1 a 9999 en UTC)") from None
    return value


def query(
    session: Session,
    *,
    since: datetime | None = None,
    limit: int = 100,
    thread_id: str | None = None,
    principal_hash: str | None = None,
) -> list[LlmRoutingLog]:
    """Newest rows first, optionally since a moment, for one thread or one principal."""
    stmt = select(LlmRoutingLog)
    if since is not None:
        stmt = stmt.where(LlmRoutingLog.created_at >= since)
    if thread_id is not None:
        stmt = stmt.where(LlmRoutingLog.thread_id == thread_id)
    if principal_hash is not None:
        stmt = stmt.where(LlmRoutingLog.principal_hash == principal_hash)
    stmt = stmt.order_by(LlmRoutingLog.created_at.desc(), LlmRoutingLog.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def forget_principal(session: Session, principal_hash: str) -> int:
    """Anonymise a data subject's rows (deletion request): unlink principal and thread. Returns rows."""
    result = session.execute(
        update(LlmRoutingLog)
        .where(LlmRoutingLog.principal_hash == principal_hash)
        .values(principal_hash=None, thread_id=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


class RoutingLogWriter:
    """Writes and forgets a principal's routing rows, hashing identities with the deployment's salt."""

    def __init__(self, session_factory: Callable[[], Session], *, salt: str) -> None:
        if not salt:
            raise ValueError("a non-empty salt is required to hash principals")
        self._session_factory = session_factory
        self._salt = salt

    def principal_hash(self, user_id: int) -> str:
        return hash_principal(str(user_id), self._salt)

    def write_turn(self, records: list[RoutingRecord], *, thread_key: str, channel: str, user_id: int,
                   agent: str) -> None:
        """Write one turn's records in one transaction (the thread key hashed, like the principal)."""
        with self._session_factory() as session:
            record_rows(session, records, thread_id=hash_principal(thread_key, self._salt)[:32], channel=channel,
                        principal_hash=self.principal_hash(user_id), agent=agent)
            session.commit()

    def rows_of(self, session: Session, user_id: int) -> list[dict[str, object]]:
        """A user's rows as plain dicts (an export); they hold entity types and counts, never values."""
        rows = query(session, principal_hash=self.principal_hash(user_id), limit=10_000)
        return [{"created_at": r.created_at, "channel": r.channel, "agent": r.agent, "classification": r.classification,
                 "entities": r.entities, "topics": r.topics, "policy_target": r.policy_target, "model": r.model,
                 "reason": r.reason, "legal_basis": r.legal_basis, "masked": r.masked} for r in rows]

    def forget_user(self, session: Session, user_id: int) -> int:
        """Anonymise a user's rows in the caller's transaction; return how many."""
        return forget_principal(session, self.principal_hash(user_id))
