"""Colombian NIT (tax id) with the DIAN check digit (dígito de verificación)."""

from __future__ import annotations

import re

from commerce.shared.errors import InvalidNit

# DIAN weights, applied from the rightmost digit of the base number leftwards.
_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
_NIT_RE = re.compile(r"^\s*(\d{1,3}(?:\.\d{3})+|\d{5,15})\s*-\s*(\d)\s*$")


def check_digit(base: str) -> int:
    """Return the DIAN check digit of a NIT base number (digits only)."""
    if not base.isdigit() or not 1 <= len(base) <= len(_WEIGHTS):
        raise InvalidNit(f"El NIT «{base}» debe tener entre 1 y 15 dígitos.")
    total = sum(int(d) * w for d, w in zip(reversed(base), _WEIGHTS, strict=False))
    r = total % 11
    return r if r < 2 else 11 - r


def normalize_nit(raw: str) -> str:
    """Validate a NIT like '800.197.268-4' and return it as '800197268-4'; raise InvalidNit."""
    match = _NIT_RE.match(raw or "")
    if not match:
        raise InvalidNit(f"«{raw}» no es un NIT válido: use el formato 800197268-4.")
    base = match.group(1).replace(".", "")
    if not 5 <= len(base) <= 15:
        raise InvalidNit(f"«{raw}» no es un NIT válido: la base debe tener entre 5 y 15 dígitos.")
    given = int(match.group(2))
    expected = check_digit(base)
    if given != expected:
        raise InvalidNit(f"El NIT «{raw}» tiene un dígito de verificación inválido (debería ser {expected}).")
    return f"{base}-{given}"
