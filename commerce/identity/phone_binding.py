"""WhatsApp numbers bound to accounts only after a one-time code proves both ends.

A WhatsApp message carries the sender's number (`wa_id`) and nothing else we can trust: what
the user types ("soy laura.gomez@example.co") proves nothing. So a number acts as an account
only once it is *verified* for it (`verified_phones`, one account per number), by one of two
one-time codes:

- **Asked from WhatsApp**: the unknown number writes the account's email; a 6-digit code goes
  to the account's own registered channel — its web chat, through the notification outbox
  (`AccountNotification`, delivered by infra.channels.delivery) — never back to the number that
  asked. The user reads it in the logged-in web chat and writes it on WhatsApp. The code is
  bound to the number that asked: another number cannot spend it.
- **Made on the web**: the logged-in user asks `POST /v1/me/whatsapp/link-code` for a code
  (8 characters, ~40 bits: it is not tied to a number, so it must not be guessable) and sends
  it from WhatsApp.

Codes expire after 10 minutes, work once, are stored as SHA-256 digests, and die after 5 wrong
tries; a number gets at most 5 wrong codes and 3 code requests an hour, an account 3 requests
an hour (so nobody can flood someone's notifications). The answer to an email never says
whether the account exists. Staff accounts (admin, superuser) are never bound: their sessions
need a second factor, which a WhatsApp number cannot give.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import ForeignKey, Integer, String, delete, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.models import User
from commerce.identity.principal import Principal, Role
from commerce.notifications import AccountNotification
from commerce.shared.clock import as_utc, utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import NotAuthorized
from commerce.shared.field_crypto import IndexedEncryptedString, fill_blind_indexes, identity
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

CODE_TTL = timedelta(minutes=10)
MAX_TRIES_PER_CODE = 5
MAX_FAILURES_PER_NUMBER = 5  # per hour
MAX_REQUESTS_PER_NUMBER = 3  # per hour
MAX_REQUESTS_PER_ACCOUNT = 3  # per hour
WINDOW = timedelta(hours=1)
UNBINDABLE_ROLES = frozenset({Role.ADMIN, Role.SUPERUSER})

FROM_WHATSAPP = "whatsapp"
FROM_WEB = "web"
SEEDED = "seed"

_WEB_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_WEB_LENGTH = 8
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SIX_DIGITS = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})(?!\d)")
# "MS-K7Q2-M9XD" as shown on the page; "MS K7Q2M9XD" or "K7Q2-M9XD" as people retype it. A plain
# 8-letter word ("EMPRESAS") is not a code.
_WEB_CODE = re.compile(r"\bMS[ -]?([A-HJKMNP-Z2-9]{4})[ -]?([A-HJKMNP-Z2-9]{4})\b"
                       r"|\b([A-HJKMNP-Z2-9]{4})-([A-HJKMNP-Z2-9]{4})\b", re.IGNORECASE)

INSTRUCTIONS = (
    "¡Hola! Soy el asistente de MeStocker. Este número no está registrado (vinculado) en ninguna cuenta, así "
    "que no puedo mostrarte pedidos ni datos de cuentas. Para vincularlo: escríbeme el correo de tu cuenta y te "
    "enviaremos un código de 6 dígitos a tu chat web de MeStocker; o entra a la página web, pide un código de "
    "vinculación y envíamelo aquí."
)
CODE_SENT = (
    "Si ese correo corresponde a una cuenta que se puede vincular, enviamos un código de 6 dígitos a su chat web "
    "de MeStocker. Escríbelo aquí; vence en 10 minutos."
)
TOO_MANY_REQUESTS = "Ya pediste varios códigos para este número. Espera una hora y vuelve a intentarlo."
TOO_MANY_FAILURES = "Demasiados códigos incorrectos desde este número. Espera una hora y vuelve a intentarlo."
WRONG_CODE = "Ese código no es válido para este número. Revísalo, o escribe tu correo para pedir uno nuevo."
EXPIRED_CODE = "Ese código venció. Escribe el correo de tu cuenta para pedir uno nuevo."
USED_CODE = "Ese código ya se usó. Pide uno nuevo."
LINKED = "¡Listo! Este número quedó vinculado a la cuenta {email}. Ya puedes escribirme lo que necesites."
NOTICE = ("Código para vincular el WhatsApp {number} a tu cuenta: {code} (vence en 10 minutos). Escríbelo en ese "
          "chat de WhatsApp. Si no lo pediste tú, ignora este mensaje: sin el código nadie puede vincularlo.")
NOTICE_SPENT = "Se usó el código para vincular el WhatsApp {number} a tu cuenta."
STAFF_REFUSAL = ("Las cuentas de administración no se vinculan a WhatsApp: su acceso exige un segundo factor. "
                 "Usa la página web.")


class VerifiedPhone(Base):
    """A WhatsApp number proven to belong to an account: messages from it act as that account."""

    __tablename__ = "verified_phones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Normalised digits (the wa_id), encrypted; `== wa_id` compares phone_index (unique: one owner per number).
    phone: Mapped[str] = mapped_column(IndexedEncryptedString("verified_phones.phone", index="phone_index",
                                                              normalise=identity))
    phone_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # whatsapp, web, seed
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneLinkCode(Base):
    """A one-time code; `wa_id` is the number that asked (codes made on the web have none)."""

    __tablename__ = "phone_link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for a request that named no bindable account: it still counts against the number.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    wa_id: Mapped[str | None] = mapped_column(IndexedEncryptedString("phone_link_codes.wa_id", index="wa_id_index",
                                                                     normalise=identity), default=None)
    wa_id_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class PhoneLinkFailure(Base):
    """One wrong code sent from a number (counted per hour to stop guessing)."""

    __tablename__ = "phone_link_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wa_id: Mapped[str] = mapped_column(IndexedEncryptedString("phone_link_failures.wa_id", index="wa_id_index",
                                                              normalise=identity))
    wa_id_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


for _model in (VerifiedPhone, PhoneLinkCode, PhoneLinkFailure):
    event.listen(_model, "before_insert", fill_blind_indexes)
    event.listen(_model, "before_update", fill_blind_indexes)


def _digest(kind: str, code: str, wa_id: str = "") -> str:
    return hashlib.sha256(f"{kind}:{wa_id}:{code}".encode()).hexdigest()


def masked_number(wa_id: str) -> str:
    """+57 ••• ••• 0101: enough for the owner to recognise, nothing more."""
    return f"+{wa_id[:2]} ••• ••• {wa_id[-4:]}" if len(wa_id) >= 8 else "•••"


def masked_email(email: str) -> str:
    """l***@example.co: the sender learns which account, not its address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def find_user_by_verified_phone(session: Session, wa_id: str) -> User | None:
    """The active, non-staff account the number is verified for, or None."""
    user = session.scalar(select(User).join(VerifiedPhone, VerifiedPhone.user_id == User.id)
                          .where(VerifiedPhone.phone == wa_id))
    if user is None or not user.active or user.role in UNBINDABLE_ROLES:
        return None
    return user


def verify_phone(session: Session, user_id: int, wa_id: str, method: str) -> None:
    """Bind the number to the account (replacing a binding to an account that can no longer use it)."""
    session.execute(delete(VerifiedPhone).where(VerifiedPhone.phone == wa_id))
    session.add(VerifiedPhone(phone=wa_id, user_id=user_id, method=method, verified_at=utcnow()))


def forget_subject_phones(session: Session, user_id: int) -> int:
    """Erasure: the subject's bound numbers, their link codes, the numbers' failure marks and the code
    notices sent to the account. Returns how many numbers were unbound."""
    numbers = list(session.scalars(select(VerifiedPhone.phone).where(VerifiedPhone.user_id == user_id)))
    numbers += [n for n in session.scalars(select(PhoneLinkCode.wa_id).where(PhoneLinkCode.user_id == user_id)) if n]
    if numbers:
        session.execute(delete(PhoneLinkFailure).where(PhoneLinkFailure.wa_id.in_(numbers)))
    session.execute(delete(PhoneLinkCode).where(PhoneLinkCode.user_id == user_id))
    session.execute(delete(AccountNotification).where(AccountNotification.user_id == user_id))
    result = session.execute(delete(VerifiedPhone).where(VerifiedPhone.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


# ----- commands -------------------------------------------------------------------------------------


class LinkWhatsAppNumber(Command):
    """A message from a number bound to no account: an email asks for a code, a code binds the number."""

    wa_id: StrictStr = Field(min_length=1, max_length=32, pattern=r"^\d+$")
    text: StrictStr = Field(max_length=4096)


class CreateWebLinkCode(Command):
    """The logged-in user asks for a code to send from the WhatsApp number they want bound."""

    user_id: StrictInt


@dataclass(frozen=True)
class LinkOutcome:
    """The Spanish reply for the number, and the account it now acts as (when it was just bound)."""

    reply: str
    principal: Principal | None = None


@dataclass(frozen=True)
class WebLinkCode:
    code: str
    expires_at: datetime


def _recent(session: Session, column, *where) -> int:  # type: ignore[no-untyped-def]
    since = utcnow() - WINDOW
    return int(session.scalar(select(func.count()).select_from(column.class_).where(column >= since, *where)) or 0)


def _fail(session: Session, wa_id: str, reply: str) -> LinkOutcome:
    session.add(PhoneLinkFailure(wa_id=wa_id, at=utcnow()))
    return LinkOutcome(reply=reply)


def link_whatsapp_number(cmd: LinkWhatsAppNumber, uow: UnitOfWork) -> LinkOutcome:
    """Read the message as a code or an email; anything else gets the instructions."""
    session = uow.session
    if _recent(session, PhoneLinkFailure.at, PhoneLinkFailure.wa_id == cmd.wa_id) >= MAX_FAILURES_PER_NUMBER:
        return LinkOutcome(reply=TOO_MANY_FAILURES)
    six = _SIX_DIGITS.search(cmd.text)
    if six:
        return _spend_whatsapp_code(session, cmd.wa_id, six.group(1) + six.group(2))
    web = _WEB_CODE.search(cmd.text)
    if web and not _EMAIL.search(cmd.text):
        halves = [part for part in web.groups() if part]
        return _spend_web_code(session, cmd.wa_id, "".join(halves).upper())
    email = _EMAIL.search(cmd.text)
    if email:
        return _request_code(session, cmd.wa_id, email.group(0))
    return LinkOutcome(reply=INSTRUCTIONS)


def _request_code(session: Session, wa_id: str, email: str) -> LinkOutcome:
    now = utcnow()
    if _recent(session, PhoneLinkCode.created_at, PhoneLinkCode.wa_id == wa_id) >= MAX_REQUESTS_PER_NUMBER:
        return LinkOutcome(reply=TOO_MANY_REQUESTS)
    user = session.scalar(select(User).where(User.email == email))
    # Same answer whatever happens from here on: the reply must not say which accounts exist.
    if user is None or not user.active or user.role in UNBINDABLE_ROLES:
        _count_request(session, wa_id, now)
        return LinkOutcome(reply=CODE_SENT)
    if _recent(session, PhoneLinkCode.created_at, PhoneLinkCode.user_id == user.id,
               PhoneLinkCode.origin == FROM_WHATSAPP) >= MAX_REQUESTS_PER_ACCOUNT:
        _count_request(session, wa_id, now)
        return LinkOutcome(reply=CODE_SENT)
    # A new request supersedes this number's earlier codes.
    session.execute(update(PhoneLinkCode)
                    .where(PhoneLinkCode.wa_id == wa_id, PhoneLinkCode.used_at.is_(None),
                           PhoneLinkCode.expires_at > now)
                    .values(expires_at=now).execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneLinkCode(user_id=user.id, origin=FROM_WHATSAPP, wa_id=wa_id,
                        code_hash=_digest(FROM_WHATSAPP, code, wa_id), created_at=now, expires_at=now + CODE_TTL)
    session.add(row)
    session.flush()
    session.add(AccountNotification(user_id=user.id, kind="whatsapp.link_code", reference=f"link:{row.id}",
                                    text=NOTICE.format(number=masked_number(wa_id), code=code)))
    return LinkOutcome(reply=CODE_SENT)


def _count_request(session: Session, wa_id: str, now: datetime) -> None:
    """A request for an account that gets no code still counts against the number."""
    session.add(PhoneLinkCode(user_id=None, origin=FROM_WHATSAPP, wa_id=wa_id, code_hash="",
                              created_at=now, expires_at=now, used_at=now))


def _spend_whatsapp_code(session: Session, wa_id: str, code: str) -> LinkOutcome:
    now = utcnow()
    row = session.scalars(select(PhoneLinkCode)
                          .where(PhoneLinkCode.wa_id == wa_id, PhoneLinkCode.origin == FROM_WHATSAPP,
                                 PhoneLinkCode.user_id.is_not(None))
                          .order_by(PhoneLinkCode.id.desc()).limit(1)).first()
    if row is None or row.tries >= MAX_TRIES_PER_CODE:
        return _fail(session, wa_id, WRONG_CODE)
    if row.used_at is not None:
        return _fail(session, wa_id, USED_CODE)
    if as_utc(row.expires_at) <= now:
        return _fail(session, wa_id, EXPIRED_CODE)
    if not secrets.compare_digest(row.code_hash, _digest(FROM_WHATSAPP, code, wa_id)):
        row.tries += 1
        return _fail(session, wa_id, WRONG_CODE)
    return _bind(session, row, wa_id, FROM_WHATSAPP, now)


def _spend_web_code(session: Session, wa_id: str, code: str) -> LinkOutcome:
    now = utcnow()
    row = session.scalars(select(PhoneLinkCode)
                          .where(PhoneLinkCode.code_hash == _digest(FROM_WEB, code), PhoneLinkCode.origin == FROM_WEB)
                          .order_by(PhoneLinkCode.id.desc()).limit(1)).first()
    if row is None:
        return _fail(session, wa_id, WRONG_CODE)
    if row.used_at is not None:
        return _fail(session, wa_id, USED_CODE)
    if as_utc(row.expires_at) <= now:
        return _fail(session, wa_id, EXPIRED_CODE)
    return _bind(session, row, wa_id, FROM_WEB, now)


def _bind(session: Session, row: PhoneLinkCode, wa_id: str, method: str, now: datetime) -> LinkOutcome:
    user = session.get(User, row.user_id) if row.user_id is not None else None
    # Conditional: two messages with one code cannot both spend it.
    spent = session.execute(update(PhoneLinkCode).where(PhoneLinkCode.id == row.id, PhoneLinkCode.used_at.is_(None))
                            .values(used_at=now).execution_options(synchronize_session=False))
    if not getattr(spent, "rowcount", 0):
        return _fail(session, wa_id, USED_CODE)
    if user is None or not user.active or user.role in UNBINDABLE_ROLES:
        return _fail(session, wa_id, WRONG_CODE)
    verify_phone(session, user.id, wa_id, method)
    # The code's notice no longer needs to show it.
    session.execute(update(AccountNotification).where(AccountNotification.reference == f"link:{row.id}")
                    .values(text=NOTICE_SPENT.format(number=masked_number(wa_id)))
                    .execution_options(synchronize_session=False))
    return LinkOutcome(reply=LINKED.format(email=masked_email(user.email)), principal=user.principal())


def create_web_link_code(cmd: CreateWebLinkCode, uow: UnitOfWork) -> WebLinkCode:
    """A fresh code for the caller (their earlier unused web codes stop working)."""
    session, now = uow.session, utcnow()
    user = session.get(User, cmd.user_id)
    if user is None or user.role in UNBINDABLE_ROLES:
        raise NotAuthorized(STAFF_REFUSAL)
    session.execute(update(PhoneLinkCode)
                    .where(PhoneLinkCode.user_id == cmd.user_id, PhoneLinkCode.origin == FROM_WEB,
                           PhoneLinkCode.used_at.is_(None), PhoneLinkCode.expires_at > now)
                    .values(expires_at=now).execution_options(synchronize_session=False))
    code = "".join(secrets.choice(_WEB_ALPHABET) for _ in range(_WEB_LENGTH))
    session.add(PhoneLinkCode(user_id=cmd.user_id, origin=FROM_WEB, code_hash=_digest(FROM_WEB, code),
                              created_at=now, expires_at=now + CODE_TTL))
    return WebLinkCode(code=f"MS-{code[:4]}-{code[4:]}", expires_at=now + CODE_TTL)
