"""Erasure of a data subject's personal data (Ley 1581 de 2012, derecho de supresión; GDPR art. 17).

One command erases, in one transaction of the database:
- support tickets, channel sessions, buyer notifications and refresh tokens of the subject;
- stored idempotent responses that belong to the subject or contain one of their identifiers
  (a replayed `escalate_to_human` holds the ticket summary the person typed);
- the subject's rows in the privacy router's log (anonymised: principal and thread unlinked);
- with `close_account`, the account itself (email, phone and password replaced, deactivated)
  and the buyer's personal fields: orders stay (tax law: invoices are kept for years, Estatuto
  Tributario art. 632) but point at an anonymised buyer.

Stores of other layers are reached through ports the composition root injects: the routing
log, the conversation store (LangGraph checkpoints), the vector store, and the compaction
that scrubs the database files (write-ahead log, freed pages) once the transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from commerce.identity.audit import AuditAction, RecordAccess, append
from commerce.identity.channels import ChannelSession
from commerce.identity.models import User
from commerce.identity.phone_binding import forget_subject_phones
from commerce.identity.principal import Principal, Scope
from commerce.identity.privacy_requests import RequestType, record_request
from commerce.identity.sessions import RefreshToken
from commerce.marketplace.models import Buyer, Cart
from commerce.notifications import BuyerNotification
from commerce.shared.commands import Command
from commerce.shared.errors import NotAuthorized, NotFound
from commerce.shared.idempotency import IdempotencyRecord
from commerce.shared.unit_of_work import UnitOfWork
from commerce.support import SupportTicket

# Anonymise the subject's routing-log rows in the given transaction; return how many.
RoutingLogEraser = Callable[[Session, int], int]
# Delete every conversation the subject owns; return how many threads.
ConversationEraser = Callable[[int], int]
# Delete every vector-store document that mentions one of the identifiers; return how many.
VectorStoreEraser = Callable[[list[str]], int]
# Scrub the database files after the commit (SQLite: checkpoint and truncate the WAL, VACUUM).
StorageCompactor = Callable[[], None]

REFUSAL = "Solo un administrador puede borrar los datos personales de otra persona."
ERASED_NAME = "Titular suprimido"


class EraseSubjectData(Command):
    """Erase `user_id`'s personal data on behalf of `actor` (the subject, or staff for anyone).

    `close_account` also anonymises the account and the buyer profile (DELETE /v1/me)."""

    user_id: int = Field(ge=1, le=2**31 - 1)
    actor: Principal
    close_account: bool = False
    reason: str = Field(default="", max_length=300)
    channel: str = Field(default="api", max_length=16)


class ErasureResult(BaseModel):
    routing_logs_anonymised: int
    support_tickets_deleted: int
    conversations_deleted: int
    notifications_deleted: int = 0
    channel_sessions_deleted: int = 0
    idempotent_responses_deleted: int = 0
    vector_documents_deleted: int = 0
    account_closed: bool = False
    orders_kept_anonymised: int = 0


def subject_identifiers(session: Session, user: User) -> list[str]:
    """The values that identify the subject, as they may appear in free text (for the catch-all scan)."""
    values: list[str | None] = [user.email, user.phone]
    buyer = session.get(Buyer, user.buyer_id) if user.buyer_id else None
    if buyer is not None:
        values += [buyer.name, buyer.cedula, buyer.phone, buyer.email, buyer.address]
    digits = ["".join(ch for ch in v if ch.isdigit()) for v in (user.phone, buyer.phone if buyer else None) if v]
    found = [v.strip() for v in values if v and len(v.strip()) >= 5]
    found += [d for d in digits if len(d) >= 7] + [d[-10:] for d in digits if len(d) > 10]
    return list(dict.fromkeys(found))


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _mentions(value: Any, identifiers: Iterable[str]) -> bool:
    text = json.dumps(value, ensure_ascii=False, default=str).casefold()
    return any(identifier.casefold() in text for identifier in identifiers)


def forget_idempotent_responses(session: Session, user_id: int, identifiers: list[str]) -> int:
    """Delete the subject's stored responses: by owner (scope/key) and any that mentions them."""
    owned = or_(IdempotencyRecord.scope.like(f"%:{user_id}"), IdempotencyRecord.key.like(f"agent:u{user_id}:%"))
    removed = _count(session.execute(delete(IdempotencyRecord).where(owned)
                                     .execution_options(synchronize_session=False)))
    # The table only holds the last day's responses (purged after the retention), so a scan is cheap.
    for record in session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.response.is_not(None))):
        if _mentions(record.response, identifiers):
            session.delete(record)
            removed += 1
    return removed


def _close_account(session: Session, user: User) -> int:
    """Anonymise the account and, when no other account shares it, the buyer; return orders kept."""
    from commerce.marketplace.models import Order

    user.email, user.phone, user.password_hash, user.active = f"suprimido+{user.id}@mestocker.invalid", None, "!", False
    session.execute(delete(RefreshToken).where(RefreshToken.user_id == user.id))
    if not user.buyer_id:
        return 0
    shared = session.scalar(select(User.id).where(User.buyer_id == user.buyer_id, User.id != user.id,
                                                  User.active.is_(True)))
    buyer = session.get(Buyer, user.buyer_id)
    if buyer is None or shared is not None:
        return 0
    buyer.name, buyer.cedula, buyer.phone = ERASED_NAME, f"SUPR-{buyer.id}", ""
    buyer.email, buyer.address = f"suprimido+{buyer.id}@mestocker.invalid", ""
    for cart in session.scalars(select(Cart).where(Cart.buyer_id == buyer.id)):
        session.delete(cart)
    return len(session.scalars(select(Order.id).where(Order.buyer_id == buyer.id)).all())


def erase_subject_data(cmd: EraseSubjectData, uow: UnitOfWork, *, forget_routing_logs: RoutingLogEraser,
                       forget_conversations: ConversationEraser,
                       forget_vectors: VectorStoreEraser | None = None,
                       compact_storage: StorageCompactor | None = None) -> ErasureResult:
    """Delete the subject's personal data everywhere it is kept; anonymise what the law keeps."""
    if cmd.user_id != cmd.actor.user_id and not cmd.actor.holds(Scope.PRIVACY_ADMIN):
        raise NotAuthorized(REFUSAL)
    session = uow.session
    user = session.get(User, cmd.user_id)
    if user is None:
        raise NotFound("No existe ese titular.")
    identifiers = subject_identifiers(session, user)
    logs = forget_routing_logs(session, cmd.user_id)
    tickets = _count(session.execute(delete(SupportTicket).where(SupportTicket.user_id == cmd.user_id)))
    channel_sessions = _count(session.execute(delete(ChannelSession).where(ChannelSession.user_id == cmd.user_id)))
    forget_subject_phones(session, cmd.user_id)  # bound WhatsApp numbers and their link codes
    notifications = 0
    if user.buyer_id:
        from commerce.marketplace.payment_intents import forget_subject_payments

        forget_subject_payments(session, user.buyer_id)  # the payer data quoted by gateway documents
        notifications = _count(session.execute(delete(BuyerNotification)
                                               .where(BuyerNotification.buyer_id == user.buyer_id)))
    responses = forget_idempotent_responses(session, cmd.user_id, identifiers)
    orders = _close_account(session, user) if cmd.close_account else 0
    vectors = forget_vectors(identifiers) if forget_vectors is not None else 0
    record_request(session, user_id=cmd.user_id, type=RequestType.ERASURE, channel=cmd.channel)
    append(session, RecordAccess(actor=cmd.actor, action=AuditAction.ERASURE, resource=f"user/{cmd.user_id}",
                                 subject_user_id=cmd.user_id, reason=cmd.reason or "solicitud del titular",
                                 channel=cmd.channel))
    if compact_storage is not None:
        uow.on_commit(compact_storage)
    # Last: the conversation store is not in this transaction, and erasing twice is harmless.
    conversations = forget_conversations(cmd.user_id)
    return ErasureResult(routing_logs_anonymised=logs, support_tickets_deleted=tickets,
                         conversations_deleted=conversations, notifications_deleted=notifications,
                         channel_sessions_deleted=channel_sessions, idempotent_responses_deleted=responses,
                         vector_documents_deleted=vectors, account_closed=cmd.close_account,
                         orders_kept_anonymised=orders)
