"""Consent to the processing of personal data (Ley 1581 de 2012 art. 9, Decreto 1377 de 2013).

The person authorises one purpose (`TRATAMIENTO`: attending them through the platform), with two
separate flags: sensitive data (art. 6: optional, never required) and international transfer
(art. 26: our cloud language models run abroad). Each grant is a row naming the exact text
accepted (version + SHA-256), the channel and the moment; a revocation stamps `revoked_at` on the
active row and, when only one flag is withdrawn, a new row carries the rest. The chat asks on
first contact (agents/consent_gate.py) and the router reads `international_transfer`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.identity.audit import AuditAction, RecordAccess, append
from commerce.identity.models import ConsentRecord
from commerce.identity.principal import Principal
from commerce.identity.privacy_requests import RequestType, record_request
from commerce.shared.clock import utcnow
from commerce.shared.commands import Command
from commerce.shared.unit_of_work import UnitOfWork

TRATAMIENTO = "tratamiento"
TEXT_VERSION = "2026-12-01"
CONSENT_TEXT = (
    "Autorizo a MeStocker S.A.S. a tratar mis datos personales (nombre, cédula, contacto, dirección, pedidos y "
    "conversaciones) para atender mis compras, envíos y consultas, conforme a la Ley 1581 de 2012 y a su política "
    "de tratamiento. Puedo conocer, actualizar, rectificar y suprimir mis datos y revocar esta autorización en "
    "cualquier momento escribiendo «ya no quiero que usen mis datos». Opcional: autorizo la transferencia "
    "internacional de mis mensajes a proveedores de inteligencia artificial en la nube fuera de Colombia."
)
TEXT_HASH = hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()

QUESTION = (
    "Antes de seguir: para atenderte necesitamos tu autorización para tratar tus datos personales (Ley 1581 de "
    "2012). Los usamos para tus pedidos, envíos y consultas; puedes consultarlos, corregirlos o borrarlos cuando "
    "quieras. Responde «acepto» para autorizar, o «acepto sin nube» si prefieres que tus mensajes no salgan de "
    "Colombia (sin transferencia internacional a modelos de IA en la nube)."
)


class Withdrawal(StrEnum):
    ALL = "all"
    INTERNATIONAL_TRANSFER = "international_transfer"
    SENSITIVE_DATA = "sensitive_data"


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    purpose: str
    text_version: str
    text_hash: str
    channel: str
    sensitive_data: bool
    international_transfer: bool
    granted_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class ConsentState:
    """What the person has authorised right now."""

    granted: bool
    international_transfer: bool
    sensitive_data: bool


NONE = ConsentState(granted=False, international_transfer=False, sensitive_data=False)


class GrantConsent(Command):
    actor: Principal
    channel: str = Field(default="web", max_length=16)
    international_transfer: bool = True
    sensitive_data: bool = False


class RevokeConsent(Command):
    actor: Principal
    channel: str = Field(default="web", max_length=16)
    withdraw: Withdrawal = Withdrawal.ALL


def active_consent(session: Session, user_id: int) -> ConsentRecord | None:
    return session.scalars(select(ConsentRecord).where(
        ConsentRecord.user_id == user_id, ConsentRecord.purpose == TRATAMIENTO, ConsentRecord.revoked_at.is_(None))
        .order_by(ConsentRecord.id.desc()).limit(1)).first()


def consent_state(*, uow: UnitOfWork, user_id: int) -> ConsentState:
    """The person's current authorisation (NONE when never given or revoked)."""
    record = active_consent(uow.session, user_id)
    if record is None:
        return NONE
    return ConsentState(granted=True, international_transfer=record.international_transfer,
                        sensitive_data=record.sensitive_data)


def consent_history(session: Session, user_id: int) -> list[ConsentRead]:
    rows = session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user_id).order_by(ConsentRecord.id))
    return [ConsentRead.model_validate(row) for row in rows]


def _add(session: Session, user_id: int, channel: str, *, transfer: bool, sensitive: bool) -> ConsentRecord:
    record = ConsentRecord(user_id=user_id, purpose=TRATAMIENTO, text_version=TEXT_VERSION, text_hash=TEXT_HASH,
                           channel=channel, international_transfer=transfer, sensitive_data=sensitive,
                           granted_at=utcnow())
    session.add(record)
    return record


def grant_consent(cmd: GrantConsent, uow: UnitOfWork) -> ConsentRead:
    """Record the authorisation (replacing an active one with other flags)."""
    session = uow.session
    current = active_consent(session, cmd.actor.user_id)
    if current is not None:
        if (current.international_transfer, current.sensitive_data) == (cmd.international_transfer,
                                                                        cmd.sensitive_data):
            return ConsentRead.model_validate(current)
        current.revoked_at = utcnow()
    record = _add(session, cmd.actor.user_id, cmd.channel, transfer=cmd.international_transfer,
                  sensitive=cmd.sensitive_data)
    append(session, RecordAccess(actor=cmd.actor, action=AuditAction.CONSENT, resource="consent/grant",
                                 subject_user_id=cmd.actor.user_id, channel=cmd.channel))
    session.flush()
    return ConsentRead.model_validate(record)


def revoke_consent(cmd: RevokeConsent, uow: UnitOfWork) -> ConsentState:
    """Withdraw all of the authorisation or one flag; record the request (a reclamo, answered at once)."""
    session = uow.session
    current = active_consent(session, cmd.actor.user_id)
    state = NONE
    if current is not None:
        current.revoked_at = utcnow()
        if cmd.withdraw != Withdrawal.ALL:
            transfer = current.international_transfer and cmd.withdraw != Withdrawal.INTERNATIONAL_TRANSFER
            sensitive = current.sensitive_data and cmd.withdraw != Withdrawal.SENSITIVE_DATA
            _add(session, cmd.actor.user_id, cmd.channel, transfer=transfer, sensitive=sensitive)
            state = ConsentState(granted=True, international_transfer=transfer, sensitive_data=sensitive)
    record_request(session, user_id=cmd.actor.user_id, type=RequestType.REVOCATION, channel=cmd.channel)
    append(session, RecordAccess(actor=cmd.actor, action=AuditAction.CONSENT, resource=f"consent/revoke:{cmd.withdraw}",
                                 subject_user_id=cmd.actor.user_id, channel=cmd.channel))
    return state
