"""Reading the user's answer to a confirmation question: yes, no, or something else."""

from __future__ import annotations

import re
from enum import StrEnum

from commerce.shared.text import fold


class Decision(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    OTHER = "other"


# Words that say yes or no wherever they stand. The offline model reads them too, when no question is
# pending ("sí" with nothing to confirm gets "no tengo ninguna acción pendiente"): agents/offline/planner.py.
YES_WORDS = frozenset(
    {"si", "sip", "dale", "confirmo", "confirmado", "claro", "listo", "ok", "okay", "vale", "hagale", "acuerdo"}
)
NO_WORDS = frozenset({"no", "nop", "nel", "negativo", "cancela"})
# These answer "¿Confirmas? (sí/no)" only: elsewhere "para", "eso" or "va" start ordinary requests
# ("¿y para Medellín?"), so the model's small talk must not read them as yes or no.
_YES = YES_WORDS | {
    "sii", "siii", "confirmar", "confirma", "okey", "hazlo", "adelante", "correcto", "afirmativo", "perfecto",
    "de una", "por favor", "procede", "proceda", "yes", "va", "sale", "obvio", "exacto", "asi es", "eso",
    "de acuerdo", "acepto",
}
_NO = NO_WORDS | {
    "nope", "noo", "cancelar", "cancelalo", "cancelala", "mejor no", "olvidalo", "olvida", "para", "detente",
    "ni de riesgos", "nada", "todavia no", "aun no", "no gracias", "dejalo asi", "no lo hagas", "no confirmo",
    "rechazo", "rechazar", "no quiero",
}


# "no sé" starts with "no" but answers nothing.
_UNSURE = {"no se", "no entiendo", "no entendi", "no estoy", "no recuerdo", "si pero", "si y"}


def _fold(text: str) -> str:
    """Folded words only: punctuation and emoji are dropped ("¡Sí!" → "si")."""
    return re.sub(r"[^a-z0-9 ]+", " ", fold(text)).strip()


def read_decision(message: str) -> Decision:
    """CONFIRM for yes-like answers ("sí", "dale", "confirmo"), CANCEL for no-like ones, else OTHER.

    Only the start of the answer counts ("sí, hazlo" confirms; "no, mejor no" cancels); a message
    that mixes both ("sí… no, espera") is not a confirmation."""
    words = _fold(message).split()
    if not words or " ".join(words[:2]) in _UNSURE:
        return Decision.OTHER
    heads = {" ".join(words[:n]) for n in (1, 2, 3)}
    says_yes = bool(heads & _YES) or " ".join(words) in _YES
    says_no = bool(heads & _NO) or any(w in {"no", "cancela", "cancelar", "cancelalo"} for w in words[:6])
    if says_yes and not says_no:
        return Decision.CONFIRM
    if says_no and not says_yes:
        return Decision.CANCEL
    return Decision.OTHER


def looks_like_new_request(message: str) -> bool:
    """A longer message that is not an answer moves on (the pending action is dropped); a short
    unclear one ("¿qué?", "mmm") gets the question again."""
    return len(_fold(message).split()) > 3


# "no, mejor a 10.900", "no, más bien 5 unidades": a refusal that carries the corrected request.
_CORRECTION_MARKERS = ("mejor", "mas bien", "en vez", "en cambio", "sino", "pero", "prefiero", "cambialo", "ahora")


def is_correction(message: str) -> bool:
    """A no-like answer that goes on to say what to do instead (handled as a new request)."""
    folded = _fold(message)
    words = folded.split()
    return len(words) > 2 and any(f" {marker} " in f" {folded} " for marker in _CORRECTION_MARKERS)
