"""Idempotency keys for retried writes (HTTP `Idempotency-Key`, confirmed agent tool calls).

A key is claimed in its own short transaction before the work runs, so that a concurrent request
with the same key sees the claim (409) instead of doing the work twice. When the work ends its
response is stored; a retry with the same key and the same request gets that stored response.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.shared.clock import utcnow
from commerce.shared.errors import Conflict, InvalidInput
from commerce.shared.orm import Base

# A claim older than this is considered abandoned (its process died) and may be taken over.
STALE_AFTER = timedelta(minutes=2)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))  # "pending" or "done"
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body (key order does not matter)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def claim(
    session: Session, *, scope: str, key: str, request_hash: str, _retry: bool = True
) -> StoredResponse | None:
    """Claim `key` for this request. Returns the stored response of a finished earlier request,
    None when the caller should do the work, or raises Conflict/InvalidInput."""
    if not key or len(key) > 200:
        raise InvalidInput("El encabezado Idempotency-Key debe tener entre 1 y 200 caracteres.")
    session.add(IdempotencyRecord(scope=scope, key=key, request_hash=request_hash, state="pending"))
    try:
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
    record = session.get(IdempotencyRecord, (scope, key))
    if record is None:
        if not _retry:
            raise Conflict("No se pudo registrar la Idempotency-Key; intenta de nuevo.")
        # Released by a failed request between our insert and our read: try once more.
        return claim(session, scope=scope, key=key, request_hash=request_hash, _retry=False)
    if record.request_hash != request_hash:
        raise InvalidInput("Esta Idempotency-Key ya se usó con otra solicitud distinta.")
    if record.state == "done" and record.status_code is not None:
        return StoredResponse(record.status_code, record.response)
    if utcnow() - record.created_at > STALE_AFTER and _take_over(session, scope, key, record.created_at):
        return None
    raise Conflict("Ya hay una solicitud en curso con esta Idempotency-Key; intenta de nuevo en unos segundos.")


def _take_over(session: Session, scope: str, key: str, seen_created_at: datetime) -> bool:
    result = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key,
               IdempotencyRecord.created_at == seen_created_at, IdempotencyRecord.state == "pending")
        .values(created_at=utcnow())
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def complete(session: Session, *, scope: str, key: str, status_code: int, body: Any) -> None:
    """Store the final response of a claimed key."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(state="done", status_code=status_code, response=body)
    )
    session.commit()


def release(session: Session, *, scope: str, key: str) -> None:
    """Forget a claim whose work failed unexpectedly, so a retry can run it again."""
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key, IdempotencyRecord.state == "pending"
        )
    )
    session.commit()


def stored(session: Session, *, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of a key, if any (for tests and diagnostics)."""
    return session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                          IdempotencyRecord.key == key))
