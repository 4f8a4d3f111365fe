"""The portable export of what is held about a person (Ley 1581 art. 8 lit. a; GDPR art. 15 and 20).

`ExportSubjectData` gathers every category — account, buyer profile and address, orders, consents,
conversations, notifications, support tickets, channel sessions, routing-log rows, privacy
requests — for ONE person, records the request (a consulta, answered at once) and the audit
entry in the same transaction. Conversations and routing-log rows live in other layers and come
through ports the composition root injects. `CorrectSubjectData` is `PATCH /v1/me`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.identity.audit import AuditAction, RecordAccess, append
from commerce.identity.channels import ChannelSession, normalize_phone
from commerce.identity.consent import ConsentRead, consent_history
from commerce.identity.models import User
from commerce.identity.principal import Principal, Scope
from commerce.identity.privacy_requests import PrivacyRequest, PrivacyRequestRead, RequestType, record_request
from commerce.marketplace.models import Buyer, Order
from commerce.marketplace.schemas import OrderRead
from commerce.notifications import BuyerNotification, NotificationRead
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from commerce.shared.unit_of_work import UnitOfWork
from commerce.support import SupportTicket, SupportTicketRead

# user id → [{"thread_id", "messages": [{"role", "text"}]}] from the conversation store.
ConversationExporter = Callable[[int], list[dict[str, Any]]]
# (session, user id) → the subject's routing-log rows as plain dicts (no raw values are stored there).
RoutingRowsReader = Callable[[Session, int], list[dict[str, Any]]]

EXPORT_REFUSAL = "Solo un administrador puede descargar los datos personales de otra persona."
FORMAT_VERSION = "1"


class AccountRead(BaseModel):
    user_id: int
    email: str
    role: str
    phone: str | None
    active: bool
    created_at: datetime


class BuyerProfileRead(BaseModel):
    buyer_id: str
    name: str
    cedula: str
    phone: str
    email: str
    address: str
    city: str


class SubjectExport(BaseModel):
    format_version: str = FORMAT_VERSION
    generated_at: datetime
    account: AccountRead
    buyer: BuyerProfileRead | None
    addresses: list[dict[str, str]]
    orders: list[OrderRead]
    consents: list[ConsentRead]
    conversations: list[dict[str, Any]]
    notifications: list[NotificationRead]
    support_tickets: list[SupportTicketRead]
    channel_sessions: list[dict[str, Any]]
    routing_log: list[dict[str, Any]]
    privacy_requests: list[PrivacyRequestRead]


class ExportSubjectData(Command):
    """Export `user_id`'s data for `actor` (the subject, or staff with a reason)."""

    actor: Principal
    user_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reason: StrictStr = Field(default="", max_length=300)
    channel: StrictStr = Field(default="api", max_length=16)


def _subject(session: Session, actor: Principal, user_id: int | None) -> User:
    wanted = user_id or actor.user_id
    if wanted != actor.user_id and not actor.holds(Scope.PRIVACY_ADMIN):
        raise NotAuthorized(EXPORT_REFUSAL)
    user = session.get(User, wanted)
    if user is None:
        raise NotFound("No existe ese titular.")
    return user


def _buyer_part(session: Session, user: User) -> tuple[BuyerProfileRead | None, list[OrderRead],
                                                        list[NotificationRead]]:
    buyer = session.get(Buyer, user.buyer_id) if user.buyer_id else None
    if buyer is None:
        return None, [], []
    profile = BuyerProfileRead(buyer_id=buyer.id, name=buyer.name, cedula=buyer.cedula, phone=buyer.phone,
                               email=buyer.email, address=buyer.address, city=buyer.city)
    orders = session.scalars(select(Order).where(Order.buyer_id == buyer.id).order_by(Order.created_at, Order.id))
    notes = session.scalars(select(BuyerNotification).where(BuyerNotification.buyer_id == buyer.id)
                            .order_by(BuyerNotification.id))
    return (profile, [OrderRead.model_validate(o) for o in orders],
            [NotificationRead.model_validate(n) for n in notes])


def export_subject_data(cmd: ExportSubjectData, uow: UnitOfWork, *, export_conversations: ConversationExporter,
                        routing_rows_of: RoutingRowsReader) -> SubjectExport:
    """Everything held about one person, as portable JSON; the request and its audit entry recorded."""
    session = uow.session
    user = _subject(session, cmd.actor, cmd.user_id)
    if cmd.actor.is_staff and user.id != cmd.actor.user_id and not cmd.reason.strip():
        raise InvalidInput("Indica el motivo (`reason`) de la descarga de los datos de otra persona.")
    buyer, orders, notifications = _buyer_part(session, user)
    tickets = session.scalars(select(SupportTicket).where(SupportTicket.user_id == user.id).order_by(SupportTicket.id))
    sessions = session.scalars(select(ChannelSession).where(ChannelSession.user_id == user.id))
    requests = session.scalars(select(PrivacyRequest).where(PrivacyRequest.user_id == user.id)
                               .order_by(PrivacyRequest.id))
    export = SubjectExport(
        generated_at=utcnow(),
        account=AccountRead(user_id=user.id, email=user.email, role=user.role, phone=user.phone, active=user.active,
                            created_at=user.created_at),
        buyer=buyer, addresses=[{"address": buyer.address, "city": buyer.city}] if buyer else [],
        orders=orders, consents=consent_history(session, user.id),
        conversations=export_conversations(user.id), notifications=notifications,
        support_tickets=[SupportTicketRead.model_validate(t) for t in tickets],
        channel_sessions=[{"channel": s.channel, "address": s.address, "last_seen_at": s.last_seen_at,
                           "last_inbound_at": s.last_inbound_at} for s in sessions],
        routing_log=routing_rows_of(session, user.id),
        privacy_requests=[PrivacyRequestRead.model_validate(r) for r in requests],
    )
    own = user.id == cmd.actor.user_id
    if own:  # the subject's consulta; a staff read is no request of theirs, only an audited access
        record_request(session, user_id=user.id, type=RequestType.EXPORT, channel=cmd.channel)
    append(session, RecordAccess(actor=cmd.actor, action=AuditAction.EXPORT if own else AuditAction.READ,
                                 resource=f"user/{user.id}", subject_user_id=user.id,
                                 reason=cmd.reason or "solicitud del titular", channel=cmd.channel))
    return export


class CorrectSubjectData(Command):
    """The subject corrects their own data (`PATCH /v1/me`); omitted fields stay as they are."""

    actor: Principal
    name: StrictStr | None = Field(default=None, min_length=2, max_length=160)
    phone: StrictStr | None = Field(default=None, min_length=7, max_length=32)
    email: StrictStr | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    address: StrictStr | None = Field(default=None, min_length=5, max_length=200)
    city: StrictStr | None = Field(default=None, min_length=2, max_length=80)
    channel: StrictStr = Field(default="api", max_length=16)


def correct_subject_data(cmd: CorrectSubjectData, uow: UnitOfWork) -> list[str]:
    """Apply the corrections to the account and the buyer profile; return the fields changed."""
    session = uow.session
    user = _subject(session, cmd.actor, None)
    buyer = session.get(Buyer, user.buyer_id) if user.buyer_id else None
    changes = cmd.model_dump(include={"name", "phone", "email", "address", "city"}, exclude_none=True)
    if not changes:
        raise InvalidInput("No enviaste ningún dato para corregir (name, phone, email, address o city).")
    if buyer is None and set(changes) - {"phone", "email"}:
        raise InvalidInput("Tu cuenta no tiene perfil de comprador: solo puedes corregir el teléfono y el correo.")
    if "email" in changes:
        taken = session.scalar(select(User.id).where(User.email == changes["email"], User.id != user.id))
        if taken is not None:
            raise Conflict("Ese correo ya está registrado en otra cuenta.")
        user.email = changes["email"]
    if "phone" in changes:
        if len(normalize_phone(changes["phone"])) < 7:
            raise InvalidInput("El teléfono debe tener al menos 7 dígitos.")
        user.phone = "+" + normalize_phone(changes["phone"])
    if buyer is not None:
        for field, value in changes.items():
            setattr(buyer, field, value)
    record_request(session, user_id=user.id, type=RequestType.CORRECTION, channel=cmd.channel)
    append(session, RecordAccess(actor=cmd.actor, action=AuditAction.CORRECTION, resource=f"user/{user.id}",
                                 subject_user_id=user.id, reason=",".join(sorted(changes)), channel=cmd.channel))
    return sorted(changes)
