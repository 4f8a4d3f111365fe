"""Keyword matching with typo tolerance, and the request-neutral word lists (greetings, states…).

A keyword is a word stem ("cancel" matches "cancélalo", "cancelar") or, ending in "=", an exact word
("pasa=" does not match "pasada"). Phrases are stems that must follow each other. The keyword families
themselves belong to the tools (`agents/offline/tools/`).
"""

from __future__ import annotations

from functools import cache, lru_cache

from agents.confirmations import YES_WORDS
from agents.offline.normalize import Utterance, starts_like

# Words that read as a state, not as an order to act: "los pedidos cancelados", "propuestas aprobadas".
STATE_WORDS = frozenset(
    [
        "cancelado", "cancelados", "cancelada", "canceladas", "anulado", "anulados", "anulada", "anuladas", "aprobado",
        "aprobados", "aprobada", "aprobadas", "vendidos", "vendido",
    ]
)
GREETINGS = frozenset(["hola", "buenas", "buenos", "holi", "ola", "saludos", "hey", "quiubo", "quihubo", "hello"])
THANKS = frozenset([
    "gracias", "agradezco", "thanks", "thank", "listo", "perfecto", "genial", "excelente", "chevere", "bacano",
])
BYES = frozenset(["chao", "adios", "bye", "hasta", "luego"])


ORDER_STATE_WORDS = frozenset(
    [
        "entregado", "entregados", "entregada", "entregadas", "enviado", "enviados", "enviada", "enviadas", "pagado",
        "pagados", "pagada", "pagadas", "devuelto", "devueltos", "devuelta", "devueltas", "reembolsado", "reembolsados",
        "pendiente", "pendientes",
    ]
)


@lru_cache(maxsize=8192)
def _exact_hit(keyword: str, token: str) -> bool:
    if keyword.endswith("="):
        return token == keyword[:-1]
    if len(keyword) <= 3:
        return token == keyword
    return token.startswith(keyword)


@cache
def keyword_words() -> tuple[str, ...]:
    """Every word of every tool's keyword family, as written there ("pasa=", "cancel")."""
    # Imported here, not at the top: the tool rules use this module's matcher, and this module needs their words.
    from agents.offline.tools import RULES

    return tuple(dict.fromkeys(k for rule in RULES.values() for phrase, _ in rule.keywords for k in phrase.split()))


@lru_cache(maxsize=8192)
def _is_known(token: str) -> bool:
    """A word some keyword already names exactly is never read as a typo of another one."""
    if token in STATE_WORDS or token in ORDER_STATE_WORDS or token in THANKS or token in YES_WORDS:
        return True
    return any(_exact_hit(k, token) for k in keyword_words())


@lru_cache(maxsize=8192)
def _keyword_matches(keyword: str, token: str) -> bool:
    if _exact_hit(keyword, token):
        return True
    if keyword.endswith("=") or len(keyword) < 6 or token[:1].isdigit() or _is_known(token):
        return False
    return token[:2] == keyword[:2] and starts_like(token, keyword)


def phrase_at(utt: Utterance, phrase: str, past_is_state: bool = False) -> int:
    """Index where `phrase` starts in the message, or -1. Each word may be written in any of its
    spellings (`Utterance.forms`: "mándeme" counts as "mandame")."""
    parts = phrase.split()
    toks = utt.tokens
    for i in range(len(toks) - len(parts) + 1):
        if len(parts) == 1 and (toks[i] in STATE_WORDS or (past_is_state and is_past(utt, i))):
            continue
        if all(any(_keyword_matches(p, form) for form in utt.forms(i + k)) for k, p in enumerate(parts)):
            return i
    return -1


def is_past(utt: Utterance, i: int) -> bool:
    """A past form describes a state, not an order: "¿se canceló?", "¿ya lo anularon?"."""
    tok = utt.tokens[i]
    if tok.endswith(("aron", "ieron")):
        return True
    return tok.endswith("o") and (tok in utt.past or (i > 0 and utt.tokens[i - 1] == "se"))


def spelled(utt: Utterance, *words: str) -> bool:
    """True when one of `words` is in the message in any spelling ("mándeme" for "mandame")."""
    wanted = set(words)
    return any(wanted.intersection(utt.forms(i)) for i in range(len(utt.tokens)))
