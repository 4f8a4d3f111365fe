"""Consent on first contact (Ley 1581 art. 9): the web chat and WhatsApp ask before anything else.

A person without an active authorisation gets the Spanish question instead of a turn; their
answer «acepto» (or «acepto sin nube»: no international transfer to cloud models) is recorded
with the text version and hash. Nothing they write before accepting reaches the conversation
store or a model. Operator channels (CLI, evals) are not asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commerce.identity.consent import NONE, QUESTION, TEXT_VERSION, ConsentState, GrantConsent, consent_state
from commerce.identity.principal import Principal
from commerce.shared.messagebus import MessageBus
from commerce.shared.text import fold

ASKING_CHANNELS = frozenset({"web", "whatsapp"})
_ACCEPT = re.compile(r"^\W*(?:si\W+)?(?:acepto|autorizo)\b")
_NO_CLOUD = ("sin nube", "sin la nube", "sin transferencia", "no salgan", "solo en colombia")


@dataclass(frozen=True)
class GateOutcome:
    """`reply` answers the message instead of a turn; otherwise the turn runs with `consent`."""

    consent: ConsentState
    reply: str | None = None


def consent_gate(bus: MessageBus, principal: Principal, text: str, channel: str) -> GateOutcome:
    """The person's consent, or the reply that asks for it (and records an acceptance)."""
    if principal.user_id <= 0:
        return GateOutcome(NONE)
    with bus.read() as uow:
        state = consent_state(uow=uow, user_id=principal.user_id)
    if state.granted or channel not in ASKING_CHANNELS:
        return GateOutcome(state)
    folded = fold(text)
    if not _ACCEPT.match(folded):
        return GateOutcome(state, reply=QUESTION)
    transfer = not any(phrase in folded for phrase in _NO_CLOUD)
    bus.handle(GrantConsent(actor=principal, channel=channel, international_transfer=transfer))
    where = ("" if transfer else " Tus mensajes se procesarán solo en nuestros servidores, sin salir de Colombia.")
    return GateOutcome(state, reply=f"¡Gracias! Registré tu autorización (texto versión {TEXT_VERSION}).{where} "
                                    "¿En qué te puedo ayudar? Cuéntame de nuevo tu consulta.")
