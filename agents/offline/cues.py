"""Structural cues several tools read: what the shape of a message says, beyond its keywords.

A cue that concerns one tool lives with that tool's rule (`agents/offline/tools/`); these are the ones
shared by rules of different agents.
"""

from __future__ import annotations

from agents.offline.keywords import phrase_at
from agents.offline.normalize import Utterance
from agents.offline.rules import Reading

_HYPOTHETICAL = ("si pido", "si compro", "si hago", "si no pago", "si devuelvo", "si quiero")


def names_product(r: Reading) -> bool:
    """The message names a catalog product (one or several candidates)."""
    return bool(r.ents.product.skus)


def hypothetical(r: Reading) -> bool:
    """ "si pido hoy…", "si no pago…": a question about what would happen, not a request to do it."""
    return any(phrase_at(r.utt, p) >= 0 for p in _HYPOTHETICAL)


def near(utt: Utterance, i: int, words: tuple[str, ...], reach: int = 2) -> bool:
    """One of `words` within `reach` tokens of token i, on either side."""
    window = utt.tokens[max(0, i - reach) : i] + utt.tokens[i + 1 : i + 1 + reach]
    return any(w in words for w in window)
