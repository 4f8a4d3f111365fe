"""Reading the user's answer to a confirmation question: yes, no, or something else."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Decision(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    OTHER = "other"


_YES = {
    "si", "sii", "siii", "sip", "dale", "confirmo", "confirmado", "confirmar", "confirma", "claro", "listo", "ok",
    "okay", "okey", "vale", "hagale", "hazlo", "adelante", "correcto", "afirmativo", "perfecto", "de una", "por favor",
    "procede", "proceda", "yes", "va", "sale", "obvio", "exacto", "asi es", "eso", "de acuerdo", "acepto",
}
_NO = {
    "no", "nop", "nope", "noo", "cancela", "cancelar", "cancelalo", "cancelala", "mejor no", "olvidalo", "olvida",
    "negativo", "para", "detente", "ni de riesgos", "nada", "todavia no", "aun no", "no gracias", "dejalo asi",
    "no lo hagas", "no confirmo", "rechazo", "rechazar", "no quiero",
}


# "no sé" starts with "no" but answers nothing.
_UNSURE = {"no se", "no entiendo", "no entendi", "no estoy", "no recuerdo", "si pero", "si y"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9 ]+", " ", text).strip()


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
