"""Text folding: the one normal form every word comparison in the platform uses."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents (NFKD): "Bogotá" → "bogota", "Nariño" → "narino"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
