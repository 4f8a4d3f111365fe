"""Second factor: TOTP (RFC 6238) with single-use recovery codes, mandatory for admins and superusers.

- A user's TOTP credential (`totp_credentials`) holds the active base32 secret, a pending one
  while a re-enrolment waits for its first code, and the last time step accepted. A code is
  checked against the current step and one step either side (clock drift of up to 30 s) and is
  accepted only for a step *after* the last one accepted, with a conditional UPDATE: a code seen
  once (by a shoulder-surfer, a proxy log, a second concurrent request) cannot be replayed.
- Ten recovery codes per enrolment (`mfa_recovery_codes`), stored as SHA-256 digests (they are
  ~50-bit random strings, so a slow hash would only add latency, as for refresh tokens), each
  spent once with a conditional UPDATE. A new enrolment replaces them all.
- `second_factor_state` says whether a user must present a code: admins and superusers always,
  anyone flagged `mfa_required`, and anyone who enrolled voluntarily.

Failures are returned, not raised, so a caller can count them (the login throttle) and the
handler's transaction still commits what it must.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import pyotp
import segno
from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import ForeignKey, Integer, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from commerce.identity.models import User
from commerce.identity.principal import Role
from commerce.identity.sessions import RefreshToken
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.errors import NotAuthenticated
from commerce.shared.field_crypto import EncryptedString, stored
from commerce.shared.orm import Base
from commerce.shared.unit_of_work import UnitOfWork

ISSUER = "MeStocker"
MFA_ROLES = frozenset({Role.ADMIN, Role.SUPERUSER})
VALID_WINDOW = 1  # steps either side of now: ±30 s of clock drift
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed from paper
_RECOVERY_LENGTH = 10  # 31^10 ≈ 2^49.5

REQUIRED = ("Tu cuenta exige un segundo factor: escribe el código de 6 dígitos de tu aplicación de "
            "autenticación (o uno de tus códigos de recuperación) en el campo `otp`.")
INVALID = "Código de verificación incorrecto, vencido o ya usado."
NOT_ENROLLED = ("Tu cuenta exige un segundo factor y aún no lo tiene configurado. Un operador debe "
                "inscribirlo en el servidor con `mestocker mfa enrol <correo>`; luego inicia sesión con el código.")
NO_PENDING = "No hay una inscripción pendiente: pide una nueva con POST /v1/auth/mfa/enrol."


class SecondFactorRequired(NotAuthenticated):
    """The password was right; a TOTP or recovery code is needed too (401)."""

    code = "mfa_required"


class SecondFactorInvalid(NotAuthenticated):
    """The code presented was wrong, out of its window, or already used (401)."""

    code = "mfa_invalid"


class SecondFactorNotEnrolled(NotAuthenticated):
    """A user who must use a second factor has none yet (401): an operator enrols them."""

    code = "mfa_enrolment_required"


class TotpCredential(Base):
    """One user's TOTP secret (active and pending) and the last time step accepted."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str | None] = mapped_column(EncryptedString("totp_credentials.secret"), default=None)
    pending_secret: Mapped[str | None] = mapped_column(EncryptedString("totp_credentials.pending_secret"),
                                                       default=None)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_step: Mapped[int | None] = mapped_column(Integer, default=None)


class RecoveryCode(Base):
    """A single-use recovery code, stored as the SHA-256 digest of its normalised form."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


# ----- pure helpers -------------------------------------------------------------------------------


def otpauth_uri(secret: str, email: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app reads (SHA-1, 6 digits, 30 s: what every app supports)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An SVG QR code of `uri` (standalone document, black on white)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=4, light="#fff"))


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_normalize_recovery(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def is_totp_code(code: str) -> bool:
    """Six digits (spaces allowed, as apps show "123 456"); anything else is read as a recovery code."""
    digits = code.replace(" ", "")
    return len(digits) == 6 and digits.isascii() and digits.isdigit()


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step within ±VALID_WINDOW whose code is `code` (constant-time compare), or None."""
    if not is_totp_code(code):
        return None
    totp, digits = pyotp.TOTP(secret), code.replace(" ", "")
    now_step = totp.timecode(at or utcnow())
    found = None
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


# ----- state ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactorState:
    required: bool
    enrolled: bool
    recovery_codes_left: int = 0
    pending: bool = False


def second_factor_state(*, uow: UnitOfWork, user_id: int, count_codes: bool = True) -> SecondFactorState:
    """Whether `user_id` must present a code at login, and whether they can (and how many recovery codes are left,
    unless `count_codes` is False: the login does not need them)."""
    return _state(uow.session, user_id, count_codes=count_codes)


def _state(session: Session, user_id: int, *, count_codes: bool = True) -> SecondFactorState:
    user = session.get(User, user_id)
    credential = session.get(TotpCredential, user_id)
    enrolled = credential is not None and credential.secret is not None
    required = user is not None and (user.role in MFA_ROLES or bool(user.mfa_required))
    left = (session.scalar(select(func.count()).select_from(RecoveryCode)
                           .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0
            if count_codes else 0)
    return SecondFactorState(required=required or enrolled, enrolled=enrolled, recovery_codes_left=int(left),
                             pending=credential is not None and credential.pending_secret is not None)


def pending_enrolment_uri(*, uow: UnitOfWork, user_id: int) -> str | None:
    """The otpauth URI of the user's pending enrolment (for its QR code), or None."""
    credential = uow.session.get(TotpCredential, user_id)
    user = uow.session.get(User, user_id)
    if credential is None or credential.pending_secret is None or user is None:
        return None
    return otpauth_uri(credential.pending_secret, user.email)


# ----- commands ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpEnrolment:
    """What the user sees once: the secret, its otpauth URI and (when active) the recovery codes."""

    email: str
    secret: str
    uri: str
    recovery_codes: list[str] = field(default_factory=list)
    active: bool = False


@dataclass(frozen=True)
class SecondFactorCheck:
    ok: bool
    method: str | None = None  # "totp" or "recovery"
    recovery_codes_left: int | None = None


@dataclass(frozen=True)
class Confirmation:
    recovery_codes: list[str] = field(default_factory=list)
    refusal: str | None = None


class EnrolTotp(Command):
    """Operator enrolment (CLI, seed): a new active secret and ten new recovery codes at once."""

    user_id: StrictInt


class StartTotpEnrolment(Command):
    """Self-service (re-)enrolment: a pending secret, active only after `ConfirmTotpEnrolment`."""

    user_id: StrictInt


class ConfirmTotpEnrolment(Command):
    """Activate the pending secret with a code from it; replaces the recovery codes."""

    user_id: StrictInt
    code: StrictStr = Field(max_length=64)


class VerifySecondFactor(Command):
    """Spend a TOTP step (once) or a recovery code (once) of `user_id`."""

    user_id: StrictInt
    code: StrictStr = Field(max_length=64)


def _credential(session: Session, user_id: int) -> TotpCredential:
    credential = session.get(TotpCredential, user_id)
    if credential is None:
        credential = TotpCredential(user_id=user_id)
        session.add(credential)
    return credential


def _replace_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_recovery_digest(code)) for code in codes)
    return codes


def enrol_totp_now(session: Session, user_id: int) -> TotpEnrolment:
    """A fresh active secret and recovery codes (the operator's and the seed's path)."""
    user = session.get(User, user_id)
    if user is None:
        raise ValueError(f"no user {user_id}")
    credential = _credential(session, user_id)
    credential.secret, credential.pending_secret = pyotp.random_base32(), None
    credential.enrolled_at, credential.last_step = utcnow(), None
    codes = _replace_recovery_codes(session, user_id)
    # An operator re-enrols after a lost or stolen phone: the sessions opened with the old secret end too.
    session.execute(update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return TotpEnrolment(email=user.email, secret=credential.secret, uri=otpauth_uri(credential.secret, user.email),
                         recovery_codes=codes, active=True)


def enrol_totp(cmd: EnrolTotp, uow: UnitOfWork) -> TotpEnrolment:
    return enrol_totp_now(uow.session, cmd.user_id)


def start_totp_enrolment(cmd: StartTotpEnrolment, uow: UnitOfWork) -> TotpEnrolment:
    """A new pending secret (replacing any earlier pending one); the active secret keeps working."""
    user = uow.session.get(User, cmd.user_id)
    if user is None:
        raise ValueError(f"no user {cmd.user_id}")
    credential = _credential(uow.session, cmd.user_id)
    credential.pending_secret = pyotp.random_base32()
    return TotpEnrolment(email=user.email, secret=credential.pending_secret,
                         uri=otpauth_uri(credential.pending_secret, user.email))


def confirm_totp_enrolment(cmd: ConfirmTotpEnrolment, uow: UnitOfWork) -> Confirmation:
    """The pending secret becomes the active one once the user shows a code from it."""
    session = uow.session
    credential = session.get(TotpCredential, cmd.user_id)
    if credential is None or credential.pending_secret is None:
        return Confirmation(refusal=NO_PENDING)
    step = matching_step(credential.pending_secret, cmd.code)
    if step is None:
        return Confirmation(refusal=INVALID)
    credential.secret, credential.pending_secret = credential.pending_secret, None
    credential.enrolled_at, credential.last_step = utcnow(), step  # the confirming code is spent too
    return Confirmation(recovery_codes=_replace_recovery_codes(session, cmd.user_id))


def verify_second_factor(cmd: VerifySecondFactor, uow: UnitOfWork) -> SecondFactorCheck:
    """Accept a TOTP code for a step after the last accepted one, or an unused recovery code."""
    session = uow.session
    credential = session.get(TotpCredential, cmd.user_id)
    if credential is None or credential.secret is None:
        return SecondFactorCheck(ok=False)
    if is_totp_code(cmd.code):
        step = matching_step(credential.secret, cmd.code)
        if step is None:
            return SecondFactorCheck(ok=False)
        # Conditional: a replayed step, or a concurrent request with the same code, matches no row. The
        # secret is compared as stored (each encryption has its own nonce: the clear value would never match).
        as_read = session.scalar(select(stored(TotpCredential.secret)).where(TotpCredential.user_id == cmd.user_id))
        spent = session.execute(
            update(TotpCredential)
            .where(TotpCredential.user_id == cmd.user_id, stored(TotpCredential.secret) == as_read,
                   or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step))
            .values(last_step=step)
            .execution_options(synchronize_session=False))
        return SecondFactorCheck(ok=bool(getattr(spent, "rowcount", 0)), method="totp")
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == cmd.user_id, RecoveryCode.code_hash == _recovery_digest(cmd.code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False))
    if not getattr(used, "rowcount", 0):
        return SecondFactorCheck(ok=False)
    return SecondFactorCheck(ok=True, method="recovery", recovery_codes_left=_state(session, cmd.user_id)
                             .recovery_codes_left)
