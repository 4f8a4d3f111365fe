"""Per-user channel state: which chat channel a user last used, and the WhatsApp service window.

Proactive notifications go to the channel the user last used. WhatsApp only allows free text
within 24 hours of the user's last inbound message (the "customer service window"); outside it
only pre-approved template messages may be sent.

The channels change this state through commands (`RecordChannelUse`, `IdentifyWhatsAppSender`,
`ClaimInboundMessage`), so every write runs in the message bus's unit of work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.models import User
from commerce.identity.phone_binding import find_user_by_verified_phone
from commerce.identity.principal import Principal
from commerce.shared.clock import as_utc, utcnow
from commerce.shared.commands import Command
from commerce.shared.orm import Base
from commerce.shared.outbox import ProcessedMessage
from commerce.shared.unit_of_work import UnitOfWork

WHATSAPP = "whatsapp"
WEB = "web"
CHANNELS = frozenset({WHATSAPP, WEB})

# Meta's window is 24 h; a few minutes of margin so a message queued at 23:59 is not refused.
WHATSAPP_SERVICE_WINDOW = timedelta(hours=24) - timedelta(minutes=5)

COLOMBIA_CODE = "57"


class ChannelSession(Base):
    """One row per user and channel: when the user last wrote to us there and last showed up."""

    __tablename__ = "channel_sessions"
    __table_args__ = (UniqueConstraint("user_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Where to reach the user on this channel (the WhatsApp wa_id that wrote to us); None for web.
    address: Mapped[str | None] = mapped_column(String(32), default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


def normalize_phone(raw: str) -> str:
    """Digits only, with the Colombian country code added to a bare 10-digit mobile number."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10 and digits.startswith("3"):
        return COLOMBIA_CODE + digits
    return digits


def find_user_by_phone(session: Session, phone: str) -> User | None:
    """Return the one active user whose phone matches `phone` (any format), or None.

    Two users sharing a number is ambiguous, and guessing would hand one of them the other's
    data: such a number is treated as unknown.
    """
    wanted = normalize_phone(phone)
    if len(wanted) < 7:
        return None
    # Stored phones come in several formats ("+57 310 555 0101", "3105550101"): narrow by the
    # last digits in SQL, compare normalised in Python.
    candidates = session.scalars(
        select(User).where(User.active.is_(True), User.phone.is_not(None), User.phone.like(f"%{wanted[-4:]}"))
    ).all()
    matches = [user for user in candidates if user.phone and normalize_phone(user.phone) == wanted]
    return matches[0] if len(matches) == 1 else None


def record_channel_use(
    session: Session, user_id: int, channel: str, at: datetime | None = None, *, address: str | None = None
) -> ChannelSession:
    """Record that the user wrote to us on `channel` at `at` (opens WhatsApp's service window)."""
    return _touch(session, user_id, channel, at or utcnow(), address=address, inbound=True)


def record_channel_seen(session: Session, user_id: int, channel: str, at: datetime | None = None) -> ChannelSession:
    """Record that the user showed up on `channel` without writing (e.g. opened the web chat)."""
    return _touch(session, user_id, channel, at or utcnow(), address=None, inbound=False)


def _touch(session: Session, user_id: int, channel: str, at: datetime, *, address: str | None,
           inbound: bool) -> ChannelSession:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    at = as_utc(at)
    state = _get(session, user_id, channel)
    if state is None:
        # Two first messages of a user can race: the loser of the unique constraint updates instead.
        try:
            with session.begin_nested():
                state = ChannelSession(user_id=user_id, channel=channel, address=address, last_seen_at=at,
                                       last_inbound_at=at if inbound else None)
                session.add(state)
            return state
        except IntegrityError:
            state = _get(session, user_id, channel)
            assert state is not None
    if address:
        state.address = address
    state.last_seen_at = max(as_utc(state.last_seen_at), at)
    if inbound:
        state.last_inbound_at = at if state.last_inbound_at is None else max(as_utc(state.last_inbound_at), at)
    return state


def _get(session: Session, user_id: int, channel: str) -> ChannelSession | None:
    return session.scalar(
        select(ChannelSession).where(ChannelSession.user_id == user_id, ChannelSession.channel == channel)
    )


def last_used_channel(session: Session, user_ids: list[int]) -> ChannelSession | None:
    """The most recently used channel among `user_ids` (a buyer may have several users), or None."""
    if not user_ids:
        return None
    return session.scalars(
        select(ChannelSession)
        .where(ChannelSession.user_id.in_(user_ids))
        .order_by(ChannelSession.last_seen_at.desc(), ChannelSession.id.desc())
        .limit(1)
    ).first()


def whatsapp_window_open(state: ChannelSession | None, now: datetime | None = None) -> bool:
    """True while free-text WhatsApp messages are allowed: the user wrote within the last 24 hours."""
    if state is None or state.channel != WHATSAPP or state.last_inbound_at is None:
        return False
    return as_utc(now or utcnow()) - as_utc(state.last_inbound_at) < WHATSAPP_SERVICE_WINDOW


# ----- commands the channels send -------------------------------------------------------------


class RecordChannelUse(Command):
    """A signed-in user wrote to us on `channel` (the web chat): notifications follow them there."""

    user_id: int
    channel: str
    at: datetime | None = None


class IdentifyWhatsAppSender(Command):
    """Who wrote from `wa_id`; their WhatsApp channel records the message (opening the service window)."""

    wa_id: str
    sent_at: datetime


class ClaimInboundMessage(Command):
    """Claim an inbound message id for `consumer`, so a redelivered webhook does nothing."""

    consumer: str = Field(max_length=64)
    message_id: str = Field(max_length=64)


def register_channel_use(cmd: RecordChannelUse, uow: UnitOfWork) -> None:
    """Record the user's message on the channel."""
    record_channel_use(uow.session, cmd.user_id, cmd.channel, cmd.at)


def identify_whatsapp_sender(cmd: IdentifyWhatsAppSender, uow: UnitOfWork) -> Principal | None:
    """The sender's principal (their inbound message recorded), or None for a number verified for no account.

    Only a verified number counts (commerce.identity.phone_binding): the phone a user typed into
    their profile proves nothing about who holds it."""
    user = find_user_by_verified_phone(uow.session, normalize_phone(cmd.wa_id))
    if user is None:
        return None
    record_channel_use(uow.session, user.id, WHATSAPP, cmd.sent_at, address=cmd.wa_id)
    return user.principal()


def claim_inbound_message(cmd: ClaimInboundMessage, uow: UnitOfWork) -> bool:
    """True the first time a message id is claimed; False for a redelivery."""
    try:
        with uow.session.begin_nested():
            uow.session.add(ProcessedMessage(consumer=cmd.consumer, event_id=cmd.message_id))
    except IntegrityError:
        return False
    return True
