"""Users and consent records (Ley 1581 de 2012)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.principal import Principal, Role
from commerce.shared.clock import utcnow
from commerce.shared.events import UserUpdated
from commerce.shared.field_crypto import (
    EMAIL_LENGTH,
    EncryptedString,
    IndexedEncryptedString,
    blind_index,
    fill_blind_indexes,
    normalise_email,
)
from commerce.shared.orm import Aggregate, Base
from commerce.shared.outbox import OutboxMessage

COLOMBIA_CODE = "57"


def phone_digits(raw: str) -> str:
    """Digits only, with the Colombian country code added to a bare 10-digit mobile number."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10 and digits.startswith("3"):
        return COLOMBIA_CODE + digits
    return digits


class User(Aggregate, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The login identifier, encrypted; `User.email == x` compares `email_index` (HMAC of the lower-cased
    # address), which is also where (case-insensitive) uniqueness lives.
    email: Mapped[str] = mapped_column(IndexedEncryptedString("users.email", index="email_index",
                                                              normalise=normalise_email, length=EMAIL_LENGTH))
    email_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True, unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[str | None] = mapped_column(ForeignKey("sellers.id"), default=None)
    buyer_id: Mapped[str | None] = mapped_column(ForeignKey("buyers.id"), default=None)
    phone: Mapped[str | None] = mapped_column(EncryptedString("users.phone"), default=None)
    # HMAC of the normalised number: how a WhatsApp sender is found without decrypting every phone.
    phone_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    mfa_required: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def index_phone(self) -> None:
        self.phone_index = blind_index(phone_digits(self.phone)) if self.phone else None

    def principal(self) -> Principal:
        """The principal this user acts as."""
        return Principal.for_role(
            user_id=self.id, email=self.email, role=Role(self.role), seller_id=self.seller_id, buyer_id=self.buyer_id
        )


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _index_user(_mapper: object, _connection: object, user: User) -> None:
    user.index_phone()
    fill_blind_indexes(_mapper, _connection, user)


# What a principal is made of: a change to any of these (or deleting the user) must reach every cached copy.
ACCESS_FIELDS = ("role", "active", "seller_id", "buyer_id", "email")


# However a user's access changes (a command, an operator's script, a test), the change and its
# user.updated outbox row commit together, so caches of the principal are invalidated from the event
# stream like any other view. Listening on the Session class, as the unit of work does.
@event.listens_for(Session, "before_flush")
def _record_access_changes(session: Session, flush_context: Any, instances: Any) -> None:
    for user in [*session.dirty, *session.deleted]:
        if not isinstance(user, User) or user.id is None:
            continue
        attrs = inspect(user).attrs
        fields = ["deleted"] if user in session.deleted else [
            name for name in ACCESS_FIELDS if attrs[name].history.has_changes()]
        if fields:
            session.add(OutboxMessage.from_envelope(UserUpdated(user_id=user.id, fields=fields).envelope()))


class ConsentRecord(Base):
    """A data-processing authorization given (or revoked) by a user, with its legal purpose.

    Ley 1581 art. 9 and Decreto 1377 de 2013 art. 7: the proof of the authorization is kept, so a
    record is never rewritten beyond its revocation; the exact text the person accepted is named
    by its version and SHA-256 (commerce/identity/consent.py holds the texts)."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    text_version: Mapped[str] = mapped_column(String(32), default="", server_default="")
    text_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(16), default="web", server_default="web")
    sensitive_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    international_transfer: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
