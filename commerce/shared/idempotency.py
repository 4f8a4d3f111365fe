"""Idempotency keys for retried writes (HTTP `Idempotency-Key`, confirmed agent tool calls).

A key is claimed by its own short command (`ClaimIdempotencyKey`, one transaction) before the work
runs, so that a concurrent request with the same key sees the claim (409) instead of doing the
work twice. When the work ends its response is stored (`CompleteIdempotentRequest`); a retry with
the same key and the same request gets that stored response. Finished rows are purged after a
retention (`PurgeIdempotencyKeys`, run by the worker).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field
from sqlalchemy import Integer, String, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import Conflict, InvalidInput
from commerce.shared.field_crypto import EncryptedJSON
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork


class ClaimState(StrEnum):
    PENDING = "pending"
    DONE = "done"


# A claim older than this is considered abandoned (its process died) and may be taken over.
STALE_AFTER = timedelta(minutes=2)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))  # ClaimState
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    # Encrypted: a stored response may quote what a person typed (a support ticket's summary).
    response: Mapped[Any] = mapped_column(EncryptedJSON("idempotency_keys.response"), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body (key order does not matter)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


MAX_KEY_LENGTH = 200


class ClaimIdempotencyKey(Command):
    """Claim `key` in `scope` for a request with fingerprint `request_hash` before doing its work."""

    scope: str
    key: str
    request_hash: str


class CompleteIdempotentRequest(Command):
    """Store the final response of a claimed key, for retries to replay."""

    scope: str
    key: str
    status_code: int
    body: Any


class ReleaseIdempotencyKey(Command):
    """Forget a claim whose work failed unexpectedly, so that a retry can run it again."""

    scope: str
    key: str


class PurgeIdempotencyKeys(Command):
    """Delete keys claimed longer than `retention` ago: finished ones (their retries are long over)
    and claims abandoned by a process that died (older than both the retention and STALE_AFTER)."""

    retention: timedelta = Field(gt=timedelta(0))


def claim_idempotency_key(cmd: ClaimIdempotencyKey, uow: UnitOfWork) -> StoredResponse | None:
    """The stored response of a finished earlier request, or None when the caller should do the work.

    Raises Conflict while another request holds the key and InvalidInput when the key was used
    for a different request."""
    if not cmd.key or len(cmd.key) > MAX_KEY_LENGTH:
        raise InvalidInput("El encabezado Idempotency-Key debe tener entre 1 y 200 caracteres.")
    session = uow.session
    # Two tries: a failed request may release the key between our insert and our read.
    for _attempt in range(2):
        try:
            with session.begin_nested():
                session.add(IdempotencyRecord(scope=cmd.scope, key=cmd.key, request_hash=cmd.request_hash,
                                              state=ClaimState.PENDING))
            return None
        except IntegrityError:
            pass
        record = session.get(IdempotencyRecord, (cmd.scope, cmd.key), populate_existing=True)
        if record is None:
            continue
        if record.request_hash != cmd.request_hash:
            raise InvalidInput("Esta Idempotency-Key ya se usó con otra solicitud distinta.")
        if record.state == ClaimState.DONE and record.status_code is not None:
            return StoredResponse(record.status_code, record.response)
        if utcnow() - record.created_at > STALE_AFTER and _take_over(session, record):
            return None
        raise Conflict("Ya hay una solicitud en curso con esta Idempotency-Key; intenta de nuevo en unos segundos.")
    raise Conflict("No se pudo registrar la Idempotency-Key; intenta de nuevo.")


def _take_over(session: Session, record: IdempotencyRecord) -> bool:
    """Take an abandoned claim (its process died) unless someone else just did."""
    result = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == record.scope, IdempotencyRecord.key == record.key,
               IdempotencyRecord.created_at == record.created_at, IdempotencyRecord.state == ClaimState.PENDING)
        .values(created_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def complete_idempotent_request(cmd: CompleteIdempotentRequest, uow: UnitOfWork) -> None:
    """Store the final response of a claimed key."""
    uow.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == cmd.scope, IdempotencyRecord.key == cmd.key)
        .values(state=ClaimState.DONE, status_code=cmd.status_code, response=cmd.body)
        .execution_options(synchronize_session=False)
    )


# The response a key stores in the transaction of the order it placed: a pointer to the order, replaced by the
# full response right after (`CompleteIdempotentRequest`); a replay that finds only the pointer (the process
# died in between) answers with the order as it is now.
PLACED_ORDER = "placed_order_id"


def mark_order_placed(uow: UnitOfWork, *, scope: str, key: str, order_id: str) -> None:
    """Inside the order's own transaction: the claimed key is done, its result is `order_id` (201)."""
    complete_idempotent_request(CompleteIdempotentRequest(scope=scope, key=key, status_code=201,
                                                          body={PLACED_ORDER: order_id}), uow)


def placed_order(response: StoredResponse) -> str | None:
    """The order id of a stored response that is only the pointer `mark_order_placed` wrote, else None."""
    body = response.body
    if response.status_code == 201 and isinstance(body, dict) and set(body) == {PLACED_ORDER}:
        return str(body[PLACED_ORDER])
    return None


def release_idempotency_key(cmd: ReleaseIdempotencyKey, uow: UnitOfWork) -> None:
    """Delete a pending claim (a finished one stays: its response is what retries replay)."""
    uow.session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.scope == cmd.scope, IdempotencyRecord.key == cmd.key,
               IdempotencyRecord.state == ClaimState.PENDING)
        .execution_options(synchronize_session=False)
    )


def purge_idempotency_keys(cmd: PurgeIdempotencyKeys, uow: UnitOfWork) -> int:
    """Delete finished keys and abandoned claims older than the retention; return how many."""
    cutoff = utcnow() - cmd.retention
    abandoned = utcnow() - max(cmd.retention, STALE_AFTER)
    result = uow.session.execute(
        delete(IdempotencyRecord)
        .where(or_(and_(IdempotencyRecord.state == ClaimState.DONE, IdempotencyRecord.created_at < cutoff),
                   and_(IdempotencyRecord.state == ClaimState.PENDING, IdempotencyRecord.created_at < abandoned)))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stored(session: Session, *, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of a key, if any (replays of confirmed tool calls, tests)."""
    return session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                          IdempotencyRecord.key == key))
